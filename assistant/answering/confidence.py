"""How likely an answer is right, learned from what the pipeline measured on the way.

`signals` turns what the stages measured on the way (their typed values on the `Query`) into
one row of numbers; the decide stage records it in the trace, where the training
(`assistant.lab.train_confidence`) reads it. `ConfidenceModel` holds two logistic regressions
fitted on the training split: the probability that the short answer holds a gold answer, and
that the sentence the assistant would quote does. The weights are a small JSON file shipped with
the package (assistant/data/confidence-model.json)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ModelError
from ..reading import kinds
from ..text import content_words
from .query import Chosen, Written
from .retrieve import TRACED

if TYPE_CHECKING:
    from .query import Query

FORMAT = 1  # bump when the signals change: an older file is refused, not misread


def signals(query: Query) -> dict[str, float]:
    """The numbers the confidence models read, from the values the stages left on the query
    (what a stage did not fill gives a neutral value: a question refused before the model ran
    has no draft). The models were fitted on the evidence's figures as the trace records them,
    to 4 decimals: they are read the same way here."""
    scores = [p.score for p in query.retrieved[:TRACED]] + [0.0, 0.0]
    chosen = query.evidence.chosen if query.evidence and query.evidence.chosen else ()
    top = chosen[0] if chosen else Chosen(0, 0, 0, 0.0, 0.0)
    # the evidence model's surest sentence (the first, unless a reader ranked them): the models
    # were fitted on its figures
    surest = max(chosen, key=lambda c: c.score) if top.probability is not None else top
    draft = query.draft or Written("")
    tokens = list(draft.token_probabilities) or [1.0]
    checks = query.checks
    cited = [c.n for c in checks.citations] if checks and checks.citations else [0]
    return {
        "passage_cosine": query.passage_relevance,
        "sentence_cosine": query.evidence.best_relevance if query.evidence else 0.0,
        "fused_first": scores[0],
        "fused_gap": scores[0] - scores[1],
        "top_sentence_cosine": round(surest.relevance, 4),
        "top_sentence_score": round(surest.score, 4),
        "top_sentence_in_first_passage": float(surest.n == 1),
        "refusal_probability": draft.refusal_probability or 0.0,
        "token_min": min(tokens),
        "token_mean_log": sum(math.log(max(p, 1e-9)) for p in tokens) / len(tokens),
        "first_token": tokens[0],
        "answer_words": float(len(draft.text.split())),
        "said_unknown": float(checks.said_unknown if checks else True),
        "kind_asked": float(kinds.expected(query.question) is not None),
        "kind_fits": float(checks.kind_fits if checks else False),
        "kept": float(len(checks.kept) if checks else 0),
        "dropped": float(checks.dropped if checks else 0),
        "topic_words": float(checks.topic_words if checks else 0),
        "support": checks.support if checks else 0.0,
        "moved": float(checks.moved if checks else False),
        "cited_first": float(cited[0] == 1),
        "cross_lingual": float(checks.cross_lingual if checks else False),
        "verbatim": float(query.verbatim),
        # a quote gives the sentence the answer cites when there is one (decide.quoted)
        "quote_from_answer": float(bool(checks and checks.kept) and not (checks.said_unknown if checks else True)),
        "question_words": float(len(content_words(query.question))),
        # the reader's (0 without one): how sure it is that the surest sentence states the answer,
        # of the answer's span in it, whether the draft says that span (the two readers agree),
        # and its highest probability over every sentence it read (some sentence answers)
        "reader_probability": top.probability or 0.0,
        "reader_best": (query.evidence.reader_best or 0.0) if query.evidence else 0.0,
        "reader_span_probability": top.span_probability,
        "reader_span_in_draft": float(_span_in_draft(query, top)),
    }


def _span_in_draft(query: Query, top: Chosen) -> bool:
    """The words of the reader's span are all in the draft's text (accents and case folded)."""
    if not top.span or not query.draft or not query.passages or top.n > len(query.passages):
        return False
    span = content_words(query.passages[top.n - 1].text[slice(*top.span)])
    return bool(span) and span <= content_words(query.draft.text)


@dataclass(frozen=True)
class Logistic:
    """A fitted logistic regression over standardised signals."""

    names: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, row: dict[str, float]) -> float:
        z = self.bias + sum(w * (row[k] - m) / s for k, m, s, w in zip(self.names, self.means, self.scales, self.weights))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict:
        return {"names": list(self.names), "means": list(self.means), "scales": list(self.scales), "weights": list(self.weights), "bias": self.bias}

    @classmethod
    def from_dict(cls, data: dict) -> Logistic:
        return cls(tuple(data["names"]), tuple(data["means"]), tuple(data["scales"]), tuple(data["weights"]), float(data["bias"]))


@dataclass(frozen=True)
class ConfidenceModel:
    """P(the short answer is right) and P(the quoted sentence holds the answer)."""

    answer: Logistic
    quote: Logistic
    info: dict  # how it was fitted: data, seed, cross-validated figures

    def weigh(self, row: dict[str, float], has_answer: bool, has_quote: bool) -> tuple[float, float]:
        """(P(the short answer is right), P(the quote holds the answer)); 0 for what is not there."""
        return (self.answer.probability(row) if has_answer else 0.0, self.quote.probability(row) if has_quote else 0.0)

    @classmethod
    def load(cls, path: Path) -> ConfidenceModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')}, this version reads {FORMAT}")
            return cls(Logistic.from_dict(data["answer"]), Logistic.from_dict(data["quote"]), data.get("info", {}))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ModelError(
                f"cannot read the confidence model {path}: {error}: reinstall the package, or rebuild it with "
                "`assistant train confidence` (README), or set ASSISTANT_CONFIDENCE_MODEL= to answer by the rules alone"
            ) from error

    def save(self, path: Path) -> None:
        data = {"format": FORMAT, "answer": self.answer.to_dict(), "quote": self.quote.to_dict(), "info": self.info}
        Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
