"""How much lower e5's cosines come out when the question is in another language than the
articles: the margin the relevance gates give such a question (`Settings.cross_lingual_margin`).

French questions of the PIAF training split are translated into English by the local model,
and both are asked (up to the sentence gate, no answer written) of an index of their corpus: the
drop of the best passage's and the best sentence's cosine from the French question to its
translation, question by question. Nothing here is fitted to whether an answer was right: the
margin is the drop a translation alone causes, measured on articles the gates were not tuned on.

    python -m assistant.lab.cross_lingual [--limit 120] [--out pairs.jsonl]

`--decide` measures the decision instead: translated training questions, answerable ones and
probes made as `train confidence` makes them (articles left out of the index), each asked with
every stage run and none refusing. An answer in another language than its source is decided by
the hand-set checks (`decide.verdict`); the table compares that with what the confidence models,
fitted on French questions, would decide at each threshold of the short answer's probability,
and gives the lowest threshold at which 95 % of the translated probes are refused. A short answer
counts as right when it holds a French gold answer: names, figures and dates are the same in
English, other words are not, so the figures are a floor.

    python -m assistant.lab.cross_lingual --decide [--limit 120 --probes 60] [--out rows.jsonl]
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
from pathlib import Path

from .data import load_corpus, read_jsonl

PROMPT = "Translate this French question into English. Write the English question only.\n\n{question}"


def translate(generator, question: str) -> str:
    text = generator.complete([{"role": "user", "content": PROMPT.format(question=question)}], max_tokens=60)
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def gate_figures(assistant, question: str) -> tuple[float, float]:
    """(best passage cosine, best sentence cosine) as the two gates see them."""
    details = {step.stage: step.details for step in assistant.read(question).trace}
    return details["passage_gate"]["best_passage_cosine"], details.get("sentence_gate", {}).get("best_sentence_cosine", 0.0)


def measure(questions: Path, corpus: Path, limit: int, out: Path | None) -> dict:
    from ..api import Assistant

    records = [r for r in read_jsonl(questions) if not r.get("probe_article")][:limit]
    folder = Path(tempfile.mkdtemp(prefix="assistant-xl-"))
    try:
        assistant = Assistant.open(folder / "index", confidence_model="")
        assistant.ingest_articles(load_corpus(corpus))
        pairs = []
        for record in records:
            english = translate(assistant.generator, record["question"])
            figures = {"fr": gate_figures(assistant, record["question"]), "en": gate_figures(assistant, english)}
            pairs.append({"id": record["id"], "title": record["title"], "french": record["question"], "english": english, **figures})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if out:
        out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs), encoding="utf-8")
    drops = {name: sorted(p["fr"][i] - p["en"][i] for p in pairs) for i, name in enumerate(("passage", "sentence"))}
    return {
        "pairs": len(pairs),
        **{f"{name}_drop_median": statistics.median(d) for name, d in drops.items()},
        **{f"{name}_drop_q25_q75": (d[len(d) // 4], d[3 * len(d) // 4]) for name, d in drops.items()},
    }


def decision_rows(questions: Path, corpus: Path, limit: int, probe_limit: int) -> list[dict]:
    """Translated answerable questions and probes, each asked with no stage refusing: one row
    each, as `train confidence` writes them, with the English question."""
    from ..api import Assistant
    from .train_confidence import probe_split, row

    articles, answerable, probes = probe_split(questions, corpus)
    step = max(1, len(probes) // max(1, probe_limit))
    todo = [(q, True) for q in answerable[:limit]] + [(q, False) for q in probes[::step][:probe_limit]]
    folder = Path(tempfile.mkdtemp(prefix="assistant-xl-"))
    try:
        assistant = Assistant.open(folder / "index")
        assistant.ingest_articles(articles)
        rows = []
        for record, is_answerable in todo:
            english = translate(assistant.generator, record["question"])
            rows.append({**row(*assistant.inspect(english), record, is_answerable), "english": english})
        return rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def decision_table(rows: list[dict]) -> tuple[str, float]:
    """What the confidence models decide at each cross-lingual threshold, and the hand-set
    checks for comparison; with the lowest threshold refusing `PROBES_REFUSED` of the probes."""
    from ..answering.confidence import ConfidenceModel
    from ..answering.decide import by_checks, verdict
    from ..answering.wiring import DEFAULT_CONFIDENCE_MODEL
    from ..config import Settings
    from .train_confidence import BEFORE_DECISION, lowest_refusing

    model = ConfidenceModel.load(DEFAULT_CONFIDENCE_MODEL)

    def outcome(r: dict, threshold: float | None) -> str:
        if r["rules_refusal"] in BEFORE_DECISION:
            return "refused"
        if threshold is None:
            return by_checks(bool(r["answer"]), r["rules_refusal"]).outcome
        p_answer, p_quote = model.weigh(r["signals"], bool(r["answer"]), bool(r["quote"]))
        # decided as a French answer is (`cross_lingual` False), at `threshold` for the short answer
        return verdict(p_answer, p_quote, bool(r["answer"]), bool(r["quote"]), r["rules_refusal"], False, threshold, Settings.quote_threshold).outcome

    answerable, probes = [r for r in rows if r["answerable"]], [r for r in rows if not r["answerable"]]

    def line(name: str, threshold: float | None) -> str:
        given = [(r, outcome(r, threshold)) for r in answerable]
        answers = [r for r, o in given if o == "answer"]
        quotes = [r for r, o in given if o == "quote"]
        refused = sum(outcome(r, threshold) == "refused" for r in probes) / max(1, len(probes))
        right, quoted = sum(r["answer_right"] for r in answers), sum(r["quote_right"] for r in quotes)
        return f"| {name} | {refused:.3f} | {len(answers)} | {right} | {len(quotes)} | {quoted} | {sum(o == 'refused' for _, o in given)} |"

    chosen = lowest_refusing(probes, outcome)
    lines = [
        f"{len(answerable)} answerable questions, {len(probes)} probes, translated into English",
        "",
        "| decided by | probes refused | short answers | holding a gold answer | quotes | holding one | answerable refused |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        line("the checks (as today)", None),
        *(line(f"the models, threshold {t:.2f}", t) for t in sorted({0.02, 0.05, 0.1, 0.2, 0.3, 0.5, chosen})),
    ]
    return "\n".join(lines), chosen


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m assistant.lab.cross_lingual", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=Path("../shared/eval/piaf_train.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("../shared/eval/piaf_train_contexts.jsonl"))
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--out", type=Path, help="write each pair and its figures (or each row, with --decide) here (JSONL)")
    parser.add_argument("--decide", action="store_true", help="measure the decision on translated questions and probes")
    parser.add_argument("--probes", type=int, default=60, help="with --decide: how many probes")
    args = parser.parse_args(argv)
    if not args.decide:
        print(json.dumps(measure(args.questions, args.corpus, args.limit, args.out), indent=1))
        return 0
    rows = decision_rows(args.questions, args.corpus, args.limit, args.probes)
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    from .train_confidence import PROBES_REFUSED

    table, chosen = decision_table(rows)
    print(table, "", f"lowest threshold refusing {PROBES_REFUSED:.0%} of the probes: {chosen:.2f}", sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
