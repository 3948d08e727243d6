"""Assistant: the composition root. Everything the CLI and the web app do goes through here."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from . import answering, languages, prompts
from .answering import Pipeline, Query, scope, wiring
from .config import Settings
from .embeddings import embedding_identity, load_embedding
from .embeddings.sentences import Cosines
from .errors import InputError
from .generation import Generator, load_generator, model_path
from .ingest import sources
from .ingest.indexing import Indexer, read_paths
from .store import Store, open_store
from .types import Answer, Article, IngestReport, Passage, Reading, Turn

History = Sequence[Turn | tuple[str, str]] | None  # (role, text): role "user" or "assistant"


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
            settings: index folder, model names and thresholds.
            embed_model: an embedding model to use instead of the one the settings name.
            generator: a text generator to use instead of loading `settings.llm`.
        """
        self.settings = settings
        self._embed = embed_model or load_embedding(settings)
        self._generator = generator
        self._loading = threading.Lock()  # a question and the background warm-up load it once
        self._identity = embedding_identity(self._embed)
        chunking = {"max_chars": settings.chunk_chars, "overlap_chars": settings.overlap_chars, "splitter": "assistant.sentences/1"}
        self.store: Store = open_store(settings, self._embed, {**self._identity, "language": settings.index_language}, chunking)
        self._indexer = Indexer(self.store, self._embed, settings.chunk_chars, settings.overlap_chars)
        self.pipeline: Pipeline = wiring.build(settings, self.store, Cosines(self._embed), lambda: self.generator)

    @classmethod
    def open(cls, index_dir: str | Path | None = None, **settings) -> Assistant:
        """Open (or prepare to create) the index in `index_dir`.

        Args:
            index_dir: folder of the index; $ASSISTANT_INDEX or ./index when None.
            **settings: any field of `Settings` (embed_model, llm, top_k, ...).
        """
        return cls(Settings.from_env(index_dir=Path(index_dir) if index_dir else None, **settings))

    # -- the index ---------------------------------------------------------------------------

    def ingest(
        self, paths: list[str | Path], progress: bool = False, names: dict[str, str] | None = None, fetcher: sources.Fetcher | None = None
    ) -> IngestReport:
        """Add files and folders (.txt, .md, .html, .json, .jsonl), web pages (http:// and
        https:// addresses) and web archives (.warc, .warc.gz, .arc, .arc.gz) to the index.

        Unchanged articles are skipped, changed ones replaced. Bad files, records and pages are
        reported in `IngestReport.rejected`, what an archive holds that is no article is counted
        in `IngestReport.skipped`; the index is written only when everything else succeeded.

        Args:
            paths: files, folders (searched recursively), web addresses or archives.
            progress: show progress bars on the terminal.
            names: display names for paths (uploads arrive under temporary names).
            fetcher: how pages are fetched (timeouts, delay per host); a polite default when None.
        """
        urls = [p for p in paths if sources.is_url(p)]
        archives = [p for p in paths if not sources.is_url(p) and sources.is_archive(p)]
        files = [p for p in paths if p not in urls and p not in archives]
        articles, rejected = read_paths(files, progress, names) if files else ([], [])
        # The records tell which pages are indexed: read (every one of them) only when pages are asked for.
        records = self.store.articles() if urls else {}
        harvest = sources.collect(records, urls=urls, archives=archives, fetcher=fetcher, progress=progress)
        return self._ingest_harvest(harvest, progress, articles, rejected)

    def ingest_sources(
        self,
        urls: Iterable[str] = (),
        feeds: Iterable[str] = (),
        sitemaps: Iterable[str] = (),
        archives: Iterable[str | Path] = (),
        progress: bool = False,
        fetcher: sources.Fetcher | None = None,
    ) -> IngestReport:
        """Add web pages, the pages of RSS/Atom feeds and sitemaps not indexed yet, and the pages
        of web archives (docs/sources.md). Each page's own metadata comes first; the feed item,
        sitemap entry or archive record fills what it lacks.

        Args:
            urls: addresses of pages (always fetched: a changed page replaces its article).
            feeds: addresses of RSS or Atom feeds.
            sitemaps: addresses of sitemaps or sitemap indexes.
            archives: WARC or ARC files.
            progress: show a progress bar per source.
            fetcher: how pages are fetched; a polite default when None.
        """
        harvest = sources.collect(self.store.articles(), urls, feeds, sitemaps, archives, fetcher, progress)
        return self._ingest_harvest(harvest, progress)

    def follow(
        self, feeds: Iterable[str], interval_s: float = 900, stop: threading.Event | None = None, progress: bool = False, fetcher: sources.Fetcher | None = None
    ) -> Iterator[IngestReport]:
        """Read feeds again and again, yielding each round's report, until `stop` is set. Each
        round asks each feed « changed since? » (ETag, Last-Modified) and fetches only the pages
        not indexed yet, waiting the fetcher's delay between two requests to one host.

        Args:
            feeds: addresses of RSS or Atom feeds.
            interval_s: seconds between two rounds.
            stop: set it to end after the current round (Ctrl-C ends too).
            progress: show progress bars.
            fetcher: how pages are fetched; a polite default when None.
        """
        feeds, stop, state, seen = list(feeds), stop or threading.Event(), {}, {}
        own = fetcher is None
        fetcher = fetcher or sources.Fetcher()
        try:
            while True:
                harvest = sources.collect(self.store.articles(), feeds=feeds, fetcher=fetcher, progress=progress, feed_state=state, seen=seen)
                yield self._ingest_harvest(harvest, progress)
                if stop.wait(interval_s):
                    return
        finally:
            if own:
                fetcher.close()

    def watch(self, folder: str | Path, stop: threading.Event | None = None, progress: bool = False) -> Iterator[IngestReport]:
        """Keep the index in step with a folder until `stop` is set (or Ctrl-C): its files are
        ingested first, then each batch of changes yields a report: new files added, changed ones
        replaced, deleted ones' articles removed. Assistants reading the same index see each
        change on their next question.

        Args:
            folder: the folder to watch (recursively; hidden files and folders are left out).
            stop: set it to stop watching.
            progress: show progress bars.
        """
        return sources.WatchedFolder(folder, self._indexer).follow(stop, progress)

    def _ingest_harvest(self, harvest: sources.Harvest, progress: bool, articles: list[Article] = (), rejected: list = ()) -> IngestReport:
        report = self._indexer.ingest([*articles, *harvest.articles], progress=progress, rejected=[*rejected, *harvest.rejected])
        return replace(report, unchanged=report.unchanged + harvest.known, skipped=dict(harvest.skipped))

    def ingest_articles(self, articles: list[Article], progress: bool = False) -> IngestReport:
        """Add Article objects directly (what `ingest` does after reading files)."""
        return self._indexer.ingest(articles, progress=progress)

    def remove(self, article_id: str) -> None:
        """Delete an article and its chunks from the index."""
        self._indexer.remove(article_id)

    def articles(self) -> list[dict]:
        """One dict per indexed article: id, title, source, date, url, chunks."""
        return [
            {"id": article_id, **{k: v for k, v in record.items() if k not in ("node_ids", "hash", "minhash")}, "chunks": len(record["node_ids"])}
            for article_id, record in self.store.articles().items()
        ]

    def info(self) -> dict:
        """What is in the index and which models serve it."""
        store = self.store.info()
        shown = {
            "index": store["index"],
            "articles": store["articles"],
            "chunks": store["chunks"],
            "waiting_for_vectors": store.get("waiting_for_vectors", 0),
            "embed_model": self._identity["embed_model"],
            "dimension": self.store.manifest["dimension"],
            "vector_search": store["vector_search"],
            "llm": self.settings.llm,
            "chunking": self.store.manifest["chunking"],
            "bytes_on_disk": store["bytes_on_disk"],
        }
        return {**shown, **{key: value for key, value in store.items() if key not in shown}}  # segments, replicas

    # -- questions ---------------------------------------------------------------------------

    def ask(self, question: str, **filters) -> Answer:
        """Answer one question from the articles, with citations, or refuse.

        Args:
            question: what to ask (« Où Milley a-t-il rencontré Zaluzhny ? »).
            **filters: since, until (publication dates, `datetime.date` or "YYYY-MM-DD"),
                sources (outlet names), as_of (the date « hier » counts from; today by default).
        """
        return answering.last(self.stream(question, **filters))

    def chat(self, message: str, history: History = None, **filters) -> Answer:
        """Answer a message of a conversation. A follow-up that points back (« Et quand ? »)
        is first rewritten into a standalone question from the history of (role, text) turns;
        a message that names what it asks about is answered as it stands. Filters as `ask`."""
        return answering.last(self.stream(message, history, **filters))

    def stream(self, message: str, history: History = None, **filters) -> Iterator[Reading | str | Answer]:
        """Yield `Reading` (the passages the model is given) when it is asked, the answer's text
        as the model writes it, then the final, checked `Answer` (with its `trace`).

        The streamed text is the model's draft; the final Answer may differ (unsupported
        sentences dropped, citations fixed, or a refusal). A question refused before generation
        yields its Answer alone. Filters as `ask`."""
        yield from self.pipeline.stream(self._query(message, history, **filters))

    def check(self, message: str, history: History = None, **filters) -> None:
        """Raise `InputError` for what `stream` would refuse before reading anything (an empty or
        too long message, a date that is not one), without asking: a server answers 400 at once
        instead of after its turn in the queue. Filters as `ask`."""
        self._query(message, history, **filters)

    def search(self, question: str, k: int = 10) -> list[Passage]:
        """The k passages that best match `question`, best first, as retrieval ranks them
        (no model, no refusal): a search of the articles."""
        query = self._query(question, None)
        query.question = query.message
        self.pipeline.stage("retrieve").run(query)
        return query.candidates[:k]

    def read(self, question: str) -> Answer:
        """What the model would be given for `question`, without asking it and without refusing:
        the Answer's trace holds every stage up to the sentence gate (retrieval, the gates' figures,
        the excerpts), its passages those the model would read. For the evaluation."""
        return answering.last(self.pipeline.stream(self._query(question, None), until="sentence_gate", enforce=False))

    def inspect(self, question: str) -> tuple[Answer, Query]:
        """Every stage run and none refusing: the Answer's trace says what each check found and
        would have decided, its text is what the model wrote and the checks kept (or nothing);
        the Query holds the values the stages filled (what `confidence.signals` reads). For
        calibration and for finding out why a question is refused."""
        query = self._query(question, None)
        return answering.last(self.pipeline.stream(query, enforce=False)), query

    @property
    def generator(self) -> Generator:
        """The local LLM, loaded on first use (assembling the model file the first time)."""
        if self._generator is not None:
            return self._generator
        with self._loading:
            if self._generator is not None:  # loaded while this call waited
                return self._generator
            path = model_path(self.settings.llm, self.settings.cache_dir)
            generator = load_generator(path, self.settings.context_window, self.settings.threads)
            # The fixed instructions and examples open every answer prompt: their state is read
            # once per machine and then loaded from the cache, so no question pays for them.
            generator.prime(prompts.answer_messages("[1] …", "…", languages.name("fr")), self.settings.cache_dir / "prompt-states")
            self._generator = generator
            return generator

    @property
    def model_loaded(self) -> bool:
        """Whether the LLM is in memory (`assistant chat` and `serve` load it in the background
        as they open: `warm_up`; otherwise the first question loads it)."""
        return self._generator is not None

    def warm_up(self, background: bool = False) -> threading.Thread | None:
        """Load the embedding model, the LLM and the fixed part of the answer prompt now, so that
        the first question a user asks does not wait for them.

        Args:
            background: load in a thread and return it at once, so that a page or an API can
                open meanwhile (a question asked before the end waits for the model; a model
                that cannot load fails that question with the error, as without warming up).
        """
        if not background:
            self._embed.get_query_embedding("")  # loads the model (e5-onnx: converted once)
            self.generator  # noqa: B018 (loading is the point)
            return None

        def load() -> None:
            try:
                self.warm_up()
            except Exception:  # noqa: BLE001 (the first question raises it again, where a user sees it)
                pass

        thread = threading.Thread(target=load, name="assistant-warm-up", daemon=True)
        thread.start()
        return thread

    def _query(self, message: str, history: History, since=None, until=None, sources=(), as_of=None) -> Query:
        message = (message or "").strip()
        if not message:
            raise InputError("the question is empty: ask something about the articles")
        if len(message) > self.settings.max_question_chars:
            raise InputError(f"the question is {len(message)} characters long; keep it under {self.settings.max_question_chars}")
        chosen = scope.filters(since, until, sources, as_of or self.settings.as_of)
        return Query(message, [Turn(*turn) for turn in history or []], chosen)
