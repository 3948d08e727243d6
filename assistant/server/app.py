"""`assistant serve`: the page, the REST API and the OpenAI-compatible API in one process.

One FastAPI application: the API's routes first, the Gradio page mounted at `/` behind them, all
over one `AnswerQueue` (one assistant, one answer at a time). `create_server` builds it without
serving (tests drive it in memory); `serve` runs it with uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import AssistantError, IndexStoreError, InputError
from . import openai_api, rest
from .access import ApiKeys
from .limits import BodyLimit, Limits
from .metrics import Metrics
from .queue import AnswerQueue

if TYPE_CHECKING:
    from ..api import Assistant

DESCRIPTION = """Questions about news articles, answered with their sources.

- `/v1/chat/completions`, `/v1/models`: OpenAI-compatible (point any OpenAI client or Open WebUI at `/v1`).
- `/api/…`: the same answers as `assistant ask --json`, and the index's articles.
- `/`: the chat page.

With keys configured, send `Authorization: Bearer KEY` (the **Authorize** button here)."""
# The docs' Authorize button; a missing header is ours to refuse (401), not FastAPI's (403).
BEARER = HTTPBearer(auto_error=False, description="an API key of the server (--api-key-file or $ASSISTANT_API_KEYS)")


def create_server(
    assistant: Assistant | AnswerQueue,
    keys: ApiKeys | None = None,
    limits: Limits | None = None,
    page: bool = True,
    auth: str | tuple[str, str] | None = None,
    lang: str | None = None,
    log_questions: bool = False,
) -> FastAPI:
    """The application over `assistant`, not served.

    Args:
        assistant: the `Assistant` to serve (or one already wrapped in an `AnswerQueue`).
        keys: the API keys a request must present (none: the API is open).
        limits: the largest request body and upload.
        page: mount the chat page at `/` (the API alone without it).
        auth: 'user:password' the page asks for, as `assistant chat --auth`.
        lang: the page's language when it opens ("fr" or "en").
        log_questions: put each question's text in its log line (`metrics`; not by default).
    """
    queue = assistant if isinstance(assistant, AnswerQueue) else AnswerQueue(assistant, Metrics(log_questions))
    keys = keys or ApiKeys()
    limits = limits or Limits()
    server = FastAPI(title="assistant", description=DESCRIPTION, version="0.1.0")
    guarded = [Depends(key_check(keys))]
    server.include_router(openai_api.router(queue), dependencies=guarded)
    server.include_router(rest.router(queue), dependencies=guarded)
    server.include_router(rest.metrics_router(queue), dependencies=guarded)
    server.include_router(rest.health_router(queue))
    add_error_handlers(server)
    server.add_middleware(BodyLimit, limits=limits)
    if page:
        mount_page(server, queue, limits, auth, lang)
    return server


def key_check(keys: ApiKeys):
    """A dependency: 401 unless the request carries one of the keys (when some are set)."""

    async def check(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> None:
        if not keys.allows(f"Bearer {credentials.credentials}" if credentials else None):
            raise HTTPException(401, "a valid API key is required: Authorization: Bearer KEY", headers={"WWW-Authenticate": "Bearer"})

    return check


def add_error_handlers(server: FastAPI) -> None:
    """Errors in OpenAI's shape ({"error": {message, type, code}}), which OpenAI clients read
    and any other client can: a bad question is a 400 with the CLI's message, never a traceback."""

    @server.exception_handler(AssistantError)
    async def assistant_error(request: Request, error: AssistantError) -> JSONResponse:
        # An empty index is the caller's to fix, like a bad question; a model that fails to load
        # is the server's, and retrying will not help (x-should-retry: the openai package's hint).
        status = 400 if isinstance(error, InputError | IndexStoreError) else 500
        return error_response(status, str(error), headers={"x-should-retry": "false"})

    @server.exception_handler(StarletteHTTPException)  # FastAPI's and Starlette's own (404, 405, 413)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail), headers=error.headers)

    @server.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in error.errors())
        return error_response(400, f"invalid request: {where}")


def error_response(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    kinds = {401: ("authentication_error", "invalid_api_key"), 404: ("not_found_error", None), 413: ("invalid_request_error", "request_too_large")}
    kind, code = kinds.get(status, ("invalid_request_error" if status < 500 else "server_error", None))
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": code}}, status_code=status, headers=headers)


def mount_page(server: FastAPI, queue: AnswerQueue, limits: Limits, auth, lang: str | None) -> None:
    """The chat page of `assistant chat`, at `/`, over the same queue."""
    import gradio as gr

    from ..app.page import CSS, create_app, parse_auth
    from ..app.texts import DEFAULT

    blocks = create_app(queue, lang or DEFAULT)
    gr.mount_gradio_app(server, blocks, path="/", auth=parse_auth(auth), css=CSS, footer_links=["api"], show_error=False, max_file_size=limits.upload_bytes)


def serve(server: FastAPI, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.run(server, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
