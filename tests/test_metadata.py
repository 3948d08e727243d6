import datetime as dt

import lxml.html
import pytest

from assistant.errors import InputError
from assistant.ingest.dates import normalise_date, page_date, parse_date, published_timestamp
from assistant.ingest.fields import article_fields, language_code
from assistant.ingest.metadata import clean_author, clean_title, declared_language, detect_language, page_language
from assistant.languages import fold
from assistant.outlet_names import domain_of, outlet_aliases, outlet_key, outlet_name, site_domain


@pytest.mark.parametrize(
    "names, url, expected",
    [
        (["LExpress.fr"], None, "L'Express"),
        (["lexpress.fr"], None, "L'Express"),
        (["Le Monde.fr"], None, "Le Monde"),
        (["Libération.fr"], None, "Libération"),
        (["AOC media - Analyse Opinion Critique"], None, "AOC media"),
        (["Guinéenews©"], None, "Guinéenews"),
        (["Aktuálně.cz - Víte, co se právě děje"], None, "Aktuálně"),
        ([None, ""], "https://ici.radio-canada.ca/nouvelle/1728875/x", "Radio-Canada"),
        ([], "https://www.lesechos.fr/2024/x", "Les Échos"),
        ([], "https://www.unknown-paper.fr/a", "unknown-paper.fr"),  # not invented
        (["Vosges Matin"], "https://www.vosgesmatin.fr/x", "Vosges Matin"),
        (["LA NACION"], None, "La Nación"),
        ([], None, None),
    ],
)
def test_outlet_names_are_cleaned_without_invention(names, url, expected):
    assert outlet_name(names, url) == expected


def test_outlet_aliases_meet_across_names_sites_and_suffixes():
    assert outlet_aliases("AOC") & outlet_aliases("AOC media") & outlet_aliases("https://aoc.media/opinion/x")
    assert outlet_aliases("Le Figaro") & outlet_aliases("Figaro") & outlet_aliases("https://sport.lefigaro.fr/a")
    assert outlet_aliases("heise online") & outlet_aliases("http://www.heise.de/mac-and-i/x")
    assert outlet_aliases("Ouest France") & outlet_aliases("ouest-france.fr")
    assert not outlet_aliases("Le Monde") & outlet_aliases("Le Monde diplomatique")
    assert not outlet_aliases("Franceinfo") & outlet_aliases("France 24") and outlet_aliases(None, "") == set()
    assert site_domain("https://ici.radio-canada.ca/x") == "radio-canada.ca" and site_domain("lanacion.com.ar") == "lanacion.com.ar"


def test_outlet_keys_join_every_spelling():
    for spelling in ("Le Monde", "LE MONDE", "lemonde.fr", "LeMonde.fr", "https://www.lemonde.fr/pixels/x", "Le Monde.fr"):
        assert outlet_key(spelling) == "lemonde", spelling
    assert outlet_key("Les Échos") == outlet_key("lesechos.fr") == "lesechos"
    assert outlet_key("L’Express") == outlet_key("L'Express") == outlet_key("lexpress.fr")
    assert outlet_key("中国日报网") == "中国日报网"  # a script without Latin letters keeps its letters
    assert domain_of("www1.folha.uol.com.br") == "folha.uol.com.br" and domain_of("Le Monde") is None


def test_folding_for_offsets_keeps_them():
    text = "Qu’écrit Libération sur l’Œuvre ?"
    assert len(fold(text, same_length=True)) == len(text)
    assert fold(text, same_length=True).startswith("qu'ecrit liberation")


@pytest.mark.parametrize(
    "title, names, expected",
    [
        ("Un titre - Gala", ["Gala.fr"], "Un titre"),
        ("La retraite est un archaïsme - AOC media - Analyse Opinion Critique", ["AOC media - Analyse Opinion Critique"], "La retraite est un archaïsme"),
        ("West Ham hrozí gigantům | Aktuálně.cz", ["Aktuálně.cz - Víte, co se právě děje"], "West Ham hrozí gigantům"),
        ("Le Monde.fr - Le projet de loi est approuvé", ["Le Monde.fr"], "Le projet de loi est approuvé"),
        ("Ukraine - Russie : les négociations reprennent", ["Le Monde"], "Ukraine - Russie : les négociations reprennent"),
        ("Affaire KPMG : un juge se récuse", ["Radio-Canada.ca"], "Affaire KPMG : un juge se récuse"),
        ("Le « oui » l'emporte | Le Temps", ["Le Temps"], "Le « oui » l'emporte"),
    ],
)
def test_titles_lose_the_site_name_not_the_headline(title, names, expected):
    assert clean_title(title, names) == expected


@pytest.mark.parametrize(
    "author, names, expected",
    [
        ("Par AFP publié le; Mis À Jour À", ["LExpress.fr"], "AFP"),
        ("Lefigaro Fr", ["Le Figaro", "lefigaro.fr"], ""),
        ("Par sudinfo be", ["sudinfo.be"], ""),
        ("Aleš Vávra před", ["Aktuálně.cz"], "Aleš Vávra"),
        ("Barbara Stiegler", ["AOC media"], "Barbara Stiegler"),
        ("Le Monde", ["Le Monde.fr"], ""),  # the outlet is not an author
    ],
)
def test_bylines_keep_people(author, names, expected):
    assert clean_author(author, names) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-03-04", "2024-03-04"),
        ("2024-03-04T23:30:00+01:00", "2024-03-04"),
        ("04/03/2024", "2024-03-04"),
        ("4 mars 2024", "2024-03-04"),
        ("1er mars 2024", "2024-03-01"),
        ("mardi 10 décembre 2019", "2019-12-10"),
        ("March 3, 2024", "2024-03-03"),
        ("3 March 2024", "2024-03-03"),
        (dt.date(2024, 3, 4), "2024-03-04"),
        (dt.datetime(2024, 3, 4, 12), "2024-03-04"),
        (None, None),
        ("", None),
    ],
)
def test_dates_are_normalised_to_iso(value, expected):
    assert normalise_date(value) == expected


@pytest.mark.parametrize("value", ["next tuesday", "31/02/2024", "2024-13-01", "32 mars 2024"])
def test_a_bad_date_says_how_to_write_it(value):
    with pytest.raises(InputError, match="write it as"):
        normalise_date(value)
    assert parse_date(value) is None


def _page(head: str, body: str = "<p>Texte.</p>", lang: str = "fr") -> str:
    return f'<html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


def test_a_utc_timestamp_is_read_in_the_outlets_time_zone():
    html = _page('<meta property="article:published_time" content="2020-08-25T00:23:33Z">')
    tree = lxml.html.fromstring(html)
    assert published_timestamp(tree) == dt.datetime(2020, 8, 25, 0, 23, 33, tzinfo=dt.timezone.utc)
    assert page_date("2020-08-25", tree, html, "ca") == "2020-08-24"  # 20:23 in Toronto
    assert page_date("2020-08-25", tree, html, "fr") == "2020-08-25"  # 02:23 in Paris
    assert page_date("2020-08-25", tree, html, None) == "2020-08-25"  # zone unknown: as given


def test_a_local_timestamp_is_kept_unless_the_page_shows_the_next_days_edition():
    stamp = '<script type="application/ld+json">{"@graph": [{"datePublished": "2019-12-09T19:00:49+01:00"}]}</script>'
    plain = _page(stamp, "<p>Un article sans date visible.</p>")
    edition = _page(stamp, '<div class="date-article">mardi <span class="date">10.12.2019</span></div><p>Texte.</p>')
    morning = edition.replace("T19:", "T09:")
    for html, expected in ((plain, "2019-12-09"), (edition, "2019-12-10"), (morning, "2019-12-09")):
        assert page_date("2019-12-09", lxml.html.fromstring(html), html, "fr") == expected


def test_declared_and_detected_languages():
    assert declared_language(lxml.html.fromstring(_page("", lang="fr-CA"))) == "fr"
    assert declared_language(lxml.html.fromstring('<html><head><meta property="og:locale" content="pt_BR"></head></html>')) == "pt"
    assert declared_language(lxml.html.fromstring("<html><body>x</body></html>")) is None
    assert detect_language("Le gouvernement a présenté mercredi son projet de réforme des retraites aux syndicats.") == "fr"
    assert detect_language("The government presented its pension reform plan to the unions on Wednesday.") == "en"
    assert detect_language("Trop court") is None
    french = "Le gouvernement a présenté mercredi son projet de réforme des retraites aux syndicats, qui l'ont rejeté. " * 5
    assert page_language("en", french) == "fr"  # a template's « en » on a French article
    assert page_language("fr", "Le gouvernement a présenté son projet.") == "fr" and page_language(None, french) == "fr"


def test_record_fields_by_their_usual_names():
    record = {"headline": " Un  titre ", "published_at": "2024-03-04T10:00:00Z", "site": "lemonde.fr"}
    fields = article_fields({**record, "authors": ["A. Un", {"name": "B. Deux"}], "link": "https://x.fr/a", "lang": "fr-FR"})
    assert fields == {"title": "Un titre", "date": "2024-03-04", "source": "Le Monde", "author": "A. Un; B. Deux", "url": "https://x.fr/a", "language": "fr"}
    assert article_fields({}) == dict.fromkeys(fields)
    # An article that does not name its outlet is its site's: the known name, else the domain.
    assert article_fields({"url": "https://www.ouest-france.fr/bretagne/frain/x"})["source"] == "Ouest-France"
    assert article_fields({"url": "https://blog.exemple.org/a"})["source"] == "blog.exemple.org"
    assert article_fields({"url": "/a/relative/link"})["source"] is None
    assert language_code("Français") == "fr" and language_code("en_GB") == "en"
    with pytest.raises(InputError, match="ISO code"):
        language_code("la langue de Molière")
    with pytest.raises(InputError, match="leave the date out"):
        article_fields({"date": "bientôt"})
