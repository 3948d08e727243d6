"""Evaluation on question-answering data: the runner that asks every question through the same
`Assistant` a user calls, over a temporary index built by the product's own ingestion, and reads
what happened from each answer's trace.

Data formats (../shared/eval/README.md): questions `{"id", "question", "answers", "context_id",
"title"}` (`"answerable": false` or empty answers mark a probe the corpus cannot answer), corpus
records `{"context_id", "title", "text"}`. Each corpus record is indexed as one Article whose id is
its context_id, so the gold chunks of a question are those whose `article_id` is its context_id.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..answering.citations import strip_markers
from ..types import Answer
from .data import Outcome, Question
from .metrics import (
    answer_rank,
    contains_answer,
    exact_match,
    gold_rank,
    mean,
    mean_reciprocal_rank,
    percentile,
    recall_at,
    share,
    short_answer,
    token_f1,
)

RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr", "evidence_recall", "sentence_recall@1", "evidence_p50_s")
ANSWER_KEYS = (
    "em",
    "f1",
    "contains",
    "answer_precision",
    "coverage",
    "quote_rate",
    "quote_precision",
    "answer_or_quote",
    "citation_precision",
    "refusal_rate",
    "false_refusal_rate",
    "latency_p50_s",
    "latency_p95_s",
    "ttft_p50_s",
)
KEYS = (*RETRIEVAL_KEYS, *ANSWER_KEYS, "questions")


# -- the runner --------------------------------------------------------------------------------


@dataclass
class EvalReport:
    metrics: dict
    outcomes: list[Outcome]
    interrupted: bool = False
    index_s: float = 0.0
    run_s: float = 0.0


def summarize(outcomes: list[Outcome], retrieval_only: bool = False) -> dict:
    """The figures of a run, under the exact keys of issue 4 (None where nothing was measured)."""
    judged = [o.rank for o in outcomes if o.judged]
    metrics: dict = {
        "recall@1": recall_at(judged, 1),
        "recall@5": recall_at(judged, 5),
        "recall@10": recall_at(judged, 10),
        "mrr": mean_reciprocal_rank(judged),
        # The ceiling of `contains`: the share of answerable questions whose evidence (what the
        # model reads) holds a gold answer.
        "evidence_recall": share(o.evidence_holds for o in outcomes if o.evidence_holds is not None),
        # The sentence the evidence ranks first (what a quote gives when the answer cites none) holds a gold answer.
        "sentence_recall@1": share(o.top_sentence_holds for o in outcomes if o.top_sentence_holds is not None),
        # The evidence stage's time: the sentences embedded and scored, and read by the reader when it is on.
        "evidence_p50_s": percentile([o.evidence_s for o in outcomes if o.evidence_s is not None], 50),
    }
    if not retrieval_only:
        asked = [o for o in outcomes if o.refused is not None]
        answerable = [o for o in asked if o.question.answerable]
        probes = [o for o in asked if not o.question.answerable]
        citations = sum(o.citations for o in answerable)
        quoted = [o for o in answerable if o.outcome == "quote"]
        metrics.update(
            {
                "em": mean(exact_match(o.short, o.question.answers) for o in answerable),
                "f1": mean(token_f1(o.short, o.question.answers) for o in answerable),
                "contains": share(o.answered and o.right for o in answerable),  # short answers only
                # of the short answers given (probes included), the share that hold a gold answer
                "answer_precision": share(o.right for o in asked if o.answered),
                "coverage": share(o.answered for o in answerable),
                "quote_rate": share(o.outcome == "quote" for o in answerable),
                "quote_precision": share(o.right for o in quoted) if quoted else None,
                "answer_or_quote": share(o.right for o in answerable),
                "citation_precision": sum(o.citations_with_answer for o in answerable) / citations if citations else None,
                "refusal_rate": share(o.refused for o in probes),
                "false_refusal_rate": share(o.refused for o in answerable),
                "latency_p50_s": percentile([o.latency_s for o in asked], 50),
                "latency_p95_s": percentile([o.latency_s for o in asked], 95),
                "ttft_p50_s": percentile([o.ttft_s for o in asked if o.ttft_s is not None], 50),
            }
        )
        metrics["questions"] = len(asked)
    else:
        metrics["questions"] = len(outcomes)
    return metrics


def evaluate(
    questions: list[Question],
    corpus: list,
    retrieval_only: bool = False,
    index_dir: str | Path | None = None,
    progress: bool = True,
    on_outcome: Callable[[Outcome], None] | None = None,
    **settings,
) -> EvalReport:
    """Index `corpus` with the product's ingestion, then retrieve (and answer) every question.

    Args:
        questions: answerable questions and unanswerable probes, in the order to ask them.
        corpus: Articles (from `load_corpus`).
        retrieval_only: skip generation: only the retrieval figures.
        index_dir: keep the evaluation index there (reused when unchanged); a temporary folder,
            removed afterwards, when None.
        progress: show progress bars.
        on_outcome: called with each question's outcome as soon as it is known.
        **settings: `Settings` fields for `Assistant.open` (llm, top_k, ...).
    """
    from tqdm import tqdm

    from ..api import Assistant

    temporary = index_dir is None
    folder = Path(tempfile.mkdtemp(prefix="assistant-eval-")) if temporary else Path(index_dir)
    outcomes: list[Outcome] = []
    interrupted = False
    try:
        started = time.perf_counter()
        assistant = Assistant.open(folder, **settings)
        assistant.ingest_articles(corpus, progress=progress)
        index_s = time.perf_counter() - started
        started = time.perf_counter()
        bar = tqdm(questions, desc="Retrieving" if retrieval_only else "Asking", unit="q", disable=not progress)
        try:
            for question in bar:
                outcomes.append(_run_one(assistant, question, retrieval_only))
                if on_outcome is not None:
                    on_outcome(outcomes[-1])
                if not retrieval_only and progress:
                    bar.set_postfix_str(_postfix(outcomes), refresh=False)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
        run_s = time.perf_counter() - started
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    return EvalReport(summarize(outcomes, retrieval_only), outcomes, interrupted, index_s, run_s)


def _run_one(assistant, question: Question, retrieval_only: bool) -> Outcome:
    """Ask one question (or, retrieval only, read what the model would be given) and read the
    outcome off the answer's trace."""
    outcome = Outcome(question)
    if retrieval_only:
        answer = assistant.read(question.question)
    else:
        answer = _timed(assistant, question, outcome)
    steps = {step.stage: step.details for step in answer.trace}
    # the evidence stage's order; else retrieval's; none for a question refused before retrieval (out of scope)
    ranking = steps["evidence"]["ranking"] if "evidence" in steps else [p["article_id"] for p in steps.get("retrieve", {}).get("passages", [])]
    outcome.passages = ranking
    if question.answerable and question.context_id:
        outcome.judged, outcome.rank = True, gold_rank(ranking, question.context_id)
    elif question.answerable and question.answers:  # no gold context: the first passage read that holds an answer
        outcome.judged, outcome.rank = True, answer_rank([p.text for p in answer.passages], question.answers)
    if question.answerable and question.answers and "evidence" in steps:
        outcome.evidence_holds = contains_answer(" ".join(e["text"] for e in steps["evidence"]["excerpts"]), question.answers)
        top = steps["evidence"]["sentences"][:1]
        if top:
            read = answer.passages[top[0]["n"] - 1].text if top[0]["n"] <= len(answer.passages) else ""
            outcome.top_sentence_holds = contains_answer(read[top[0]["start"] : top[0]["end"]], question.answers)
    if "evidence" in steps:
        outcome.evidence_s = next(step.seconds for step in answer.trace if step.stage == "evidence")
    if retrieval_only:
        if "passage_gate" in steps and "sentence_gate" in steps:  # not for a summary (« Que raconte l'ouvrage … ? »): no gates
            outcome.relevance = (steps["passage_gate"]["best_passage_cosine"], steps["sentence_gate"]["best_sentence_cosine"])
        return outcome
    outcome.refused = answer.refused
    outcome.outcome, outcome.confidence = answer.outcome, answer.confidence
    decided = steps.get("decide", {})
    outcome.answer_probability, outcome.candidate = decided.get("answer_probability"), decided.get("candidate")
    outcome.quote_probability, outcome.quote = decided.get("quote_probability"), decided.get("quote")
    outcome.signals = decided.get("signals")
    if decided.get("quote_n"):
        outcome.quote_cited_right = contains_answer(answer.passages[decided["quote_n"] - 1].text, question.answers)
    outcome.finding = steps.get("verify", {}).get("finding")
    outcome.refusal_probability = answer.refusal_probability
    outcome.refusal_reason = answer.refusal_reason
    outcome.draft = answer.draft
    outcome.response = "" if answer.refused else answer.text
    outcome.short = short_answer(answer.text, answer.outcome != "answer")
    outcome.citations = len(answer.citations)
    outcome.citations_with_answer = sum(contains_answer(c.passage.text, question.answers) for c in answer.citations)
    outcome.cited = [{"n": c.n, "article_id": c.passage.article_id, "quote": c.quote} for c in answer.citations]
    return outcome


def _timed(assistant, question: Question, outcome: Outcome) -> Answer:
    """Stream the answer as a user gets it, timing its first word and its end."""
    started = time.perf_counter()
    answer = None
    for event in assistant.stream(question.question):
        if isinstance(event, Answer):
            answer = event
        elif isinstance(event, str) and outcome.ttft_s is None:
            outcome.ttft_s = time.perf_counter() - started
    outcome.latency_s = time.perf_counter() - started
    return answer


def _postfix(outcomes: list[Outcome]) -> str:
    answerable = [o for o in outcomes if o.question.answerable]
    found = share(not o.refused and contains_answer(strip_markers(o.response or ""), o.question.answers) for o in answerable)
    return f"contains={found:.2f}" if found is not None else ""
