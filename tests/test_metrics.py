"""The evaluation metrics on hand-made cases (pure functions: no model is loaded)."""

import json
from pathlib import Path

import pytest

from assistant.lab.data import Outcome, Question, load_questions, select
from assistant.lab.evaluation import summarize
from assistant.lab.metrics import (
    answer_rank,
    contains_answer,
    exact_match,
    gold_rank,
    mean_reciprocal_rank,
    normalize,
    percentile,
    recall_at,
    short_answer,
    token_f1,
)
from assistant.lab.tables import refusal_reasons_table, refusal_threshold_table


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le 12 juin", "12 juin"),
        ("Élysée", "elysee"),
        ("L'Ami du roi", "ami roi"),
        ("l’Assemblée législative", "assemblee legislative"),  # typographic apostrophe
        ("d'Autriche", "autriche"),
        ("« la patrie en danger »", "patrie en danger"),
        ("Les Actes des apôtres", "actes apotres"),
        ("une nouvelle journée, révolutionnaire !", "nouvelle journee revolutionnaire"),
        ("  ÇA   VA  ", "ca va"),
        ("", ""),
    ],
)
def test_normalize_french(text, expected):
    assert normalize(text) == expected


def test_normalize_keeps_words_that_only_start_like_articles():
    assert normalize("Delacroix et Lafayette, l'un des deux") == "delacroix et lafayette deux"


def test_exact_match_ignores_case_accents_articles_and_punctuation():
    assert exact_match("le 12 Juin.", ["12 juin"]) == 1.0
    assert exact_match("La Prusse", ["Autriche", "prusse"]) == 1.0
    assert exact_match("en juin", ["12 juin"]) == 0.0
    assert exact_match("", ["12 juin"]) == 0.0


def test_f1_counts_shared_tokens():
    assert token_f1("12 juin 1792", ["Le 12 juin"]) == pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1))
    assert token_f1("dans une cave", ["dans une cave"]) == 1.0
    assert token_f1("", ["dans une cave"]) == 0.0
    assert token_f1("le roi", ["la reine"]) == 0.0
    assert token_f1("cave", ["au grenier", "dans une cave"]) == pytest.approx(2 / 3)  # best gold wins


def test_contains_matches_whole_words_after_normalisation():
    assert contains_answer("Marat se cache dans une cave [1].", ["dans une cave"])
    assert contains_answer("Il s’agit de l’Élysée.", ["l'elysee"])
    assert not contains_answer("Il a 120 ans.", ["12"])  # no match inside a longer number
    assert not contains_answer("Je ne sais pas.", ["dans une cave"])
    assert not contains_answer("rien", [""])  # an empty gold matches nothing


def test_short_answer_strips_markers_and_keeps_the_first_sentence():
    assert short_answer("Dans le sud-est de la Pologne [1]. Il y est resté [2].") == "Dans le sud-est de la Pologne"
    assert short_answer("Un nouveau pont [1][2].") == "Un nouveau pont"
    assert short_answer("Je ne trouve pas la réponse.", refused=True) == ""
    assert short_answer("M. Milley [1]") == "M. Milley"  # « M. » followed by a capital stays whole


def test_ranks_recall_and_mrr():
    assert gold_rank(["a", "b", "c"], "b") == 2
    assert gold_rank(["a", "b"], "z") is None
    assert answer_rank(["rien ici", "Il se cache dans une cave."], ["dans une cave"]) == 2
    ranks = [1, 3, None, 7]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 5) == 0.5
    assert recall_at(ranks, 10) == 0.75
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 1 / 7) / 4)
    assert recall_at([], 10) is None and mean_reciprocal_rank([]) is None


def test_percentile_interpolates_like_numpy():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)
    assert percentile([], 50) is None


def _outcome(answerable: bool, refused: bool, response: str = "", answers=("dans une cave",), cited=(0, 0), latency=1.0, ttft=None):
    question = Question("q", "Où se cache Marat ?", tuple(answers) if answerable else (), "c1" if answerable else None, answerable)
    return Outcome(
        question,
        rank=1 if answerable else None,
        judged=answerable,
        response="" if refused else response,
        short=short_answer(response, refused),
        refused=refused,
        citations_with_answer=cited[0],
        citations=cited[1],
        latency_s=latency,
        ttft_s=ttft,
        outcome="refused" if refused else "answer",
    )


def test_summary_counts_refusals_on_each_kind_of_question():
    outcomes = [
        _outcome(True, False, "Dans une cave [1].", cited=(1, 1), latency=2.0, ttft=0.5),
        _outcome(True, False, "Il se cache dans une cave [1].", cited=(1, 2), latency=4.0, ttft=1.5),
        _outcome(True, True),
        _outcome(False, True),
        _outcome(False, True),
        _outcome(False, False, "Au grenier [1].", cited=(0, 1)),
    ]
    for outcome, holds, seconds in zip(outcomes, (True, False, True), (0.1, 0.3, 0.2)):  # the answerable ones
        outcome.top_sentence_holds, outcome.evidence_s = holds, seconds
    metrics = summarize(outcomes)
    assert list(metrics) == [
        "recall@1", "recall@5", "recall@10", "mrr", "evidence_recall", "sentence_recall@1", "evidence_p50_s", "em", "f1", "contains",
        "answer_precision", "coverage",
        "quote_rate", "quote_precision", "answer_or_quote", "citation_precision", "refusal_rate", "false_refusal_rate",
        "latency_p50_s", "latency_p95_s", "ttft_p50_s", "questions",
    ]  # fmt: skip
    assert metrics["questions"] == 6
    assert metrics["refusal_rate"] == pytest.approx(2 / 3)
    assert metrics["false_refusal_rate"] == pytest.approx(1 / 3)
    assert metrics["em"] == pytest.approx(1 / 3)  # the refusal counts as an empty answer
    assert metrics["contains"] == pytest.approx(2 / 3)
    assert metrics["answer_precision"] == pytest.approx(2 / 3)  # the probe's answer counts against it
    assert metrics["coverage"] == pytest.approx(2 / 3) and metrics["quote_rate"] == 0 and metrics["quote_precision"] is None
    assert metrics["citation_precision"] == pytest.approx(2 / 3)  # probes' citations are not judged
    assert metrics["ttft_p50_s"] == 1.0
    assert metrics["recall@1"] == 1.0
    assert metrics["sentence_recall@1"] == pytest.approx(2 / 3) and metrics["evidence_p50_s"] == 0.2


def test_threshold_table_counts_unsure_answers_as_refusals():
    outcomes = [
        _outcome(True, False, "Dans une cave [1].", cited=(1, 1)),
        _outcome(True, False, "Au grenier [1].", cited=(0, 1)),
        _outcome(False, False, "Au grenier [1].", cited=(0, 1)),
        _outcome(False, True),
    ]
    for outcome, probability in zip(outcomes, (0.02, 0.25, 0.35, 0.9)):
        outcome.refusal_probability = probability
    table = refusal_threshold_table(outcomes, thresholds=(0.1, 0.3, 1.0))
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]] for line in table.splitlines()[2:]}
    # threshold: refusal_rate, false_refusal_rate, contains, f1, citation_precision
    assert rows["1.00"] == ["0.500", "0.000", "0.500", "0.500", "0.500"]
    assert rows["0.30"] == ["1.000", "0.000", "0.500", "0.500", "0.500"]  # the probe's unsure answer is refused
    assert rows["0.10"] == ["1.000", "0.500", "0.500", "0.500", "1.000"]  # and the wrong answer, citing a wrong passage


def test_reasons_table_counts_each_check_on_each_kind_of_question():
    outcomes = [_outcome(True, False, "Dans une cave [1].", cited=(1, 1)), _outcome(True, True), _outcome(False, True), _outcome(False, True)]
    for outcome, reason in zip(outcomes, (None, "off_topic", "sentence_relevance", "off_topic")):
        outcome.refusal_reason = reason
    outcomes[1].draft = "Dans une cave [2]."  # a right answer the check threw away: its cost
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in refusal_reasons_table(outcomes).splitlines()[2:]]
    assert rows == [
        ["sentence_relevance", "0 (0.0 %)", "-", "1 (50.0 %)"],  # in the order the checks run
        ["off_topic", "1 (50.0 %)", "1", "1 (50.0 %)"],
        ["(answered)", "1 (50.0 %)", "-", "0 (0.0 %)"],
    ]


def test_retrieval_only_summary_has_only_retrieval_keys():
    metrics = summarize([_outcome(True, False)], retrieval_only=True)
    assert set(metrics) == {"recall@1", "recall@5", "recall@10", "mrr", "evidence_recall", "sentence_recall@1", "evidence_p50_s", "questions"}


def test_select_limits_and_interleaves_probes():
    answerable = [Question(f"a{i}", "?", ("x",), "c") for i in range(100)]
    probes = [Question(f"u{i}", "?", (), None, False) for i in range(30)]
    chosen = select(answerable, probes, 10)
    assert [q.id for q in chosen if q.answerable] == [f"a{i}" for i in range(10)]
    assert len([q for q in chosen if not q.answerable]) == 5  # at least a few probes
    first_probe = next(i for i, q in enumerate(chosen) if not q.answerable)
    assert first_probe < 5  # spread among the questions, not all at the end
    assert len(select(answerable, probes, None)) == 130


def test_load_questions_reads_answerable_flags(tmp_path):
    path = tmp_path / "q.jsonl"
    records = [
        {"id": "1", "question": "Où ?", "answers": ["ici"], "context_id": "c"},
        {"id": "2", "question": "Quand ?", "answers": [], "context_id": None, "answerable": False},
        {"id": "3", "question": "Qui ?", "answers": ["lui"]},  # no context_id: still answerable
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    questions = load_questions(path)
    assert [q.answerable for q in questions] == [True, False, True]
    assert questions[2].context_id is None


def test_an_interrupted_run_reports_the_questions_done_and_removes_its_index(monkeypatch):
    import assistant.api
    from assistant.lab import evaluation

    folders = []

    class FakeAssistant:
        @classmethod
        def open(cls, folder, **settings):
            folders.append(folder)
            return cls()

        def ingest_articles(self, articles, progress=False):
            return None

    calls = []

    def run_one(assistant, question, retrieval_only):
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the third question
        calls.append(question)
        return Outcome(question, rank=1, judged=True)

    monkeypatch.setattr(assistant.api, "Assistant", FakeAssistant)
    monkeypatch.setattr(evaluation, "_run_one", run_one)
    questions = [Question(f"q{i}", "?", ("x",), "c") for i in range(5)]
    report = evaluation.evaluate(questions, [], retrieval_only=True, progress=False)
    assert report.interrupted
    assert report.metrics["questions"] == 2 and report.metrics["recall@1"] == 1.0
    assert not folders[0].exists()


def test_evidence_recall_counts_the_questions_whose_excerpts_hold_an_answer(make_assistant):
    from assistant.lab import evaluation
    from assistant.types import Article

    assistant = make_assistant(chunk_chars=200, overlap_chars=0, evidence_chars=60)
    text = "Le chat dort dans une cave sombre. Le chien joue au jardin tous les matins. La pluie tombe sur Lyon."
    assistant.ingest_articles([Article(id="a", title="Maison", text=text)])
    found = Question("q1", "Où dort le chat ?", ("dans une cave",), "a")
    missed = Question("q2", "Où dort le chat ?", ("au grenier",), "a")
    outcomes = [evaluation._run_one(assistant, q, retrieval_only=True) for q in (found, missed)]
    assert [o.evidence_holds for o in outcomes] == [True, False]
    assert summarize(outcomes, retrieval_only=True)["evidence_recall"] == 0.5


def test_a_question_set_judges_answers_outlets_summaries_and_refusals():
    from assistant.lab.question_set import judge, table
    from assistant.types import Answer, Citation, Passage

    figaro = Passage("a", "Montebourg", "Pierre Moscovici, le ministre de l'Économie.", 0, 44, 1.0, source="Le Figaro")
    cited = Answer("?", "Pierre Moscovici [1].", False, [Citation(1, figaro, "Pierre Moscovici", 0, 16)])
    item = {"question": "?", "answers": ["Moscovici"], "outlets": ["Le Figaro"]}
    assert judge(cited, item) == "right"
    assert judge(cited, {**item, "outlets": ["Le Monde"]}) == "wrong", "the outlet asked for must be cited"
    assert judge(cited, {**item, "sentences": 3}) == "wrong", "a summary needs its sentences"
    assert judge(Answer("?", "Non.", True), item) == "refused"
    assert judge(Answer("?", "Non.", True), {"question": "?", "answers": []}) == "right", "the articles do not say: a refusal is right"
    assert judge(cited, {"question": "?", "answers": []}) == "wrong"
    rows = [{"kind": "outlet", "verdict": "right", "seconds": 2.0}, {"kind": "unanswerable", "verdict": "wrong", "seconds": 4.0}]
    assert "| all | 2 | 1 | 1 | 0 | 3.0 | 4.0 |" in table(rows)


def test_a_question_set_compares_english_retrieval_with_french():
    from assistant.lab.data import read_jsonl
    from assistant.lab.question_set import crosslingual

    rows = [{"first_article": "a", "french_first_article": "a"}, {"first_article": "b", "french_first_article": "a"}, {"question": "?"}]
    assert crosslingual(rows) == "same first article as the French translation: 1 of 2" and crosslingual([]) == ""
    news = read_jsonl(Path(__file__).parent / "data" / "news_questions.jsonl")
    assert len(news) >= 60 and sum(not q["answers"] for q in news) >= 15
    assert all(q["outlets"] for q in news if q["answers"] and q.get("kind") not in ("overview",)), "each answerable question names its article's outlet"


def test_a_folder_of_pages_is_its_articles_without_its_readme(tmp_path):
    from assistant.lab.data import article_files

    (tmp_path / "README.md").write_text("Ces pages viennent de …", encoding="utf-8")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "incendie.txt").write_text("Incendie à Frain\n\nCinq personnes relogées.", encoding="utf-8")
    (tmp_path / "pages.tsv").write_text("stem\tlanguage\n", encoding="utf-8")
    assert article_files([tmp_path]) == [tmp_path / "pages" / "incendie.txt"]
