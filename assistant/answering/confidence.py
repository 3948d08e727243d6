"""How likely an answer is right, learned from what the pipeline measured on the way.

Every stage leaves its figures in the trace; `signals` turns them into one row of numbers, the
same at training time (`assistant.lab.train_confidence`) and at answer time. `ConfidenceModel`
holds two logistic regressions fitted on the training split: the probability that the short
answer holds a gold answer, and that the sentence the assistant would quote does. The weights
are a small JSON file shipped with the package (assistant/data/confidence-model.json)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError
from ..text import content_words
from . import kinds

FORMAT = 1  # bump when the signals change: an older file is refused, not misread


def signals(trace: dict[str, dict], question: str) -> dict[str, float]:
    """The numbers the confidence models read, from the trace's details by stage (missing
    stages give neutral values: a question refused before the model ran has no draft)."""
    retrieve, evidence = trace.get("retrieve", {}), trace.get("evidence", {})
    draft, verify, verbatim = trace.get("draft", {}), trace.get("verify", {}), trace.get("verbatim", {})
    scores = [p["score"] for p in retrieve.get("passages", [])] + [0.0, 0.0]
    chosen = evidence.get("sentences") or [{"cosine": 0.0, "score": 0.0, "n": 0}]
    tokens = draft.get("token_probabilities") or [1.0]
    cited = verify.get("cited") or [0]
    answer = draft.get("draft") or ""
    return {
        "passage_cosine": trace.get("passage_gate", {}).get("best_passage_cosine", 0.0),
        "sentence_cosine": trace.get("sentence_gate", {}).get("best_sentence_cosine", 0.0),
        "fused_first": scores[0],
        "fused_gap": scores[0] - scores[1],
        "top_sentence_cosine": chosen[0]["cosine"],
        "top_sentence_score": chosen[0]["score"],
        "top_sentence_in_first_passage": float(chosen[0]["n"] == 1),
        "refusal_probability": draft.get("refusal_probability") or 0.0,
        "token_min": min(tokens),
        "token_mean_log": sum(math.log(max(p, 1e-9)) for p in tokens) / len(tokens),
        "first_token": tokens[0],
        "answer_words": float(len(answer.split())),
        "said_unknown": float(verify.get("said_unknown", True)),
        "kind_asked": float(kinds.expected(question) is not None),
        "kind_fits": float(verify.get("kind_fits", False)),
        "kept": float(verify.get("kept", 0)),
        "dropped": float(verify.get("dropped", 0)),
        "topic_words": float(verify.get("topic_words", 0)),
        "support": verify.get("support", 0.0),
        "moved": float(verify.get("moved", False)),
        "cited_first": float(cited[0] == 1),
        "cross_lingual": float(verify.get("cross_lingual", False)),
        "verbatim": float(verbatim.get("verbatim", False)),
        # a quote gives the sentence the answer cites when there is one (decide.quoted)
        "quote_from_answer": float(bool(verify.get("kept")) and not verify.get("said_unknown", True)),
        "question_words": float(len(content_words(question))),
    }


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
