import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.errors import InputError
from assistant.ingest import load_file
from assistant.ingest.duplicates import NUM_PERM, DuplicateIndex, assign_groups, containment, is_copy, minhash_signature, similarity
from assistant.lab.near_duplicates import copies
from assistant.text import sentences
from tests.conftest import shared_dir

NEWS = shared_dir("news")
needs_pages = pytest.mark.skipif(not (NEWS / "pages.tsv").exists(), reason=f"the real news pages are not here ({NEWS})")
STEMS = ["readability__liberation-1", "htmldate__1808011241", "trafilatura__aoc.media.archaisme", "trafilatura__gala.fr.surnom", "readability__lemonde-1"]


@pytest.fixture(scope="module")
def texts():
    return {stem: load_file(NEWS / f"{stem}.html").articles[0].text for stem in STEMS}


@needs_pages
def test_a_syndicated_wire_story_is_grouped_under_the_first_copy(texts):
    afp = texts["readability__liberation-1"]  # an AFP dispatch, as Libération ran it
    other_site = copies(afp)["retyped with boilerplate"]
    groups = assign_groups([("liberation", afp), ("lexpress-copy", other_site), ("lemonde", texts["readability__lemonde-1"])])
    assert groups["lexpress-copy"].group == "liberation"
    assert groups["lexpress-copy"].copies[0][0] == "liberation" and groups["lexpress-copy"].copies[0][1] > 0.8
    assert groups["liberation"].group == "liberation" and groups["lemonde"].group == "lemonde"


@needs_pages
def test_an_updated_article_ingested_again_under_another_address_joins_the_stored_one(texts):
    stored = DuplicateIndex()
    first = stored.add("https://site/v1", texts["readability__lemonde-1"])
    index = DuplicateIndex.from_records(json.loads(json.dumps({"https://site/v1": [first, None]})))  # as stored in records
    update = copies(texts["readability__lemonde-1"])["updated (paragraph added, figure changed)"]
    assert index.assign("https://site/v2", update).group == "https://site/v1"
    teaser = copies(texts["readability__lemonde-1"])["teaser (first 60 %)"]
    assert index.assign("https://site/teaser", teaser).group == "https://site/v1"


@needs_pages
def test_different_stories_even_on_one_topic_or_quoting_each_other_are_not_grouped(texts):
    groups = assign_groups((stem, text) for stem, text in texts.items())
    assert {stem: g.group for stem, g in groups.items()} == {stem: stem for stem in STEMS}
    # AOC and Gala on the December 2019 pensions reform: one topic, two articles.
    assert similarity(groups["trafilatura__aoc.media.archaisme"].signature, groups["trafilatura__gala.fr.surnom"].signature) < 0.1
    quoting = texts["trafilatura__gala.fr.surnom"] + " " + " ".join(sentences(texts["trafilatura__aoc.media.archaisme"])[1:3])
    index = DuplicateIndex()
    index.add("aoc", texts["trafilatura__aoc.media.archaisme"])
    assert index.find(quoting) == []


def test_a_brief_quoted_whole_by_a_long_article_is_not_its_copy():
    brief = "Le ministre de l'Intérieur a annoncé mardi la fermeture de trois centres de rétention administrative dans le sud du pays."
    long = brief + " " + " ".join(f"Le paragraphe numéro {i} développe un autre aspect du dossier, sans rapport avec le reste." for i in range(40))
    a, b = minhash_signature(brief), minhash_signature(long)
    assert containment(a, b) > 0.9 and not is_copy(a, b)


def test_an_article_ingested_again_is_not_its_own_copy_and_can_be_removed():
    index = DuplicateIndex()
    text = "Le conseil municipal a voté lundi soir le budget de la ville pour l'année prochaine, après trois heures de débat."
    assert index.assign("a", text).copies == []
    assert index.assign("a", text).copies == [] and len(index) == 1
    assert index.assign("b", text).group == "a" and index.group_of("b") == "a"
    index.remove("a")
    assert "a" not in index and index.find(text) == [("b", 1.0)]


def test_texts_without_words_are_no_ones_copy():
    index = DuplicateIndex()
    index.add("empty", "  ... ")
    assert index.find("") == [] and index.assign("other", "—").group == "other"


def test_a_stored_signature_of_another_kind_is_refused():
    index = DuplicateIndex()
    with pytest.raises(InputError, match="minhash_signature"):
        index.add("x", signature=[1, 2, 3])
    with pytest.raises(InputError, match="minhash_signature"):
        index.add("x", signature=[2**40] * NUM_PERM)
    with pytest.raises(InputError):
        similarity([1] * 4, [1] * 5)


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=0, max_size=300), st.text(min_size=0, max_size=300))
def test_signatures_are_json_ints_and_similarity_is_symmetric(a, b):
    sa, sb = minhash_signature(a), minhash_signature(b)
    assert len(sa) == NUM_PERM and all(isinstance(v, int) and 0 <= v < 2**32 for v in sa)
    assert json.loads(json.dumps(sa)) == sa == minhash_signature(a)  # deterministic across calls
    assert similarity(sa, sb) == similarity(sb, sa) and 0.0 <= similarity(sa, sb) <= 1.0
    assert similarity(sa, sa) == 1.0


def test_signatures_are_those_stored_yesterday():
    """Stored signatures are compared with new ones: a datasketch release that changed its hash
    values (2.0 did) must fail here, not silently stop grouping copies."""
    assert minhash_signature("Le conseil municipal a voté lundi soir le budget")[:4] == [1813246137, 103448905, 40751544, 107941618]
