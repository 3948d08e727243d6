"""`assistant serve`: the OpenAI-compatible and REST APIs over a real `Assistant` with the fast
fakes (in memory, through Starlette's test client: no socket), then the real server on a
loopback port with the real models and real clients (marked slow): the `openai` package, httpx,
gradio_client on the same port."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from assistant.config import SAMPLE_ARTICLE
from assistant.errors import InputError
from assistant.server import AnswerQueue, ApiKeys, Limits, create_server
from assistant.server import sources as server_sources
from assistant.server.access import read_key_file
from assistant.types import Answer
from tests.conftest import MILLEY, ScriptedGenerator

QUESTION = "Où Milley a-t-il rencontré Zaluzhny ?"
SCRIPT = {"Où Milley": "Dans le sud-est de la Pologne [1].", "heure": "Vers 11 heures du matin [1]."}
KEY = "test-key-0123"


@pytest.fixture
def assistant(make_assistant):
    assistant = make_assistant(SCRIPT, chunk_chars=200, overlap_chars=0)
    assistant.ingest_articles([MILLEY])
    return assistant


@pytest.fixture
def client(assistant):
    return TestClient(create_server(assistant, page=False))


def events_of(response) -> list:
    """The server-sent events' data, parsed; the final `[DONE]` kept as a string."""
    found = []
    for line in response.iter_lines():
        if line.startswith("data: "):
            data = line[len("data: ") :]
            found.append(data if data == "[DONE]" else json.loads(data))
    return found


def chat(question: str, **body) -> dict:
    return {"model": "assistant", "messages": [{"role": "user", "content": question}], **body}


# -- the OpenAI-compatible API ---------------------------------------------------------------


def test_the_model_list_names_the_assistant(client):
    listed = client.get("/v1/models").json()
    assert [m["id"] for m in listed["data"]] == ["assistant"] and listed["object"] == "list"


def test_a_completion_keeps_its_markers_and_gives_its_sources_once(client, assistant):
    reply = client.post("/v1/chat/completions", json=chat(QUESTION)).json()
    expected = assistant.ask(QUESTION)
    message = reply["choices"][0]["message"]
    marker = f"[{expected.citations[0].n}]"  # the fake's passages are short: the check renumbers
    assert message["content"] == expected.text and marker in message["content"]
    [annotation] = message["annotations"]
    cited = annotation["url_citation"]
    assert annotation["type"] == "url_citation" and cited["title"] == MILLEY.title
    assert message["content"][cited["start_index"] : cited["end_index"]] == marker
    assert cited["url"].startswith("http://testserver/api/articles/"), "an article without a URL links to its record"
    assert client.get(cited["url"]).json()["title"] == MILLEY.title
    extension = reply["answer"]
    assert extension["outcome"] == expected.outcome and extension["refused"] is False
    assert [c["quote"] for c in extension["citations"]] == [c.quote for c in expected.citations]
    assert set(extension) == set(Answer("q", "", True).to_dict()), "the extension is `ask --json`'s object"


def test_a_stream_sends_the_draft_as_reasoning_then_the_checked_answer_and_its_sources_once(client, assistant):
    with client.stream("POST", "/v1/chat/completions", json=chat(QUESTION, stream=True)) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = events_of(response)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0]["role"] == "assistant"
    draft = "".join(d.get("reasoning_content", "") for d in deltas)
    assert draft == SCRIPT["Où Milley"], "the model's draft, as it was written"
    contents = [d["content"] for d in deltas if d.get("content")]
    assert contents == [assistant.ask(QUESTION).text], "the checked answer, once"
    with_annotations = [d["annotations"] for d in deltas if "annotations" in d]
    assert len(with_annotations) == 1 and with_annotations[0][0]["url_citation"]["title"] == MILLEY.title
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and "annotations" in chunks[-1]["choices"][0]["delta"]
    assert [c for c in chunks if "answer" in c] == [chunks[-1]], "the whole answer in the final chunk only"
    sources = [c["event"] for c in chunks if c.get("event", {}).get("type") == "source"]
    [source] = sources
    quote = chunks[-1]["answer"]["citations"][0]["quote"]
    assert source["data"]["document"] == [quote] and "Pologne" in quote
    assert source["data"]["metadata"][0]["source"] == with_annotations[0][0]["url_citation"]["url"], "Open WebUI files both under one source"
    statuses = [c["event"]["data"] for c in chunks if c.get("event", {}).get("type") == "status"]
    assert statuses[0]["done"] is False and statuses[-1]["done"] is True


def test_earlier_messages_are_the_conversation_of_a_follow_up(client):
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "En Pologne [1]."},
        {"role": "user", "content": [{"type": "text", "text": "Et à quelle heure est-il arrivé ?"}]},
    ]
    reply = client.post("/v1/chat/completions", json={"model": "assistant", "messages": messages}).json()
    assert reply["answer"]["standalone_question"] == "À quelle heure Milley est-il arrivé ?"
    assert "11 heures" in reply["choices"][0]["message"]["content"]


def test_a_refusal_says_why_and_cites_nothing(client):
    reply = client.post("/v1/chat/completions", json=chat("Quel âge a le Kremlin ?")).json()
    assert reply["answer"]["refused"] and reply["answer"]["refusal_reason"]
    assert reply["choices"][0]["message"]["annotations"] == [] and reply["choices"][0]["message"]["content"]


def test_the_clis_filters_pass_through_the_request(client):
    reply = client.post("/v1/chat/completions", json=chat(QUESTION, sources=["Le Monde"])).json()
    assert reply["answer"]["refused"], "no article of Le Monde: the reader's filter stays strict"
    bad = client.post("/v1/chat/completions", json=chat(QUESTION, since="mardi"))
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]["message"]


def test_questions_too_long_or_empty_are_refused_with_400_as_the_cli_does(client, assistant):
    limit = assistant.settings.max_question_chars
    for question, words in (("x" * (limit + 1), f"keep it under {limit}"), ("  ", "empty")):
        for body in (chat(question), chat(question, stream=True)):
            response = client.post("/v1/chat/completions", json=body)
            assert response.status_code == 400 and words in response.json()["error"]["message"]
    wrong = client.post("/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "Bonjour"}]})
    assert wrong.status_code == 400 and "user" in wrong.json()["error"]["message"]
    assert client.post("/v1/chat/completions", json={"messages": []}).status_code == 400


# -- access and limits -----------------------------------------------------------------------


def test_keys_are_required_when_configured(assistant):
    client = TestClient(create_server(assistant, keys=ApiKeys([KEY, "other"]), page=False))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}):
        refused = client.get("/v1/models", headers=headers)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
        assert client.post("/api/ask", json={"question": QUESTION}, headers=headers).status_code == 401
    assert client.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert client.get("/api/health").json()["status"] == "ok", "health is open to checks"
    assert client.get("/docs").status_code == 200 and "/v1/chat/completions" in client.get("/openapi.json").json()["paths"]


def test_keys_come_from_the_environment_or_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_API_KEYS", "a, b")
    keys_file = tmp_path / "keys"
    keys_file.write_text("# the newsroom\nc\n\n", encoding="utf-8")
    keys = ApiKeys.load(keys_file)
    assert all(keys.allows(f"Bearer {key}") for key in "abc") and not keys.allows("Bearer d")
    monkeypatch.delenv("ASSISTANT_API_KEYS")
    assert not ApiKeys.load().required and ApiKeys.load().allows(None)
    keys_file.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no key"):
        read_key_file(keys_file)
    with pytest.raises(InputError, match="cannot read"):
        ApiKeys.load(tmp_path / "missing")


def test_bodies_over_the_limit_get_a_clear_413(assistant, tmp_path):
    client = TestClient(create_server(assistant, limits=Limits(body_bytes=2000, upload_bytes=5000), page=False))
    big = chat("x" * 3000)
    response = client.post("/v1/chat/completions", json=big)
    assert response.status_code == 413 and "limit of 2000 bytes" in response.json()["error"]["message"]

    def pieces():  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b" " * 500

    chunked = client.post("/v1/chat/completions", content=pieces(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413
    upload = client.post("/api/articles", files={"files": ("big.txt", b"mot " * 2000, "text/plain")})
    assert upload.status_code == 413 and "5000 bytes" in upload.json()["error"]["message"]


# -- the REST API ----------------------------------------------------------------------------


def test_rest_ask_gives_ask_jsons_object(client, assistant):
    data = client.post("/api/ask", json={"question": QUESTION}).json()
    assert data == {**assistant.ask(QUESTION).to_dict(), "timings": data["timings"], "trace": data["trace"]}
    follow = client.post("/api/ask", json={"question": "Et à quelle heure est-il arrivé ?", "history": [{"role": "user", "content": QUESTION}]})
    assert follow.json()["standalone_question"] == "À quelle heure Milley est-il arrivé ?"
    assert client.post("/api/ask", json={"question": ""}).status_code == 400


def test_rest_articles_listed_added_by_upload_and_removed(client, tmp_path):
    assert [a["id"] for a in client.get("/api/articles").json()] == ["milley"]
    text = SAMPLE_ARTICLE.read_bytes()
    added = client.post("/api/articles", files=[("files", ("sample.txt", text, "text/plain")), ("files", ("bad.txt", b"\x00\x01", "text/plain"))]).json()
    good, bad = added["files"]
    assert good["file"] == "sample.txt" and len(good["added"]) == 1 and good["chunks_added"] > 0
    assert bad["rejected"] and bad["rejected"][0]["why"] == "looks like a binary file, not text"
    again = client.post("/api/articles", files={"files": ("sample.txt", text, "text/plain")}).json()["files"][0]
    assert again["unchanged"] == good["added"]
    new_id = good["added"][0]
    assert client.get(f"/api/articles/{new_id}").json()["chunks"] == good["chunks_added"]
    assert client.delete(f"/api/articles/{new_id}").json() == {"removed": new_id}
    assert client.delete(f"/api/articles/{new_id}").status_code == 404
    assert client.get("/api/info").json()["articles"] == 1
    assert client.get("/api/health").json() == {"status": "ok", "articles": 1, "model_loaded": True, "answering": False, "waiting": 0, "writer": None}


# -- one answer at a time --------------------------------------------------------------------


def test_answers_from_the_page_and_the_api_take_turns(assistant):
    queue = AnswerQueue(assistant)
    first = queue.stream(QUESTION)
    next(first)  # holds the turn
    second_started = threading.Event()

    def second():
        events = queue.stream(QUESTION)
        next(events)
        second_started.set()
        events.close()

    waiting = threading.Thread(target=second)
    waiting.start()
    deadline = time.monotonic() + 2
    while queue.waiting != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert queue.waiting == 1 and queue.busy and not second_started.is_set()
    first.close()  # a reader who leaves gives the turn back at once
    waiting.join(timeout=5)
    assert second_started.is_set() and not queue.busy and queue.waiting == 0
    assert queue.articles() == assistant.articles(), "everything but answering is the assistant's own"


def test_the_page_is_served_on_the_same_app(assistant):
    client = TestClient(create_server(assistant, page=True))
    assert client.get("/v1/models").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "gradio" in page.text.lower(), "the chat page behind the API's routes"
    assert client.get("/gradio_api/info").json()["named_endpoints"]["/ask"], "the page's own /ask API as before"


def test_the_pages_login_is_its_own(assistant):
    client = TestClient(create_server(assistant, page=True, auth="editor:secret"))
    assert client.get("/config").status_code == 401 and client.get("/v1/models").status_code == 200, "no API key set: the API is open"
    assert client.post("/login", data={"username": "editor", "password": "secret"}).json() == {"success": True}
    assert client.get("/config").status_code == 200


# -- sources (pure) --------------------------------------------------------------------------


def test_annotations_point_at_the_markers(assistant):
    answer = assistant.ask(QUESTION)
    [cited] = server_sources.url_citations(answer, "http://host:8000/")
    assert answer.text[cited["url_citation"]["start_index"] : cited["url_citation"]["end_index"]] == f"[{answer.citations[0].n}]"
    assert cited["url_citation"]["url"] == "http://host:8000/api/articles/milley"
    assert server_sources.marker_span("Sans marque.", 2) == (12, 12)


# -- the real server, the real models, real clients (slow) -----------------------------------


class Loopback:
    """A server application run by uvicorn in a thread on a free loopback port."""

    def __init__(self, app) -> None:
        import socket

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "the server did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def served(real_assistant):
    """`assistant serve` over the sample article, with a key; its URL."""
    real_assistant.warm_up()
    loopback = Loopback(create_server(real_assistant, keys=ApiKeys([KEY]), page=True))
    yield loopback.url
    loopback.stop()


def openai_client(url: str, key: str = KEY):
    import openai

    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


SENTENCE = "Milley est arrivé dans le sud-est de la Pologne vers 11 heures du matin"


@pytest.mark.slow  # a server, the real models
def test_openai_client_streams_the_answer_with_its_source_once(served):
    stream = openai_client(served).chat.completions.create(model="assistant", messages=[{"role": "user", "content": QUESTION}], stream=True)
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Pologne" in content and "[1]" in content
    annotated = [c.choices[0].delta.model_extra["annotations"] for c in chunks if c.choices and "annotations" in (c.choices[0].delta.model_extra or {})]
    assert len(annotated) == 1, "the sources once, in the final chunk"
    [annotation] = annotated[0]
    assert annotation["url_citation"]["title"].startswith("Le général en chef du Pentagone") and annotation["url_citation"]["url"].startswith(served)
    answers = [c.model_extra["answer"] for c in chunks if "answer" in (c.model_extra or {})]
    assert len(answers) == 1 and answers[0]["citations"][0]["n"] == 1
    assert SENTENCE in answers[0]["citations"][0]["quote"] and answers[0]["citations"][0]["title"] == annotation["url_citation"]["title"]
    assert sum(1 for c in chunks if (c.model_extra or {}).get("event", {}).get("type") == "source") == 1


@pytest.mark.slow  # a server, the real models
def test_openai_client_whole_answer_a_follow_up_a_refusal_and_a_wrong_key(served):
    import openai

    client = openai_client(served)
    first = client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": QUESTION}])
    message = first.choices[0].message
    assert "[1]" in message.content and "Pologne" in message.content
    assert message.annotations[0].url_citation.title.startswith("Le général en chef du Pentagone")
    assert SENTENCE in first.model_extra["answer"]["citations"][0]["quote"]
    conversation = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": message.content}]
    follow = client.chat.completions.create(model="assistant", messages=[*conversation, {"role": "user", "content": "Et à quelle heure est-il arrivé ?"}])
    assert "11" in follow.choices[0].message.content and follow.model_extra["answer"]["standalone_question"]
    refused = client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": "Quel est le prix du pain à Paris en 2024 ?"}])
    assert refused.model_extra["answer"]["refused"] and refused.model_extra["answer"]["refusal_reason"]
    assert refused.choices[0].message.annotations == []
    with pytest.raises(openai.AuthenticationError):
        openai_client(served, "wrong").chat.completions.create(model="assistant", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.BadRequestError, match="characters long"):
        client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": "x" * 5000}])


@pytest.mark.slow  # a server, the real models
def test_rest_and_the_page_on_the_same_port(served):
    import httpx
    from gradio_client import Client

    headers = {"Authorization": f"Bearer {KEY}"}
    assert httpx.get(f"{served}/api/health").json()["status"] == "ok"
    assert httpx.get(f"{served}/api/articles").status_code == 401
    [article] = httpx.get(f"{served}/api/articles", headers=headers).json()
    data = httpx.post(f"{served}/api/ask", json={"question": QUESTION}, headers=headers, timeout=120).json()
    assert "[1]" in data["answer"] and data["citations"][0]["article_id"] == article["id"]
    page = Client(f"{served}/", verbose=False, analytics_enabled=False, download_files=False)
    through_page = page.predict(QUESTION, None, api_name="/ask")
    assert through_page["answer"] == data["answer"] and through_page["citations"][0]["quote"] == data["citations"][0]["quote"]


class SlowGenerator(ScriptedGenerator):
    """Writes a long draft slowly, so that a reader can leave in the middle of it."""

    def stream(self, messages, max_tokens=160, stop=None, watch=None):
        for piece in super().stream(messages, max_tokens, stop, watch):
            time.sleep(0.1)
            yield piece


@pytest.mark.slow  # a server
def test_a_client_that_leaves_gives_the_turn_back_at_once(assistant):
    import httpx

    assistant._generator = SlowGenerator({"Où Milley": "Dans le sud-est de la Pologne, " * 30 + "[1]."})
    loopback = Loopback(create_server(assistant, page=False))
    try:
        with httpx.stream("POST", f"{loopback.url}/v1/chat/completions", json=chat(QUESTION, stream=True), timeout=30) as response:
            for line in response.iter_lines():
                if "reasoning_content" in line:
                    break  # the draft has begun: about 20 s of it are left
        left = time.monotonic()
        while httpx.get(f"{loopback.url}/api/health").json()["answering"] and time.monotonic() - left < 5:
            time.sleep(0.05)
        assert time.monotonic() - left < 2, "the answer was stopped, not written to the end"
    finally:
        loopback.stop()


def test_serve_stops_on_a_bad_key_file_before_loading_anything(tmp_path, capsys):
    from assistant.cli import main

    assert main(["serve", "--index", str(tmp_path / "index"), "--api-key-file", str(tmp_path / "missing")]) == 1
    assert "cannot read the API key file" in capsys.readouterr().err


# -- what a long-running server says about itself --------------------------------------------


def test_metrics_count_answers_refusals_and_ingests_and_each_answer_logs_one_json_line(client, caplog):
    from prometheus_client.parser import text_string_to_metric_families

    caplog.set_level("INFO", logger="assistant.server")
    client.post("/v1/chat/completions", json=chat(QUESTION))
    refused = client.post("/api/ask", json={"question": "Quel âge a le Kremlin ?"}).json()
    uploads = [("files", ("sample.txt", SAMPLE_ARTICLE.read_bytes(), "text/plain")), ("files", ("bad.txt", b"\x00\x01", "text/plain"))]
    client.post("/api/articles", files=uploads)
    page = client.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(page.text) for s in f.samples}
    assert samples[("assistant_answers_total", (("outcome", "answer"),))] == 1
    assert samples[("assistant_answers_total", (("outcome", "refused"),))] == 1
    assert samples[("assistant_refusals_total", (("reason", refused["refusal_reason"]),))] == 1
    assert samples[("assistant_answer_seconds_count", ())] == 2 and samples[("assistant_first_word_seconds_count", ())] >= 1
    assert samples[("assistant_ingested_articles_total", (("result", "added"),))] == 1
    assert samples[("assistant_ingested_articles_total", (("result", "rejected"),))] == 1
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "assistant.server"]
    answers = [line for line in lines if line["event"] == "answer"]
    assert [a["outcome"] for a in answers] == ["answer", "refused"] and answers[0]["question_chars"] == len(QUESTION)
    assert all("question" not in a for a in answers), "no question text in the logs unless asked"
    assert [line["added"] for line in lines if line["event"] == "ingest"] == [1, 0]


def test_a_question_is_logged_only_when_asked(assistant, caplog):
    caplog.set_level("INFO", logger="assistant.server")
    TestClient(create_server(assistant, page=False, log_questions=True)).post("/api/ask", json={"question": QUESTION})
    assert [json.loads(r.getMessage()).get("question") for r in caplog.records if r.name == "assistant.server"] == [QUESTION]


def test_health_says_503_and_why_when_the_index_cannot_be_read(assistant, monkeypatch):
    from assistant.errors import IndexStoreError

    client = TestClient(create_server(assistant, page=False))

    def unreadable():
        raise IndexStoreError("index/catalog.json is damaged")

    monkeypatch.setattr(assistant, "articles", unreadable)
    reply = client.get("/api/health")
    assert reply.status_code == 503 and reply.json()["status"] == "unavailable" and "damaged" in reply.json()["index"]


@pytest.mark.slow
def test_health_names_the_process_that_holds_the_index_write_lock(assistant):
    import subprocess
    import sys

    # another process in the middle of a write: it holds the lock until its stdin closes
    holding = "import sys; from pathlib import Path; from assistant.store.lock import writer_lock\n"
    holding += "with writer_lock(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()"
    writer = subprocess.Popen([sys.executable, "-c", holding, str(assistant.settings.index_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    client = TestClient(create_server(assistant, page=False))
    try:
        assert writer.stdout.readline().strip() == "held"
        assert client.get("/api/health").json()["writer"] == str(writer.pid)
    finally:
        writer.communicate("", timeout=10)
    assert client.get("/api/health").json()["writer"] is None, "released when the write ends"


def test_metrics_need_a_key_when_keys_are_set(assistant):
    client = TestClient(create_server(assistant, keys=ApiKeys([KEY]), page=False))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
