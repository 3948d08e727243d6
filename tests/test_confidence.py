"""The learned confidence: its signals, its models, the decision it drives, and its fitting."""

import json
import random
from dataclasses import replace

import pytest

from assistant.answering.confidence import ConfidenceModel, Logistic, signals
from assistant.answering.query import Query, Written
from assistant.answering.verify import examine
from assistant.errors import ModelError
from assistant.lab import selective
from assistant.lab.data import Outcome, Question
from assistant.lab.evaluation import _run_one
from assistant.lab.train_confidence import collect, fit_logistic, row
from assistant.types import Passage
from tests.conftest import MILLEY


def constant(probability: float, names=("verbatim",)) -> Logistic:
    """A model that says `probability` whatever it reads (its one weight is zero)."""
    import math

    return Logistic(tuple(names), (0.0,) * len(names), (1.0,) * len(names), (0.0,) * len(names), math.log(probability / (1 - probability)))


def test_signals_read_every_stage_and_stay_neutral_without_them():
    empty = signals(Query("", question="Où Milley a-t-il rencontré Zaluzhny ?"))
    assert empty["said_unknown"] == 1.0 and empty["passage_cosine"] == 0.0 and empty["question_words"] == 3.0
    passage = Passage("a", "T", "Il est en Pologne.", 0, 18, 1.0)
    checks = examine("En Pologne [1].", "Où ?", [passage])
    drafted = Query("", question="Où ?", draft=Written("En Pologne [1].", None, (0.5, 1.0)), checks=checks)
    full = signals(drafted)
    assert full["token_min"] == 0.5 and full["answer_words"] == 3 and full["cited_first"] == 1.0 and full["quote_from_answer"] == 1.0
    assert set(full) == set(empty), "every question gives the same signals"


def test_the_sentence_signals_are_the_evidence_models_surest_whatever_ranks_first():
    from assistant.answering.query import Chosen, Evidence

    read_first = Chosen(2, 0, 10, 0.81, 0.05, 0.97, (0, 4), 0.9)  # the reader's surest, little share
    surest = Chosen(1, 0, 12, 0.86, 0.62, 0.20, (0, 3), 0.5)
    figures = signals(Query("", question="Où ?", evidence=Evidence([], 0.86, (read_first, surest), 0.97)))
    assert figures["top_sentence_score"] == 0.62 and figures["top_sentence_cosine"] == 0.86 and figures["top_sentence_in_first_passage"] == 1.0
    assert figures["reader_probability"] == 0.97, "the reader's own signals are of the sentence it put first"


def test_a_missing_or_stale_model_file_says_what_to_do(tmp_path):
    with pytest.raises(ModelError, match="ASSISTANT_CONFIDENCE_MODEL="):
        ConfidenceModel.load(tmp_path / "missing.json")
    stale = tmp_path / "old.json"
    stale.write_text(json.dumps({"format": 0}))
    with pytest.raises(ModelError, match="format 0"):
        ConfidenceModel.load(stale)


def test_a_model_survives_saving_and_loading(tmp_path):
    model = ConfidenceModel(constant(0.8), constant(0.3), {"seed": 0})
    model.save(tmp_path / "m.json")
    again = ConfidenceModel.load(tmp_path / "m.json")
    assert again == model and again.answer.probability({"verbatim": 1.0}) == pytest.approx(0.8)


def deciding(make_assistant, tmp_path, answer_p: float, quote_p: float, script: dict, **settings):
    """An assistant over the Milley article whose fake model writes `script`, decided by
    confidence models that say `answer_p` and `quote_p` whatever they read."""
    model = tmp_path / "model.json"
    ConfidenceModel(constant(answer_p), constant(quote_p), {}).save(model)
    assistant = make_assistant(script, chunk_chars=200, overlap_chars=0, confidence_model=str(model), **settings)
    assistant.ingest_articles([MILLEY])
    return assistant


@pytest.mark.parametrize(
    ("answer_p", "quote_p", "outcome"),
    [(0.9, 0.9, "answer"), (0.2, 0.9, "quote"), (0.2, 0.2, "refused")],
)
def test_decide_answers_quotes_or_refuses(make_assistant, tmp_path, answer_p, quote_p, outcome):
    assistant = deciding(make_assistant, tmp_path, answer_p, quote_p, {"Où Milley": "Dans le sud-est de la Pologne [1]."})
    answer = assistant.ask("Où Milley a-t-il rencontré Zaluzhny ?")
    assert answer.outcome == outcome and "decide" in [step.stage for step in answer.trace]
    if outcome == "answer":
        assert answer.text == f"Dans le sud-est de la Pologne [{answer.citations[0].n}]." and answer.confidence == pytest.approx(0.9)
    elif outcome == "quote":
        [citation] = answer.citations
        assert answer.text == f"L'article dit : « {citation.quote} » [{citation.n}]." and "sud-est de la Pologne" in citation.quote
        assert answer.confidence == pytest.approx(0.9) and not answer.refused
    else:
        assert answer.refused and answer.refusal_reason == "unsure" and answer.citations == []


def test_an_off_topic_draft_is_weighed_not_refused_when_a_model_decides(make_assistant, tmp_path):
    # With a confidence model, the hand-set checks become its signals instead of refusing.
    assistant = deciding(make_assistant, tmp_path, 0.9, 0.1, {"Kremlin": "Mardi [1]."})
    answer, _ = assistant.inspect("Quand le Kremlin a-t-il critiqué Washington ?")
    verify = next(step for step in answer.trace if step.stage == "verify")
    assert "refusal" not in verify.details and verify.details["kind_fits"] is True


def test_an_answer_without_the_kind_asked_is_refused_however_sure_the_model(make_assistant, tmp_path):
    # The training split holds one such answer: the model cannot learn it, the decision refuses it.
    assistant = deciding(make_assistant, tmp_path, 0.95, 0.95, {"âge": "Vers 11 heures du matin [1]."})
    answer = assistant.ask("Quel âge a Milley ?")
    assert answer.refused and answer.refusal_reason == "answer_type", answer.text


def test_collected_rows_hold_the_signals_and_the_labels(make_assistant, tmp_path):
    assistant = make_assistant({"Où Milley": "Dans le sud-est de la Pologne [1].", "Kremlin": "Kyiv [1]."}, chunk_chars=200, overlap_chars=0)
    assistant.ingest_articles([MILLEY])
    right = {"id": "q1", "title": "Milley", "question": "Où Milley a-t-il rencontré Zaluzhny ?", "answers": ["sud-est de la Pologne"]}
    probe = {"id": "q2", "title": "Autre", "question": "Qui le Kremlin a-t-il accusé ?", "answers": ["Kyiv"]}
    rows = collect(assistant, [right], [probe], tmp_path / "rows.jsonl", progress=False)
    assert [r["answerable"] for r in rows] == [True, False]
    assert rows[0]["answer_right"] and rows[0]["quote_right"] and rows[0]["f1"] > 0.5
    assert rows[0]["surest"] in MILLEY.text and rows[0]["surest_right"] == ("sud-est de la Pologne" in rows[0]["surest"]), (
        "the evidence's surest sentence is recorded beside the quoted one"
    )
    assert not rows[1]["answer_right"] and not rows[1]["quote_right"], "a probe is never right"
    again = collect(assistant, [right], [probe], tmp_path / "rows.jsonl", progress=False)
    assert again == rows, "a rerun reads the rows already collected"
    assert row.__doc__


def test_fitting_is_reproducible_and_learns_a_real_relation():
    draw = random.Random(1)
    rows = []
    for i in range(300):
        support = draw.random()
        rows.append({"title": f"t{i % 12}", "signals": {"support": support, "noise": draw.random()}, "right": draw.random() < support})
    first, cv, held_out = fit_logistic(rows, "right")
    second, _, _ = fit_logistic(rows, "right")
    assert first == second, "the same rows and seed give the same model"
    assert cv["auc"] > 0.7 and first.probability({"support": 0.95, "noise": 0.5}) > first.probability({"support": 0.05, "noise": 0.5})
    assert len(held_out) == len(rows) and held_out != [first.probability(r["signals"]) for r in rows], "each row's from the model fitted without its article"


def test_the_operating_point_refuses_the_training_probes_at_the_lowest_quote_threshold_that_can():
    from assistant.lab.train_confidence import operating_point

    def row(i, answerable, quote, refusal=None):
        return {
            "id": f"q{i}",
            "answerable": answerable,
            "answer": "",
            "quote": quote,
            "answer_right": False,
            "quote_right": answerable,
            "rules_refusal": refusal,
            "signals": {"cross_lingual": 0.0},
        }

    probes = [row(i, False, "a sentence") for i in range(20)]
    answerable = [row(100 + i, True, "a sentence") for i in range(10)]
    gated = row(200, False, "a sentence", refusal="relevance")  # refused by a gate whatever its probability
    held_out = {r["id"]: [0.0, 0.05 * int(r["id"][1:])] for r in probes}  # probe i's quote at 0.05 i
    held_out |= {r["id"]: [0.0, 0.9] for r in answerable} | {"q200": [0.0, 0.99]}
    point = operating_point([*probes, *answerable, gated], held_out)
    # 21 probes, 95 % of them: 20 refused; q200 by its gate, q0..q18 below 0.91, q19 (0.95) quoted
    assert point["quote_threshold"] == 0.91 and point["probes_refused"] == 20 / 21
    assert point["answerable_refused"] == 1.0 and point["answer_or_quote_right"] == 0.0  # their 0.9 is under 0.91


def test_precision_against_coverage_and_reliability():
    outcomes = []
    for i, (p, right) in enumerate([(0.9, True), (0.8, True), (0.6, False), (0.3, False), (0.2, True)]):
        question = Question(f"q{i}", "?", ("cave",), "c", True)
        outcomes.append(Outcome(question, refused=False, answer_probability=p, candidate="dans une cave" if right else "au grenier"))
    probe = Outcome(Question("p", "?", (), None, False), refused=True, answer_probability=0.85, candidate="au grenier")
    rows = {r["threshold"]: r for r in selective.curve([*outcomes, probe], thresholds=(0.0, 0.5, 0.85))}
    assert rows[0.85] == {"threshold": 0.85, "precision": 0.5, "coverage": 0.2, "answers": 2}, "the probe's answer counts against precision"
    assert rows[0.0]["coverage"] == 1.0 and rows[0.5]["precision"] == pytest.approx(0.5)
    deciles = selective.reliability(outcomes)
    assert sum(r["n"] for r in deciles) == 5 and deciles[-1]["observed"] == 1.0


def test_a_run_at_thresholds_zero_replays_any_other_threshold():
    question = Question("q", "Où ?", ("cave",), "c", True)
    given = Outcome(question, refused=False, outcome="answer", response="Dans une cave [1].", short="Dans une cave", citations=1, citations_with_answer=1)
    given.answer_probability, given.candidate = 0.4, "Dans une cave [1]."
    given.quote_probability, given.quote, given.quote_cited_right = 0.7, "L'article dit : « Il dort dans une cave. » [1].", True
    again = Outcome.from_dict(json.loads(json.dumps(given.to_dict())))
    assert again.to_dict() == given.to_dict(), "a line of --details reads back as it was written"
    [answered] = selective.replay([again], 0.3, 0.5)
    [quoted] = selective.replay([again], 0.5, 0.5)
    [refused] = selective.replay([again], 0.5, 0.8)
    [vetoed] = selective.replay([replace(again, finding="answer_type")], 0.3, 0.5)
    assert vetoed.outcome == "refused", "an answer without the kind asked is refused, as decide does"
    assert answered.outcome == "answer" and answered.short == "Dans une cave"
    assert quoted.outcome == "quote" and quoted.short == "" and quoted.right and quoted.citations_with_answer == 1
    assert refused.outcome == "refused" and refused.refused and not refused.right
    # The same run as the hand-set checks would have decided it: answer unless one found a reason.
    [kept] = selective.checks([again])
    assert kept.outcome == "answer" and kept.right
    again.finding = "unsupported"
    [dropped] = selective.checks([again])
    assert dropped.outcome == "refused" and dropped.refused and not dropped.right


def test_another_model_is_replayed_on_the_signals_a_run_recorded():
    question = Question("q", "Où ?", ("cave",), "c", True)
    recorded = Outcome(question, refused=False, answer_probability=0.2, candidate="Dans une cave [1].")
    recorded.quote_probability, recorded.quote = 0.3, "L'article dit : « … » [1]."
    recorded.signals = {"support": 1.0, "verbatim": 1.0}
    refused_before = Outcome(Question("p", "?", (), None, False), refused=True)  # no decision: nothing to rescore
    again = [Outcome.from_dict(json.loads(json.dumps(o.to_dict()))) for o in (recorded, refused_before)]
    model = ConfidenceModel(constant(0.9, ("support",)), constant(0.6), {})
    rescored, untouched = selective.rescore(again, model)
    assert rescored.answer_probability == pytest.approx(0.9) and rescored.quote_probability == pytest.approx(0.6)
    assert untouched == again[1]
    assert selective.replay([rescored], 0.5, 0.5)[0].outcome == "answer"
    again[0].signals = None
    with pytest.raises(ValueError, match="no signals"):
        selective.rescore(again, model)


def test_an_answer_in_another_language_than_its_source_is_decided_by_the_checks(make_assistant, tmp_path):
    # The models learned from French questions on French articles: an English answer is not theirs to judge.
    script = {"Where did Milley": "In south-eastern Poland [1].", "Où Milley": "Dans le sud-est de la Pologne [1]."}
    assistant = deciding(make_assistant, tmp_path, 0.1, 0.1, script, min_cross_lingual_support=0.0)  # the models would refuse anything
    english = assistant.ask("Where did Milley meet Zaluzhny?")
    assert english.outcome == "answer" and not english.refused and english.confidence is None
    assert next(s for s in english.trace if s.stage == "decide").details["decided_by"] == "checks"
    french = assistant.ask("Où Milley a-t-il rencontré Zaluzhny ?")
    assert french.refused and french.refusal_reason == "unsure", "in the source's language, the model decides"


def test_the_replay_decides_a_recorded_run_as_decide_did(make_assistant, tmp_path):
    # One decision (decide.verdict) for the stage and the evaluation's replay: a short answer, a
    # quote, a cross-lingual answer the checks decide, an answer of the wrong kind, a refusal before.
    script = {
        "Where did Milley": "In south-eastern Poland [1].",
        "Où Milley": "Dans le sud-est de la Pologne [1].",
        "âge": "Vers 11 heures du matin [1].",
        "Butler": "Il est porte-parole [1].",
    }
    questions = [
        "Where did Milley meet Zaluzhny?",
        "Où Milley a-t-il rencontré Zaluzhny ?",
        "Quel âge a Milley ?",
        "Qui est Butler ?",
        "Quel temps fera-t-il à Lima ?",
    ]
    for answer_p, quote_p in [(0.9, 0.9), (0.3, 0.6), (0.3, 0.1)]:
        assistant = deciding(make_assistant, tmp_path, answer_p, quote_p, script, min_cross_lingual_support=0.0)
        recorded = [_run_one(assistant, Question(f"q{i}", q, ("Pologne",), None, True), False) for i, q in enumerate(questions)]
        assert {o.outcome for o in recorded} >= {"answer", "refused"} and any(o.cross_lingual for o in recorded)
        assert any(o.answer_probability is None for o in recorded), "one is refused before the decision"
        replayed = selective.replay(recorded, 0.5, 0.27)
        assert [(o.outcome, o.refused) for o in replayed] == [(o.outcome, o.refused) for o in recorded], (answer_p, quote_p)


def test_the_selective_command_gives_the_settings_thresholds_first(make_assistant, tmp_path, capsys):
    """`python -m assistant.lab.selective RUN.jsonl`: the run decided at the settings' thresholds
    (the README's dev figures), then the grid; a file it cannot read is an error, not a traceback."""
    import json

    script = {"Où Milley": "Dans le sud-est de la Pologne [1]."}
    assistant = deciding(make_assistant, tmp_path, 0.9, 0.9, script)
    recorded = _run_one(assistant, Question("q0", "Où Milley a-t-il rencontré Zaluzhny ?", ("Pologne",), None, True), False)
    details = tmp_path / "run.jsonl"
    details.write_text(json.dumps(recorded.to_dict()) + "\n", encoding="utf-8")
    assert selective.main([str(details)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[2].startswith("| **0.50** (settings) | **0.27** | 1.000 |") and rows[-1].startswith("| the checks |")
    assert selective.main([str(tmp_path / "missing.jsonl")]) == 1
    assert "cannot read" in capsys.readouterr().err
