"""Fitting the confidence models (`assistant train confidence`) on the PIAF training split.

1. Probes are made the way the dev probes were: some articles are left out of the indexed
   corpus, and their questions (whose answers the corpus does not contain) are asked anyway.
   Articles flagged `probe_article` (the dev probes' sources) are left out of the fitting data,
   as ../shared/eval/README.md asks, but their paragraphs stay in the corpus as distractors.
2. Every question goes through the whole pipeline with no stage refusing (`Assistant.inspect`),
   so that every check's finding and the model's draft are known for all of them; each becomes
   a row: the signals the decide stage recorded, and whether the short answer and the quotable
   sentence hold a gold answer.
3. Two logistic regressions are fitted on those rows (scikit-learn), their regularisation chosen
   by cross-validation grouped by article, and written as a small JSON file.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..answering.citations import strip_markers
from ..answering.confidence import ConfidenceModel, Logistic, signals
from ..answering.decide import quoted, verdict
from ..answering.evidence import traced_chosen
from ..answering.policy import Refusal
from ..config import Settings
from .data import load_corpus, read_jsonl
from .metrics import contains_answer, short_answer, token_f1

SEED = 0
HELD_OUT_SHARE = 0.25  # of the fitting articles, asked about without being indexed: the probes
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
FOLDS = 5


def probe_split(questions_file: Path, corpus_file: Path, seed: int = SEED) -> tuple[list, list[dict], list[dict]]:
    """(corpus articles, answerable question records, probe records)."""
    questions = read_jsonl(questions_file)
    fitting = sorted({q["title"] for q in questions if not q.get("probe_article")})
    held = set(random.Random(seed).sample(fitting, round(HELD_OUT_SHARE * len(fitting))))
    corpus = [a for a in load_corpus(corpus_file) if a.title not in held]
    texts = " ".join(a.text for a in corpus)
    answerable = [q for q in questions if q["title"] in fitting and q["title"] not in held]
    probes = [q for q in questions if q["title"] in held and not contains_answer(texts, q["answers"])]
    return corpus, answerable, probes


def row(answer, query, record: dict, answerable: bool) -> dict:
    """One question's signals and labels, from the answer and query `Assistant.inspect` gave."""
    trace = {step.stage: step.details for step in answer.trace}
    golds = record["answers"] if answerable else []
    sentences = tuple(traced_chosen(s) for s in trace.get("evidence", {}).get("sentences", []))
    quote = quoted(answer.citations, answer.passages, sentences)
    surest = quoted([], answer.passages, sentences)  # the evidence's surest sentence, cited or not
    text = strip_markers(answer.text)
    refusals = [step.details["refusal"] for step in answer.trace if "refusal" in step.details]
    return {
        "id": record["id"],
        "title": record["title"],
        "answerable": answerable,
        "signals": signals(query),
        "answer": answer.text,
        "answer_right": bool(text) and contains_answer(text, golds),
        "f1": token_f1(short_answer(answer.text), golds) if text and golds else 0.0,
        "quote": quote.quote if quote else "",
        "quote_right": quote is not None and contains_answer(quote.quote, golds),
        "surest": surest.quote if surest else "",
        "surest_right": surest is not None and contains_answer(surest.quote, golds),
        "surest_cited": quote is not None and surest is not None and (quote.n, quote.quote_start) == (surest.n, surest.quote_start),
        "cited_right": any(contains_answer(c.passage.text, golds) for c in answer.citations),
        "citations": len(answer.citations),
        "rules_refusal": refusals[0] if refusals else None,
    }


def collect(assistant, answerable: list[dict], probes: list[dict], out: Path, progress: bool = True) -> list[dict]:
    """Ask every question, writing one row per line of `out` as it goes (an interrupted run
    resumes: the questions already in `out` are skipped)."""
    from tqdm import tqdm

    done = {r["id"]: r for r in read_jsonl(out)} if out.is_file() else {}
    todo = [(q, True) for q in answerable] + [(q, False) for q in probes]
    with out.open("a", encoding="utf-8") as lines:
        for record, is_answerable in tqdm(todo, desc="Collecting", unit="q", disable=not progress):
            if record["id"] in done:
                continue
            done[record["id"]] = row(*assistant.inspect(record["question"]), record, is_answerable)
            lines.write(json.dumps(done[record["id"]], ensure_ascii=False) + "\n")
            lines.flush()
    return [done[q["id"]] for q, _ in todo]


def fit_logistic(rows: list[dict], label: str, seed: int = SEED, names: list[str] | None = None) -> tuple[Logistic, dict, list[float]]:
    """A logistic regression of `label` on the signals (or those `names`), C chosen by grouped
    cross-validation; with the cross-validated AUC and Brier score at that C, and each row's
    cross-validated probability (from the model fitted without its article)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    names = names or sorted(rows[0]["signals"])
    x = np.array([[r["signals"][k] for k in names] for r in rows], dtype=float)
    y = np.array([bool(r[label]) for r in rows])
    groups = [r["title"] for r in rows]
    folds = GroupKFold(n_splits=min(FOLDS, len(set(groups))))
    best = None
    for c in C_GRID:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000, random_state=seed))
        predicted = cross_val_predict(model, x, y, groups=groups, cv=folds, method="predict_proba")[:, 1]
        scores = {"C": c, "auc": float(roc_auc_score(y, predicted)), "brier": float(brier_score_loss(y, predicted))}
        if best is None or scores["brier"] < best["brier"]:
            best, best_predicted = scores, predicted
    model = make_pipeline(StandardScaler(), LogisticRegression(C=best["C"], max_iter=2000, random_state=seed)).fit(x, y)
    scaler, regression = model[0], model[1]
    scales = [float(s) if s > 0 else 1.0 for s in scaler.scale_]
    fitted = Logistic(tuple(names), tuple(map(float, scaler.mean_)), tuple(scales), tuple(map(float, regression.coef_[0])), float(regression.intercept_[0]))
    return fitted, {**best, "rows": len(rows), "positives": int(y.sum())}, [float(p) for p in best_predicted]


def fit(rows: list[dict], seed: int = SEED, source: dict | None = None, reader: bool = True) -> ConfidenceModel:
    """Both models: the short answer's on the rows that have one, the quote's on the rows with a
    sentence to quote; `reader` False leaves the reader's signals out. The info records, beside
    the cross-validated figures, the operating point the cross-validated probabilities give."""
    names = sorted(k for k in rows[0]["signals"] if reader or not k.startswith("reader_"))
    answered = [r for r in rows if r["answer"]]
    quotable = [r for r in rows if r["quote"]]
    answer, answer_cv, answer_p = fit_logistic(answered, "answer_right", seed, names)
    quote, quote_cv, quote_p = fit_logistic(quotable, "quote_right", seed, names)
    held_out = {r["id"]: [p, 0.0] for r, p in zip(answered, answer_p)}
    for r, p in zip(quotable, quote_p):
        held_out.setdefault(r["id"], [0.0, 0.0])[1] = p
    point = operating_point(rows, held_out)
    info = {"seed": seed, "answer_cv": answer_cv, "quote_cv": quote_cv, "operating_point": point, **(source or {})}
    return ConfidenceModel(answer, quote, info)


# Refusals recorded by the stages before the decision: with a confidence model they still refuse
# (the gates, the model saying it cannot answer), whatever the probabilities.
BEFORE_DECISION = {r.value for r in (Refusal.OUT_OF_SCOPE, Refusal.RELEVANCE, Refusal.SENTENCE_RELEVANCE, Refusal.THRESHOLD, Refusal.MODEL)}
PROBES_REFUSED = 0.95  # the target (issue 25)


def lowest_refusing(probes: list[dict], outcome: Callable[[dict, float], str]) -> float:
    """The lowest threshold (by 0.01) at which `outcome(row, threshold)` refuses
    `PROBES_REFUSED` of the probes; 1.0 when none does."""
    enough = PROBES_REFUSED * len(probes)
    return next((t / 100 for t in range(101) if sum(outcome(r, t / 100) == "refused" for r in probes) >= enough), 1.0)


def operating_point(rows: list[dict], held_out: dict[str, list[float]], answer_threshold: float = Settings.answer_threshold) -> dict:
    """The quote threshold to answer at, chosen on the training questions rather than on dev:
    the lowest (by 0.01) at which the cross-validated probabilities refuse `PROBES_REFUSED` of
    the training probes, the short answer's threshold staying at 0.5 (likelier right than
    wrong); with what that point gives on the training questions."""

    def outcome(row: dict, quote_threshold: float) -> str:
        p_answer, p_quote = held_out.get(row["id"], [0.0, 0.0])
        if row["rules_refusal"] in BEFORE_DECISION:
            return "refused"
        chosen = verdict(
            p_answer,
            p_quote,
            bool(row["answer"]),
            bool(row["quote"]),
            row["rules_refusal"],
            bool(row["signals"]["cross_lingual"]),
            answer_threshold,
            quote_threshold,
        )
        return chosen.outcome

    probes, answerable = [r for r in rows if not r["answerable"]], [r for r in rows if r["answerable"]]
    threshold = lowest_refusing(probes, outcome)
    given = [(r, outcome(r, threshold)) for r in answerable]
    right = sum((o == "answer" and r["answer_right"]) or (o == "quote" and r["quote_right"]) for r, o in given)
    return {
        "answer_threshold": answer_threshold,
        "quote_threshold": threshold,
        "probes_refused": sum(outcome(r, threshold) == "refused" for r in probes) / max(1, len(probes)),
        "answerable_refused": sum(o == "refused" for _, o in given) / max(1, len(given)),
        "answer_or_quote_right": right / max(1, len(given)),
    }


def train(
    questions: Path, corpus: Path, out: Path, rows_file: Path | None = None, progress: bool = True, readers: tuple[Path, Path] | None = None, **settings
) -> ConfidenceModel:
    """Collect the rows (or read them from `rows_file` when it holds them all) and fit.

    Args:
        questions: piaf_train.jsonl.
        corpus: piaf_train_contexts.jsonl.
        out: where the JSON model is written.
        rows_file: where the rows are kept (resumable); a temporary file when None.
        readers: two readers, each trained on one half of the training articles
            (`train reader --half 0`, `--half 1`): each half's questions are answered with the
            other half's reader, so the models learn how far the reader is right on questions it
            has not seen, as it will be on the users' (cross-fitting). None: no reader.
        **settings: `Settings` fields for the assistant that answers (embed_model, llm, ...).
    """
    from ..api import Assistant
    from .train_reader import half_of

    articles, answerable, probes = probe_split(questions, corpus)
    folder = Path(tempfile.mkdtemp(prefix="assistant-train-"))
    rows_path = rows_file or folder / "rows.jsonl"
    try:
        Assistant.open(folder / "index", confidence_model="", **settings).ingest_articles(articles, progress=progress)
        if readers is None:
            rows = collect(Assistant.open(folder / "index", confidence_model="", **settings), answerable, probes, rows_path, progress)
        else:
            rows = []
            for half in (0, 1):  # read with the reader that never saw this half's articles
                assistant = Assistant.open(folder / "index", confidence_model="", reader=str(readers[1 - half]), **settings)
                mine = [[q for q in records if half_of(q["title"]) == half] for records in (answerable, probes)]
                rows += collect(assistant, *mine, rows_path, progress)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    source = {"questions": Path(questions).name, "answerable": len(answerable), "probes": len(probes), "corpus": len(articles)}
    if readers is not None:
        source["readers"] = [Path(r).name for r in readers]
    model = fit(rows, SEED, source, reader=readers is not None)
    model.save(out)
    if readers is not None:  # the same rows without the reader's signals: the models for answering without it
        fit(rows, SEED, source, reader=False).save(without_reader(out))
    return model


def without_reader(path: Path) -> Path:
    """Where the models fitted beside `path` without the reader's signals are written."""
    return path.with_name(f"{path.stem}-no-reader{path.suffix}")
