"""Questions about time, outlets, several sources and summaries, over the real news pages of
../shared/news (the fast fakes answer; retrieval, scope and checks are the product's)."""

import pytest

from tests.conftest import shared_dir

NEWS = shared_dir("news")
pytestmark = pytest.mark.skipif(not NEWS.is_dir(), reason=f"the real news pages are not at {NEWS}")
AS_OF = "2020-12-27"
SCRIPT = {
    "Économie": "Pierre Moscovici [1].",
    "Népal": "Un troisième Français [1].",
    "retraites": "Jean-Paul Delevoye [1].",
    "Manchester": "Manchester United a laissé filer les trois points [1].",
    "autobus": "Avant la mi-septembre [1].",
    "couvre-feu": "Le conducteur surpris à Mellet [1].",
}


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    from assistant.api import Assistant
    from assistant.config import Settings
    from tests.conftest import HashEmbedding, ScriptedGenerator

    # Hashed words make lower cosines than e5: the gates are set lower, as in conftest.
    settings = Settings(index_dir=tmp_path_factory.mktemp("news") / "index", min_relevance=0.1, min_sentence_relevance=0.2, confidence_model="", as_of=AS_OF)
    assistant = Assistant(settings, embed_model=HashEmbedding(), generator=ScriptedGenerator(SCRIPT))
    assistant.ingest([NEWS])
    return assistant


def cited_outlets(answer) -> list[str]:
    return [c.passage.source for c in answer.citations]


def test_an_outlet_named_restricts_the_answer_to_it(news):
    answer = news.ask("Selon Le Figaro, qui est le ministre de l'Économie ?")
    assert not answer.refused and cited_outlets(answer) == ["Le Figaro"]
    assert "(Le Figaro, 5 avril 2013)" in answer.text, "the answer says whose article it rests on, and its date"


def test_a_day_named_restricts_the_answer_to_that_days_articles(news):
    answer = news.ask("Combien de Français sont morts au Népal selon l'article publié le 30 avril 2015 ?")
    assert [c.passage.date for c in answer.citations] == ["2015-04-30"] and cited_outlets(answer) == ["Libération"]
    yesterday = news.ask("Qu'a fait Manchester United hier ?")  # as of 27 December 2020
    assert [c.passage.date for c in yesterday.citations] == ["2020-12-26"]


def test_the_latest_article_on_a_story_answers(news):
    answer = news.ask("Quelles sont les dernières nouvelles sur la réforme des retraites ?")
    assert answer.passages[0].date == "2019-12-10" and answer.passages[0].source == "AOC media", "AOC's is a day newer than Gala's"


def test_an_outlet_with_no_article_is_said_so(news):
    answer = news.ask("Selon Le Parisien, qui a brisé le couvre-feu ?")
    assert not answer.refused and cited_outlets(answer) == ["Sudinfo"], "searched in every outlet instead"
    assert answer.text.startswith("Aucun article de Le Parisien dans l'archive ; voici ce que disent les autres : ")
    assert answer.text.endswith("(Sudinfo, 24 décembre 2020).")


@pytest.mark.parametrize(
    ("question", "outlet"),
    [
        ("Selon AOC, la retraite est-elle un archaïsme pour le néolibéralisme ?", "AOC media"),  # the page says « AOC media »
        ("D'après Mediapart, combien de personnes blessées David Dufresne a-t-il recensées ?", "Club de Mediapart"),  # a blog of mediapart.fr
        ("According to Radio-Canada, until when will there be no school buses in Ottawa?", "Radio-Canada"),
    ],
)
def test_an_outlet_is_found_under_any_of_its_names(news, question, outlet):
    answer = news.ask(question)
    scope = next(step for step in answer.trace if step.stage == "scope")
    assert answer.refusal_reason != "out_of_scope" and scope.details["articles"] >= 1 and "notice" not in scope.details
    assert {news.store.articles()[i]["source"] for i in _among(news, question)} == {outlet}


def _among(news, question):
    from assistant.answering.query import Query
    from assistant.answering.scope import Scope, filters

    query = Query(question, filters=filters(as_of=AS_OF))
    query.question = question
    Scope(news.store).run(query)
    return query.among


def test_the_readers_filters_restrict_too(news):
    answer = news.ask("Jusqu'à quand n'y a-t-il pas d'autobus scolaires ?", sources=["radio-canada.ca"], since="2020-01-01")
    assert cited_outlets(answer) == ["Radio-Canada"] and answer.citations[0].passage.date == "2020-08-24"
    none = news.ask("Jusqu'à quand n'y a-t-il pas d'autobus scolaires ?", sources=["Radio-Canada"], until="2016-12-31")
    assert none.refused and none.refusal_reason == "out_of_scope"


def test_a_summary_is_sentences_of_the_article_each_cited(news):
    answer = news.ask("Résume l'article sur l'incendie dans une maison")
    lines = answer.text.splitlines()
    assert answer.outcome == "summary" and 3 <= len(lines) <= 5
    assert {c.passage.source for c in answer.citations} == {"Vosges Matin"}
    for line, citation in zip(lines, answer.citations):
        assert line.startswith("– ") and f"[{citation.n}]" in line and citation.quote.strip() in line, "each sentence is the article's, cited"
    assert [step.stage for step in answer.trace][-1] == "summarize", "a summary ends the question: no model call"


def test_an_overview_gives_each_outlet_on_the_story(news):
    answer = news.ask("Que disent les articles sur la réforme des retraites ?")
    assert answer.outcome == "summary" and {"AOC media", "Gala"} <= set(cited_outlets(answer))
    assert "(Gala, 9 décembre 2019)" in answer.text and "(AOC media, 10 décembre 2019)" in answer.text


@pytest.mark.slow
def test_with_the_real_models_a_date_and_an_outlet_question_cite_the_right_article(tmp_path):
    from assistant.api import Assistant

    assistant = Assistant.open(tmp_path / "index", as_of=AS_OF)
    assistant.ingest([NEWS])
    nepal = assistant.ask("Combien de Français sont morts au Népal selon l'article publié le 30 avril 2015 ?")
    assert not nepal.refused and [(c.passage.source, c.passage.date) for c in nepal.citations][:1] == [("Libération", "2015-04-30")]
    minister = assistant.ask("Selon Le Figaro, qui est le ministre de l'Économie ?")
    assert not minister.refused and "Moscovici" in minister.text and cited_outlets(minister)[:1] == ["Le Figaro"]


def test_questions_about_the_articles_themselves_are_answered_from_their_dates_and_titles(news):
    first = news.ask("Lequel est paru d'abord : l'article de Sudinfo sur le couvre-feu ou celui de L'Express sur Manchester United ?")
    assert first.text.startswith("Le premier publié : ") and "(Sudinfo, 24 décembre 2020) [1]" in first.text
    assert "(L'Express, 26 décembre 2020) [2]" in first.text and cited_outlets(first) == ["Sudinfo", "L'Express"]
    newest = news.ask("De quoi parle le dernier article en date de Radio-Canada ?")
    heading = newest.text.splitlines()[0]
    assert heading.endswith("(Radio-Canada, 24 août 2020) :") and "autobus" in heading, "the 2020 article, not the 2017 one"
    assert set(cited_outlets(newest)) == {"Radio-Canada"} and newest.outcome == "summary"
