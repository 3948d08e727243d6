"""What a plain-text or Markdown article says about itself: a YAML front matter, a headline on
its first line, a dateline opening its first paragraph (« SUD-EST DE LA POLOGNE – Le général… »),
and, where it has no headline, a title derived from its first sentence."""

from __future__ import annotations

import re

from ..errors import InputError
from ..text import split_sentences

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:(.*?)\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_KEY_LINE = re.compile(r"^[A-Za-z_][\w -]*:(?:\s|$)", re.MULTILINE)
# A dateline: a place in capitals (with perhaps a region after a comma and an agency in
# brackets), then a dash: « PARIS – », « KYIV, Ukraine — », « WASHINGTON (Reuters) - ».
_DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’ .-]*[A-ZÀ-ÖØ-Þ](?:,\s*[\w' .-]{2,30})?)"
    r"(?:\s*\((?P<agency>[^)]{1,30})\))?\s*[–—-]{1,2}\s+(?=\S)"
)
TITLE_CHARS = 120  # past this a first line is a lede, not a headline; derived titles are cut here


def split_front_matter(text: str) -> tuple[dict, str]:
    """The YAML front matter (`---` ... `---` at the very top) as a dict, and the text after it.
    Text without one comes back whole with an empty dict; so does text whose opening `---`
    block is not `key: value` lines (a rule drawn above a first paragraph, not metadata)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    block = match.group(1) or ""
    try:
        fields = yaml.safe_load(block)
    except yaml.YAMLError as error:
        if not _KEY_LINE.search(block):
            return {}, text
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 2}" if where is not None else ""
        raise InputError(f"the front matter (between the --- lines) is not valid YAML{line}: fix it or remove it") from None
    if not isinstance(fields, dict):
        return ({}, text[match.end() :].lstrip("\n")) if fields is None else ({}, text)
    return fields, text[match.end() :].lstrip("\n")


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """The place of a dateline opening the paragraph (« SUD-EST DE LA POLOGNE »), and the
    paragraph after it; (None, paragraph) when it opens with no dateline."""
    match = _DATELINE.match(paragraph)
    if not match or not any(c.isalpha() for c in match.group("place")) or len(match.group("place")) > 60:
        return None, paragraph
    return match.group("place").strip(), paragraph[match.end() :]


def headline(text: str) -> str | None:
    """The first line when it reads as a headline: short, alone in its paragraph, not opening
    with a dateline, not ending like a sentence (a period) or a list."""
    lines = text.lstrip().split("\n", 1)
    first = lines[0].strip().lstrip("#").strip()
    if len(lines) < 2 or not lines[1].strip() or not first or len(first) > TITLE_CHARS:
        return None
    if split_dateline(first)[0] is not None or first.endswith((".", ":", ",", ";")) and not first.endswith("..."):
        return None
    return first


def derived_title(text: str) -> str | None:
    """A title for an article without a headline: its first sentence (after any dateline), cut
    at a clause or word boundary with an ellipsis when it is long. Marked by the ellipsis as
    what it is, a beginning, not the outlet's headline."""
    paragraph = text.strip().split("\n", 1)[0]
    _, paragraph = split_dateline(paragraph)
    spans = split_sentences(paragraph)
    if not spans:
        return None
    sentence = paragraph[spans[0][0] : spans[0][1]].strip()
    if len(sentence) <= TITLE_CHARS:
        return sentence.rstrip(".")
    head = sentence[: TITLE_CHARS + 1]
    clause = max(head.rfind(", "), head.rfind(" ; "), head.rfind(" : "))
    cut = clause if clause >= TITLE_CHARS // 2 else head.rfind(" ")
    return sentence[: cut if cut > 0 else TITLE_CHARS].rstrip(" ,;:") + "…"
