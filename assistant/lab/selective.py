"""Selective answering: how precise the short answers are against how many questions get one,
as the confidence threshold moves, and whether the confidence means what it says (reliability).

Both read the decide stage's figures of a full run: for every question that had a short answer
to weigh, its probability and whether it held a gold answer, given or not."""

from __future__ import annotations

from ..answering.citations import strip_markers
from ..answering.decide import Verdict, by_checks, verdict
from .data import Outcome
from .metrics import contains_answer

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(20))


def _weighed(outcomes: list[Outcome]) -> list[tuple[float, bool, bool]]:
    """(probability, right, answerable) of every short answer the decision weighed."""
    return [
        (o.answer_probability, contains_answer(strip_markers(o.candidate), o.question.answers), o.question.answerable)
        for o in outcomes
        if o.answer_probability is not None and o.candidate
    ]


def curve(outcomes: list[Outcome], thresholds=THRESHOLDS) -> list[dict]:
    """Per threshold: the precision of the short answers it would give (probes included) and
    their coverage (the share of answerable questions that would get one)."""
    weighed = _weighed(outcomes)
    answerable = sum(o.question.answerable for o in outcomes if o.refused is not None)
    rows = []
    for threshold in thresholds:
        given = [(right, kind) for p, right, kind in weighed if p >= threshold]
        rows.append(
            {
                "threshold": threshold,
                "precision": sum(right for right, _ in given) / len(given) if given else None,
                "coverage": sum(1 for _, kind in given if kind) / answerable if answerable else None,
                "answers": len(given),
            }
        )
    return rows


def reliability(outcomes: list[Outcome], bins: int = 10) -> list[dict]:
    """Per decile of predicted probability: the mean prediction and the share that was right."""
    weighed = _weighed(outcomes)
    rows = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(p, right) for p, right, _ in weighed if low <= p < high or (b == bins - 1 and p == 1.0)]
        if inside:
            predicted, observed = sum(p for p, _ in inside) / len(inside), sum(r for _, r in inside) / len(inside)
            rows.append({"bin": f"{low:.1f}-{high:.1f}", "predicted": predicted, "observed": observed, "n": len(inside)})
    return rows


def curve_table(rows: list[dict]) -> str:
    lines = ["| answer_threshold | precision of the short answers | coverage | short answers |", "| ---: | ---: | ---: | ---: |"]
    for r in rows:
        precision = "-" if r["precision"] is None else f"{r['precision']:.3f}"
        coverage = "-" if r["coverage"] is None else f"{r['coverage']:.3f}"
        lines.append(f"| {r['threshold']:.2f} | {precision} | {coverage} | {r['answers']} |")
    return "\n".join(lines)


def reliability_table(rows: list[dict]) -> str:
    lines = ["| predicted | mean predicted | observed right | answers |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {r['bin']} | {r['predicted']:.3f} | {r['observed']:.3f} | {r['n']} |" for r in rows]
    return "\n".join(lines)


def plot(curve_rows: list[dict], reliability_rows: list[dict], prefix: str) -> list[str]:
    """Write `<prefix>.selective.png` (precision against coverage) and `<prefix>.reliability.png`
    (observed against predicted); returns their paths."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: files only
    from matplotlib import pyplot

    paths = [f"{prefix}.selective.png", f"{prefix}.reliability.png"]
    figure, axes = pyplot.subplots(figsize=(5, 4))
    points = [(r["coverage"], r["precision"]) for r in curve_rows if r["precision"] is not None]
    axes.plot([c for c, _ in points], [p for _, p in points], marker="o")
    for r in curve_rows[::4]:
        if r["precision"] is not None:
            axes.annotate(f"{r['threshold']:.2f}", (r["coverage"], r["precision"]), textcoords="offset points", xytext=(4, 4), fontsize=7)
    axes.set(xlabel="coverage (answerable questions given a short answer)", ylabel="precision of the short answers", xlim=(0, 1), ylim=(0, 1))
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(paths[0], dpi=120)
    pyplot.close(figure)
    figure, axes = pyplot.subplots(figsize=(4.5, 4.5))
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey")
    axes.plot([r["predicted"] for r in reliability_rows], [r["observed"] for r in reliability_rows], marker="o")
    axes.set(xlabel="predicted probability of a right answer", ylabel="observed share right", xlim=(0, 1), ylim=(0, 1))
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(paths[1], dpi=120)
    pyplot.close(figure)
    return paths


def replay(outcomes: list[Outcome], answer_threshold: float, quote_threshold: float) -> list[Outcome]:
    """The outcomes of a run made with both thresholds at 0 (every short answer given, a quote
    where there was none), as other thresholds would have decided them: exact, since the
    decision (`decide.verdict`, the one the stage calls) comes last and changes nothing before it."""
    replayed = []
    for o in outcomes:
        if o.answer_probability is None:  # refused before the decision
            replayed.append(o)
            continue
        has_answer, has_quote = bool(o.candidate), bool(o.quote)
        chosen = verdict(o.answer_probability, o.quote_probability or 0.0, has_answer, has_quote, o.finding, o.cross_lingual, answer_threshold, quote_threshold)
        replayed.append(_decided(o, chosen))
    return replayed


def _decided(outcome: Outcome, chosen: Verdict) -> Outcome:
    """The outcome as `chosen` decides it."""
    from dataclasses import replace

    if chosen.outcome == "answer":
        return replace(outcome, outcome="answer", refused=False)
    if chosen.outcome == "quote":
        cited = int(bool(outcome.quote_cited_right))
        return replace(outcome, outcome="quote", refused=False, response=outcome.quote, short="", citations=1, citations_with_answer=cited)
    return _refused(outcome)


def rescore(outcomes: list[Outcome], model) -> list[Outcome]:
    """The outcomes with the probabilities another `ConfidenceModel` gives the signals they
    recorded: exact, as the signals come from stages before the decision. Replay thresholds on
    the result to see what that model would have decided on the same run."""
    from dataclasses import replace

    if any(o.answer_probability is not None and o.signals is None for o in outcomes):
        raise ValueError("this run recorded no signals (a run before they were written): run the evaluation again")
    rescored = []
    for o in outcomes:
        if o.answer_probability is None:  # refused before the decision: nothing weighed
            rescored.append(o)
        else:
            answer, quote = model.weigh(o.signals, bool(o.candidate), bool(o.quote))
            rescored.append(replace(o, answer_probability=answer, quote_probability=quote))
    return rescored


def _refused(outcome: Outcome) -> Outcome:
    """The outcome as a refusal: nothing said, nothing cited."""
    from dataclasses import replace

    return replace(outcome, outcome="refused", refused=True, response="", short="", citations=0, citations_with_answer=0, cited=[])


def checks(outcomes: list[Outcome]) -> list[Outcome]:
    """The outcomes of the same run as the hand-set checks would have decided them (the default
    before the confidence model): the short answer unless a check found a reason to refuse."""
    return [o if o.answer_probability is None else _decided(o, by_checks(bool(o.candidate), o.finding)) for o in outcomes]


GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
GRID_KEYS = ("contains", "f1", "answer_precision", "answer_or_quote", "false_refusal_rate", "refusal_rate", "citation_precision")


def grid_table(outcomes: list[Outcome], grid=GRID, default: tuple[float, float] | None = None) -> str:
    """The run's keys at every pair of thresholds (`replay`), to choose the operating point;
    `default`, the settings' pair, first."""
    from .evaluation import summarize

    def row(first: str, second: str, decided: list[Outcome]) -> str:
        metrics = summarize(decided)
        cells = " | ".join("-" if metrics[k] is None else f"{metrics[k]:.3f}" for k in GRID_KEYS)
        return f"| {first} | {second} | {cells} |"

    lines = ["| answer_threshold | quote_threshold | " + " | ".join(GRID_KEYS) + " |", "| ---: | ---: |" + " ---: |" * len(GRID_KEYS)]
    pairs = [(a, q) for a in grid for q in grid]
    if default:
        lines.append(row(f"**{default[0]:.2f}** (settings)", f"**{default[1]:.2f}**", replay(outcomes, *default)))
    lines += [row(f"{a:.2f}", f"{q:.2f}", replay(outcomes, a, q)) for a, q in pairs]
    lines.append(row("the checks", "(no quotes)", checks(outcomes)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys
    from pathlib import Path

    from ..answering.confidence import ConfidenceModel
    from ..config import Settings
    from ..errors import AssistantError
    from .data import read_jsonl

    parser = argparse.ArgumentParser(
        prog="python -m assistant.lab.selective", description="Replay a run made at thresholds 0 (`assistant eval --details`) at other thresholds."
    )
    parser.add_argument("details", type=Path, help="the run's --details file")
    parser.add_argument("model", type=Path, nargs="?", help="another confidence model's JSON: the same run as it would decide it")
    args = parser.parse_args(argv)
    try:
        recorded = [Outcome.from_dict(record) for record in read_jsonl(args.details)]
        decided = rescore(recorded, ConfidenceModel.load(args.model)) if args.model else recorded
    except (AssistantError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    settings = Settings.from_env()
    print(grid_table(decided, default=(settings.answer_threshold, settings.quote_threshold)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
