"""A hand-written question set over real articles: right, wrong or refused, and the time taken,
by kind of question.

    python -m assistant.lab.question_set tests/data/news_questions.jsonl ../shared/news
    python -m assistant.lab.question_set tests/data/sample_questions.jsonl assistant/data/milley-zaluzhny-fr.txt

Each line of the set: "question", "answers" (any one, contained in the answer, makes it right;
none: the articles do not say, and only a refusal is right), and optionally "kind" (date, outlet,
latest, overview, summary, fact...), "outlets" (each must be cited), "as_of" and "sentences" (a
summary needs at least this many cited sentences), and "french": the French translation of a question
in another language, whose first retrieved article is compared with the question's (`crosslingual`).
The articles are indexed afresh in a temporary folder with the default models; latencies need an
idle machine."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from ..answering.citations import strip_markers
from ..text import split_sentences
from .data import article_files, read_jsonl
from .metrics import contains_answer, percentile


def judge(answer, item: dict) -> str:
    """ "right", "wrong" or "refused" (a refusal is right when the articles do not say)."""
    answers = item.get("answers") or []
    if answer.refused:
        return "right" if not answers else "refused"
    if not answers:
        return "wrong"
    cited = {c.passage.source for c in answer.citations}
    outlets_cited = all(outlet in cited for outlet in item.get("outlets", []))
    text = strip_markers(answer.text)
    enough = len(split_sentences(text)) >= item.get("sentences", 0)
    return "right" if contains_answer(text, answers) and outlets_cited and enough else "wrong"


def run(questions: Path, articles: list[Path], **settings) -> list[dict]:
    """Index `articles` in a temporary folder and ask every question; one row per question."""
    from ..api import Assistant

    folder = Path(tempfile.mkdtemp(prefix="assistant-questions-"))
    try:
        assistant = Assistant.open(folder / "index", **settings)
        assistant.ingest(article_files(articles))
        rows = []
        for item in read_jsonl(questions):
            started = time.perf_counter()
            answer = assistant.ask(item["question"], **({"as_of": item["as_of"]} if item.get("as_of") else {}))
            seconds = time.perf_counter() - started
            verdict = judge(answer, item)
            row = {**item, "verdict": verdict, "seconds": seconds, "text": answer.text, "outcome": answer.outcome, "confidence": answer.confidence}
            if item.get("french"):  # retrieval alone (`Assistant.search`): the same article first in both languages?
                row["first_article"], row["french_first_article"] = (_first_article(assistant, q) for q in (item["question"], item["french"]))
            rows.append(row)
        return rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _first_article(assistant, question: str) -> str | None:
    passages = assistant.search(question, k=1)
    return passages[0].article_id if passages else None


def crosslingual(rows: list[dict]) -> str:
    """The share of questions with a French translation whose first retrieved article is the
    translation's."""
    pairs = [r for r in rows if "first_article" in r]
    same = sum(r["first_article"] == r["french_first_article"] for r in pairs)
    return f"same first article as the French translation: {same} of {len(pairs)}" if pairs else ""


def table(rows: list[dict]) -> str:
    """Per kind: right / wrong / refused (of answerable ones) and right refusals, and latency."""
    kinds: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        kinds[r.get("kind", "fact")].append(r)
    lines = ["| kind | questions | right | wrong | refused | latency p50 s | max s |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind, group in [*kinds.items(), ("all", rows)]:
        count = {v: sum(r["verdict"] == v for r in group) for v in ("right", "wrong", "refused")}
        seconds = [r["seconds"] for r in group]
        verdicts = f"{count['right']} | {count['wrong']} | {count['refused']}"
        lines.append(f"| {kind} | {len(group)} | {verdicts} | {percentile(seconds, 50):.1f} | {max(seconds):.1f} |")
    return "\n".join(lines)


def details(rows: list[dict]) -> str:
    lines = ["| kind | question | verdict | outcome | confidence | answer |", "| --- | --- | --- | --- | ---: | --- |"]
    for r in rows:
        confidence = "-" if r["confidence"] is None else f"{r['confidence']:.2f}"
        text = " ".join(r["text"].split())[:160].replace("|", "/")
        lines.append(f"| {r.get('kind', 'fact')} | {r['question']} | {r['verdict']} | {r['outcome']} | {confidence} | {text} |")
    return "\n".join(lines)


if __name__ == "__main__":
    results = run(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
    print(details(results), "", table(results), "", crosslingual(results), sep="\n")
