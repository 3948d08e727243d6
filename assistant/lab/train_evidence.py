"""Fitting the evidence model on the PIAF training split, validated by article, and measuring
it against the cosine selector it replaces.

    python -m assistant.lab.train_evidence --train ../shared/eval/piaf_train.jsonl \\
        --corpus ../shared/eval/piaf_train_contexts.jsonl --out assistant/data/evidence-model.json \\
        [--dev ../shared/eval/piaf_dev.jsonl --dev-corpus ../shared/eval/piaf_dev_contexts.jsonl]

Each question is retrieved by the product over an index of the split's paragraphs
(`evidence_data`); every sentence of its first `pool` passages is labelled by whether it holds
a gold answer (`metrics.contains_answer`, what `evidence_recall` asks of the excerpts). The
model is a conditional logit (`evidence_model`) fitted by L-BFGS with an L2 penalty: it is
deterministic, so the seed only draws the articles into the cross-validation folds. The
cross-validation is grouped by title: no article is in both the fitted and the measured part,
as no article of the held-out split is in the training split."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

import numpy as np

from ..answering.evidence import rerank, select, select_learned
from ..answering.evidence_model import EvidenceModel
from ..answering.sentence_features import FEATURES, sentence_table
from .data import load_corpus, load_questions, read_jsonl
from .evidence_data import Example, Relevance, VectorCache, embed_sentences, retrieve_examples
from .metrics import contains_answer, gold_rank, mean_reciprocal_rank, recall_at

BUDGETS = (150, 250, 350, 450, 600)
TOP_K, POOL = 3, 5  # the passages the model reads (Settings.top_k) and those scored
L2 = 1.0  # the penalty: the best of 0.1, 1, 10 and 100 by cross-validation, though 0.1-10 came within 0.003
COSINE_RERANK = 2.0  # Settings.sentence_rerank: the cosine selector as it is configured
FOLDS, SEED = 5, 0


# -- fitting -----------------------------------------------------------------------------------


class Labelled:
    """One example's sentences: the feature table and which sentences hold a gold answer."""

    def __init__(self, example: Example, relevance: Relevance, pool: int) -> None:
        self.example = example
        self.pool = list(example.passages[:pool])
        self.table = sentence_table(example.question, self.pool, relevance)
        texts = [self.pool[n - 1].text[s:e] for n, s, e in self.table.candidates]
        self.labels = np.array([contains_answer(t, example.answers) for t in texts], dtype=bool)


def fit(items: list[Labelled], l2: float = L2) -> EvidenceModel:
    """The weights that maximise the likelihood of the answering sentences among their
    question's sentences (questions whose pool holds none teach nothing and are left out)."""
    from scipy.optimize import minimize

    items = [item for item in items if item.labels.any()]
    features = np.vstack([item.table.features for item in items])
    labels = np.concatenate([item.labels for item in items])
    starts = np.cumsum([0] + [len(item.labels) for item in items[:-1]])
    group = np.repeat(np.arange(len(items)), [len(item.labels) for item in items])
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0  # a constant feature (a slice without numbers, say) weighs nothing
    features = (features - mean) / scale

    def softmax(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per question: the log of the sum of exp(scores), and each sentence's softmax share."""
        top = np.maximum.reduceat(scores, starts)
        exp = np.exp(scores - top[group])
        total = np.add.reduceat(exp, starts)
        return top + np.log(total), exp / total[group]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        scores = features @ weights
        every, every_share = softmax(scores)
        right, right_share = softmax(np.where(labels, scores, -np.inf))
        value = float(np.sum(every - right)) + 0.5 * l2 * weights @ weights
        return value, features.T @ (every_share - right_share) + l2 * weights

    result = minimize(loss, np.zeros(len(FEATURES)), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return EvidenceModel(mean, scale, result.x)


def folds(items: list[Labelled], titles: dict[str, str], count: int, seed: int) -> list[list[int]]:
    """Indices of the items in `count` folds, whole articles (titles) to a fold."""
    names = sorted({titles[item.example.id] for item in items})
    random.Random(seed).shuffle(names)
    fold_of = {name: i % count for i, name in enumerate(names)}
    return [[i for i, item in enumerate(items) if fold_of[titles[item.example.id]] == f] for f in range(count)]


# -- measuring ---------------------------------------------------------------------------------


def measure(items: list[Labelled], relevance: Relevance, model: EvidenceModel | None, top_k: int = TOP_K) -> dict:
    """evidence_recall and the mean characters read at each budget, the share of questions whose
    first sentence alone holds an answer, and the passage order's recall@1 and MRR (of the gold
    paragraph among the first 10), for the learned selector (`model`) or the cosine one (None),
    each run as the evidence stage runs it."""
    hits: dict[int, list[bool]] = {budget: [] for budget in (1, *BUDGETS)}  # 1: room for the first sentence only
    chars: dict[int, list[int]] = {budget: [] for budget in BUDGETS}
    ranks = []
    for item in items:
        example = item.example
        for budget in hits:
            passages, evidence = _choose(example.question, item.pool[:top_k], item.pool, budget, relevance, model)
            text = " ".join(e.text for e in evidence.excerpts)
            hits[budget].append(contains_answer(text, example.answers))
            if budget in chars:
                chars[budget].append(len(text))
        if example.context_id:
            ranking = passages + [p for p in example.passages if all(p is not q for q in passages)]
            ranks.append(gold_rank([p.article_id for p in ranking[:10]], example.context_id))
    figures = {f"evidence_recall@{b}": round(float(np.mean(hits[b])), 4) for b in BUDGETS}
    figures |= {f"mean_chars@{b}": round(float(np.mean(chars[b])), 1) for b in BUDGETS}
    figures["first_sentence_holds"] = round(float(np.mean(hits[1])), 4)
    return figures | {"recall@1": round(recall_at(ranks, 1), 4), "mrr": round(mean_reciprocal_rank(ranks), 4)}


def _choose(question: str, given: list, pool: list, budget: int, relevance: Relevance, model: EvidenceModel | None):
    """The passages in the order the evidence stage leaves them, and the evidence it chooses."""
    if model is None:
        passages = rerank(question, given, relevance, COSINE_RERANK)
        return passages, select(question, passages, budget, relevance)
    choice = select_learned(question, given, pool, budget, relevance, model)
    return choice.passages, choice.evidence


def cross_validate(items: list[Labelled], titles: dict[str, str], relevance: Relevance, count: int = FOLDS, seed: int = SEED, l2: float = L2) -> dict:
    """The figures of `measure` over held-out articles: each fold measured by a model fitted on the others."""
    per_fold = []
    for held in folds(items, titles, count, seed):
        held_set = set(held)
        model = fit([item for i, item in enumerate(items) if i not in held_set], l2)
        per_fold.append((len(held), measure([items[i] for i in held], relevance, model)))
    total = sum(n for n, _ in per_fold)
    return {key: round(sum(n * figures[key] for n, figures in per_fold) / total, 4) for key in per_fold[0][1]}


# -- the command -------------------------------------------------------------------------------


def prepare(
    questions_path: Path, corpus_path: Path, cache: Path | None, pool: int, limit: int | None = None, progress: bool = True, embedding=None, **settings
):
    """The labelled examples of a split, the titles of its questions (id -> title) and the
    relevance, with `embedding` (the one the settings name when None)."""
    from ..config import Settings
    from ..embeddings import load_embedding

    records = read_jsonl(questions_path)
    titles = {str(r.get("id", i)): str(r.get("title") or r.get("context_id") or "") for i, r in enumerate(records, 1)}
    questions, corpus = load_questions(questions_path), load_corpus(corpus_path)
    if limit is not None:  # the first `limit` articles (by title, in file order): a small, whole-article slice
        kept = list(dict.fromkeys(titles[q.id] for q in questions))[:limit]
        questions = [q for q in questions if titles[q.id] in kept]
        corpus = [a for a in corpus if a.title in kept]
    model = embedding or load_embedding(Settings.from_env(**settings))
    name = hashlib.sha1(f"{questions_path.resolve()}|{corpus_path.resolve()}|{limit}|{model.model_name}".encode()).hexdigest()[:12]
    index_dir = cache / f"index-{name}" if cache else None
    examples = retrieve_examples(questions, corpus, index_dir, progress, model, top_k=10, **settings)
    vectors_file = cache / f"vectors-{hashlib.sha1(model.model_name.encode()).hexdigest()[:8]}.npz" if cache else None
    vectors = VectorCache(model, vectors_file)
    embed_sentences(examples, vectors, progress, pool)
    return [Labelled(e, vectors.relevance, pool) for e in examples], titles, vectors.relevance


def train(
    questions: Path,
    corpus: Path,
    dev: Path | None = None,
    dev_corpus: Path | None = None,
    seed: int = SEED,
    folds: int = FOLDS,
    l2: float = L2,
    pool: int = POOL,
    limit: int | None = None,
    cache: Path | None = None,
    embedding=None,
    progress: bool = True,
    **settings,
) -> EvidenceModel:
    """The model fitted on every training question, carrying (in `about`) what it was trained
    on, its cross-validated figures and the cosine selector's on the same questions, and on
    `dev` when given. Arguments as the command's options; `embedding` an embedding model to use
    instead of the one the settings name."""
    items, titles, relevance = prepare(questions, corpus, cache, pool, limit, progress, embedding, **settings)
    learned = cross_validate(items, titles, relevance, folds, seed, l2)
    report: dict = {"cross_validation": {"folds": folds, "seed": seed, "grouped_by": "title", "learned": learned, "cosine": measure(items, relevance, None)}}
    model = fit(items, l2)
    if dev:
        dev_items, _, dev_relevance = prepare(dev, dev_corpus or corpus, cache, pool, None, progress, embedding, **settings)
        report["dev"] = {"questions": len(dev_items), "learned": measure(dev_items, dev_relevance, model), "cosine": measure(dev_items, dev_relevance, None)}
    articles = len({titles[item.example.id] for item in items})
    trained_on = {"questions": len(items), "articles": articles, "files": [_fingerprint(questions), _fingerprint(corpus)]}
    model.about = {"trained_on": trained_on, "pool": pool, "l2": l2, "seed": seed, **report}
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.lab.train_evidence", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, required=True, help="training questions (JSONL)")
    parser.add_argument("--corpus", type=Path, required=True, help="their paragraphs (JSONL)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the model (JSON)")
    parser.add_argument("--dev", type=Path, help="also measure on these questions (choosing, not fitting)")
    parser.add_argument("--dev-corpus", type=Path, help="the dev questions' paragraphs")
    parser.add_argument("--seed", type=int, default=SEED, help="draws the articles into folds (the fit itself is deterministic)")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--pool", type=int, default=POOL, help="passages whose sentences are scored (Settings.evidence_pool)")
    parser.add_argument("--limit", type=int, help="train on the first N articles only (a fast check)")
    parser.add_argument("--cache", default=".cache/evidence", help="keep the indexes and vectors here ('' to keep nothing)")
    parser.add_argument("--embed-model", help="the embedding (default: the product's)")
    args = parser.parse_args(argv)
    settings = {"embed_model": args.embed_model} if args.embed_model else {}
    options = {"seed": args.seed, "folds": args.folds, "l2": args.l2, "pool": args.pool, "limit": args.limit}
    cache = Path(args.cache) if args.cache else None  # not Path(''): that is the current folder
    model = train(args.train, args.corpus, args.dev, args.dev_corpus, cache=cache, **options, **settings)
    model.about["command"] = _command(args)
    model.save(args.out)
    json.dump({k: v for k, v in model.about.items() if k in ("cross_validation", "dev")}, sys.stdout, indent=1)
    print(f"\nwritten: {args.out}")
    return 0


def _fingerprint(path: Path) -> dict:
    return {"name": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _command(args) -> str:
    parts = ["python -m assistant.lab.train_evidence", f"--train {args.train}", f"--corpus {args.corpus}", f"--out {args.out}", f"--seed {args.seed}"]
    parts += [f"--dev {args.dev}", f"--dev-corpus {args.dev_corpus}"] if args.dev else []
    return " ".join(parts + ([f"--limit {args.limit}"] if args.limit else []))


if __name__ == "__main__":
    sys.exit(main())
