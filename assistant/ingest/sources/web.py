"""Fetching pages and feeds politely: a user agent that names the project, timeouts, robots.txt
obeyed, a delay between two requests to one host, a size limit, conditional requests."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from ...errors import InputError
from ..loaders import MAX_ARTICLE_BYTES

# The token robots.txt rules name us by, and the agent string that lets a site's owner find us.
ROBOTS_TOKEN = "assistant-news"
USER_AGENT = f"{ROBOTS_TOKEN}/0.1 (question answering over news articles; fetches pages a user asked for)"
TIMEOUT_S = 15.0
DELAY_S = 1.0  # between two requests to one host, unless its robots.txt asks for more
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Response:
    """A fetched resource: the address it ended at (after redirects), its body and headers."""

    url: str
    body: bytes
    content_type: str | None
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Validators:
    """What a server said of a resource last time, so that the next request can ask « changed
    since? » (a 304 answer costs the server nothing)."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        sent = {"If-None-Match": self.etag} if self.etag else {}
        return sent | ({"If-Modified-Since": self.last_modified} if self.last_modified else {})


@dataclass
class Fetcher:
    """Fetches over HTTP(S) for one ingest (or one `follow`), remembering each host's robots.txt
    and when it was last asked.

    Args:
        timeout: seconds to connect, and to wait for each read.
        delay: seconds between two requests to the same host (robots.txt's Crawl-delay if longer).
        max_bytes: larger bodies are refused (one article, not a dump).
    """

    timeout: float = TIMEOUT_S
    delay: float = DELAY_S
    max_bytes: int = MAX_ARTICLE_BYTES
    user_agent: str = USER_AGENT
    _robots: dict[str, RobotFileParser | None] = field(default_factory=dict, repr=False)
    _last: dict[str, float] = field(default_factory=dict, repr=False)  # host -> when last asked
    _delays: dict[str, float] = field(default_factory=dict, repr=False)  # host -> its Crawl-delay
    _client: object = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, url: str, validators: Validators | None = None) -> Response | None:
        """The resource at `url`, or None when `validators` show it has not changed (304).

        Raises:
            InputError: not an http(s) address, forbidden by robots.txt, unreachable, too slow,
                too large, or answered with an error status; the message says which.
        """
        import httpx

        try:
            for _ in range(MAX_REDIRECTS + 1):  # followed here, so that each hop's robots.txt is asked
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise InputError(f"not a web address: {url} (give one starting with http:// or https://)")
                if not self.allowed(url):
                    raise InputError("the site's robots.txt forbids fetching it")
                fetched = self._get(url, validators)
                if not isinstance(fetched, str):
                    return fetched
                url = fetched
            raise InputError(f"more than {MAX_REDIRECTS} redirects")
        except httpx.TimeoutException:
            raise InputError(f"no answer within {self.timeout:g} s: the site is slow or down; try again later") from None
        except httpx.HTTPError as error:
            raise InputError(f"cannot reach it ({type(error).__name__}: {error})") from None

    def allowed(self, url: str) -> bool:
        """Whether the host's robots.txt lets us fetch `url` (read once per host and fetcher)."""
        root = _root(url)
        if root not in self._robots:
            self._robots[root] = self._read_robots(root)
        rules = self._robots[root]
        return rules is None or rules.can_fetch(ROBOTS_TOKEN, url)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _get(self, url: str, validators: Validators | None) -> Response | str | None:
        """The response, None for a 304, or the address a redirect points at."""
        client = self._http()
        self._wait_turn(url)
        with client.stream("GET", url, headers=validators.headers() if validators else {}) as reply:
            if reply.has_redirect_location:
                return urljoin(url, reply.headers["location"])
            if reply.status_code == 304:
                return None
            if reply.status_code >= 400:
                raise InputError(f"the server answered HTTP {reply.status_code} {reply.reason_phrase}".rstrip())
            body = bytearray()
            for piece in reply.iter_bytes():
                body += piece
                if len(body) > self.max_bytes:
                    raise InputError(f"larger than {self.max_bytes / 1e6:.0f} MB: not one article")
            headers = reply.headers
            return Response(str(reply.url), bytes(body), headers.get("content-type"), headers.get("etag"), headers.get("last-modified"))

    def _read_robots(self, root: str) -> RobotFileParser | None:
        """The host's rules; None (anything goes) when it has none. As RFC 9309 says: a 4xx means
        no rules, a 5xx or no answer means the site cannot say, so nothing is fetched."""
        import httpx

        rules = RobotFileParser(root + "/robots.txt")
        try:
            self._wait_turn(root)
            reply = self._http().get(root + "/robots.txt", follow_redirects=True)
        except httpx.HTTPError:
            rules.disallow_all = True
            return rules
        if reply.status_code >= 500:
            rules.disallow_all = True
        elif reply.status_code >= 400:
            return None
        else:
            rules.parse(reply.text.splitlines())
            wanted = rules.crawl_delay(ROBOTS_TOKEN)
            if wanted:
                self._delays[root] = float(wanted)
        return rules

    def _wait_turn(self, url: str) -> None:
        """Sleep until this host may be asked again; threads asking one host take turns."""
        root = _root(url)
        delay = max(self.delay, self._delays.get(root, 0.0))
        with self._lock:
            wait = self._last.get(root, -1e9) + delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last[root] = time.monotonic()

    def _http(self):
        import httpx  # gradio's dependency, so always there

        if self._client is None:
            self._client = httpx.Client(
                headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,  # `get` follows them, asking each host's robots.txt
            )
        return self._client

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _root(url: str) -> str:
    """scheme://host[:port]: robots.txt and the delay are per host."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
