"""The default pipeline, wired from the settings (`build`): every stage, in order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..config import PACKAGE_DIR, Settings
from ..embeddings.sentences import Cosines
from ..reader import runtime
from ..store.contract import Store
from .attribute import Attribute
from .confidence import ConfidenceModel
from .corroborate import Corroborate
from .decide import Decide
from .draft import Draft
from .evidence import ReadSentences, SelectEvidence
from .evidence_model import for_setting
from .gates import PassageGate, SentenceGate
from .pipeline import Pipeline
from .retrieve import Retrieve
from .scope import Scope
from .summarize import Summarize
from .understand import Understand
from .verbatim import Verbatim
from .verify import Rules, Verify

DEFAULT_CONFIDENCE_MODEL = PACKAGE_DIR / "data" / "confidence-model.json"


def build(settings: Settings, store: Store, cosines: Cosines, llm: Callable) -> Pipeline:
    """The default pipeline: understand -> scope -> retrieve -> summarize (requests for a summary
    end there) -> passage gate -> evidence -> sentence gate -> draft -> verify -> verbatim ->
    corroborate -> decide (when a confidence model is set: the checks of verify then inform it
    instead of refusing) -> attribute.

    Args:
        settings: thresholds and sizes.
        store: where passages are searched (any `store.contract.Store`).
        cosines: the question-to-sentence and sentence-to-text similarities.
        llm: returns the loaded generator (called only when a stage needs the model).
    """
    model = confidence_model(settings.confidence_model)
    stages = [
        Understand(llm),
        Scope(store),
        Retrieve(store, settings.top_k, settings.candidates, settings.dense_weight),
        Summarize(store, cosines, settings.min_relevance),
        PassageGate(settings.min_relevance, settings.cross_lingual_margin),
        SelectEvidence(
            cosines.relevance, settings.evidence_chars, settings.sentence_rerank, for_setting(settings.evidence_model), settings.evidence_pool, reader(settings)
        ),
        SentenceGate(settings.min_sentence_relevance, settings.cross_lingual_margin),
        Draft(llm, settings.max_answer_tokens, settings.refusal_threshold),
        Verify(Rules.from_settings(settings), cosines.similarity, refuse=model is None),
        Verbatim(),
        Corroborate(store),
    ]
    if model is not None:
        stages.append(Decide(model, settings.answer_threshold, settings.quote_threshold))
    return Pipeline([*stages, Attribute()])


def reader(settings: Settings) -> ReadSentences | None:
    """The reader the settings name, over the evidence model's surest sentences."""
    found = runtime.for_setting(settings.reader, settings.cache_dir)
    return ReadSentences(found, settings.reader_sentences) if found else None


def confidence_model(name: str) -> ConfidenceModel | None:
    """The model the setting names: "default" (shipped in the package), a file, or "" (None)."""
    if not name:
        return None
    return ConfidenceModel.load(DEFAULT_CONFIDENCE_MODEL if name == "default" else Path(name).expanduser())
