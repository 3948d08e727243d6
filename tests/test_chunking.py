from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.config import SAMPLE_ARTICLE
from assistant.ingest import chunk_text
from assistant.text import split_sentences

# French-looking text: letters with accents, « guillemets », abbreviations, blank lines.
PIECES = list("abcdefghijklmnopqrstuvwxyzéèàçôÉ ABC.!?…«»“”’',;:-\n\t0123456789") + ["M. ", "Gén. ", "Milley ", "\n\n"]
FRENCH = st.lists(st.sampled_from(PIECES), max_size=1500).map("".join)


def sentences_of(text):
    return [text[s:e] for s, e in split_sentences(text)]


@settings(max_examples=300, deadline=None)
@given(FRENCH, st.integers(min_value=50, max_value=900), st.integers(min_value=0, max_value=400))
def test_every_chunk_is_the_exact_slice_of_its_article(text, max_chars, overlap):
    chunks = chunk_text(text, max_chars, overlap)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text
        assert len(chunk.text) <= max_chars


@settings(max_examples=200, deadline=None)
@given(FRENCH, st.integers(min_value=50, max_value=900))
def test_chunks_cover_every_word_in_order(text, max_chars):
    chunks = chunk_text(text, max_chars, 0)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    covered = "".join(c.text for c in chunks)
    assert "".join(text.split()) == "".join(covered.split())


def test_empty_and_blank_text_give_no_chunks():
    assert chunk_text("") == []
    assert chunk_text(" \n\n \t") == []


def test_french_abbreviations_and_initials_do_not_end_sentences():
    text = "M. Dupont et le Gén. Milley sont arrivés. Le général Mark A. Milley a parlé. Il est parti vers 11 h."
    assert sentences_of(text) == [
        "M. Dupont et le Gén. Milley sont arrivés.",
        "Le général Mark A. Milley a parlé.",
        "Il est parti vers 11 h.",
    ]


def test_a_long_word_before_a_dot_is_no_abbreviation_however_long_the_text():
    # The word before a dot is looked for in a window: one longer than it ends its sentence.
    long_word = "anticonstitutionnellement" * 3 + "m"
    text = " ".join(["Le Dr. Martin est venu."] * 200 + [f"Il a dit {long_word}. Puis il est parti."])
    found = sentences_of(text)
    assert len(found) == 202 and found[0] == "Le Dr. Martin est venu." and found[-2:] == [f"Il a dit {long_word}.", "Puis il est parti."]


def test_guillemets_stay_with_their_sentence():
    text = "« Cela fait une différence. » Il a ajouté : « Nous devons répondre ! » Puis il est parti."
    assert sentences_of(text) == ["« Cela fait une différence. »", "Il a ajouté : « Nous devons répondre ! »", "Puis il est parti."]


def test_dates_and_numbers_do_not_split():
    text = "Le 12 juin 1792, le roi renvoie ses ministres. Le 3.5 % annoncé le 1er janv. a surpris."
    assert sentences_of(text) == ["Le 12 juin 1792, le roi renvoie ses ministres.", "Le 3.5 % annoncé le 1er janv. a surpris."]


def test_a_very_long_sentence_is_cut_at_spaces():
    text = " ".join(["mot"] * 1000) + "."
    chunks = chunk_text(text, 200, 0)
    assert len(chunks) > 10
    assert all(len(c.text) <= 200 and not c.text.startswith(" ") for c in chunks)


def test_sample_article_chunks_overlap_and_keep_paragraph_breaks():
    text = SAMPLE_ARTICLE.read_text(encoding="utf-8").strip()
    chunks = chunk_text(text, 700, 200)
    assert 8 <= len(chunks) <= 25
    answer = "Milley est arrivé dans le sud-est de la Pologne vers 11 heures du matin"
    assert any(answer in c.text for c in chunks)
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:])), "consecutive chunks should overlap somewhere"
