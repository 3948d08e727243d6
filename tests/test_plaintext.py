import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import InputError
from assistant.ingest.plaintext import TITLE_CHARS, derived_title, headline, split_dateline, split_front_matter


@pytest.mark.parametrize(
    "paragraph, place, rest",
    [
        ("SUD-EST DE LA POLOGNE – Le général en chef", "SUD-EST DE LA POLOGNE", "Le général en chef"),
        ("PARIS – Le gouvernement", "PARIS", "Le gouvernement"),
        ("KYIV, Ukraine — The general", "KYIV, Ukraine", "The general"),
        ("WASHINGTON (Reuters) - The Pentagon", "WASHINGTON", "The Pentagon"),
        ("BRUXELLES (AFP) -- Les ministres", "BRUXELLES", "Les ministres"),
        ("L'ÎLE-ROUSSE – Le maire", "L'ÎLE-ROUSSE", "Le maire"),
        ("Paris – Le gouvernement", None, "Paris – Le gouvernement"),  # not in capitals: not a dateline
        ("UN TITRE EN CAPITALES", None, "UN TITRE EN CAPITALES"),
        ("Le 3 mars – une date", None, "Le 3 mars – une date"),
        ("COVID-19", None, "COVID-19"),
    ],
)
def test_datelines(paragraph, place, rest):
    assert split_dateline(paragraph) == (place, rest)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Un pont sur le Rhône\n\nLe maire a inauguré un pont.", "Un pont sur le Rhône"),
        ("Un pont sur le Rhône\nLe maire a inauguré un pont.", "Un pont sur le Rhône"),
        ("Faut-il rouvrir les frontières ?\n\nLe débat.", "Faut-il rouvrir les frontières ?"),
        ("Le maire a inauguré un pont.\n\nSuite.", None),  # a sentence, not a headline
        ("PARIS – Le maire a inauguré un pont\n\nSuite.", None),  # a dateline opens a lede
        ("Un pont sur le Rhône", None),  # nothing after it: the text itself
        ("Au programme :\n\n- un pont", None),
        ("x" * (TITLE_CHARS + 1) + "\n\nSuite.", None),
    ],
)
def test_headlines(text, expected):
    assert headline(text) == expected


def test_derived_titles_cut_at_a_clause_then_a_word():
    lede = "SUD-EST DE LA POLOGNE – Le général en chef du Pentagone a rencontré mardi son homologue ukrainien, " + "voyageant " * 20 + "loin."
    assert derived_title(lede) == "Le général en chef du Pentagone a rencontré mardi son homologue ukrainien…"
    assert derived_title("Le maire a inauguré un pont. Il pleuvait.") == "Le maire a inauguré un pont"
    long_words = "Un " + "très " * 60 + "long début."
    title = derived_title(long_words)
    assert title.endswith("très…") and len(title) <= TITLE_CHARS + 1
    assert derived_title("   ") is None


@given(st.text(min_size=1, max_size=400))
def test_derived_titles_are_short_and_from_the_text(text):
    title = derived_title(text)
    if title is not None:
        assert len(title) <= TITLE_CHARS + 1
        assert title.rstrip("…").strip() in text


def test_front_matter():
    fields, text = split_front_matter("---\ntitle: Un titre\ndate: 2024-03-04\n---\n\nLe texte.")
    assert fields["title"] == "Un titre" and str(fields["date"]) == "2024-03-04" and text == "Le texte."
    assert split_front_matter("Le texte.\n---\nx: y\n---") == ({}, "Le texte.\n---\nx: y\n---")  # only at the very top
    assert split_front_matter("---\n---\nTexte.") == ({}, "Texte.")
    with pytest.raises(InputError, match="not valid YAML"):
        split_front_matter("---\ntitle: [x\n---\nTexte.")
