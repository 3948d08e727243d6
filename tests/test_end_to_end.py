"""The product on the real models: e5 embeddings (e5-onnx), Qwen2.5 in llama.cpp, the sample article."""

import pytest

from assistant.config import SAMPLE_ARTICLE
from assistant.errors import AssistantError

pytestmark = pytest.mark.slow
ARTICLE = SAMPLE_ARTICLE.read_text(encoding="utf-8").strip()


def test_reference_question_is_answered_with_the_passage_that_says_so(real_assistant):
    answer = real_assistant.ask("Où Milley a-t-il rencontré Zaluzhny ?")
    assert not answer.refused
    assert "Pologne" in answer.text
    assert answer.citations, "the answer must cite its passage"
    citation = answer.citations[0]
    assert f"[{citation.n}]" in answer.text
    assert "pologne" in citation.passage.text.lower()  # the dateline « SUD-EST DE LA POLOGNE » counts
    assert ARTICLE[citation.start : citation.end] == citation.passage.text
    assert ARTICLE[citation.quote_start : citation.quote_end] == citation.quote
    assert "pologne" in citation.quote.lower()


def test_question_the_articles_do_not_answer_is_refused(real_assistant):
    answer = real_assistant.ask("Qui a remporté la Coupe du monde de football 2022 ?")
    assert answer.refused and answer.citations == []
    assert answer.text == "Je ne trouve pas la réponse dans les articles indexés."


def test_invented_age_is_refused(real_assistant):
    answer = real_assistant.ask("Quel âge a Milley ?")
    assert answer.refused, answer.text


def test_english_question_gets_an_english_answer_citing_the_french_passage(real_assistant):
    answer = real_assistant.ask("At what time did Milley arrive?")
    assert not answer.refused, answer.text
    assert "11" in answer.text
    # Too short for language detection (« 11 am [1]. »): check it is not the French quote copied.
    assert "heures" not in answer.text and "matin" not in answer.text
    assert "11 heures" in answer.citations[0].passage.text


def test_english_answer_without_a_shared_word_is_checked_by_meaning(real_assistant):
    # « south-east of Poland » shares no word with « sud-est de la Pologne »: only the
    # cross-lingual check on windows of the passage can back it.
    answer = real_assistant.ask("Where did Milley meet Zaluzhny?")
    assert not answer.refused, answer.text
    assert "Poland" in answer.text
    assert "Pologne" in answer.citations[0].passage.text
    # The highlighted quote is the sentence that says it, found by meaning (it was the passage's
    # first sentence, about Milley's job, when no word matched).
    assert "Pologne" in answer.citations[0].quote


def test_follow_up_question_uses_the_conversation(real_assistant):
    first = real_assistant.chat("Où Milley a-t-il rencontré Zaluzhny ?", [])
    history = [("user", "Où Milley a-t-il rencontré Zaluzhny ?"), ("assistant", first.text)]
    answer = real_assistant.chat("Et à quelle heure est-il arrivé ?", history)
    assert answer.standalone_question and answer.standalone_question != "Et à quelle heure est-il arrivé ?"
    assert "11" in answer.text and not answer.refused


def test_tokens_stream_before_the_final_answer(real_assistant):
    events = list(real_assistant.stream("À quelle heure Milley est-il arrivé ?"))
    assert len(events) > 3 and all(isinstance(e, str) for e in events[1:-1])
    assert events[-1].timings["first_token_s"] < events[-1].timings["total_s"]


def test_small_model_is_selectable(sample_index):
    from assistant.api import Assistant

    answer = Assistant.open(sample_index, llm="small").ask("À quelle heure Milley est-il arrivé ?")
    assert "11" in answer.text and not answer.refused


def test_a_missing_model_file_says_what_to_give(sample_index):
    from assistant.api import Assistant

    with pytest.raises(AssistantError, match="'small', 'large' or the path of a GGUF file"):
        Assistant.open(sample_index, llm="/nowhere/model.gguf").ask("À quelle heure Milley est-il arrivé ?")
