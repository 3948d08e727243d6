"""The near-duplicate index kept by the stores (`store.bands`): the candidates are those
datasketch's LSH of every stored article finds, so that grouping an article added to an existing
index, reading only its band's articles, gives what grouping everything from scratch gives."""

import dataclasses
import random

import psycopg2
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest import load_file
from assistant.ingest.duplicates import MIN_SIMILARITY, NUM_PERM, SCHEME, SEED, THRESHOLD, DuplicateIndex, minhash_signature
from assistant.ingest.indexing import Indexer
from assistant.lab.near_duplicates import copies
from assistant.store import bands, folder, open_location
from assistant.types import Article
from tests import pg
from tests.conftest import HashEmbedding
from tests.test_duplicates import NEWS, needs_pages
from tests.test_store import CHUNKING, IDENTITY

PAGES = [
    "readability__liberation-1", "htmldate__1808011241", "trafilatura__aoc.media.archaisme", "trafilatura__gala.fr.surnom",
    "readability__lemonde-1", "htmldate__1551001635", "htmldate__1556056486", "htmldate__1560424903",
]  # fmt: skip


@pytest.fixture(scope="module")
def news() -> list[Article]:
    """Real pages, each with the copies other sites and later ingests make of it, shuffled."""
    found = []
    for stem in PAGES:
        text = load_file(NEWS / f"{stem}.html").articles[0].text
        found.append(Article(id=stem, title=stem, text=text))
        found += [Article(id=f"{stem}/{n}", title=stem, text=copy) for n, copy in enumerate(copies(text).values())]
    random.Random(3).shuffle(found)
    return found


def test_the_bands_are_those_datasketch_cuts():
    lsh = MinHashLSH(threshold=min(THRESHOLD, MIN_SIMILARITY), num_perm=NUM_PERM)
    assert (lsh.b, lsh.r) == (bands.BANDS, bands.ROWS) and lsh.hashranges[-1] == ((bands.BANDS - 1) * bands.ROWS, bands.BANDS * bands.ROWS)
    assert bands.VALUES == NUM_PERM


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2), min_size=NUM_PERM, max_size=NUM_PERM), min_size=1, max_size=12), st.data())
def test_a_lookup_finds_what_datasketch_finds(stored, data):
    """Values drawn from three so that bands often agree: the candidates are datasketch's, exactly."""
    lsh = MinHashLSH(threshold=min(THRESHOLD, MIN_SIMILARITY), num_perm=NUM_PERM)
    for n, values in enumerate(stored):
        lsh.insert(n, MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashvalues=values))
    lookup = bands.table(stored)
    query = data.draw(st.lists(st.integers(0, 2), min_size=NUM_PERM, max_size=NUM_PERM))
    theirs = set(lsh.query(MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashvalues=query)))
    assert set(bands.sharing(lookup, bands.wanted([query])).tolist()) == theirs


def test_a_signature_without_words_or_of_another_kind_has_no_bands():
    found, positions = bands.keys([minhash_signature(""), [1, 2, 3], [], minhash_signature("un deux trois quatre cinq six")])
    assert found.shape == (1, bands.BANDS) and positions.tolist() == [3]


def from_scratch(steps) -> dict[str, str | None]:
    """The stories the ingest gave before the stores kept bands: one index of every article,
    in the order they came, with the removed forgotten."""
    index, stories = DuplicateIndex(), {}
    for step in steps:
        for article in step if isinstance(step, list) else ():
            group = index.assign(article.id, article.text).group
            stories[article.id] = group if group != article.id else None
        if isinstance(step, str):
            index.remove(step)
            del stories[step]
    return stories


@needs_pages
def test_grouping_an_article_added_to_an_index_is_grouping_from_scratch(where, news):
    indexer = Indexer(open_location(where, HashEmbedding(), IDENTITY, CHUNKING), HashEmbedding(), 700, 200)
    changed = dataclasses.replace(news[0], text=news[5].text + "\nUne phrase de plus, ajoutée à la mise à jour.")
    steps = [news[:6], *[[article] for article in news[6:20]], news[20:32], "readability__lemonde-1", [changed], *[[a] for a in news[32:]]]
    for step in steps:
        if isinstance(step, str):
            indexer.remove(step)
        else:
            indexer.ingest(step)
    stored = indexer.store.articles()
    expected = from_scratch(steps)
    assert {a: r["story"] for a, r in stored.items()} == expected
    assert sum(story is not None for story in expected.values()) >= 20, "the copies were grouped"
    assert all(r["minhash"] == minhash_signature(a.text) for a in news[1:] if (r := stored.get(a.id)))


@needs_pages
def test_an_index_written_before_the_bands_were_kept_finds_its_copies_and_gets_them_once(tmp_path, news):
    """The folder of the previous version: segments without a bands file."""
    index = tmp_path / "index"
    indexer = Indexer(open_location(str(index), HashEmbedding(), IDENTITY, CHUNKING), HashEmbedding(), 700, 200)
    for step in (news[:10], news[10:20]):
        indexer.ingest(step)
    for made in index.glob(f"seg-*/{folder.BANDS}"):
        made.unlink()
    reopened = Indexer(open_location(str(index), HashEmbedding(), IDENTITY, CHUNKING), HashEmbedding(), 700, 200)
    asked = [minhash_signature(a.text) for a in news[20:]]
    assert set(reopened.store.duplicate_candidates(asked)) == set(indexer.store.duplicate_candidates(asked)) != set()
    assert not list(index.glob(f"seg-*/{folder.BANDS}")), "a reader writes nothing"
    reopened.ingest(news[20:])
    assert {a: r["story"] for a, r in reopened.store.articles().items()} == from_scratch([news[:10], news[10:20], news[20:]])
    live = folder.Catalog.read(index, folder.live_catalog(index)).segments
    assert all((index / s["name"] / folder.BANDS).is_file() for s in live), "every live segment has its bands file"


@pytest.mark.slow
@needs_pages
def test_a_postgresql_table_written_before_the_bands_were_kept_gets_them_on_opening(server, news):
    url = pg.table_url(server.url())
    indexer = Indexer(open_location(url, HashEmbedding(), IDENTITY, CHUNKING), HashEmbedding(), 700, 200)
    indexer.ingest(news[:20])
    asked = [minhash_signature(a.text) for a in news[20:]]
    before = indexer.store.duplicate_candidates(asked)
    table = url.split("table=")[1]
    with psycopg2.connect(server.url()) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}_bands")
    reopened = open_location(url, HashEmbedding(), IDENTITY, CHUNKING)
    assert reopened.duplicate_candidates(asked) == before != {}
    Indexer(reopened, HashEmbedding(), 700, 200).ingest(news[20:])
    assert {a: r["story"] for a, r in reopened.articles().items()} == from_scratch([news[:20], news[20:]])
    reopened.close()
    indexer.store.close()


def test_a_bulk_ingest_is_grouped_as_before(tmp_path, news):
    """One ingest of everything (the in-batch comparisons) and the same again (all unchanged)."""
    if not (NEWS / "pages.tsv").exists():
        pytest.skip(f"the real news pages are not here ({NEWS})")
    indexer = Indexer(open_location(str(tmp_path / "index"), HashEmbedding(), IDENTITY, CHUNKING), HashEmbedding(), 700, 200)
    indexer.ingest(news)
    assert indexer.ingest(news).unchanged == [a.id for a in news]
    assert {a: r["story"] for a, r in indexer.store.articles().items()} == from_scratch([news])
