"""Request bodies kept to a size: a clear 413 rather than a server reading without end.

An ASGI middleware, so that a body is counted as it arrives: a declared Content-Length over the
limit is refused before a byte is read, and a chunked body without one is cut off at the limit.
Only the API's paths are counted; the page's uploads have Gradio's own `max_file_size`."""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.exceptions import HTTPException

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """How large a request may be: a JSON body (a question with its conversation), an upload."""

    body_bytes: int = 1 * MB
    upload_bytes: int = 50 * MB
    upload_path: str = "/api/articles"  # where files arrive: the upload limit applies there


class TooLarge(HTTPException):
    """Raised while the body is read. An HTTPException, because FastAPI turns any other error
    met while parsing a body into a 400; this one reaches the error handlers as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the server's limit of {_size(limit)}")


class BodyLimit:
    """ASGI middleware: 413 for a body over its limit on the paths under `prefixes`."""

    def __init__(self, app, limits: Limits, prefixes: tuple[str, ...] = ("/v1/", "/api/")) -> None:
        self.app = app
        self.limits = limits
        self.prefixes = prefixes

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        limit = self.limits.upload_bytes if path.rstrip("/") == self.limits.upload_path else self.limits.body_bytes
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit)
            return message

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            if not started:
                await _refuse(send, limit)


def _size(limit: int) -> str:
    return f"{limit / MB:g} MB" if limit >= MB else f"{limit} bytes"


async def _refuse(send, limit: int) -> None:
    body = {"error": {"message": TooLarge(limit).detail, "type": "invalid_request_error", "code": "request_too_large"}}
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
