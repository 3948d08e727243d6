import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import InputError
from assistant.reading.when import When, parse_when

AS_OF = dt.date(2024, 3, 13)  # a Wednesday
D = dt.date


@pytest.mark.parametrize(
    "question, since, until, rest",
    [
        # relative days
        ("Qu'a dit Macron hier ?", D(2024, 3, 12), D(2024, 3, 12), "Qu'a dit Macron ?"),
        ("Les articles d'aujourd'hui sur la grève", D(2024, 3, 13), D(2024, 3, 13), "Les articles sur la grève"),
        ("Que s'est-il passé avant-hier à Lyon ?", D(2024, 3, 11), D(2024, 3, 11), "Que s'est-il passé à Lyon ?"),
        ("What happened yesterday?", D(2024, 3, 12), D(2024, 3, 12), "What happened?"),
        ("il y a trois jours", D(2024, 3, 10), D(2024, 3, 10), ""),
        # weekdays
        ("Qu'a annoncé le gouvernement mardi ?", D(2024, 3, 12), D(2024, 3, 12), "Qu'a annoncé le gouvernement ?"),
        ("mercredi", D(2024, 3, 13), D(2024, 3, 13), ""),  # a bare weekday may be the as-of day
        ("mercredi dernier", D(2024, 3, 6), D(2024, 3, 6), ""),
        ("What did he say on Monday?", D(2024, 3, 11), D(2024, 3, 11), "What did he say?"),
        ("last Wednesday", D(2024, 3, 6), D(2024, 3, 6), ""),
        # weeks: calendar weeks, Monday to Sunday
        ("Que s'est-il passé la semaine dernière en Ukraine ?", D(2024, 3, 4), D(2024, 3, 10), "Que s'est-il passé en Ukraine ?"),
        ("les articles de cette semaine", D(2024, 3, 11), D(2024, 3, 13), "les articles"),
        ("last week", D(2024, 3, 4), D(2024, 3, 10), ""),
        ("il y a deux semaines", D(2024, 2, 26), D(2024, 3, 3), ""),
        ("two weeks ago", D(2024, 2, 26), D(2024, 3, 3), ""),
        ("il y a quinze jours", D(2024, 2, 26), D(2024, 3, 3), ""),
        ("over the past week", D(2024, 3, 7), D(2024, 3, 13), ""),
        # months
        ("le mois dernier", D(2024, 2, 1), D(2024, 2, 29), ""),
        ("ce mois-ci", D(2024, 3, 1), D(2024, 3, 13), ""),
        ("this month", D(2024, 3, 1), D(2024, 3, 13), ""),
        ("il y a un mois", D(2024, 2, 1), D(2024, 2, 29), ""),
        # named months and years
        ("Les articles de novembre 2023 sur la grève", D(2023, 11, 1), D(2023, 11, 30), "Les articles sur la grève"),
        ("Quels articles parus en novembre 2023 parlent de la grève ?", D(2023, 11, 1), D(2023, 11, 30), "Quels articles parus parlent de la grève ?"),
        ("Que décide la NASA en 1969 ?", D(1969, 1, 1), D(1969, 12, 31), None),
        ("en novembre", D(2023, 11, 1), D(2023, 11, 30), None),
        ("en mars", D(2024, 3, 1), D(2024, 3, 13), None),  # the current month, up to the as-of date
        ("en mars dernier", D(2023, 3, 1), D(2023, 3, 31), None),
        ("en 2021", D(2021, 1, 1), D(2021, 12, 31), None),
        ("in 2021", D(2021, 1, 1), D(2021, 12, 31), None),
        ("in November 2023", D(2023, 11, 1), D(2023, 11, 30), None),
        ("cette année", D(2024, 1, 1), D(2024, 3, 13), ""),
        ("l'an dernier", D(2023, 1, 1), D(2023, 12, 31), ""),
        # days by date
        ("l'article publié le 3 mars", D(2024, 3, 3), D(2024, 3, 3), "l'article publié"),
        ("le 3 mars 2024", D(2024, 3, 3), D(2024, 3, 3), None),
        ("le 1er avril", D(2023, 4, 1), D(2023, 4, 1), None),  # not yet this year: last year's
        ("le lundi 4 mars", D(2024, 3, 4), D(2024, 3, 4), None),
        ("le 03/03/2024", D(2024, 3, 3), D(2024, 3, 3), None),
        ("on March 3, 2024", D(2024, 3, 3), D(2024, 3, 3), None),
        ("2024-03-03", D(2024, 3, 3), D(2024, 3, 3), None),
        # since, after, before, until, between
        ("depuis le 1er janvier", D(2024, 1, 1), D(2024, 3, 13), None),
        ("Qu'a écrit la presse sur la réforme depuis lundi ?", D(2024, 3, 11), D(2024, 3, 13), "Qu'a écrit la presse sur la réforme ?"),
        ("since March", D(2024, 3, 1), D(2024, 3, 13), None),
        ("depuis 2020", D(2020, 1, 1), D(2024, 3, 13), None),
        ("depuis le début de l'année", D(2024, 1, 1), D(2024, 3, 13), ""),
        ("après le 10 mars", D(2024, 3, 11), D(2024, 3, 13), None),
        ("avant le 1er mars", None, D(2024, 2, 29), None),
        ("jusqu'à hier", None, D(2024, 3, 12), ""),
        ("entre le 3 et le 10 mars", D(2024, 3, 3), D(2024, 3, 10), None),
        ("du 1er février au 3 mars 2024", D(2024, 2, 1), D(2024, 3, 3), None),
        ("between March 1 and March 5", D(2024, 3, 1), D(2024, 3, 5), None),
        # rolling windows: the as-of day included
        ("ces derniers jours", D(2024, 3, 7), D(2024, 3, 13), ""),
        ("ces dernières semaines", D(2024, 2, 15), D(2024, 3, 13), ""),
        ("les 7 derniers jours", D(2024, 3, 7), D(2024, 3, 13), ""),
        ("in the last 7 days", D(2024, 3, 7), D(2024, 3, 13), ""),
        ("depuis deux semaines", D(2024, 2, 29), D(2024, 3, 13), ""),
        ("the past 3 months", D(2023, 12, 14), D(2024, 3, 13), ""),
    ],
)
def test_ranges_against_a_fixed_as_of_date(question, since, until, rest):
    """rest None: a calendar date the question only names, left in it for the search."""
    when, left = parse_when(question, AS_OF)
    assert (when.since, when.until, when.order) == (since, until, None), when
    assert when.scope == ("mentioned" if rest is None else "published") and when.filters == (rest is not None)
    assert left == (question if rest is None else rest)


@pytest.mark.parametrize(
    "question, order, rest",
    [
        ("Quel est l'article le plus récent sur la réforme ?", "latest", "Quel est l'article sur la réforme ?"),
        ("Quelles sont les dernières nouvelles sur la réforme des retraites ?", "latest", "Quelles sont les nouvelles sur la réforme des retraites ?"),
        ("Que s'est-il passé récemment en Ukraine ?", "latest", "Que s'est-il passé en Ukraine ?"),
        ("Quoi de neuf sur la réforme ?", "latest", "Sur la réforme ?"),
        ("le dernier article du Monde", "latest", "le article du Monde"),
        ("la plus ancienne dépêche", "oldest", "dépêche"),
        ("What is the latest news on Ukraine?", "latest", "What is the news on Ukraine?"),
        ("the most recent article about the strike", "latest", "the article about the strike"),
        ("the oldest article", "oldest", "the article"),
        ("l'article le plus ancien sur la grève", "oldest", "l'article sur la grève"),
        ("Quel est le premier article sur le séisme ?", "oldest", "Quel est le article sur le séisme ?"),
    ],
)
def test_orders(question, order, rest):
    when, left = parse_when(question, AS_OF)
    assert (when.since, when.until, when.order) == (None, None, order)
    assert left == rest


@pytest.mark.parametrize(
    "question",
    [
        "Combien de victimes ? Plus de 2000 morts selon le bilan.",  # a number, not a year
        "Que sait-on de la mission vers Mars ?",  # a planet, not a month
        "What does the Sunday Times say?",  # a title, not a day
        "Qui est le premier ministre ?",  # a minister, not the oldest article
        "De quand date la plus ancienne représentation d'un labyrinthe ?",  # the story's oldest, not the articles'
        "A-t-elle poursuivi ses recherches après sa première publication ?",
        "Which is the oldest building in Lyon?",
        "Qu'est-ce que le Tonight Show ?",
        "le 31 avril",  # no such day
        "Le général a rencontré son homologue.",
    ],
)
def test_words_that_are_not_time_are_left_alone(question):
    when, left = parse_when(question, AS_OF)
    assert not when and when == When() and left == question


def test_a_publication_date_is_told_from_a_date_in_the_story():
    for question in ("l'article publié le 3 mars 2024 sur la grève", "Les articles du 3 mars 2024 sur la grève", "news from March 3, 2024 on the strike"):
        when, left = parse_when(question, AS_OF)
        assert when.scope == "published" and when.since == D(2024, 3, 3) and "3" not in left, question
    for question in ("Que s'est-il passé le 3 mars 2024 ?", "Pour quelle compagnie navigue-t-il depuis 2018 ?", "What happened on March 3, 2024?"):
        when, left = parse_when(question, AS_OF)
        assert when.scope == "mentioned" and not when.filters and left == question, question
    # A date relative to now is one of publication: news are read for what is recent.
    assert parse_when("Qu'a dit le ministre la semaine dernière ?", AS_OF)[0].scope == "published"
    # Both: the publication range wins, the story's date stays in the search.
    when, left = parse_when("Quels articles publiés la semaine dernière parlent de la crise de 1929 ?", AS_OF)
    assert (when.since, when.scope) == (D(2024, 3, 4), "published") and "1929" in left and "semaine" not in left


def test_a_range_and_an_order_together_and_ranges_intersected():
    when, left = parse_when("Quel est l'article le plus récent de la semaine dernière sur la grève ?", AS_OF)
    assert (when.since, when.until, when.order) == (D(2024, 3, 4), D(2024, 3, 10), "latest")
    assert when.matched == ("le plus récent", "de la semaine dernière") and left == "Quel est l'article sur la grève ?"
    when, _ = parse_when("depuis février, avant le 1er mars", AS_OF)
    assert (when.since, when.until) == (D(2024, 2, 1), D(2024, 2, 29))


def test_typing_without_accents_or_with_curly_apostrophes_is_understood():
    unaccented, accented = parse_when("la semaine derniere", AS_OF)[0], parse_when("la semaine dernière", AS_OF)[0]
    assert (unaccented.since, unaccented.until) == (accented.since, accented.until) and unaccented.matched == ("la semaine derniere",)
    assert parse_when("aujourd’hui", AS_OF)[0].since == AS_OF
    assert parse_when("LE MOIS DERNIER", AS_OF)[0].since == D(2024, 2, 1)


def test_a_future_range_is_kept_as_written_and_matches_nothing_published():
    when, _ = parse_when("en 2030", AS_OF)
    assert (when.since, when.until) == (D(2030, 1, 1), D(2030, 12, 31))
    assert not when.contains("2024-03-13")


def test_contains_reads_publication_dates():
    when, _ = parse_when("la semaine dernière", AS_OF)
    assert when.contains("2024-03-04") and when.contains("2024-03-10T23:59:00+01:00") and not when.contains("2024-03-11")
    assert not when.contains(None)  # an undated article cannot be shown to be in the range
    assert When(order="latest").contains(None)
    assert not when.contains("2024-03-11") and when.contains("2024-03-11", slack_days=1)
    assert when.to_dict() == {"since": "2024-03-04", "until": "2024-03-10", "order": None, "scope": "published", "matched": ["la semaine dernière"]}


def test_the_as_of_date_is_today_by_default_and_a_bad_one_is_refused():
    assert parse_when("hier")[0].since == dt.date.today() - dt.timedelta(days=1)
    assert parse_when("hier", "2024-03-13")[0].since == D(2024, 3, 12)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        parse_when("hier", "13/03/2024")


PHRASES = [
    "hier", "aujourd'hui", "avant-hier", "la semaine dernière", "cette semaine", "le mois dernier", "ce mois-ci",
    "en novembre 2023", "en 2021", "le 3 mars", "le 29 février", "le 3 mars 2024", "depuis le 1er janvier", "depuis lundi",
    "ces derniers jours", "ces dernières semaines", "il y a deux semaines", "il y a 3 mois", "il y a un an", "en mars",
    "en mars dernier", "yesterday", "last week", "this month", "in 2021", "since March", "two weeks ago",
    "in the last 7 days", "les 30 derniers jours", "entre le 3 et le 10 mars", "avant le 1er mars", "jusqu'à hier",
    "après le 10 mars", "last Monday", "mardi", "depuis le début du mois", "cette année", "l'an dernier",
]  # fmt: skip
as_of_dates = st.dates(min_value=D(2001, 1, 1), max_value=D(2035, 12, 31))


@given(st.sampled_from(PHRASES), as_of_dates, st.sampled_from(["Qu'a dit le maire {} ?", "{}", "What happened {}?", "{}, la grève"]))
def test_every_range_is_ordered_and_honours_the_as_of_date(phrase, as_of, template):
    question = template.format(phrase)
    when, left = parse_when(question, as_of)
    assert when.since is not None or when.until is not None, question
    if when.since and when.until:
        assert when.since <= when.until
    assert when.until is None or when.until <= as_of or when.since > as_of  # nothing is published after "now"
    assert (phrase not in left) == when.filters and "  " not in left
    assert when.matched and all(m in question for m in when.matched)


@given(as_of_dates)
def test_relative_expressions_move_with_the_as_of_date(as_of):
    def span(q):
        w = parse_when(q, as_of)[0]
        return w.since, w.until

    yesterday = as_of - dt.timedelta(days=1)
    assert span("hier") == span("yesterday") == (yesterday, yesterday)
    since, until = span("la semaine dernière")
    assert since.weekday() == 0 and until - since == dt.timedelta(days=6) and 0 < (as_of - until).days <= 7
    assert span("la semaine dernière") == span("il y a une semaine") == span("last week") == span("one week ago")
    since, until = span("le mois dernier")
    assert since.day == 1 and (until + dt.timedelta(days=1)).day == 1 and until < as_of.replace(day=1)
    since, until = span("les 10 derniers jours")
    assert until == as_of and (until - since).days == 9
    since, until = span("le 3 mars")
    assert since == until and (since.month, since.day) == (3, 3) and as_of - dt.timedelta(days=366) < since <= as_of


@given(st.text(max_size=120), as_of_dates)
def test_any_text_is_read_without_error(text, as_of):
    when, left = parse_when(text, as_of)
    assert isinstance(left, str) and len(left) <= len(text.strip()) + 1
    assert when.since is None or when.until is None or when.since <= when.until
