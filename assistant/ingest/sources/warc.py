"""Web archives (WARC, and the older ARC, gzipped or not) -> articles: every HTML page an archive
holds is one, with the record's address and capture date as the fallback url and date."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from ...errors import InputError
from .harvest import Harvest
from .pages import Fallback, is_html, iso_date, page_article

ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
PAGE_RECORDS = ("response", "resource")  # a crawled page, or one stored without its HTTP exchange


def is_archive(path: str | Path) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def read_archive(path: str | Path, progress: bool = False) -> Harvest:
    """The articles of a web archive. Records that are not pages (requests, metadata,
    revisits, images, redirects) are skipped and counted; a page without article text is
    rejected with its address. A damaged archive gives what it holds up to the damage, and a
    rejection that says at which byte reading stopped.

    Raises:
        InputError: the file cannot be opened.
    """
    from tqdm import tqdm
    from warcio.archiveiterator import ArchiveIterator

    path = Path(path).expanduser()
    harvest = Harvest()
    try:
        stream = path.open("rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read it ({error.strerror or error})") from None
    # warcio writes its warnings about damaged records to stderr: caught, and reported as ours.
    warnings = io.StringIO()
    with stream, tqdm(total=path.stat().st_size, desc=f"Reading {path.name}", unit="B", unit_scale=True, disable=not progress) as bar:
        records = ArchiveIterator(stream, arc2warc=True)
        offset = None
        try:
            with contextlib.redirect_stderr(warnings):
                for record in records:
                    page = _page(record, harvest)
                    cut_short = _cut_short(record)
                    offset = records.get_record_offset()  # after reading: it reads to the record's end
                    if cut_short:  # the archive ends inside it: its page is incomplete
                        raise _Stopped(f"truncated: the archive ends inside the record at byte {offset}")
                    if page:
                        _add_page(*page, f"{path}@{offset}", harvest)
                    bar.update(max(0, stream.tell() - bar.n))
        except _Stopped as stop:
            harvest.rejected.append((str(path), f"{stop}; read the {len(harvest.articles)} pages before it"))
        except Exception as error:  # warcio raises its own and zlib's: all mean « unreadable from here »
            at = f"after the record at byte {offset}" if offset is not None else "from its start"
            fix = "; if it is one gzip of the whole file, `warcio recompress` it first" if "recompress" in str(error) else ""
            harvest.rejected.append((str(path), f"unreadable {at} ({_first_line(error)}); read the {len(harvest.articles)} pages before it{fix}"))
    for damaged in re.findall(r"Offset: (\d+)", warnings.getvalue()):
        harvest.rejected.append((f"{path}@{damaged}", "damaged or truncated here: a record's declared length does not match what follows it"))
    return harvest


class _Stopped(Exception):
    pass


def _page(record, harvest: Harvest) -> tuple[bytes, Fallback] | None:
    """An HTML page's body and what its record says of it; None (counted) for anything else."""
    kind = record.rec_type
    if kind not in PAGE_RECORDS:
        harvest.skipped[f"{kind} records"] += 1
        return None
    status = record.http_headers.get_statuscode() if record.http_headers else None
    if status and not status.startswith("2"):
        harvest.skipped["redirect and error responses"] += 1
        return None
    headers = record.http_headers or record.rec_headers
    content_type = headers.get_header("Content-Type")
    if not content_type or not is_html(content_type):  # an archive says what each record is
        harvest.skipped["non-HTML records"] += 1
        return None
    address = record.rec_headers.get_header("WARC-Target-URI")
    return record.content_stream().read(), Fallback(url=address, date=iso_date(record.rec_headers.get_header("WARC-Date")))


def _add_page(body: bytes, fallback: Fallback, where: str, harvest: Harvest) -> None:
    if not fallback.url:
        fallback = Fallback(url=where, date=fallback.date)
    try:
        harvest.add(page_article(body, fallback))
    except InputError as error:
        harvest.rejected.append((f"{where} {fallback.url}", str(error)))


def _cut_short(record) -> bool:
    """Whether the archive ended before the record's declared length (its page is incomplete)."""
    record.raw_stream.read()  # what the content stream left, so the count below is final
    return getattr(record.raw_stream, "limit", 0) > 0


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)
    return re.sub(r"^(ERROR|WARNING):\s*", "", first)  # warcio's shouting, in a message of ours
