"""The learned evidence selector: the shipped model, its features, its failure modes and the stage."""

import json

import numpy as np
import pytest

from assistant.answering import evidence_model
from assistant.answering.evidence import SelectEvidence, select_learned
from assistant.answering.evidence_model import EvidenceModel
from assistant.answering.query import Query
from assistant.answering.sentence_features import FEATURES, sentence_table
from assistant.embeddings.sentences import Cosines
from assistant.errors import ModelError
from assistant.types import Passage
from tests.conftest import HashEmbedding

QUESTION = "Combien d'Américains accompagnaient Milley ?"
ANSWERS = "Milley a voyagé depuis la base avec un groupe qui comprenait cinq autres Américains, un interprète et du personnel de sécurité."
ARRIVAL = "Le général Milley est arrivé en Pologne vers onze heures, a déclaré Butler."
KREMLIN = "Le Kremlin a vivement critiqué les efforts de Washington."


def passage(text: str, score: float = 1.0, article_id: str = "a") -> Passage:
    return Passage(article_id=article_id, title="Milley en Pologne", text=text, start=0, end=len(text), score=score, dense_score=0.85)


@pytest.fixture(scope="module")
def relevance():
    return Cosines(HashEmbedding()).relevance


@pytest.fixture(scope="module")
def model():
    return evidence_model.load()


def test_the_shipped_model_loads_and_names_its_features(model):
    assert model.to_dict()["features"] == list(FEATURES)
    assert model.about["trained_on"]["questions"] > 1000  # the whole training split
    assert model.about["cross_validation"]["grouped_by"] == "title"


def test_the_sentence_holding_the_answer_scores_above_one_that_does_not(model, relevance):
    table = sentence_table(QUESTION, [passage(f"{ARRIVAL} {ANSWERS} {KREMLIN}")], relevance)
    scores = model.scores(table.features)
    assert scores[1] > scores[0] and scores[1] > scores[2]
    assert model.shares(table.features).sum() == pytest.approx(1.0)


def test_a_later_candidate_holding_the_answer_replaces_a_given_passage(model, relevance):
    given = [passage(ARRIVAL, 1.0, "arrival"), passage(KREMLIN, 0.9, "kremlin")]
    pool = [*given, passage(ANSWERS, 0.6, "group")]
    choice = select_learned(QUESTION, given, pool, 10, relevance, model)
    assert [p.article_id for p in choice.passages][:1] == ["group"]
    assert choice.evidence.excerpts == [(1, ANSWERS)], "the first sentence is read even over the budget"
    assert choice.evidence.chosen[0].n == 1 and 0 < choice.evidence.chosen[0].score <= 1  # its share
    # the sentence gate's figure is still the best cosine of the passages given, not the pool's
    assert choice.evidence.best_relevance == pytest.approx(max(relevance(QUESTION, [ARRIVAL, KREMLIN])))


def test_the_budget_bounds_what_is_read_and_a_repeated_sentence_is_read_once(model, relevance):
    first, overlapping = passage(f"{ARRIVAL} {ANSWERS}"), passage(f"{ANSWERS} {KREMLIN}", 0.8)
    everything = select_learned(QUESTION, [first, overlapping], [first, overlapping], 10_000, relevance, model)
    read = " ".join(e.text for e in everything.evidence.excerpts)
    assert read.count(ANSWERS) == 1 and ARRIVAL in read and KREMLIN in read
    small = select_learned(QUESTION, [first, overlapping], [first, overlapping], len(ANSWERS) + 10, relevance, model)
    assert sum(len(e.text) for e in small.evidence.excerpts) == len(ANSWERS)


def test_a_zero_budget_reads_the_whole_passages_in_the_learned_order(model, relevance):
    given = [passage(KREMLIN, 1.0, "kremlin"), passage(ANSWERS, 0.9, "group")]
    choice = select_learned(QUESTION, given, given, 0, relevance, model)
    assert choice.evidence.excerpts == [(1, ANSWERS), (2, KREMLIN)]


def test_the_stage_records_the_selector_and_the_scores_of_what_it_chose(model, relevance):
    given = [passage(f"{ARRIVAL} {ANSWERS}", 1.0, "milley"), passage(KREMLIN, 0.9, "kremlin")]
    query = Query(QUESTION, question=QUESTION, passages=given[:1], candidates=given)
    decision = SelectEvidence(relevance, 600, 2.0, model, pool=2).run(query)
    assert decision.details["selector"] == "learned"
    assert query.passages[0].article_id == "milley", "of the 2 scored, the one holding the answer is read"
    assert {s["n"] for s in decision.details["sentences"]} == {1}, "as many passages read as retrieval gave: 1"
    assert decision.details["sentences"][0]["start"] == len(ARRIVAL) + 1  # offsets of the best sentence in its passage
    assert {"order", "ranking", "excerpts", "chars"} <= decision.details.keys()


def test_the_cosine_selector_is_the_documented_fallback(make_assistant, tmp_path):
    from assistant.config import SAMPLE_ARTICLE

    assistant = make_assistant(evidence_model="cosine")
    assistant.ingest([SAMPLE_ARTICLE])
    step = next(s for s in assistant.read("Où Milley a-t-il rencontré Zaluzhny ?").trace if s.stage == "evidence")
    assert step.details["selector"] == "cosine" and step.details["sentences"][0]["n"] == 1


def test_a_missing_model_says_what_to_do(tmp_path, make_assistant):
    with pytest.raises(ModelError, match="missing.*train_evidence.*ASSISTANT_EVIDENCE_MODEL=cosine"):
        evidence_model.load(tmp_path / "nowhere.json")
    with pytest.raises(ModelError, match="missing"):  # when the assistant is built, not at the first question
        make_assistant(evidence_model=str(tmp_path / "nowhere.json"))


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "cannot be read"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"model": evidence_model.KIND, "version": 999}), "version 999"),
        (json.dumps({"model": evidence_model.KIND, "version": evidence_model.VERSION, "features": ["cosine"]}), "other features"),
        (json.dumps({"model": evidence_model.KIND, "version": evidence_model.VERSION, "features": list(FEATURES)}), "incomplete"),
    ],
)
def test_a_damaged_model_says_what_is_wrong_and_what_to_do(tmp_path, content, message):
    path = tmp_path / "model.json"
    path.write_text(content)
    with pytest.raises(ModelError, match=message) as raised:
        evidence_model.load(path)
    assert "train_evidence" in str(raised.value)


def test_wrong_shapes_are_refused(tmp_path, model):
    data = model.to_dict()
    data["weights"] = data["weights"][:-1]
    with pytest.raises(ModelError, match="wrong shape"):
        EvidenceModel.from_dict(data)


def test_a_saved_model_loads_back_the_same(tmp_path, model):
    model.save(tmp_path / "copy.json")
    copy = evidence_model.load(tmp_path / "copy.json")
    features = np.random.default_rng(0).normal(size=(4, len(FEATURES)))
    assert np.allclose(copy.scores(features), model.scores(features))


# Questions a reader asks about the sample article, with a span the evidence must hold to answer.
SAMPLE_QUESTIONS = [
    ("Où Milley a-t-il rencontré Zaluzhny ?", "sud-est de la Pologne"),
    ("Combien d'Américains accompagnaient Milley ?", "cinq autres Américains"),
    ("À quelle heure Milley est-il arrivé ?", "11 heures"),
    ("Qui est le porte-parole de l'armée américaine ?", "David Butler"),
    ("Qui Poutine a-t-il nommé commandant en chef en Ukraine ?", "Gerasimov"),
    ("Combien de batteries Patriot ont été déployées à la base ?", "deux batteries"),
    ("Pourquoi Zaluzhny ne pouvait-il pas aller à Bruxelles ?", "réunion mercredi"),
    ("Où des soldats américains forment-ils un bataillon ukrainien ?", "Allemagne"),
]


@pytest.mark.slow
def test_with_e5_the_learned_evidence_holds_the_answers_to_the_sample_questions(sample_index):
    from assistant.api import Assistant
    from assistant.lab.metrics import contains_answer

    def held(selector: str) -> list[bool]:
        assistant = Assistant.open(sample_index, evidence_model=selector)
        found = []
        for question, answer in SAMPLE_QUESTIONS:
            step = next(s for s in assistant.read(question).trace if s.stage == "evidence")
            found.append(contains_answer(" ".join(e["text"] for e in step.details["excerpts"]), [answer]))
        return found

    learned, cosine = held("learned"), held("cosine")
    # Measured when the model was shipped: 7 of 8 for both; « Combien d'Américains… » is missed by
    # both (the model puts « la visite ne s'accompagnait pas… » first: it shares a stem).
    assert sum(learned) >= 7 and sum(learned) >= sum(cosine), (learned, cosine)
