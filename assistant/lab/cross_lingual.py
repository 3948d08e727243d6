"""How much lower e5's cosines come out when the question is in another language than the
articles: the margin the relevance gates give such a question (`Settings.cross_lingual_margin`).

French questions of the PIAF training split are translated into English by the local model,
and both are asked (up to the sentence gate, no answer written) of an index of their corpus: the
drop of the best passage's and the best sentence's cosine from the French question to its
translation, question by question. Nothing here is fitted to whether an answer was right: the
margin is the drop a translation alone causes, measured on articles the gates were not tuned on.

    python -m assistant.lab.cross_lingual [--limit 120] [--out pairs.jsonl]
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


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m assistant.lab.cross_lingual", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=Path("../shared/eval/piaf_train.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("../shared/eval/piaf_train_contexts.jsonl"))
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--out", type=Path, help="write each pair and its figures here (JSONL)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.questions, args.corpus, args.limit, args.out), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
