"""Which articles a question is about (`answering.scope`), and the order by date (`retrieve.by_date`)."""

import datetime as dt

import pytest

from assistant.answering.query import Query
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

    def articles(self):
        return RECORDS


def scoped(question: str, **chosen):
    query = Query(question, filters=filters(as_of=AS_OF, **chosen))
    query.question = question
    return query, Scope(Articles()).run(query)


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
    query, _ = scoped("Qu'a dit le ministre hier ?", sources=["Le Figaro"])
    assert query.among == set()


def test_nothing_in_scope_is_a_refusal_that_says_why():
    _, decision = scoped("Selon Le Parisien, qui a gagné ?")
    assert decision.refusal == "out_of_scope" and decision.details["missing_outlets"] == ["Le Parisien"]
    _, decision = scoped("Que s'est-il passé en 2019 selon les articles publiés cette année-là ?", until="2019-12-31")
    assert decision.refusal == "out_of_scope"


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
