import pytest

from assistant.errors import IndexStoreError, InputError
from assistant.types import Answer, Article, Reading
from tests.conftest import MILLEY

SCRIPT = {
    "Où Milley": "Dans le sud-est de la Pologne [1].",
    "âge": "Milley a 68 ans [1].",
    "Where": "In south-eastern Poland [1].",
    "heure": "Vers 11 heures du matin [1].",
}


@pytest.fixture
def assistant(make_assistant):
    assistant = make_assistant(SCRIPT, chunk_chars=200, overlap_chars=0)
    assistant.ingest_articles([MILLEY])
    return assistant


def test_answer_cites_the_passage_with_its_offsets(assistant):
    answer = assistant.ask("Où Milley a-t-il rencontré Zaluzhny ?")
    assert not answer.refused
    [citation] = answer.citations
    # The script cites [1]; the check moves the marker to the passage that says it.
    assert answer.text == f"Dans le sud-est de la Pologne [{citation.n}]."
    assert "Pologne" in citation.passage.text
    assert MILLEY.text[citation.start : citation.end] == citation.passage.text
    assert MILLEY.text[citation.quote_start : citation.quote_end] == citation.quote
    assert "Pologne" in citation.quote
    assert answer.to_dict()["citations"][0]["quote"] == citation.quote


def test_stream_yields_the_passages_read_then_the_draft_then_the_checked_answer(assistant):
    events = list(assistant.stream("À quelle heure Milley est-il arrivé ?"))
    assert isinstance(events[0], Reading) and events[0].passages == events[-1].passages
    assert all(isinstance(e, str) for e in events[1:-1]) and len(events) > 3
    assert isinstance(events[-1], Answer) and "11 heures" in events[-1].text
    assert {"retrieve_s", "first_token_s", "draft_s", "total_s"} <= set(events[-1].timings)


def test_invented_fact_becomes_a_refusal_in_the_question_language(assistant):
    answer = assistant.ask("Quel âge a Milley ?")
    assert answer.refused and answer.citations == [] and answer.refusal_reason in ("answer_type", "unsupported")
    assert answer.draft == "Milley a 68 ans [1].", "what the model wrote is kept for inspection"
    assert answer.text == "Je ne trouve pas la réponse dans les articles indexés."
    assert answer.passages, "the closest passages are still offered to the reader"


def test_unrelated_question_is_refused_without_calling_the_model(make_assistant):
    assistant = make_assistant(SCRIPT, min_relevance=0.5)
    assistant.ingest_articles([MILLEY])
    answer = assistant.ask("Who won the 2022 football World Cup?")
    assert answer.refused and answer.text == "I cannot find the answer in the indexed articles."
    assert assistant.generator.prompts == [] and answer.refusal_reason == "relevance" and answer.draft is None


def test_prompt_holds_numbered_passages_the_question_and_its_language(assistant):
    assistant.ask("Where did Milley meet Zaluzhny?")
    prompt = assistant.generator.prompts[-1][-1]["content"]
    assert "[1] " in prompt and "Question : Where did Milley meet Zaluzhny?" in prompt and "English" in prompt


def test_excerpts_are_what_the_model_reads(assistant):
    question = "À quelle heure Milley est-il arrivé ?"
    [evidence] = [step for step in assistant.read(question).trace if step.stage == "evidence"]
    excerpts = evidence.details["excerpts"]
    assistant.ask(question)
    prompt = assistant.generator.prompts[-1][-1]["content"]
    assert excerpts and all(f"[{e['n']}] {e['text']}" in prompt for e in excerpts)
    assert any("11 heures" in e["text"] for e in excerpts)


def test_a_follow_up_pronoun_gets_its_name_without_a_model_call(assistant):
    history = [("user", "Où Milley a-t-il rencontré Zaluzhny ?"), ("assistant", "En Pologne [1].")]
    answer = assistant.chat("Et à quelle heure est-il arrivé ?", history)
    assert answer.standalone_question == "À quelle heure Milley est-il arrivé ?" and answer.trace[0].decision == "pronoun resolved"
    assert "11 heures" in answer.text and len(assistant.generator.prompts) == 1  # the answer's prompt alone


def test_a_follow_up_the_rule_cannot_place_is_rewritten_by_the_model(assistant):
    assistant.generator.rewrite = "À quelle heure Zaluzhny est-il arrivé ?"
    history = [("user", "À quelle heure Milley est-il arrivé ?"), ("assistant", "Vers 11 heures [1].")]
    answer = assistant.chat("Et Zaluzhny ?", history)
    assert answer.standalone_question == "À quelle heure Zaluzhny est-il arrivé ?" and answer.trace[0].decision == "rewritten"
    rewriting = assistant.generator.prompts[0][0]["content"]
    assert "Assistant: Vers 11 heures." in rewriting and "[1]" not in rewriting, "the conversation, its markers taken out"


def test_a_message_that_names_its_subject_is_not_rewritten(assistant):
    assistant.generator.rewrite = "À quelle heure Zaluzhny est-il arrivé ?"  # would mislead the search
    history = [("user", "Où Milley a-t-il rencontré Zaluzhny ?"), ("assistant", "En Pologne [1].")]
    answer = assistant.chat("À quelle heure Milley est-il arrivé en Pologne ?", history)
    assert answer.standalone_question is None and answer.trace[0].decision == "as written"
    assert "11 heures" in answer.text and len(assistant.generator.prompts) == 1  # the answer's prompt alone


@pytest.mark.parametrize("question, message", [("", "empty"), ("   ", "empty"), ("x" * 10_000, "characters long")])
def test_bad_questions_get_a_clear_error(assistant, question, message):
    with pytest.raises(InputError, match=message):
        assistant.ask(question)


def test_asking_an_empty_index_says_what_to_do(make_assistant):
    with pytest.raises(IndexStoreError, match="assistant ingest"):
        make_assistant().ask("Où ?")


def test_ingest_reports_rejected_files_and_keeps_the_rest(make_assistant, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Le maire de Lyon a inauguré un pont sur le Rhône.", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01binary")
    assistant = make_assistant()
    report = assistant.ingest([good, bad])
    assert report.added == [str(good.resolve())]
    assert report.rejected == [(str(bad), "looks like a binary file, not text")]
    assert assistant.info()["articles"] == 1


def test_removing_an_unknown_article_says_how_to_list_them(assistant):
    with pytest.raises(InputError, match="assistant info"):
        assistant.remove("nope")


def test_a_refusal_that_lost_narrowly_still_refuses_and_stops_reading(make_assistant):
    script = {"Quand": ("Mardi [1].", 0.4), "Où Milley": ("Dans le sud-est de la Pologne [1].", 0.05)}
    assistant = make_assistant(script, chunk_chars=200, overlap_chars=0, refusal_threshold=0.3)
    assistant.ingest_articles([MILLEY])

    unsure = assistant.ask("Quand Milley a-t-il vu Zaluzhny ?")
    assert unsure.refused and unsure.citations == [] and unsure.refusal_probability == pytest.approx(0.4)
    assert assistant.generator.pieces_read == 1, "nothing after the first piece is generated"

    sure = assistant.ask("Où Milley a-t-il rencontré Zaluzhny ?")
    assert not sure.refused and "Pologne" in sure.text
    assert sure.refusal_probability == pytest.approx(0.05) and sure.to_dict()["refusal_probability"] == 0.05


def test_the_models_own_choice_decides_when_the_threshold_is_off(make_assistant):
    assistant = make_assistant({"Quand": ("Mardi [1].", 0.4)}, chunk_chars=200, overlap_chars=0, refusal_threshold=1.0)
    assistant.ingest_articles([MILLEY])
    answer = assistant.ask("Quand Milley a-t-il vu Zaluzhny ?")
    assert not answer.refused and answer.text.startswith("Mardi")


def test_passages_on_the_topic_without_a_sentence_that_answers_are_refused_before_generation(make_assistant):
    scattered = Article(id="scattered", title="t", text="Milley est arrivé mardi. Il a ensuite rejoint la Pologne.")
    question = "Quand Milley est-il arrivé en Pologne ?"  # its words are in the passage, never in one sentence
    strict = make_assistant({"Quand": "Mardi [1]."}, min_relevance=0.6, min_sentence_relevance=0.65)
    strict.ingest_articles([scattered])
    answer = strict.ask(question)
    assert answer.refused and answer.passages and strict.generator.prompts == []
    assert answer.refusal_reason == "sentence_relevance" and answer.to_dict()["refusal_reason"] == "sentence_relevance"
    gates = {step.stage: step.details for step in strict.read(question).trace}
    assert gates["passage_gate"]["best_passage_cosine"] > 0.65 > gates["sentence_gate"]["best_sentence_cosine"]

    lenient = make_assistant({"Quand": "Mardi [1]."}, index_dir=strict.settings.index_dir, min_relevance=0.6, min_sentence_relevance=0.5)
    assert lenient.ask(question).refusal_reason is None


def test_warming_up_in_the_background_loads_the_model_once_while_a_question_waits_for_it(monkeypatch, tmp_path):
    import threading

    from assistant import api
    from assistant.config import Settings
    from tests.conftest import HashEmbedding, ScriptedGenerator

    assistant = api.Assistant(Settings(index_dir=tmp_path / "index"), embed_model=HashEmbedding())
    loads, release = [], threading.Event()

    class Loaded(ScriptedGenerator):
        def prime(self, messages, directory=None):  # the real one reads the fixed prompt
            pass

    def slow_load(path, context_window, threads):  # stands for reading a model of a GB
        loads.append(path)
        release.wait(5)
        return Loaded()

    monkeypatch.setattr(api, "model_path", lambda name, cache_dir: name)
    monkeypatch.setattr(api, "load_generator", slow_load)
    thread = assistant.warm_up(background=True)
    assert thread.is_alive() and not assistant.model_loaded, "it returns before the model is in memory"
    asker = threading.Thread(target=lambda: assistant.generator)
    asker.start()
    release.set()
    thread.join(5)
    asker.join(5)
    assert assistant.model_loaded and len(loads) == 1, "the question waited for the load under way instead of loading again"
