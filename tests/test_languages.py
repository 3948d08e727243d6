"""The languages package: every language module holds the same fields, French and English read
and write as before it, and Spanish (the first language added through it) gets its keyword
index and its refusal sentences."""

import re

import pytest

from assistant import languages
from assistant.answering.policy import Refusal, refusal_text
from assistant.api import Assistant
from assistant.config import Settings
from assistant.errors import InputError
from assistant.store import keywords
from assistant.store.records import keyword_language
from assistant.types import Article
from tests.conftest import HashEmbedding, ScriptedGenerator

SPANISH = Article(
    id="cumbre",
    title="Cumbre en Bruselas",
    text="Los ministros europeos negociaron durante tres noches en Bruselas. El acuerdo sobre el gas llegó el jueves.",
    source="El País",
    date="2024-03-07",
)
INFLECTED = "negociaciones"  # « negociaron » in the article: one Spanish stem, two French words


def _placeholders(template: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", template))


@pytest.mark.parametrize("code", list(languages.LANGUAGES))
def test_every_language_writes_every_sentence_with_the_same_blanks(code):
    language = languages.LANGUAGES[code]
    assert all(hasattr(language, field) for field in languages.WRITTEN), code
    assert set(language.WHY) == {reason.value for reason in Refusal}
    assert set(language.CONFIDENCE) == set(languages.get("fr").CONFIDENCE)
    assert _placeholders(language.QUOTE) == {"quote", "n"} and _placeholders(language.OTHER_FIGURE) == {"outlet", "figure"}
    assert _placeholders(language.DATE) == {"day", "month", "year"} and len(language.MONTH_NAMES) == 12
    blanks = {"notice": {"what"}, "outlet": {"outlet"}, "day": {"day"}, "since": {"since"}, "until": {"until"}, "between": {"since", "until"}}
    assert {part: _placeholders(sentence) for part, sentence in language.SCOPE_NOTICE.items()} == blanks
    if code in (*languages.READ, "es"):
        assert all(hasattr(language, field) for field in languages.READ_FIELDS), code


def test_french_and_english_write_as_before():
    assert refusal_text("fr") == "Je ne trouve pas la réponse dans les articles indexés."
    assert refusal_text("en") == refusal_text("zz") == "I cannot find the answer in the indexed articles."
    assert refusal_text("de") == "Ich finde die Antwort nicht in den indexierten Artikeln."
    assert Refusal.MODEL.why("fr") == "le modèle n'a pas trouvé la réponse dans les passages"
    assert Refusal.MODEL.why("de") == Refusal.MODEL.why("en") == "the model found no answer in the passages"
    assert languages.get("fr").QUOTE.format(quote="Il pleut", n=1) == "L'article dit : « Il pleut » [1]."
    assert languages.get("it").QUOTE == languages.get("en").QUOTE
    # Dates: French for a language without month names, « 1er » but in English.
    assert [languages.long_date("2015-05-01", code) for code in ("fr", "en", "de", "zz")] == ["1er mai 2015", "1 May 2015", "1er mai 2015", "1er mai 2015"]
    assert languages.source_line("Libération", "2015-04-30") == "Libération · 30 avril 2015"
    assert languages.name("zz") == "French" and languages.name("es") == "Spanish"


def test_the_fold_for_words_and_the_fold_that_keeps_offsets():
    assert languages.fold("Été") == "ete" and languages.fold("ﬁn") == "fin"  # compatibility forms unfolded
    text = "Qu’écrit L’Œuvre ﬁn ?"
    kept = languages.fold(text, same_length=True)
    assert len(kept) == len(text) and kept == "qu'ecrit l'œuvre ﬁn ?"


def test_the_words_read_are_those_of_french_and_english():
    from assistant.ingest.dates import MONTHS
    from assistant.reading.timewords import MONTHS as QUESTION_MONTHS
    from assistant.text import STOPWORDS

    assert {"le", "the", "où"} <= STOPWORDS and "los" not in STOPWORDS  # Spanish is not read yet
    assert MONTHS["aout"] == MONTHS["aug"] == 8 and "marzo" not in MONTHS
    assert "mar" in MONTHS and "mar" not in QUESTION_MONTHS  # « mar » is read in dates only


def test_an_index_in_spanish_finds_a_spanish_article_by_an_inflected_word(tmp_path):
    def assistant(language: str | None, folder: str) -> Assistant:
        settings = Settings(index_dir=tmp_path / folder, **({"index_language": language} if language else {}))
        return Assistant(settings, embed_model=HashEmbedding(), generator=ScriptedGenerator())

    spanish = assistant("es", "es")
    spanish.ingest_articles([SPANISH])
    assert spanish.store.manifest["language"] == "es"
    assert [hit.node.metadata["article_id"] for hit in spanish.store.keywords(INFLECTED, 3)] == ["cumbre"]
    reopened = assistant(None, "es")  # the index keeps its language, whatever the settings say
    assert reopened.store.manifest["language"] == "es" and reopened.store.keywords(INFLECTED, 3)
    french = assistant(None, "fr")
    french.ingest_articles([SPANISH])
    assert french.store.manifest["language"] == "fr" and french.store.keywords(INFLECTED, 3) == []


def test_keyword_tokens_by_language():
    assert keywords.tokens("negociaron", "es") == keywords.tokens(INFLECTED, "es")
    assert keywords.tokens("los ministros", "es") == ["ministr"]  # Spanish stop words dropped
    assert keywords.tokens("affinait") == keywords.tokens("affiné", "fr")  # French by default
    assert keyword_language({"embed_model": "e5"}) == "fr", "an index made before the field reads as French"
    with pytest.raises(InputError, match="es"):
        keywords.tokens("hola", "xx")


def test_a_spanish_question_gets_spanish_sentences(make_assistant):
    assistant = make_assistant(min_relevance=0.5)
    assistant.ingest_articles([SPANISH])
    answer = assistant.ask("¿Quién ganó la Copa del Mundo de fútbol de 2022?")
    assert answer.language == "es" and answer.refused
    assert answer.text == "No encuentro la respuesta en los artículos indexados."
    assert Refusal(answer.refusal_reason).why(answer.language) == "ningún pasaje de los artículos se acerca a la pregunta"


def test_how_sure_in_spanish_and_as_before_elsewhere():
    class Given:
        refused, outcome = False, "answer"
        confidence = 0.9

    assert languages.sureness(Given, "es") == "respuesta segura (confianza 90 %)"
    assert languages.sureness(Given, "fr") == "réponse sûre (confiance 90 %)"
    assert languages.sureness(Given, "de") == languages.sureness(Given, "en") == "confident answer (confidence 90 %)"
    assert languages.long_date("2024-03-07", "es") == "7 de marzo de 2024"


@pytest.mark.slow  # a PostgreSQL server
def test_a_postgresql_index_records_its_language_and_stems_in_it():
    from assistant.store import pgserver
    from tests import pg

    folder = pg.workspace()
    server = pgserver.start(folder / "one", settings=pgserver.FAST)
    try:
        url = pg.table_url(server.url())
        settings = Settings(store=url, index_language="es")
        spanish = Assistant(settings, embed_model=HashEmbedding(), generator=ScriptedGenerator())
        spanish.ingest_articles([SPANISH])
        reopened = Assistant(Settings(store=url), embed_model=HashEmbedding(), generator=ScriptedGenerator())
        assert reopened.store.manifest["language"] == "es"
        assert [hit.node.metadata["article_id"] for hit in reopened.store.keywords(INFLECTED, 3)] == ["cumbre"]
    finally:
        pg.stop([server], folder)


def test_the_gates_give_a_question_in_another_language_than_its_passage_the_cross_lingual_margin():
    from assistant.answering.gates import PassageGate, SentenceGate
    from assistant.answering.query import Evidence, Query
    from assistant.types import Passage

    french = "Le général Milley a rencontré son homologue ukrainien dans le sud-est de la Pologne, près de la frontière."
    passage = Passage(article_id="a", source="s", title="t", text=french, start=0, end=len(french), score=1.0, dense_score=0.79)
    for language, refused in (("en", False), ("fr", True)):  # 0.79: under 0.81, over 0.81 - 0.04
        query = Query("?", language=language, passages=[passage], evidence=Evidence([], 0.79))
        for gate in (PassageGate(0.81, 0.04), SentenceGate(0.82, 0.04)):
            decision = gate.run(query)
            assert (decision.refusal is not None) == refused, (language, gate.name)
            assert decision.details.get("cross_lingual", False) == (language == "en")


def test_the_cross_lingual_decision_table_compares_the_checks_with_the_models():
    """`lab.cross_lingual --decide`: the same rows decided by the checks and by the shipped
    models at each threshold; the chosen threshold is the lowest refusing 95 % of the probes."""
    from assistant.answering.confidence import ConfidenceModel
    from assistant.answering.wiring import DEFAULT_CONFIDENCE_MODEL
    from assistant.lab.cross_lingual import decision_table

    names = ConfidenceModel.load(DEFAULT_CONFIDENCE_MODEL).answer.names

    def row(answerable: bool, finding: str | None, cosine: float) -> dict:
        signals = dict.fromkeys(names, 0.0) | {"sentence_cosine": cosine, "passage_cosine": cosine, "cross_lingual": 1.0}
        return {
            "answerable": answerable,
            "rules_refusal": finding,
            "signals": signals,
            "answer": "In Poland [1].",
            "quote": "",
            "answer_right": answerable,
            "quote_right": False,
        }

    rows = [row(True, None, 0.9), row(True, "unsupported", 0.9), row(False, None, 0.7), row(False, "relevance", 0.7)]
    table, chosen = decision_table(rows)
    checks = next(line for line in table.splitlines() if line.startswith("| the checks"))
    assert checks.split("|")[2:5] == [" 0.500 ", " 1 ", " 1 "], "the checks answer what they found nothing against"
    assert 0.0 < chosen <= 1.0 and f"threshold {chosen:.2f}" in table
