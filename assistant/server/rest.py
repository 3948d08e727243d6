"""The REST API over the Python API: ask (the JSON of `assistant ask --json`), the articles
(list, one, add by upload, remove), info and health."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..app.handlers import turns
from ..errors import AssistantError
from ..store.contract import damage_message
from ..types import IngestReport
from .metrics import CONTENT_TYPE
from .queue import AnswerQueue

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(description="what to ask (« Où Milley a-t-il rencontré Zaluzhny ? »)")
    history: list[dict] | None = Field(None, description="the conversation before it: [{role: user|assistant, content}]")
    since: str | None = Field(None, description="only articles published on or after this date (YYYY-MM-DD)")
    until: str | None = Field(None, description="only articles published on or before this date (YYYY-MM-DD)")
    sources: list[str] = Field(default_factory=list, description="only articles of these outlets (any spelling)")
    as_of: str | None = Field(None, description="the date « hier » counts from (YYYY-MM-DD; default today)")


def router(queue: AnswerQueue) -> APIRouter:
    """The routes that need a key (when keys are set): everything but health."""
    routes = APIRouter(prefix="/api", tags=["REST"])

    @routes.post("/ask")
    def ask(body: AskRequest) -> dict:
        """Answer one question, with citations (number, title, outlet, date, url, passage, exact
        quote and offsets), or refuse and say why: `Answer.to_dict`."""
        history = turns(body.history)  # as the page's /ask reads them: content a string or a list of parts
        filters = {"since": body.since, "until": body.until, "sources": body.sources, "as_of": body.as_of}
        queue.check(body.question, history, **filters)  # 400 now, not after waiting for a turn
        return queue.chat(body.question, history, **filters).to_dict()

    @routes.get("/articles")
    def articles() -> list[dict]:
        """Every indexed article: id, title, source (outlet), date, url, language, chunks."""
        return queue.articles()

    @routes.get("/articles/{article_id:path}")
    def article(article_id: str) -> dict:
        """One article's record (the link an answer gives for an article without a URL)."""
        return find(queue, article_id)

    @routes.post("/articles")
    def add(files: Annotated[list[UploadFile], File(description=".txt .md .html .json .jsonl files")]) -> dict:
        """Add files to the index, each on its own: added, replaced (changed), unchanged or
        rejected (and why), per file."""
        return {"files": [ingest_upload(queue, upload) for upload in files]}

    @routes.delete("/articles/{article_id:path}")
    def remove(article_id: str) -> dict:
        """Delete an article and its passages from the index."""
        find(queue, article_id)
        queue.remove(article_id)
        return {"removed": article_id}

    @routes.get("/info")
    def info() -> dict:
        """What the index holds and which models serve it."""
        return queue.info()

    return routes


def health_router(queue: AnswerQueue) -> APIRouter:
    """Open to all, keys or not: a load balancer or a container's check reads it."""
    routes = APIRouter(prefix="/api", tags=["REST"])

    @routes.get("/health", response_model=None)
    def health() -> dict | JSONResponse:
        """Up, how many articles, whether the model is loaded, whether an answer is being
        written or waiting, and who holds the index's write lock (an ingest at work: its process
        id, else null); 503 when the index cannot be read (the reason given); "degraded" (200:
        questions are answered from the rest) when part of it cannot, with what and the repair."""
        busy = {"model_loaded": queue.model_loaded, "answering": queue.busy, "waiting": queue.waiting}
        try:
            busy["writer"] = queue.store.writer()
            articles = len(queue.articles())
            damaged = queue.store.damaged()
        except AssistantError as error:
            return JSONResponse({"status": "unavailable", "index": str(error), **busy}, status_code=503)
        if damaged:
            return {"status": "degraded", "index": damage_message(damaged), "articles": articles, **busy}
        return {"status": "ok", "articles": articles, **busy}

    return routes


def metrics_router(queue: AnswerQueue) -> APIRouter:
    """`GET /metrics`: the counters in Prometheus's text format (behind the keys, when set: a
    scraper sends its key as `Authorization: Bearer`)."""
    routes = APIRouter(tags=["REST"])

    @routes.get("/metrics", response_class=Response)
    def metrics() -> Response:
        """Answers by outcome, refusals by reason, answer, first-word and waiting times
        (histograms), errors, and articles ingested by result."""
        return Response(queue.metrics.text(), media_type=CONTENT_TYPE)

    return routes


def find(queue: AnswerQueue, article_id: str) -> dict:
    for record in queue.articles():
        if record["id"] == article_id:
            return record
    raise HTTPException(404, f"no article {article_id!r} in the index (GET /api/articles lists them)")


def ingest_upload(queue: AnswerQueue, upload: UploadFile) -> dict:
    """One uploaded file ingested under its own name; whatever goes wrong is its result."""
    name = Path(upload.filename or "").name or "upload.txt"  # a client's path never reaches the disk
    with tempfile.TemporaryDirectory(prefix="assistant-upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            while block := upload.file.read(1 << 20):
                out.write(block)
        try:
            report = queue.ingest([path], names={str(path): name})
        except AssistantError as error:
            report = IngestReport(rejected=[(name, str(error))])
        except Exception as error:  # a bad file must not take the server down
            log.exception("ingesting %s failed", name)
            report = IngestReport(rejected=[(name, f"unexpected error ({type(error).__name__}); see the server log")])
    return {
        "file": name,
        "added": report.added,
        "replaced": report.replaced,
        "unchanged": report.unchanged,
        "rejected": [{"where": where, "why": why} for where, why in report.rejected],
        "chunks_added": report.chunks_added,
    }
