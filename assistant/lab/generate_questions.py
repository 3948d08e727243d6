"""Questions written by the local model over sentences of other texts: more training data for
the reader (issue 25), whose learning curve says data is its limit and PIAF's training split
holds 58 fitting articles.

For each sentence of 8 to 60 words, the model is shown the article's title and the sentence
(prompts/question_*) and writes a question with its answer, a short span of the sentence. A
pair is kept only when the answer is in the sentence as written, the question does not give
the answer away, and it is a question; whether the product's pipeline finds the sentence back
is judged later, when the reader's candidates are collected (`train reader --generated`: a
question none of whose candidates holds the answer teaches nothing and is dropped).

The sources are the PIAF training contexts and one half of the French pages of ../shared/news
(`train_reader.half_of` their file stem: half 0); the other half stays apart, for checking the
reader on news questions it was not trained on. Articles are taken in turn, a sentence of each,
so that a run cut short still covers every article. The output is appended question by
question, and a run started again skips the sentences already done.

    python -m assistant.lab.generate_questions --out generated.jsonl [--limit N]
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path

from ..text import sentences
from ..types import Article
from .metrics import contains_answer, normalize

NEWS_HALF = 0  # the half of ../shared/news's French pages generated over; the other is for checking
WORDS = (8, 60)  # a sentence shorter says too little to ask about, a longer one is a list or a table
ANSWER_WORDS = 8
SELF_REFERENCE = re.compile(r"\b(la phrase|ce texte|le texte|cet article|l'article|the sentence|the text)\b", re.IGNORECASE)
PAIR = re.compile(r"Question\s*:\s*(?P<question>.+?)\s*\n+\s*R[ée]ponse\s*:\s*(?P<answer>.+)", re.IGNORECASE)


def training_articles(contexts: Path, news: Path | None) -> list[Article]:
    """The articles questions are written over: the PIAF training contexts, and the French pages
    of `news` (../shared/news) in NEWS_HALF, read by the product's loaders."""
    from .data import load_corpus

    articles = load_corpus(contexts)
    if news is not None:
        articles += news_articles(news, NEWS_HALF)
    return articles


def news_articles(folder: Path, half: int) -> list[Article]:
    """The French pages of ../shared/news (its pages.tsv) whose stem falls in `half`."""
    from ..ingest.loaders import load_file
    from .train_reader import half_of

    rows = [line.split("\t") for line in (folder / "pages.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    stems = sorted(row[0] for row in rows if row[1] == "fr" and half_of(row[0]) == half)
    return [article for stem in stems for article in load_file(folder / f"{stem}.html").articles]


def sentences_in_turn(articles: list[Article]) -> Iterator[tuple[Article, str]]:
    """(article, sentence) for every askable sentence, one article after the other in turn."""
    per_article = [[(a, s) for s in sentences(a.text) if WORDS[0] <= len(s.split()) <= WORDS[1]] for a in articles]
    for row in zip_longest(*per_article):
        yield from (pair for pair in row if pair is not None)


def parse(text: str, sentence: str) -> tuple[str, str] | None:
    """(question, answer) from the model's text, None unless it is a usable pair: a question of
    at least 4 words, ending with «?», that does not contain its answer; an answer of at most
    ANSWER_WORDS words found in the sentence as whole words, and not the whole sentence."""
    match = PAIR.search(text)
    if match is None:
        return None
    question, answer = match["question"].strip(), match["answer"].strip().strip("«»\"' .").strip()
    answer_norm = normalize(answer)
    if not question.endswith("?") or len(question.rstrip("? ").split()) < 4 or not answer_norm:
        return None
    if len(answer.split()) > ANSWER_WORDS or not contains_answer(sentence, [answer]):
        return None
    if f" {answer_norm} " in f" {normalize(question)} " or answer_norm == normalize(sentence):
        return None
    if SELF_REFERENCE.search(question):  # « Quel instrument est mentionné dans la phrase ? » needs the sentence
        return None
    return question, answer


def record_id(article: Article, sentence: str) -> str:
    return "gen-" + hashlib.sha256(f"{article.id}\n{sentence}".encode()).hexdigest()[:12]


def generate(articles: list[Article], generator, out: Path, limit: int | None = None, progress: bool = True) -> dict:
    """Ask `generator` (a `generation.Generator`) for a question on each sentence of `articles`
    not yet in `out`, appending the pairs kept; returns how many were asked, kept and skipped."""
    from tqdm import tqdm

    from ..prompts import question_messages

    done = _ids(out) | _ids(_rejected_file(out))
    todo = [(a, s) for a, s in sentences_in_turn(articles) if record_id(a, s) not in done][:limit]
    counts = {"asked": 0, "kept": 0, "already_done": len(done)}
    with out.open("a", encoding="utf-8") as kept, _rejected_file(out).open("a", encoding="utf-8") as rejected:
        for article, sentence in tqdm(todo, desc="Questions", unit="q", disable=not progress):
            text = generator.complete(question_messages(article.title, sentence), max_tokens=60, stop=["\n\n"])
            pair = parse(text, sentence)
            counts["asked"] += 1
            rid = record_id(article, sentence)
            if pair is None:
                rejected.write(json.dumps({"id": rid, "text": text}, ensure_ascii=False) + "\n")
                rejected.flush()
                continue
            counts["kept"] += 1
            record = {"id": rid, "question": pair[0], "answers": [pair[1]], "context_id": article.id, "title": article.title, "sentence": sentence}
            kept.write(json.dumps(record, ensure_ascii=False) + "\n")
            kept.flush()
    return counts


def _rejected_file(out: Path) -> Path:
    """Where the model's unusable answers go (so a restart does not ask again, and they can be read)."""
    return out.with_name(out.stem + "-rejected.jsonl")


def _ids(path: Path) -> set[str]:
    """The ids of a file's records, none when it does not exist yet."""
    from .data import read_jsonl

    return {record["id"] for record in read_jsonl(path)} if path.is_file() else set()


def main(argv: list[str] | None = None) -> int:
    import argparse

    from ..config import Settings
    from ..generation import load_generator, model_path

    parser = argparse.ArgumentParser(prog="python -m assistant.lab.generate_questions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the questions (JSONL, appended; a second run goes on where the first stopped)")
    parser.add_argument("--contexts", type=Path, default=Path("../shared/eval/piaf_train_contexts.jsonl"))
    parser.add_argument("--news", type=Path, default=Path("../shared/news"), help="a folder of pages with a pages.tsv, or '' for none")
    parser.add_argument("--model", default="large", help="'small', 'large' or a GGUF file")
    parser.add_argument("--limit", type=int, help="ask at most N more questions")
    args = parser.parse_args(argv)
    articles = training_articles(args.contexts, args.news if str(args.news) not in ("", ".") else None)
    settings = Settings()
    generator = load_generator(model_path(args.model, settings.cache_dir), 2048, 2)
    print(json.dumps(generate(articles, generator, args.out, args.limit)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
