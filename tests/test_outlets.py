import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.reading.outlets import Outlets, find_outlets, outlet_key

KNOWN = ["Le Monde", "lemonde.fr", "Libération", "Le Figaro", "Les Échos", "The Guardian", "Radio-Canada", "Le Monde diplomatique", "L'Express", "Gala"]


@pytest.mark.parametrize(
    "question, names, rest",
    [
        ("Selon Le Figaro, combien de morts ?", ["Le Figaro"], "Combien de morts ?"),
        ("Combien de morts selon le figaro ?", ["Le Figaro"], "Combien de morts ?"),
        ("Que dit Libération de la réforme ?", ["Libération"], "De la réforme ?"),
        ("Que dit Liberation de la reforme ?", ["Libération"], "De la reforme ?"),
        ("D'après Le Monde, qui a gagné ?", ["Le Monde", "lemonde.fr"], "Qui a gagné ?"),
        ("d’après le monde, qui a gagné ?", ["Le Monde", "lemonde.fr"], "qui a gagné ?"),
        ("Que dit-on dans Les Échos sur la dette ?", ["Les Échos"], "Que dit-on sur la dette ?"),
        ("Qu'écrivent les Echos sur la dette ?", ["Les Échos"], "Sur la dette ?"),
        ("l'article du Monde sur la grève", ["Le Monde", "lemonde.fr"], "l'article sur la grève"),
        ("selon lemonde.fr, la grève continue", ["Le Monde", "lemonde.fr"], "la grève continue"),
        ("selon lexpress.fr", ["L'Express"], ""),
        ("Selon Radio Canada, les écoles rouvrent", ["Radio-Canada"], "Les écoles rouvrent"),
        ("According to Le Monde, how many died?", ["Le Monde", "lemonde.fr"], "How many died?"),
        ("What does the Guardian say about Brexit?", ["The Guardian"], "About Brexit?"),
        ("what does Guardian report on Brexit", ["The Guardian"], "on Brexit"),
        ("Selon Le Monde diplomatique, que faire ?", ["Le Monde diplomatique"], "Que faire ?"),
        ("Que disent Le Monde et Libération sur la réforme ?", ["Le Monde", "lemonde.fr", "Libération"], "Sur la réforme ?"),
        ("Le Monde a-t-il parlé de la grève ?", ["Le Monde", "lemonde.fr"], "A-t-il parlé de la grève ?"),
    ],
)
def test_outlets_named_in_a_question(question, names, rest):
    outlets, left = find_outlets(question, KNOWN)
    assert list(outlets.names) == names and outlets.missing == ()
    assert left == rest


@pytest.mark.parametrize(
    "question",
    [
        "Que se passe-t-il dans le monde ?",  # the world, not the paper: no capital after a plain preposition
        "Que s'est-il passé à la Libération ?",  # a word alone is not an outlet without a cue
        "Le monde entier regarde l'élection.",
        "Qui a gagné le gala de charité ?",
        "Qui est le général Milley ?",
    ],
)
def test_words_that_are_not_outlets_are_left_alone(question):
    outlets, left = find_outlets(question, KNOWN)
    assert not outlets and outlets == Outlets() and left == question


def test_an_outlet_named_but_not_indexed_is_reported_missing():
    outlets, left = find_outlets("Selon Le Parisien, combien de manifestants ?", KNOWN)
    assert outlets.names == () and outlets.missing == ("Le Parisien",) and left == "Combien de manifestants ?"
    assert bool(outlets)


def test_an_index_without_outlets_or_with_file_paths():
    assert find_outlets("Selon Le Monde, quoi ?", [])[0].missing == ("Le Monde",)
    outlets, _ = find_outlets("Que dit le fichier milley ?", ["/data/milley-zaluzhny-fr.txt", None, ""])
    assert outlets.names == ()


ARCHIVE = ["AOC media", "aoc.media", "Club de Mediapart", "mediapart.fr", "Ouest-France", "ouest-france.fr", "Vosges Matin", "Le Monde"]


@pytest.mark.parametrize(
    "question, names, rest",
    [
        ("Selon AOC, la retraite est-elle un archaïsme ?", ["AOC media", "aoc.media"], "La retraite est-elle un archaïsme ?"),
        ("Que dit AOC media de la retraite ?", ["AOC media", "aoc.media"], "De la retraite ?"),
        ("D'après Mediapart, combien de blessés ?", ["mediapart.fr"], "Combien de blessés ?"),
        ("Selon Vosges-Matin, combien de pompiers ?", ["Vosges Matin"], "Combien de pompiers ?"),
        ("In the Ouest-France testimony, who saw the fire?", ["Ouest-France", "ouest-france.fr"], "Testimony, who saw the fire?"),
        ("According to ouest-france.fr, who saw the fire?", ["Ouest-France", "ouest-france.fr"], "Who saw the fire?"),
        ("Selon une étude publiée dans Le Monde, qui a gagné ?", ["Le Monde"], "Selon une étude publiée, qui a gagné ?"),
        ("D'après le ministre, que dit Le Monde de la réforme ?", ["Le Monde"], "D'après le ministre, de la réforme ?"),
    ],
)
def test_outlets_match_by_any_name_or_site_of_the_archive(question, names, rest):
    outlets, left = find_outlets(question, ARCHIVE)
    assert list(outlets.names) == names and outlets.missing == () and left == rest


@pytest.mark.parametrize(
    "question",
    [
        "Selon le démographe Hervé Le Bras, la population baisse-t-elle ?",
        "Selon le sondage Ifop pour Le Parisien, qui gagnerait ?",  # a survey's sponsor the archive lacks
        "According to a study by the Guardian, who would win?",
        "D'après l'institut de sondage cité par Libération, qui gagnerait ?",
        "Selon Marianne Dupont, présidente de l'association, qui gagnerait ?",  # a person, not the weekly
        "Selon La Croix-Rouge, combien de blessés ?",  # an organisation, not the daily
        "According to Capital Economics, will growth slow?",
    ],
)
def test_a_person_a_title_a_survey_or_an_organisation_is_no_outlet_the_archive_lacks(question):
    outlets, left = find_outlets(question, ARCHIVE)
    assert outlets == Outlets() and left == question


def test_outlet_key_is_shared_with_the_ingest_side():
    from assistant.ingest.metadata import outlet_key as ingest_key

    assert outlet_key is ingest_key
    assert outlet_key("Libération.fr") == outlet_key("liberation") == "liberation"


@given(st.text(max_size=120))
def test_any_text_is_read_without_error(text):
    outlets, left = find_outlets(text, KNOWN)
    assert isinstance(left, str) and set(outlets.names) <= set(KNOWN)
