"""Scoring answers against gold answers (pure functions): SQuAD-style exact match and token F1
with French normalisation, containment, ranks, recall, MRR, shares and percentiles."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from ..answering.citations import strip_markers
from ..text import split_sentences

_ARTICLES = frozenset("le la les l un une des du de d".split())
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits: punctuation and « » split words


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
