"""Metadata accuracy on the 24 real news pages of ../shared/news (publication dates checked by
hand in pages.tsv). Prints the per-field accuracy: `pytest tests/test_news_pages.py -s`."""

from __future__ import annotations

import csv
import re

import pytest

from assistant.ingest import load_file
from assistant.languages import fold
from tests.conftest import shared_dir

NEWS = shared_dir("news")
pytestmark = pytest.mark.skipif(not (NEWS / "pages.tsv").exists(), reason=f"the real news pages are not here ({NEWS}): nothing to measure")

# What a reader would call each page's outlet (labelled by hand; pages.tsv gives only domains).
# Several spellings are right where the page itself uses several.
OUTLETS = {
    "trafilatura__aoc.media.archaisme": {"AOC", "AOC media"},
    "trafilatura__gala.fr.surnom": {"Gala"},
    "htmldate__1556056486": {"Vosges Matin"},
    "htmldate__1560424903": {"actu.fr", "Actu.fr"},
    "htmldate__1691900941": {"Radio-Canada", "ICI Radio-Canada"},
    "htmldate__1806102460": {"Sudinfo", "SudInfo"},
    "htmldate__1808011241": {"L'Express"},
    "htmldate__1551001635": {"République Togolaise", "Republic of Togo"},
    "htmldate__1759902081": {"Guinéenews"},
    "htmldate__mediapart.fr.violences": {"Mediapart", "Club de Mediapart", "Le Club de Mediapart"},
    "readability__lemonde-1": {"Le Monde"},
    "readability__liberation-1": {"Libération"},
    "readability__videos-2": {"Libération"},
    "parser__www.lemonde.fr": {"Le Monde"},
    "parser__ici.radio-canada.ca": {"Radio-Canada", "ICI Radio-Canada"},
    "goose3__test_lefigaro": {"Le Figaro"},
    "readability__folha": {"Folha de S.Paulo"},
    "readability__heise": {"heise online", "Mac & i"},
    "readability__la-nacion": {"La Nación"},
    "readability__aktualne": {"Aktuálně", "Aktuálně.cz"},
    "newspaper4k__spanish_article": {"Ultima Hora", "Última Hora", "Ultima Hora Mallorca"},
    "newspaper4k__arabic_article": {"CNN Arabic", "CNNArabic", "CNN"},
    "newspaper4k__chinese_article_001": {"China Daily", "中国日报网", "中国日报"},
    "htmldate__lemonde.fr-Striking": {"Le Monde"},
}


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", fold(text, same_length=True)))


def title_is_right(ours: str, gold: str) -> bool:
    """The headline's words, neither missing (90 %) nor padded (75 %). pages.tsv keeps each
    page's <title>, often with the site's name or section: the headline is its longest segment."""
    headline = max(re.split(r"\s+[|–—-]\s+", gold), key=len)
    expected, got = _words(headline), _words(ours)
    shared = len(expected & got)
    return shared >= 0.9 * len(expected) and shared >= 0.75 * len(got)


@pytest.fixture(scope="module")
def pages():
    rows = list(csv.DictReader((NEWS / "pages.tsv").open(encoding="utf-8"), delimiter="\t"))
    return [(row, load_file(NEWS / f"{row['stem']}.html")) for row in rows]


def test_the_title_check_can_fail():
    gold = "Pour le néolibéralisme, la retraite est un archaïsme | AOC media - Analyse Opinion Critique"
    assert title_is_right("Pour le néolibéralisme, la retraite est un archaïsme", gold)
    assert not title_is_right("Pour le néolibéralisme, la retraite est un archaïsme - AOC media - Analyse Opinion Critique", gold)
    assert not title_is_right("Pour le néolibéralisme", gold)


def test_every_page_is_one_article_with_its_metadata(pages):
    assert len(pages) == 24
    counts = {"title": 0, "date": 0, "dated": 0, "outlet": 0, "language": 0}
    wrong = []
    for row, loaded in pages:
        assert loaded.rejected == [] and len(loaded.articles) == 1, row["stem"]
        [article] = loaded.articles
        checks = {
            "title": title_is_right(article.title, row["title"]),
            "outlet": article.source in OUTLETS[row["stem"]],
            "language": article.language == row["lang"],
        }
        if row["date"]:
            counts["dated"] += 1
            checks["date"] = article.date == row["date"]
        for field, right in checks.items():
            counts[field] += right
            if not right:
                wrong.append(f"{row['stem']}: {field} {getattr(article, 'source' if field == 'outlet' else field)!r}")
    n = len(pages)
    print(
        f"\ntitle {counts['title']}/{n}, date {counts['date']}/{counts['dated']} (of the pages with a checked date), "
        f"outlet {counts['outlet']}/{n}, language {counts['language']}/{n}" + "".join(f"\n  wrong: {w}" for w in wrong)
    )
    assert counts["title"] >= 0.95 * n
    assert counts["date"] >= 0.95 * counts["dated"]
    assert counts["outlet"] >= 0.95 * n
    assert counts["language"] >= 0.95 * n


def test_dates_are_iso_and_urls_absolute(pages):
    for row, loaded in pages:
        [article] = loaded.articles
        assert article.date is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", article.date), row["stem"]
        assert article.url is None or article.url.startswith("http"), row["stem"]


def test_outlet_times_and_editions_are_honoured(pages):
    """The two pages whose machine-readable date is not the one their outlet shows."""
    by_stem = {row["stem"]: loaded.articles[0] for row, loaded in pages}
    assert by_stem["htmldate__1691900941"].date == "2020-08-24"  # 00:23 UTC is 20:23 the day before in Ottawa
    assert by_stem["trafilatura__aoc.media.archaisme"].date == "2019-12-10"  # the next day's edition
    assert by_stem["newspaper4k__arabic_article"].date is None  # « © 2013 » is not the 1st of January


def test_the_words_around_empty_inline_elements_are_kept(pages):
    """The Gala page leaves empty `<strong></strong>` and `<em></em>` between runs of its text,
    which trafilatura dropped with the text after them (`loaders._without_empty_inline`)."""
    [article] = next(loaded.articles for row, loaded in pages if row["stem"] == "trafilatura__gala.fr.surnom")
    assert "par un dirigeant de LREM dans un portrait du" in article.text
    assert "un chiraquien s'est souvenu du surnom peu flatteur que donnait Jacques Chirac àJean-Paul Delevoye." in article.text
