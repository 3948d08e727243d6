"""The evaluation's tables for calibration: what each refusal threshold would have given, which
check refused what, and the two relevance gates at several thresholds (markdown)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..answering.citations import strip_markers
from ..answering.policy import Refusal
from .data import Outcome
from .evaluation import summarize
from .metrics import contains_answer, share

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


def sentence_thresholds(current: float) -> list[float]:
    """The sentence gate off (0), then thresholds around its setting, a step of 0.005 apart: the
    range where answerable questions and probes part (the dev split's cosines, 0.80-0.84)."""
    return [0.0, *(round(current + step * 0.005, 3) for step in range(-2, 4))]


def relevance_gate_table(outcomes: list[Outcome], min_relevance: float, thresholds: Sequence[float]) -> str:
    """The share of answerable questions and of probes that each `min_sentence_relevance` would
    refuse before generation, together with the passage gate at `min_relevance` (from a
    retrieval-only run, which measures both cosines for every question, refused or not)."""
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
    reasons = [r.value for r in Refusal if any(o.refusal_reason == r for o in answered)]
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
    return replace(outcome, refused=True, outcome="refused", response="", short="", citations=0, citations_with_answer=0, cited=[])


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
