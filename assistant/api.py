"""Assistant: the composition root. Everything the CLI and the web app do goes through here."""

from __future__ import annotations

import collections.abc
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode

from . import evidence, followup, language, prompts
from .citations import format_context
from .config import Settings
from .embeddings import TextVectors, embedding_identity, load_embedding
from .errors import IndexStoreError, InputError
from .generation import FirstStep, Generator, load_generator, model_path
from .grounding import Grounded, ground
from .ingest import chunk_text
from .ingest.loaders import find_files, load_file
from .retrieval import Retriever
from .store import ArticleIndex, live_version, make_nodes
from .types import Answer, Article, IngestReport, Passage, Reading

History = list[dict] | list[tuple[str, str]] | None


class Assistant:
    """Answers questions about the articles of one index, citing the passages it used.

    Example:
        >>> assistant = Assistant.open("index/")
        >>> answer = assistant.ask("Où Milley a-t-il rencontré Zaluzhny ?")
        >>> answer.text, answer.citations[0].quote
    """

    def __init__(self, settings: Settings, embed_model: BaseEmbedding | None = None, generator: Generator | None = None) -> None:
        """Wire an assistant explicitly; `Assistant.open` is the usual way in.

        Args:
            settings: index folder, model names and tuning.
            embed_model: an embedding model to use instead of the one the settings name.
            generator: a text generator to use instead of loading `settings.llm`.
        """
        self.settings = settings
        self._embed = embed_model or load_embedding(settings)
        self._generator = generator
        self._refusal_token_ids: list[int] | None = None
        self._text_vectors = TextVectors(self._embed)  # the passages' sentences, embedded once
        self._last_query: tuple[str, np.ndarray | None] = ("", None)  # see _relevance
        self._identity = embedding_identity(self._embed)
        self._chunking = {"max_chars": settings.chunk_chars, "overlap_chars": settings.overlap_chars, "splitter": "assistant.sentences/1"}
        self._write_lock = threading.Lock()
        if live_version(settings.index_dir) is not None:
            self._store = ArticleIndex.load(settings.index_dir, self._embed, self._identity)
        else:
            self._store = ArticleIndex.empty(self._embed, self._identity, self._chunking)
        self._retriever = Retriever(self._store, settings.candidates)

    @classmethod
    def open(cls, index_dir: str | Path | None = None, **settings) -> Assistant:
        """Open (or prepare to create) the index in `index_dir`.

        Args:
            index_dir: folder of the index; ASSISTANT_INDEX or ./index when None.
            **settings: any field of `Settings` (embed_model, llm, top_k, ...).
        """
        return cls(Settings.from_env(index_dir=Path(index_dir) if index_dir else None, **settings))

    # -- the index ---------------------------------------------------------------------------

    def ingest(self, paths: list[str | Path], progress: bool = False, names: dict[str, str] | None = None) -> IngestReport:
        """Add files and folders (.txt, .md, .html, .json, .jsonl) to the index.

        Unchanged articles are skipped, changed ones replaced. Bad files and records are reported
        in `IngestReport.rejected`; the index is written only when everything else succeeded.

        Args:
            paths: files or folders (searched recursively).
            progress: show progress bars on the terminal.
            names: display names for paths (uploads arrive under temporary names).
        """
        from tqdm import tqdm

        files = find_files(paths)
        articles: list[Article] = []
        rejected: list[tuple[str, str]] = []
        for path in tqdm(files, desc="Reading", unit="file", disable=not progress or len(files) < 5):
            loaded = load_file(path, (names or {}).get(str(path)))
            articles.extend(loaded.articles)
            rejected.extend(loaded.rejected)
        return self.ingest_articles(articles, progress=progress, rejected=rejected)

    def ingest_articles(self, articles: list[Article], progress: bool = False, rejected: list | None = None) -> IngestReport:
        """Add Article objects directly (what `ingest` does after reading files)."""
        report = IngestReport(rejected=list(rejected or []))
        with self._write_lock:
            store = self._store
            pending: list[tuple[Article, list]] = []
            seen: set[str] = set()
            for article in articles:
                if article.id in seen:
                    report.rejected.append((article.id, "the same article id appears twice in this ingest"))
                    continue
                seen.add(article.id)
                status = store.status(article)
                if status == "unchanged":
                    report.unchanged.append(article.id)
                    continue
                chunks = chunk_text(article.text, self.settings.chunk_chars, self.settings.overlap_chars)
                pending.append((article, make_nodes(article, chunks)))
                (report.added if status == "added" else report.replaced).append(article.id)
            if not pending:
                return report
            self._embed_nodes([node for _, nodes in pending for node in nodes], progress)
            self._change(lambda: [store.put(article, nodes) for article, nodes in pending])
            report = replace(report, chunks_added=sum(len(nodes) for _, nodes in pending))
        return report

    def remove(self, article_id: str) -> None:
        """Delete an article and its chunks from the index."""
        with self._write_lock:
            if article_id not in self._store.articles:
                raise InputError(f"no article {article_id!r} in the index: `assistant info` lists them")
            self._change(lambda: self._store.remove(article_id))

    def articles(self) -> list[dict]:
        """One dict per indexed article: id, title, source, date, url, chunks."""
        return [
            {"id": article_id, **{k: v for k, v in record.items() if k not in ("node_ids", "hash")}, "chunks": len(record["node_ids"])}
            for article_id, record in self._store.articles.items()
        ]

    def info(self) -> dict:
        """What is in the index and which models serve it."""
        version = live_version(self.settings.index_dir)
        size = sum(f.stat().st_size for f in version.rglob("*") if f.is_file()) if version else 0
        return {
            "index": str(self.settings.index_dir),
            "articles": len(self._store.articles),
            "chunks": self._store.chunk_count,
            "embed_model": self._identity["embed_model"],
            "dimension": self._store.manifest["dimension"],
            "vector_search": self._store.layout,
            "llm": self.settings.llm,
            "chunking": self._store.manifest["chunking"],
            "bytes_on_disk": size,
        }

    # -- questions ---------------------------------------------------------------------------

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        """The passages that best match `question`, best first (no generation). The first
        `top_k`, those the model reads, are reordered by their best sentence (`evidence.rerank`)."""
        question, top = self._check_question(question), self.settings.top_k
        return self._reorder(question, self._retriever.retrieve(question, max(k or top, top)))[: k or top]

    def relevance(self, question: str) -> tuple[float, float]:
        """How close the articles come to `question`, as the two figures that refuse it before
        generation: the best passage's cosine (`min_relevance`) and the best cosine of one
        sentence of the top passages (`min_sentence_relevance`)."""
        return relevance_of(*self.read(question))

    def read(self, question: str) -> tuple[list[Passage], evidence.Evidence]:
        """What the model is given for `question`, relevance gates aside: the top passages, and
        the sentences chosen from them with their best cosine to the question (no generation)."""
        passages = self.retrieve(question)
        return passages, evidence.select(question, passages, self.settings.evidence_chars, self._relevance)

    def ask(self, question: str) -> Answer:
        """Answer one question from the articles, with citations, or refuse."""
        return _last(self.stream(question))

    def chat(self, message: str, history: History = None) -> Answer:
        """Answer a message of a conversation; a follow-up (« Et quand ? ») is first rewritten
        into a standalone question from the history of (user, assistant) turns. A message that
        names what it asks about is answered as it stands (`followup.needs_context`)."""
        return _last(self.stream(message, history))

    def stream(self, question: str, history: History = None) -> Iterator[Reading | str | Answer]:
        """Yield `Reading` (the passages the model is given) when it is asked, the answer's text
        as the model writes it, then the final, checked `Answer`.

        The streamed text is the model's draft; the final Answer may differ (unsupported
        sentences dropped, citations fixed, or a refusal). A question refused before generation
        yields its Answer alone."""
        started = time.perf_counter()
        question = self._check_question(question)
        timings: dict[str, float] = {}
        code = language.detect(question)
        standalone = question
        if history and followup.needs_context(question, code):  # most messages name their subject
            standalone = self._standalone(question, history)
            timings["rewrite_s"] = time.perf_counter() - started
        t = time.perf_counter()
        if not self._store.articles:
            raise IndexStoreError("the index is empty: add articles first (`assistant ingest FILES`)")
        passages = self._retriever.retrieve(standalone, self.settings.top_k)
        timings["retrieve_s"] = time.perf_counter() - t
        rewritten = standalone if standalone != question else None

        def finish(text: str, reason: str | None, cited=(), refusal_probability: float | None = None, draft: str | None = None) -> Answer:
            timings["total_s"] = time.perf_counter() - started
            refused = reason is not None
            shown = language.refusal(code) if refused else text
            return Answer(question, shown, refused, list(cited), passages, timings, rewritten, refusal_probability, reason, draft)

        if not passages or _best_dense(passages) < self.settings.min_relevance:
            yield finish("", "relevance")  # nothing in the articles is close to the question
            return
        t = time.perf_counter()
        # Reordered only past the passage gate, which does not depend on the order: a question
        # it refuses does not pay for embedding the passages' sentences.
        passages = self._reorder(standalone, passages)
        found = evidence.select(standalone, passages, self.settings.evidence_chars, self._relevance)
        timings["evidence_s"] = time.perf_counter() - t
        if found.best_relevance < self.settings.min_sentence_relevance:
            yield finish("", "sentence_relevance")  # the topic is there, but no sentence comes close to the question
            return
        yield Reading(passages)
        watch = FirstStep(self._refusal_tokens())
        written = yield from self._draft(standalone, found.excerpts, code, watch, timings, started)
        if not written:
            unsure = (watch.probability or 0.0) >= self.settings.refusal_threshold
            yield finish("", "threshold" if unsure else "model", refusal_probability=watch.probability, draft="")
            return
        grounded = self._ground(written, standalone, passages, code)
        yield finish(grounded.text, grounded.reason, grounded.citations, watch.probability, written)

    @property
    def generator(self) -> Generator:
        """The local LLM, loaded on first use (assembling the model file the first time)."""
        if self._generator is not None:
            return self._generator
        path = model_path(self.settings.llm, self.settings.cache_dir)
        generator = load_generator(path, self.settings.context_window, self.settings.threads)
        # The fixed instructions and examples open every answer prompt: their state is read
        # once per machine and then loaded from the cache, so no question pays for them.
        generator.prime(prompts.answer_messages("[1] …", "…", language.name("fr")), self.settings.cache_dir / "prompt-states")
        return generator

    def warm_up(self) -> None:
        """Load the LLM and the fixed part of the answer prompt now, so that the first question
        a user asks does not wait for them."""
        self.generator  # noqa: B018 (loading is the point)

    # -- internals ---------------------------------------------------------------------------

    def _check_question(self, question: str) -> str:
        question = (question or "").strip()
        if not question:
            raise InputError("the question is empty: ask something about the articles")
        if len(question) > self.settings.max_question_chars:
            raise InputError(f"the question is {len(question)} characters long; keep it under {self.settings.max_question_chars}")
        return question

    def _reorder(self, question: str, passages: list[Passage]) -> list[Passage]:
        """The passages with the first `top_k`, those the model reads, reordered by their best
        sentence (`evidence.rerank`); their sentences' cosines stay in `_relevance`'s memory
        for the evidence step."""
        top = self.settings.top_k
        return evidence.rerank(question, passages[:top], self._relevance, self.settings.sentence_rerank) + passages[top:]

    def _draft(
        self, question: str, excerpts: list[evidence.Excerpt], code: str, watch: FirstStep, timings: dict, started: float
    ) -> collections.abc.Generator[str, None, str]:
        """Yield the model's answer as it writes it, and return the whole text ("" when it
        refused, or when its first step leaned to a refusal past `refusal_threshold`)."""
        messages = prompts.answer_messages(format_context(excerpts), question, language.name(code))
        draft = []
        t = time.perf_counter()
        for piece in self.generator.stream(messages, self.settings.max_answer_tokens, watch=watch):
            if not draft:
                timings["first_token_s"] = time.perf_counter() - started
                if (watch.probability or 0.0) >= self.settings.refusal_threshold:
                    break  # the model leans to « not in the passages »: no need to hear the rest
            draft.append(piece)
            yield piece
        timings["generate_s"] = time.perf_counter() - t
        return "".join(draft)

    def _ground(self, written: str, question: str, passages: list[Passage], code: str) -> Grounded:
        return ground(
            written,
            question,
            passages,
            self.settings.min_support,
            self._similarity,
            cross_lingual=code != language.detect(passages[0].text),  # an English answer about a French article
            min_topic_words=self.settings.min_topic_words,
        )

    def _refusal_tokens(self) -> list[int]:
        if self._refusal_token_ids is None:
            self._refusal_token_ids = self.generator.first_tokens([prompts.REFUSAL_WORD])
        return self._refusal_token_ids

    def _standalone(self, question: str, history: History) -> str:
        turns = _turns(history)[-6:]  # the recent turns carry the context a follow-up needs
        transcript = "\n".join(f"{role}: {text}" for role, text in turns)
        prompt = prompts.render("condense", chat_history=transcript, question=question)
        rewritten = self.generator.complete([{"role": "user", "content": prompt}], max_tokens=64).strip()
        rewritten = rewritten.splitlines()[0].strip().strip('"«» ') if rewritten else ""
        return rewritten or question

    def _similarity(self, sentence: str, texts: list[str]) -> list[float]:
        """Cosine of an answer sentence to each text, both embedded as passages."""
        return self._cosines(np.asarray(self._embed.get_text_embedding(sentence), dtype="float32"), texts)

    def _relevance(self, question: str, sentences: list[str]) -> list[float]:
        """Cosine of the question, embedded as a query, to each sentence of the passages.
        Ordering the passages and choosing the evidence both ask, so the last question's vector
        is kept."""
        last, vector = self._last_query  # one read: another thread may start a new question
        if last != question or vector is None:
            vector = np.asarray(self._embed.get_query_embedding(question), dtype="float32")
            self._last_query = (question, vector)
        return self._cosines(vector, sentences)

    def _cosines(self, vector: np.ndarray, texts: list[str]) -> list[float]:
        return (self._text_vectors(texts) @ vector).tolist() if texts else []

    def _embed_nodes(self, nodes: list, progress: bool) -> None:
        texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
        vectors = self._embed.get_text_embedding_batch(texts, show_progress=progress)
        for node, vector in zip(nodes, vectors):
            node.embedding = vector

    def _change(self, mutate) -> None:
        """Apply a change in memory, persist it atomically, then serve queries from it."""
        try:
            mutate()
            self._store.refit()
            self._store.save(self.settings.index_dir)
        except BaseException:
            # Memory may hold half of the change; the disk holds the previous index whole.
            self._reload()
            raise
        self._retriever = Retriever(self._store, self.settings.candidates)

    def _reload(self) -> None:
        if live_version(self.settings.index_dir) is not None:
            self._store = ArticleIndex.load(self.settings.index_dir, self._embed, self._identity)
        else:
            self._store = ArticleIndex.empty(self._embed, self._identity, self._chunking)
        self._retriever = Retriever(self._store, self.settings.candidates)


def relevance_of(passages: list[Passage], found: evidence.Evidence) -> tuple[float, float]:
    """The two figures the relevance gates compare with their thresholds: the best passage's
    cosine to the question (`min_relevance`) and the best sentence's (`min_sentence_relevance`)."""
    return _best_dense(passages), found.best_relevance


def _best_dense(passages: list[Passage]) -> float:
    """The best passage's cosine to the question: the passage gate's figure (0 with none)."""
    return max((p.dense_score for p in passages), default=0.0)


def _turns(history: History) -> list[tuple[str, str]]:
    turns = []
    for item in history or []:
        if isinstance(item, dict):
            content = item.get("content")
            if isinstance(content, list):  # Gradio 6 messages carry lists of parts
                content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
            turns.append(("User" if item.get("role") == "user" else "Assistant", str(content or "")))
        else:
            user, bot = item
            turns.extend([("User", str(user)), ("Assistant", str(bot or ""))])
    return turns


def _last(events: Iterator[Reading | str | Answer]) -> Answer:
    answer = None
    for event in events:
        answer = event
    assert isinstance(answer, Answer)
    return answer
