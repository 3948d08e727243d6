"""The evidence model: how likely each sentence of the retrieved passages is to be the one that
answers the question, from its features (`sentence_features`), by a linear model fitted on the
PIAF training split (`python -m assistant.lab.train_evidence`, docs/evidence.md).

It is a conditional logit: a sentence's score is a weighted sum of its standardised features,
and the softmax of the scores over the question's sentences is the share of the chance that
each is the answering one (fitted so, it ranks better than a per-sentence classifier: it only
has to tell a question's sentences apart). The artefact is a small JSON file shipped in the
package: the version, the feature names in the order it reads them, the standardisation and
the weights. Scoring is a few numpy lines: no library to load, no network."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..config import PACKAGE_DIR
from ..errors import ModelError
from .sentence_features import FEATURES

KIND = "evidence-sentence-conditional-logit"
VERSION = 1  # bump with any change of the features or of how they are computed
DEFAULT_PATH = PACKAGE_DIR / "data" / "evidence-model.json"
RETRAIN = (
    "reinstall the package, retrain it (python -m assistant.lab.train_evidence, docs/evidence.md), "
    "or set ASSISTANT_EVIDENCE_MODEL=cosine to choose the evidence by e5 cosine alone"
)


class EvidenceModel:
    """Weights over the standardised features; `about` says how it was trained and measured."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray, weights: np.ndarray, about: dict | None = None) -> None:
        self.mean, self.scale, self.weights = mean, scale, weights
        self.about = about or {}

    def scores(self, features: np.ndarray) -> np.ndarray:
        """One score per row of `features` (columns in `FEATURES` order): higher is likelier."""
        return ((features - self.mean) / self.scale) @ self.weights

    def shares(self, features: np.ndarray) -> np.ndarray:
        """The softmax of the scores: each sentence's share of the chance of being the answering
        one, given that one of them is (they sum to 1)."""
        scores = self.scores(features)
        exp = np.exp(scores - scores.max()) if len(scores) else scores
        return exp / exp.sum() if len(scores) else exp

    def to_dict(self) -> dict:
        fitted = {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "weights": self.weights.tolist()}
        return {"model": KIND, "version": VERSION, "features": list(FEATURES), **fitted, **self.about}

    @classmethod
    def from_dict(cls, data: dict, where: str = "the evidence model") -> EvidenceModel:
        if data.get("model") != KIND or data.get("version") != VERSION:
            raise ModelError(f"{where} is version {data.get('version')!r} of {data.get('model')!r}; this code reads version {VERSION} of {KIND}: {RETRAIN}")
        if data.get("features") != list(FEATURES):
            raise ModelError(f"{where} was trained on other features than this code computes: {RETRAIN}")
        try:
            mean, scale, weights = (np.asarray(data[key], dtype="float64") for key in ("mean", "scale", "weights"))
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"{where} is incomplete or damaged ({error!r}): {RETRAIN}") from None
        if not mean.shape == scale.shape == weights.shape == (len(FEATURES),) or not np.all(scale > 0) or not np.all(np.isfinite(weights)):
            raise ModelError(f"{where} has weights of the wrong shape or value: {RETRAIN}")
        about = {k: v for k, v in data.items() if k not in ("model", "version", "features", "mean", "scale", "weights")}
        return cls(mean, scale, weights, about)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def for_setting(value: str) -> EvidenceModel | None:
    """The model `Settings.evidence_model` names: "learned" the package's own, "cosine" none
    (the cosine selector), anything else the path of a model file."""
    if value == "cosine":
        return None
    return load(None if value == "learned" else value)


def load(path: str | Path | None = None) -> EvidenceModel:
    """The model stored at `path` (the package's own when None), read once per process.

    Raises:
        ModelError: the file is missing, not JSON, or not a model this code can read.
    """
    return _load(Path(path) if path is not None else DEFAULT_PATH)


@lru_cache(maxsize=4)
def _load(path: Path) -> EvidenceModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"the evidence model {path} is missing: {RETRAIN}") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"the evidence model {path} cannot be read ({error}): {RETRAIN}") from None
    if not isinstance(data, dict):
        raise ModelError(f"the evidence model {path} is not a JSON object: {RETRAIN}")
    return EvidenceModel.from_dict(data, f"the evidence model {path}")
