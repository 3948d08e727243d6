"""Retraining the evidence model: deterministic, and on real data the figures it ships with."""

import numpy as np
import pytest

from assistant.answering import evidence_model
from assistant.answering.sentence_features import FEATURES, Candidate, SentenceTable
from assistant.lab import train_evidence
from tests.conftest import HashEmbedding, shared_dir

pytest.importorskip("scipy", reason="fitting needs the lab extra: pip install 'assistant[lab]'")

DATA = shared_dir("eval")
TRAIN, CORPUS = DATA / "piaf_train.jsonl", DATA / "piaf_train_contexts.jsonl"
needs_data = pytest.mark.skipif(not TRAIN.is_file(), reason=f"the PIAF training split is not at {DATA}")


class _Item:
    """A labelled question made by hand: `features` rows, `labels` which rows answer."""

    def __init__(self, features, labels):
        self.table = SentenceTable([Candidate(1, 0, 1)] * len(labels), [0.0] * len(labels), np.asarray(features, dtype=float))
        self.labels = np.asarray(labels, dtype=bool)


def test_the_fit_learns_the_feature_that_marks_the_answering_sentence():
    rng = np.random.default_rng(0)
    items = []
    for _ in range(40):
        features = rng.normal(size=(5, len(FEATURES)))
        features[2, 3] += 2.0  # column 3 is higher for the answering sentence
        items.append(_Item(features, [False, False, True, False, False]))
    items.append(_Item(rng.normal(size=(3, len(FEATURES))), [False] * 3))  # no answer in its pool: teaches nothing
    model = train_evidence.fit(items, l2=1.0)
    assert np.argmax(model.weights) == 3
    assert np.array_equal(train_evidence.fit(items, l2=1.0).weights, model.weights), "deterministic"


@needs_data
def test_retraining_on_a_slice_gives_the_same_model_and_seeds_move_the_figures_within_noise(tmp_path):
    def run(seed: int):
        return train_evidence.train(TRAIN, CORPUS, seed=seed, folds=2, limit=3, embedding=HashEmbedding(), progress=False)

    first, again, other_seed = run(0), run(0), run(1)
    assert first.to_dict() == again.to_dict()
    assert first.about["trained_on"]["articles"] == 3
    for key in ("evidence_recall@350", "first_sentence_holds"):
        assert abs(first.about["cross_validation"]["learned"][key] - other_seed.about["cross_validation"]["learned"][key]) < 0.1
    # the fold seed changes the measurement only: the model is fitted on every question either way
    assert np.array_equal(first.weights, other_seed.weights)


@pytest.mark.slow
@needs_data
def test_retraining_with_e5_on_a_third_of_the_articles_measures_what_the_shipped_model_records():
    shipped = evidence_model.load().about["cross_validation"]
    model = train_evidence.train(TRAIN, CORPUS, limit=32, progress=False)
    slice_figures = model.about["cross_validation"]
    for key in ("evidence_recall@350", "first_sentence_holds"):
        assert abs(slice_figures["learned"][key] - shipped["learned"][key]) < 0.06, key
        assert slice_figures["learned"][key] > slice_figures["cosine"][key], f"{key}: learned beats cosine on the slice too"
