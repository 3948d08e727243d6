"""Which articles a question is about (`answering.scope`), and the order by date (`retrieve.by_date`)."""

import datetime as dt
import json

import pytest

from assistant.answering import rendering
from assistant.answering.policy import Refusal
from assistant.answering.query import Query, ScopeNotice
from assistant.answering.retrieve import by_date
from assistant.answering.scope import Scope, filters
from assistant.errors import InputError
from assistant.types import Passage

AS_OF = dt.date(2024, 3, 20)  # a Wednesday
RECORDS = {
    "figaro-1": {"source": "Le Figaro", "date": "2024-03-12"},  # last week
    "figaro-2": {"source": "Le Figaro", "date": "2024-02-02"},
    "monde-1": {"source": "Le Monde", "date": "2024-03-19"},  # yesterday
    "liberation-1": {"source": "Libération", "date": "2023-11-08"},
    "undated": {"source": "Le Monde", "date": None},
}


class Articles:
    """The one store method the scope reads."""

    def __init__(self, records=None):
        self.records = RECORDS if records is None else records

    def articles(self):
        return self.records


def scoped(question: str, records=None, **chosen):
    query = Query(question, filters=filters(as_of=AS_OF, **chosen))
    query.question = question
    return query, Scope(Articles(records)).run(query)


@pytest.mark.parametrize(
    ("question", "among", "rest"),
    [
        ("Qu'a dit le ministre hier ?", {"monde-1"}, "Qu'a dit le ministre ?"),
        ("Que s'est-il passé la semaine dernière à Paris ?", {"figaro-1"}, "Que s'est-il passé à Paris ?"),
        ("Quels articles de novembre 2023 parlent des retraites ?", {"liberation-1"}, "Quels articles parlent des retraites ?"),
        ("Selon Le Figaro, qui a gagné ?", {"figaro-1", "figaro-2"}, "Qui a gagné ?"),
        ("Que dit Le Figaro depuis le 1er mars ?", {"figaro-1"}, None),
        ("Que décide la NASA en 1969 ?", None, "Que décide la NASA en 1969 ?"),  # a date it mentions: no filter
        ("Qui a gagné le match ?", None, "Qui a gagné le match ?"),
    ],
)
def test_the_question_names_its_articles(question, among, rest):
    query, decision = scoped(question)
    assert query.among == among and decision.refusal is None
    if rest is not None:
        assert query.question == rest


def test_latest_is_an_order_not_a_filter():
    query, decision = scoped("Quelles sont les dernières nouvelles sur les retraites ?")
    assert query.order == "latest" and query.among is None and "dernières" not in query.question


def test_the_readers_filters_and_the_questions_meet():
    query, _ = scoped("Qui a gagné ?", sources=["lefigaro.fr"], since="2024-03-01")
    assert query.among == {"figaro-1"}, "any spelling of the outlet, and the dates, together"
    query, decision = scoped("Qu'a dit le ministre hier ?", sources=["Le Figaro"])
    assert query.among == {"figaro-1", "figaro-2"} and decision.refusal is None, "the filter holds; the question's « hier » is given up"
    assert query.scope_notice == ScopeNotice((), AS_OF - dt.timedelta(days=1), AS_OF - dt.timedelta(days=1))


def test_filters_the_reader_set_stay_strict_and_their_refusal_says_so():
    for chosen in ({"sources": ["Le Parisien"]}, {"until": "2019-12-31"}, {"sources": ["Libération"], "since": "2024-01-01"}):
        _, decision = scoped("Qui a gagné ?", **chosen)
        assert decision.refusal == "out_of_scope" and decision.details["filtered"] == 0, chosen
    assert "filtres" in Refusal.OUT_OF_SCOPE.why("fr") and "filters" in Refusal.OUT_OF_SCOPE.why("en")


def test_a_bad_date_says_how_to_write_it():
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        filters(since="le 3 mars")


def passage(article_id: str, score: float, date: str | None) -> Passage:
    return Passage(article_id, article_id, "texte", 0, 5, score, score, None, date)


def test_by_date_puts_the_newest_article_on_the_subject_first():
    passages = [passage("old", 1.0, "2020-01-01"), passage("new", 0.7, "2024-01-01"), passage("off", 0.2, "2025-01-01"), passage("old", 0.6, "2020-01-01")]
    assert [p.article_id for p in by_date(passages)] == ["new", "old", "old", "off"], "an article off the subject stays last, however new"
    assert [p.article_id for p in by_date(passages, newest=False)] == ["old", "old", "new", "off"]


def test_with_no_dated_article_a_date_in_the_question_is_about_its_events():
    class Undated:
        def articles(self):
            return {"piaf-1": {"source": None, "date": None}}

    question = "Pourquoi la séance d'essai du vendredi a été écourtée ?"
    query = Query(question, filters=filters(as_of=AS_OF))
    query.question = question
    decision = Scope(Undated()).run(query)
    assert decision.refusal is None and query.among is None and query.question == question, "searched as written, not refused"
    assert decision.details["dates_ignored"]


# -- what the question names is a hint: it narrows when something matches, else it is said ---------

SITES = {
    "aoc": {"source": "AOC media", "url": "https://aoc.media/opinion/2019/12/09/retraite/", "date": "2019-12-10"},
    "ouest": {"source": "Ouest-France", "url": "https://www.ouest-france.fr/bretagne/frain/incendie", "date": "2020-03-23"},  # named from its URL at ingest
    "blog": {"source": "Club de Mediapart", "url": "https://blogs.mediapart.fr/elba/blog/260619/violences", "date": "2019-06-27"},
    "sport": {"source": "Sport24", "url": "https://sport.lefigaro.fr/football/article", "date": "2020-12-26"},
    "file": {"source": "/data/notes.txt", "url": None, "date": "2020-01-01"},
}


@pytest.mark.parametrize(
    ("question", "among"),
    [
        ("Selon AOC, qu'est-ce que la retraite ?", {"aoc"}),  # « AOC » against « AOC media »
        ("D'après aoc.media, qu'est-ce que la retraite ?", {"aoc"}),
        ("Que dit aoc media de la retraite ?", {"aoc"}),
        ("D'après Mediapart, combien de blessés ?", {"blog"}),  # the blog's URL is Mediapart's site
        ("Selon Ouest France, qui a vu les flammes ?", {"ouest"}),
        ("Selon le Figaro, qui a gagné ?", {"sport"}),  # sport.lefigaro.fr is Le Figaro's
        ("In the Ouest-France testimony, who saw the flames?", {"ouest"}),  # an English question, a French outlet
        ("According to AOC, what is retirement to neoliberalism?", {"aoc"}),
    ],
)
def test_an_outlet_matches_by_any_name_its_site_or_its_url(question, among):
    query, decision = scoped(question, SITES)
    assert query.among == among and decision.refusal is None and query.scope_notice is None


def test_an_outlet_named_without_article_widens_the_search_and_says_so():
    query, decision = scoped("Selon Le Parisien, qui a gagné ?")
    assert decision.refusal is None and query.among is None and query.question == "Qui a gagné ?"
    assert query.scope_notice == ScopeNotice(("Le Parisien",)) and decision.details["notice"]["outlets"] == ["Le Parisien"]
    assert rendering.notice_text(query.scope_notice, "fr") == "Aucun article de Le Parisien dans l'archive ; voici ce que disent les autres :"
    assert rendering.notice_text(query.scope_notice, "en") == "No article from Le Parisien in the archive; here is what the others say:"
    assert rendering.notice_text(query.scope_notice, "de") == rendering.notice_text(query.scope_notice, "en"), "a language without the sentence writes English"
    query, _ = scoped("Que disent Le Monde et Le Parisien de la grève ?")
    assert query.among == {"monde-1", "undated"} and query.scope_notice == ScopeNotice(("Le Parisien",)), "the one indexed narrows, the other is said"


def test_a_period_no_article_matches_widens_the_search_and_says_so():
    query, decision = scoped("Qu'a-t-on publié en janvier 2024 sur les retraites ?")
    assert decision.refusal is None and query.among is None and "janvier" not in query.question
    assert query.scope_notice == ScopeNotice((), dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert rendering.notice_text(query.scope_notice, "fr") == (
        "Aucun article publié entre le 1er janvier 2024 et le 31 janvier 2024 dans l'archive ; voici ce que disent les autres :"
    )


def test_a_period_is_given_up_before_an_outlet():
    query, _ = scoped("Que dit Libération depuis le 1er mars ?")  # its one article is from November
    assert query.among == {"liberation-1"} and query.scope_notice == ScopeNotice(("Libération",), dt.date(2024, 3, 1), AS_OF)
    assert rendering.notice_text(query.scope_notice, "en").startswith("No article from Libération published between 1 March 2024 and 20 March 2024")
    query, _ = scoped("Que dit Le Parisien la semaine dernière ?")  # no Parisien at all: the week narrows alone
    assert query.among == {"figaro-1"} and query.scope_notice == ScopeNotice(("Le Parisien",))


def test_a_name_after_a_person_a_title_or_a_survey_is_no_outlet_unless_indexed():
    for question in (
        "Selon le sondage Ifop pour Le Parisien, qui a gagné ?",  # not indexed: the survey's sponsor, no outlet
        "Selon Marianne Dupont, présidente de l'association, qui a gagné ?",  # a person, not the weekly
        "Selon La Croix-Rouge, combien de blessés ?",  # an organisation, not the daily
        "D'après le démographe Hervé Le Bras, la population baisse-t-elle ?",
    ):
        query, decision = scoped(question)
        assert decision.refusal is None and query.among is None and query.scope_notice is None and query.question == question, question
    query, _ = scoped("Selon une étude publiée dans Le Figaro, qui a gagné ?")  # indexed: the outlet it is
    assert query.among == {"figaro-1", "figaro-2"}


def test_an_article_that_answers_is_never_refused_out_of_scope(make_assistant, tmp_path):
    """The cases of issue 26, through the whole pipeline with the fast fakes."""
    records = [
        {"id": "aoc", "title": "La retraite, un archaïsme", "source": "AOC media", "url": SITES["aoc"]["url"], "date": "2019-12-10",
         "text": "Pour le néolibéralisme, la retraite est un archaïsme. Les grandes grèves de 1995 furent un moment historique."},
        {"id": "ouest", "title": "Incendie dans une grange à Frain", "url": SITES["ouest"]["url"], "date": "2020-03-23",
         "text": "Un incendie a détruit une grange à Frain. Le voisin a vu les flammes depuis sa fenêtre vers 17 heures."},
        {"id": "blog", "title": "Violences policières", "source": "Club de Mediapart", "url": SITES["blog"]["url"], "date": "2019-06-27",
         "text": "Le documentariste David Dufresne a recensé plus de 600 blessés en six mois de manifestations."},
        {"id": "bus", "title": "Pas d'autobus scolaires", "source": "Radio-Canada", "url": "https://ici.radio-canada.ca/nouvelle/1728875", "date": "2020-08-24",
         "text": "Selon un sondage de l'organisation, 5500 élèves ne prendront pas l'autobus scolaire cette année à Ottawa."},
    ]  # fmt: skip
    archive = tmp_path / "archive.jsonl"
    archive.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    script = {"retraite": "Un archaïsme [1].", "flammes": "Le voisin [1].", "blessés": "Plus de 600 blessés [1].", "autobus": "5500 élèves [1]."}
    assistant = make_assistant(script)
    assistant.ingest([archive])
    assert {a["id"]: a["source"] for a in assistant.articles()}["ouest"] == "Ouest-France", "an article without an outlet is named from its URL"
    cases = {
        "Selon AOC, qu'est-ce que la retraite pour le néolibéralisme ?": "aoc",
        "Que dit Ouest-France : qui a vu les flammes à Frain ?": "ouest",
        "D'après Mediapart, combien de blessés David Dufresne a-t-il recensés ?": "blog",
        "Selon Le Parisien, combien de blessés David Dufresne a-t-il recensés ?": "blog",
        "Selon le sondage Ifop pour Le Parisien, combien d'élèves ne prendront pas l'autobus scolaire ?": "bus",
        "Selon Marianne Dupont, combien d'élèves ne prendront pas l'autobus scolaire à Ottawa ?": "bus",
        "Combien d'élèves ne prendront pas l'autobus scolaire selon les articles de la semaine dernière ?": "bus",
    }
    for question, article in cases.items():
        answer = assistant.ask(question, as_of="2024-03-20")
        assert not answer.refused, (question, answer.refusal_reason)
        assert [c.passage.article_id for c in answer.citations] == [article], question
    widened = assistant.ask("Selon Le Parisien, combien de blessés David Dufresne a-t-il recensés ?")
    assert widened.text.startswith("Aucun article de Le Parisien dans l'archive ; voici ce que disent les autres : Plus de 600 blessés [1]")
    assert "(Club de Mediapart, 27 juin 2019)" in widened.text, "the answer says whose article it is instead"
    english = assistant.ask("In the Ouest-France testimony, who saw the flames?")
    scope_step = next(step for step in english.trace if step.stage == "scope")
    assert english.refusal_reason != "out_of_scope" and scope_step.details["articles"] == 1


def test_an_order_with_no_subject_picks_the_newest_or_oldest_article_in_scope():
    query, decision = scoped("Quel est l'article le plus récent du Figaro ?")
    assert query.order == "latest" and query.among == {"figaro-1"} and decision.details["picked"] == "figaro-1"
    query, _ = scoped("Que dit le plus ancien article de l'archive ?")
    assert query.order == "oldest" and query.among == {"liberation-1"}, "an undated article has no place in an order"
    query, _ = scoped("Quelles sont les dernières nouvelles sur la grève ?")
    assert query.among is None, "a subject named: the articles on it are ranked by date, none picked"


def test_an_order_or_an_outlet_the_request_words_carried_are_read_from_the_message():
    # `understand` cuts a summary request to its subject, and with it the article noun (« le plus
    # ancien article ») or the cue (« Que raconte ») that made the words an order or an outlet.
    query = Query("De quoi parle le plus ancien article du Figaro ?", filters=filters(as_of=AS_OF))
    query.question = "le plus ancien du Figaro ?"
    Scope(Articles()).run(query)
    assert query.order == "oldest" and query.among == {"figaro-2"}
    query = Query("Que raconte Libération sur la grève ?", filters=filters(as_of=AS_OF))
    query.question = "Libération sur la grève ?"
    Scope(Articles()).run(query)
    assert query.among == {"liberation-1"} and query.question == "sur la grève ?"
