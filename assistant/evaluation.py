"""Evaluation on question-answering data: pure metric functions, then the runner that asks every
question through the same `Assistant` a user calls, over a temporary index built by the product's
own ingestion.

Data formats (../shared/eval/README.md): questions `{"id", "question", "answers", "context_id",
"title"}` (`"answerable": false` or empty answers mark a probe the corpus cannot answer), corpus
records `{"context_id", "title", "text"}`. Each corpus record is indexed as one Article whose id is
its context_id, so the gold chunks of a question are those whose `article_id` is its context_id.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .citations import strip_markers
from .errors import InputError
from .ingest.chunking import split_sentences
from .types import REFUSAL_REASONS

RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr", "evidence_recall")
ANSWER_KEYS = ("em", "f1", "contains", "citation_precision", "refusal_rate", "false_refusal_rate", "latency_p50_s", "latency_p95_s", "ttft_p50_s")
KEYS = (*RETRIEVAL_KEYS, *ANSWER_KEYS, "questions")
RETRIEVAL_DEPTH = 10  # recall@10 and MRR look this deep

_ARTICLES = frozenset("le la les l un une des du de d".split())
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits: punctuation and « » split words


# -- pure metrics ------------------------------------------------------------------------------


def normalize_tokens(text: str) -> list[str]:
    """SQuAD-style normalisation extended for French: lower-case, no accents, no punctuation, and
    without the articles le, la, les, l', un, une, des, du, de, d' (« L'Ami du roi » -> ami roi)."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_APOSTROPHES).lower())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return [token for token in _TOKEN.findall(folded) if token not in _ARTICLES]


def normalize(text: str) -> str:
    return " ".join(normalize_tokens(text))


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer."""
    predicted = normalize(prediction)
    return float(any(predicted == normalize(gold) for gold in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """The best token-overlap F1 between the prediction and any gold answer (0 for an empty one)."""
    predicted = normalize_tokens(prediction)
    best = 0.0
    for gold in golds:
        expected = normalize_tokens(gold)
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(text: str, golds: Sequence[str]) -> bool:
    """Whether a normalised gold answer appears, as whole words, in the normalised text."""
    haystack = f" {normalize(text)} "
    return any(needle.strip() and f" {needle} " in haystack for needle in map(normalize, golds))


def short_answer(response: str, refused: bool = False) -> str:
    """The answer part of a response: its first sentence without [n] markers or final period.
    A refusal answers nothing: the empty string."""
    if refused:
        return ""
    text = strip_markers(response or "")
    sentences = split_sentences(text)  # the product's splitter: « M. Milley » is one sentence
    first = text[sentences[0][0] : sentences[0][1]] if sentences else text
    return first.strip().rstrip(".!…").strip()


def gold_rank(passage_ids: Sequence[str], gold_id: str) -> int | None:
    """1-based rank of the first passage from the gold article, None when it is not there."""
    return next((rank for rank, article_id in enumerate(passage_ids, 1) if article_id == gold_id), None)


def answer_rank(passage_texts: Sequence[str], golds: Sequence[str]) -> int | None:
    """1-based rank of the first passage that contains a gold answer (for records without context_id)."""
    return next((rank for rank, text in enumerate(passage_texts, 1) if contains_answer(text, golds)), None)


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose gold passage ranks within the top k."""
    if not ranks:
        return None
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    if not ranks:
        return None
    return sum(1 / rank for rank in ranks if rank) / len(ranks)


def share(flags: Iterable[bool]) -> float | None:
    """Share of true flags (refusal rates, contains); None when there is nothing to count."""
    flags = list(flags)
    return sum(map(bool, flags)) / len(flags) if flags else None


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# -- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    context_id: str | None = None
    answerable: bool = True


@dataclass
class Outcome:
    """What happened to one question: retrieval, and the answer when generation ran."""

    question: Question
    rank: int | None = None  # of the gold passage, within RETRIEVAL_DEPTH
    judged: bool = False  # whether retrieval could be judged (a gold context or answer exists)
    response: str | None = None
    short: str | None = None
    refused: bool | None = None
    citations_with_answer: int = 0
    citations: int = 0
    latency_s: float | None = None
    ttft_s: float | None = None
    refusal_probability: float | None = None
    refusal_reason: str | None = None
    draft: str | None = None  # the model's text before the checks
    relevance: tuple[float, float] | None = None  # best passage and best sentence cosines (retrieval-only runs)
    # Whether the sentences the model reads hold a gold answer: no answer can be right without.
    evidence_holds: bool | None = None
    cited: list[dict] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        q = self.question
        return {
            "id": q.id,
            "question": q.question,
            "answers": list(q.answers),
            "context_id": q.context_id,
            "answerable": q.answerable,
            "rank": self.rank,
            "passages": self.passages,
            "response": self.response,
            "short_answer": self.short,
            "refused": self.refused,
            "citations": self.cited,
            "latency_s": self.latency_s,
            "ttft_s": self.ttft_s,
            "refusal_probability": self.refusal_probability,
            "refusal_reason": self.refusal_reason,
            "draft": self.draft,
            "citations_with_answer": self.citations_with_answer,
            "relevance": self.relevance,
            "evidence_holds": self.evidence_holds,
        }


def read_jsonl(path: str | Path) -> list[dict]:
    records = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error}") from error
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}, line {number}: not JSON ({error})") from error
        if not isinstance(record, dict):
            raise InputError(f"{path}, line {number}: expected a JSON object")
        records.append(record)
    return records


def load_questions(path: str | Path, answerable: bool | None = None) -> list[Question]:
    """Questions from JSONL; `answerable=False` marks every record of the file as a probe."""
    questions = []
    for i, record in enumerate(read_jsonl(path), 1):
        if not str(record.get("question") or "").strip():
            raise InputError(f"{path}, record {i}: no question")
        answers = tuple(str(a) for a in record.get("answers") or [] if str(a).strip())
        if answerable is None:  # a record is a probe when it says so or has no answer
            is_answerable = record.get("answerable", True) is not False and bool(answers)
        else:
            is_answerable = answerable
        questions.append(Question(str(record.get("id", i)), record["question"], answers, record.get("context_id"), is_answerable))
    return questions


def load_corpus(path: str | Path) -> list:
    from .types import Article

    articles = []
    for i, record in enumerate(read_jsonl(path), 1):
        if not record.get("context_id") or not str(record.get("text") or "").strip():
            raise InputError(f"{path}, record {i}: a corpus record needs context_id and text")
        articles.append(Article(id=str(record["context_id"]), title=str(record.get("title") or ""), text=record["text"]))
    return articles


def select(answerable: list[Question], unanswerable: list[Question], limit: int | None) -> list[Question]:
    """The first `limit` answerable questions and a proportional share (at least 5) of the probes,
    interleaved so that an interrupted run still reports both kinds."""
    if limit is not None:
        probes = min(len(unanswerable), max(5, round(limit * len(unanswerable) / max(len(answerable), 1)))) if unanswerable else 0
        answerable, unanswerable = answerable[:limit], unanswerable[:probes]
    placed = [(i / len(answerable), 0, q) for i, q in enumerate(answerable)]
    placed += [((j + 0.5) / len(unanswerable), 1, q) for j, q in enumerate(unanswerable)]
    return [q for _, _, q in sorted(placed, key=lambda item: item[:2])]


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
    }
    if not retrieval_only:
        asked = [o for o in outcomes if o.refused is not None]
        answerable = [o for o in asked if o.question.answerable]
        probes = [o for o in asked if not o.question.answerable]
        citations = sum(o.citations for o in answerable)
        metrics.update(
            {
                "em": mean(exact_match(o.short, o.question.answers) for o in answerable),
                "f1": mean(token_f1(o.short, o.question.answers) for o in answerable),
                "contains": share(not o.refused and contains_answer(strip_markers(o.response or ""), o.question.answers) for o in answerable),
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

    from .api import Assistant

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
    from .api import relevance_of
    from .types import Answer

    outcome = Outcome(question)
    if question.answerable:
        passages = assistant.retrieve(question.question, RETRIEVAL_DEPTH)
        outcome.passages = [p.article_id for p in passages]
        if question.context_id:
            outcome.judged, outcome.rank = True, gold_rank(outcome.passages, question.context_id)
        elif question.answers:
            outcome.judged, outcome.rank = True, answer_rank([p.text for p in passages], question.answers)
    if retrieval_only or question.answers:
        passages, found = assistant.read(question.question)
        if question.answerable and question.answers:
            outcome.evidence_holds = contains_answer(" ".join(e.text for e in found.excerpts), question.answers)
    if retrieval_only:
        outcome.relevance = relevance_of(passages, found)
        return outcome
    started = time.perf_counter()
    answer = None
    for event in assistant.stream(question.question):
        if isinstance(event, Answer):
            answer = event
        elif isinstance(event, str) and outcome.ttft_s is None:
            outcome.ttft_s = time.perf_counter() - started
    outcome.latency_s = time.perf_counter() - started
    outcome.refused = answer.refused
    outcome.refusal_probability = answer.refusal_probability
    outcome.refusal_reason = answer.refusal_reason
    outcome.draft = answer.draft
    outcome.response = "" if answer.refused else answer.text
    outcome.short = short_answer(answer.text, answer.refused)
    outcome.citations = len(answer.citations)
    outcome.citations_with_answer = sum(contains_answer(c.passage.text, question.answers) for c in answer.citations)
    outcome.cited = [{"n": c.n, "article_id": c.passage.article_id, "quote": c.quote} for c in answer.citations]
    if not question.answerable or not outcome.passages:
        outcome.passages = [p.article_id for p in answer.passages]
    return outcome


def _postfix(outcomes: list[Outcome]) -> str:
    answerable = [o for o in outcomes if o.question.answerable]
    found = share(not o.refused and contains_answer(strip_markers(o.response or ""), o.question.answers) for o in answerable)
    return f"contains={found:.2f}" if found is not None else ""


REFUSAL_THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 1.0)
THRESHOLD_KEYS = ("refusal_rate", "false_refusal_rate", "contains", "f1", "citation_precision")


def refusal_threshold_table(outcomes: list[Outcome], thresholds: Sequence[float] = REFUSAL_THRESHOLDS) -> str:
    """What each `refusal_threshold` would have given on this run: a question whose first-step
    refusal probability reaches the threshold is counted refused. Exact for thresholds at or below
    the run's own (above it, the run never wrote the answers it refused), so calibrate from a run
    with the threshold off (1.0)."""
    header = "| refusal_threshold | " + " | ".join(THRESHOLD_KEYS) + " |"
    rows = [header, "| ---: |" + " ---: |" * len(THRESHOLD_KEYS)]
    for threshold in thresholds:
        metrics = summarize([_refused_at(o, threshold) for o in outcomes])
        rows.append(f"| {threshold:.2f} | " + " | ".join("-" if metrics[k] is None else f"{metrics[k]:.3f}" for k in THRESHOLD_KEYS) + " |")
    return "\n".join(rows)


def relevance_gate_table(outcomes: list[Outcome], min_relevance: float, thresholds: Sequence[float]) -> str:
    """The share of answerable questions and of probes that each `min_sentence_relevance` would
    refuse before generation, together with the passage gate at `min_relevance` (from a
    retrieval-only run, which measures both cosines for every question)."""
    rows = ["| min_sentence_relevance | answerable refused | probes refused |", "| ---: | ---: | ---: |"]
    measured = [o for o in outcomes if o.relevance is not None]
    for threshold in thresholds:
        refused = {o.question.id: o.relevance[0] < min_relevance or o.relevance[1] < threshold for o in measured}
        shares = [share(refused[o.question.id] for o in measured if o.question.answerable is kind) for kind in (True, False)]
        rows.append(f"| {threshold:.3f} | " + " | ".join("-" if x is None else f"{100 * x:.1f} %" for x in shares) + " |")
    return "\n".join(rows)


def refusal_reasons_table(outcomes: list[Outcome]) -> str:
    """Which check refused how many answerable questions and how many probes, in the order the
    checks run, then what was answered: where a change of setting would act. For the checks
    after generation, the answerable questions whose refused draft held a gold answer are what
    the check cost."""
    answered = [o for o in outcomes if o.refused is not None]
    totals = {kind: sum(o.question.answerable is kind for o in answered) for kind in (True, False)}
    rows = ["| refused by | answerable questions | of which the draft held a gold answer | probes |", "| --- | ---: | ---: | ---: |"]
    reasons = [r for r in REFUSAL_REASONS if any(o.refusal_reason == r for o in answered)]
    for reason in [*reasons, None]:
        label = reason or "(answered)"
        mine = [o for o in answered if o.refusal_reason == reason]
        asked = [o for o in mine if o.question.answerable]
        held = sum(bool(o.draft) and contains_answer(strip_markers(o.draft), o.question.answers) for o in asked)
        probes = sum(not o.question.answerable for o in mine)
        drafted = reason is not None and any(o.draft is not None for o in asked)
        rows.append(f"| {label} | {_count(len(asked), totals[True])} | {held if drafted else '-'} | {_count(probes, totals[False])} |")
    return "\n".join(rows)


def _count(n: int, total: int) -> str:
    return f"{n} ({100 * n / total:.1f} %)" if total else "-"


def _refused_at(outcome: Outcome, threshold: float) -> Outcome:
    if outcome.refused is not False or (outcome.refusal_probability or 0.0) < threshold:
        return outcome
    return replace(outcome, refused=True, response="", short="", citations=0, citations_with_answer=0, cited=[])


def format_table(metrics: dict) -> str:
    """The figures as a two-column markdown table."""
    rows = ["| metric | value |", "| --- | ---: |"]
    for key, value in metrics.items():
        if isinstance(value, float):
            shown = f"{value:.2f}" if key.endswith("_s") else f"{value:.3f}"
        else:
            shown = "-" if value is None else str(value)
        rows.append(f"| {key} | {shown} |")
    return "\n".join(rows)
