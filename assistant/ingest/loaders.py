"""Files and folders -> Articles: plain text, Markdown, HTML news pages and JSON(L) records."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..types import Article
from .fields import article_fields
from .metadata import detect_language, page_metadata
from .plaintext import derived_title, headline, split_front_matter

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
RECORD_SUFFIXES = {".jsonl", ".json"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES
# One article, not a collection: past this it is almost surely not a news article.
MAX_ARTICLE_BYTES = 5_000_000


@dataclass
class Loaded:
    """Articles read from some files, and what was rejected with the reason."""

    articles: list[Article] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file or file:line, why)


def find_files(paths: list[str | Path]) -> list[Path]:
    """Expand folders recursively into supported files; a missing path is an error."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED and not _hidden(p, path)))
        else:
            files.append(path)
    return files


def load_file(path: Path, display_name: str | None = None) -> Loaded:
    """Read one file. Whole-file problems come back as a rejection, never as an exception."""
    name = display_name or str(path)
    loaded = Loaded()
    suffix = path.suffix.lower()
    try:
        if suffix not in SUPPORTED:
            raise InputError(f"unsupported file type {suffix or '(none)'}: use one of {', '.join(sorted(SUPPORTED))}")
        if suffix in RECORD_SUFFIXES:
            for where, record in _records(path, name, suffix, loaded):
                try:
                    loaded.articles.append(_record_article(record, where))
                except InputError as error:
                    loaded.rejected.append((where, str(error)))
        else:
            loaded.articles.append(_file_article(path, suffix, display_name))
    except InputError as error:
        loaded.rejected.append((name, str(error)))
    except OSError as error:
        loaded.rejected.append((name, f"cannot read: {error.strerror or error}"))
    return loaded


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _file_article(path: Path, suffix: str, display_name: str | None) -> Article:
    """One article per file. An upload's display name stands for its temporary path, so that
    uploading an edited file again replaces the article instead of adding a copy."""
    size = path.stat().st_size
    if size > MAX_ARTICLE_BYTES:
        raise InputError(
            f"{size / 1e6:.1f} MB is too large for one article (limit {MAX_ARTICLE_BYTES / 1e6:.0f} MB): "
            "split it into articles, or give a .jsonl file with one article per line"
        )
    raw = path.read_bytes()
    source = display_name or str(path.resolve())
    if suffix in HTML_SUFFIXES:
        return html_article(decode(raw), source)
    return _text_article(decode(raw), source, markdown=suffix != ".txt")


def _text_article(content: str, source: str, markdown: bool) -> Article:
    """A .txt or .md article: its front matter's fields when it has one, else a headline on its
    first line, else a title derived from its first sentence (never the file's name if there
    is text to read)."""
    fields, text = split_front_matter(content.strip())
    meta = article_fields(fields)
    text = text.strip()
    _require_text(text)
    title = meta["title"] or (_markdown_title(text) if markdown else None) or headline(text)
    return Article(
        id=source,
        title=title or derived_title(text) or _title_from_name(Path(source)),
        title_from_text=not title,
        text=text,
        source=meta["source"] or source,
        date=meta["date"],
        url=meta["url"],
        author=meta["author"],
        language=meta["language"] or detect_language(text),
    )


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first, then the most likely legacy encoding; binary is refused."""
    if b"\x00" in raw[:8192]:
        raise InputError("looks like a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise InputError("cannot decode the text: save it as UTF-8")
    return str(best)


def _require_text(text: str) -> None:
    if not text.strip():
        raise InputError("no text in it")


def html_article(html: str, source: str) -> Article:
    """An HTML news page's article: its text and what the page says about itself. `source`
    (a path, or the address it was fetched from) stands in for the id and outlet the page does
    not give. Files, fetched pages and archived ones all come through here, so one page gives
    one article whichever way it arrives."""
    import trafilatura

    tree = _without_empty_inline(html)
    doc = trafilatura.bare_extraction(tree if tree is not None else html, with_metadata=True, include_comments=False, favor_precision=True)
    text = (getattr(doc, "text", None) or "").strip() if doc else ""
    if len(text.split()) < 5:  # a menu or a cookie banner, not an article
        raise InputError("no article text found in this HTML page")
    meta = page_metadata(html, doc, text)
    return Article(
        id=meta.url or source,
        title=meta.title or headline(text) or derived_title(text) or Path(source).stem,
        title_from_text=not (meta.title or headline(text)),
        text=text,
        source=meta.outlet or source,
        date=meta.date,
        url=meta.url,
        author=meta.author,
        language=meta.language,
    )


# Inline elements a page may leave empty (`<em></em>`, `<strong></strong>`) between two runs of text
_INLINE = ("a", "b", "em", "font", "i", "mark", "small", "span", "strong", "sub", "sup", "u")


def _without_empty_inline(html: str):
    """The page as trafilatura would parse it, its empty inline elements unwrapped: trafilatura
    drops an empty element together with the text after it (its tail), and with it words of the
    article: « … que donnait Jacques Chirac à<em></em>Jean-Paul Delevoye. » lost « Jean-Paul
    Delevoye. », and a `<strong></strong>` on the same Gala page took « par un dirigeant de LREM
    dans un portrait du » with it. None when the page does not parse (trafilatura then says why)."""
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return None
    for element in list(tree.iter(*_INLINE)):
        if len(element) == 0 and not (element.text or "").strip():
            element.drop_tag()  # lxml.html: the tag goes, its text and the text after it stay
    return tree


def _records(path: Path, name: str, suffix: str, loaded: Loaded) -> Iterator[tuple[str, dict]]:
    if suffix == ".json":
        try:
            data = json.loads(decode(path.read_bytes()))
        except json.JSONDecodeError as error:
            raise InputError(f"invalid JSON at line {error.lineno}: {error.msg}") from None
        records = data if isinstance(data, list) else [data]
        for i, record in enumerate(records, 1):
            yield f"{name}[{i}]", record
        return
    with path.open("rb") as lines:  # streamed: a JSONL collection may be large
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{name}:{lineno}"
            try:
                yield where, json.loads(decode(line))
            except (json.JSONDecodeError, InputError) as error:
                loaded.rejected.append((where, f"not a JSON record ({getattr(error, 'msg', error)})"))


def _record_article(record: object, where: str) -> Article:
    if not isinstance(record, dict):
        raise InputError("a record must be a JSON object with at least 'text'")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError("the record has no 'text'")
    text = text.strip()
    meta = article_fields(record)
    ident = record.get("id") or meta["url"] or where
    return Article(
        id=str(ident),
        title=meta["title"] or headline(text) or derived_title(text) or "(untitled)",
        title_from_text=not (meta["title"] or headline(text)),
        text=text,
        source=meta["source"],
        date=meta["date"],
        url=meta["url"],
        author=meta["author"],
        language=meta["language"] or detect_language(text),
    )


def _markdown_title(text: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _title_from_name(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or path.name
