"""How fast news comes in from the web (docs/sources.md): the pages of a folder listed by one RSS
feed served on a loopback port, fetched and read (trafilatura, metadata), then ingested with the
default embedder, then ingested again (nothing new).

    python -m assistant.lab.bench_sources ../shared/news"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def feed_server(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    """A loopback server of `folder`'s files, with /feed.xml listing its .html pages."""
    pages = sorted(folder.glob("*.html"))
    items = "".join(f"<item><title>{p.stem}</title><link>/{p.name}</link></item>" for p in pages)
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>{items}</channel></rss>'.encode()

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if self.path != "/feed.xml":
                return super().do_GET()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(feed)))
            self.end_headers()
            self.wfile.write(feed)

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/feed.xml"


def main(argv: list[str] | None = None) -> int:
    from ..api import Assistant
    from ..ingest.sources import Fetcher, collect

    parser = argparse.ArgumentParser(prog="python -m assistant.lab.bench_sources", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="HTML pages to serve (../shared/news)")
    args = parser.parse_args(argv)
    server, feed = feed_server(args.folder)
    try:
        started = time.perf_counter()
        harvest = collect({}, feeds=[feed], fetcher=Fetcher(delay=0))
        seconds = time.perf_counter() - started
        pages = len(harvest.articles)
        print(f"fetched and read: {pages} pages ({len(harvest.rejected)} rejected) in {seconds:.2f} s, {pages / seconds:.1f} pages/s")
        with tempfile.TemporaryDirectory() as folder:
            assistant = Assistant.open(folder)
            for label in ("ingested", "again"):
                started = time.perf_counter()
                report = assistant.ingest_sources(feeds=[feed], fetcher=Fetcher(delay=0))
                seconds = time.perf_counter() - started
                print(f"{label}: {report.summary()} in {seconds:.2f} s, {pages / seconds:.1f} pages/s")
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
