"""Answering a question: the pipeline of stages (`pipeline`), one module per stage, and the
refusal policy (`policy`). `build` wires the default stages from the settings."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..embeddings.sentences import Cosines
from .draft import Draft
from .evidence import SelectEvidence
from .evidence_model import for_setting
from .gates import PassageGate, SentenceGate
from .pipeline import Pipeline, Query, last
from .policy import Refusal, refusal_text
from .retrieve import Retrieve
from .understand import Understand
from .verify import Rules, Verify

__all__ = ["Pipeline", "Query", "Refusal", "build", "last", "refusal_text"]


def build(settings: Settings, store, cosines: Cosines, llm: Callable) -> Pipeline:
    """The default pipeline: understand -> retrieve -> passage gate -> evidence -> sentence gate
    -> draft -> verify.

    Args:
        settings: thresholds and sizes.
        store: where passages are searched (`store.FolderStore` or another with its methods).
        cosines: the question-to-sentence and sentence-to-text similarities.
        llm: returns the loaded generator (called only when a stage needs the model).
    """
    return Pipeline(
        [
            Understand(llm),
            Retrieve(store, settings.top_k, settings.candidates, settings.dense_weight),
            PassageGate(settings.min_relevance),
            SelectEvidence(cosines.relevance, settings.evidence_chars, settings.sentence_rerank, for_setting(settings.evidence_model), settings.evidence_pool),
            SentenceGate(settings.min_sentence_relevance),
            Draft(llm, settings.max_answer_tokens, settings.refusal_threshold),
            Verify(Rules.from_settings(settings), cosines.similarity),
        ]
    )
