"""The OpenAI-compatible API: `GET /v1/models` and `POST /v1/chat/completions`.

The last message is the question, the earlier ones its conversation (a follow-up is rewritten
from them, as in the page). `since`, `until`, `sources` and `as_of` may ride in the body beside
the standard fields (the openai package's `extra_body`), as the CLI's options.

Streaming: the model's draft may not be the answer (the checks drop unsupported sentences, fix the
markers, quote the source instead or refuse), and a chat client cannot take back text it was sent.
So the draft streams as `reasoning_content` (what llama.cpp and vLLM servers use for thinking;
Open WebUI shows it live, folded) and the checked answer, the one text a client keeps, comes
once as `content`. The sources follow once, in the final chunk: `url_citation` annotations, and
the whole `Answer.to_dict` (citations with quotes and offsets, outcome, confidence, refusal
reason) in the extension field `answer`; Open WebUI's `source` and `status` events ride in
chunks of their own."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..errors import AssistantError
from ..types import Answer, Reading, Turn
from . import sources
from .queue import AnswerQueue

log = logging.getLogger(__name__)

MODEL_ID = "assistant"  # the one model listed: the assistant over its index, whatever LLM writes
END = object()


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat request; fields the assistant has no use for (temperature, max_tokens,
    tools, …) are accepted and ignored, so that any client's request goes through."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    since: str | None = Field(None, description="only articles published on or after this date (YYYY-MM-DD)")
    until: str | None = Field(None, description="only articles published on or before this date (YYYY-MM-DD)")
    sources: list[str] | str | None = Field(None, description="only articles of these outlets (any spelling)")
    as_of: str | None = Field(None, description="the date « hier » counts from (YYYY-MM-DD; default today)")


def router(queue: AnswerQueue) -> APIRouter:
    routes = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

    @routes.get("/models")
    def models() -> dict:
        """The one model: the assistant over its index."""
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "assistant"}]}

    @routes.post("/chat/completions", response_model=None)
    def chat_completions(body: ChatRequest, request: Request):
        """Answer the last message from the articles, with the earlier ones as its conversation."""
        question, history, filters = conversation(body)
        queue.check(question, history, **filters)  # 400 now, not after waiting for a turn
        reply = Reply(body.model, str(request.base_url))
        if body.stream:
            return StreamingResponse(reply.stream(queue.stream(question, history, **filters)), media_type="text/event-stream")
        return reply.completion(queue.chat(question, history, **filters))

    return routes


def conversation(body: ChatRequest) -> tuple[str, list[Turn], dict]:
    """(question, history, filters) from a chat request: the last message must be the user's;
    system and tool messages are not part of the conversation the assistant reads."""
    *earlier, last = body.messages
    if last.role != "user":
        raise HTTPException(400, f"the last message must be the user's question (it is the {last.role}'s)")
    history = [Turn("user" if m.role == "user" else "assistant", text(m.content)) for m in earlier if m.role in ("user", "assistant")]
    chosen = [body.sources] if isinstance(body.sources, str) else list(body.sources or ())
    return text(last.content), history, {"since": body.since, "until": body.until, "sources": chosen, "as_of": body.as_of}


def text(content: str | list[dict] | None) -> str:
    """A message's text: OpenAI's content is a string or a list of parts ({type: text, text})."""
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if part.get("type") == "text")
    return content or ""


class Reply:
    """One completion's envelope (id, time, model) and its two shapes, whole and streamed."""

    def __init__(self, model: str, base_url: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model or MODEL_ID
        self.base_url = base_url

    def completion(self, answer: Answer) -> dict:
        message = {"role": "assistant", "content": answer.text, "refusal": None, "annotations": sources.url_citations(answer, self.base_url)}
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        return {**self._envelope("chat.completion"), "choices": [choice], "answer": answer.to_dict()}

    async def stream(self, events) -> AsyncIterator[str]:
        """Server-sent events: the role, the draft as reasoning, the checked answer, its
        sources, `data: [DONE]`. The events are read in a worker thread (the pipeline blocks),
        and closed whatever happens, which gives the queue's turn back at once."""
        try:
            yield self._sse(self._chunk({"role": "assistant", "content": ""}))
            while (event := await run_in_threadpool(next, events, END)) is not END:
                if isinstance(event, Reading):
                    yield self._sse(self._event("status", {"description": f"reading {len(event.passages)} passages", "done": False}))
                elif isinstance(event, str):
                    yield self._sse(self._chunk({"reasoning_content": event}))
                elif isinstance(event, Answer):
                    for chunk in self._final(event):
                        yield self._sse(chunk)
        except AssistantError as error:
            yield self._sse({"error": {"message": str(error), "type": "invalid_request_error", "code": None}})
        except Exception as error:  # a stream already started cannot change its status: say it in the stream
            log.exception("streaming an answer failed")
            yield self._sse({"error": {"message": f"unexpected error ({type(error).__name__}); see the server log", "type": "server_error", "code": None}})
        finally:
            events.close()
        yield "data: [DONE]\n\n"

    def _final(self, answer: Answer) -> list[dict]:
        """The answer's text, its Open WebUI sources, and the closing chunk with the
        annotations and the whole answer."""
        chunks = [self._chunk({"content": answer.text})]
        chunks += [{**self._envelope("chat.completion.chunk"), "choices": [], "event": event} for event in sources.source_events(answer, self.base_url)]
        chunks.append(self._event("status", {"description": answer.outcome, "done": True, "hidden": True}))
        closing = self._chunk({"annotations": sources.url_citations(answer, self.base_url)}, finish="stop")
        chunks.append({**closing, "answer": answer.to_dict()})
        return chunks

    def _envelope(self, kind: str) -> dict:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    def _chunk(self, delta: dict, finish: str | None = None) -> dict:
        return {**self._envelope("chat.completion.chunk"), "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

    def _event(self, kind: str, data: dict) -> dict:
        """An Open WebUI event in a chunk of its own (no choices: other clients skip it)."""
        return {**self._envelope("chat.completion.chunk"), "choices": [], "event": {"type": kind, "data": data}}

    @staticmethod
    def _sse(data: dict) -> str:
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
