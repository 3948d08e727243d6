"""The web app over a fake assistant (fast), and over the real models (marked slow).

The fake returns real `assistant.types` objects: it reads files with the real loaders, chunks
with the real chunker, ranks passages by shared content words and quotes them with the real
citation code, so the page renders what the real assistant would hand it."""

from __future__ import annotations

import hashlib
import itertools
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.answering.citations import cite
from assistant.app import page, render
from assistant.app.handlers import Handlers
from assistant.config import SAMPLE_ARTICLE
from assistant.errors import IndexStoreError, InputError
from assistant.ingest import chunk_text
from assistant.ingest.loaders import find_files, load_file
from assistant.text import content_words
from assistant.types import Answer, Citation, IngestReport, Passage, Reading

REFUSAL = "Je ne trouve pas la réponse dans les articles indexés."
QUESTION = "Où Milley a-t-il rencontré Zaluzhny ?"


class FakeAssistant:
    """Assistant-like: same methods and return types, no models. One answer at a time, like the
    real generator's lock."""

    def __init__(self) -> None:
        self.records: dict[str, dict] = {}
        self._model_lock = threading.Lock()

    # the index
    def ingest(self, paths, progress=False, names=None) -> IngestReport:
        report = IngestReport()
        for path in find_files(paths):
            loaded = load_file(path, (names or {}).get(str(path)))
            report.rejected.extend(loaded.rejected)
            for article in loaded.articles:
                digest = hashlib.sha256(article.text.encode()).hexdigest()
                known = self.records.get(article.id)
                if known and known["hash"] == digest:
                    report.unchanged.append(article.id)
                    continue
                (report.replaced if known else report.added).append(article.id)
                self.records[article.id] = {"article": article, "hash": digest, "chunks": chunk_text(article.text, 700, 200)}
        return report

    def articles(self) -> list[dict]:
        listed = []
        for article_id, record in self.records.items():
            a = record["article"]
            listed.append({"id": article_id, "title": a.title, "source": a.source, "date": a.date, "url": a.url, "chunks": len(record["chunks"])})
        return listed

    def remove(self, article_id: str) -> None:
        if article_id not in self.records:
            raise InputError(f"no article {article_id!r} in the index")
        del self.records[article_id]

    # questions
    def retrieve(self, question: str, k: int = 3) -> list[Passage]:
        words = content_words(question)
        scored = []
        for article_id, record in self.records.items():
            a = record["article"]
            for c in record["chunks"]:
                overlap = len(words & content_words(c.text)) / max(1, len(words))
                scored.append(Passage(article_id, a.title, c.text, c.start, c.end, overlap, overlap, a.source, a.date, a.url))
        return sorted(scored, key=lambda p: p.score, reverse=True)[:k]

    def stream(self, question: str, history=None, **filters):
        question = (question or "").strip()
        if not question:
            raise InputError("the question is empty: ask something about the articles")
        if not self.records:
            raise IndexStoreError("the index is empty: add articles first (`assistant ingest FILES`)")
        passages = self.retrieve(question)
        best = passages[0]
        rewritten = "rewritten" if history else None
        if best.score < 0.5:
            yield Answer(question, REFUSAL, True, [], passages, {"total_s": 0.01}, rewritten)
            return
        quote = cite(1, best, question).quote
        yield Reading(passages)
        with self._model_lock:
            for word in quote.split()[:6]:
                yield word + " "
        citation = cite(1, best, quote)
        yield Answer(question, f"{quote} [1].", False, [citation], passages, {"total_s": 0.02}, rewritten)

    def chat(self, message, history=None, **filters) -> Answer:
        *_, answer = self.stream(message, history)
        return answer


def passage(text: str, start: int = 100, **meta) -> Passage:
    return Passage("a1", meta.pop("title", "Titre"), text, start, start + len(text), 1.0, 0.9, **meta)


@pytest.fixture
def fake() -> FakeAssistant:
    assistant = FakeAssistant()
    assistant.ingest([SAMPLE_ARTICLE])
    return assistant


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served():
    """Launch create_app(assistant) on a free local port; yield its URL."""
    apps = []

    def serve(assistant) -> str:
        app = page.create_app(assistant)
        port = free_port()
        app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        apps.append(app)
        return f"http://127.0.0.1:{port}/"

    yield serve
    for app in apps:
        app.close()


# -- rendering -------------------------------------------------------------------------------


def test_sources_highlight_the_exact_quote():
    text = "Milley est arrivé vers 11 heures. Il a rencontré Zaluzhny près de la frontière en Pologne."
    p = passage(text, date="2023-01-17", source="/tmp/gradio/abc/washington-post.txt")
    quote = "Il a rencontré Zaluzhny près de la frontière en Pologne."
    c = Citation(2, p, quote, p.start + text.index(quote), p.start + len(text))
    html = render.render_sources([c], turn=3)
    assert f"<mark>{quote}</mark>" in html
    assert 'id="qa3-s2"' in html and "[2]" in html
    assert "washington-post.txt · 17 janvier 2023" in html and "/tmp/gradio" not in html


def test_the_other_outlets_of_a_wire_story_are_named():
    p = passage("La loi a été adoptée.", source="L'Express")
    c = Citation(1, p, p.text, p.start, p.end, copies=("Ouest-France", "Le Parisien"))
    assert "(aussi publié par Ouest-France, Le Parisien)" in render.render_sources([c], turn=1)


def test_quote_found_by_text_when_offsets_disagree():
    p = passage("Un. Deux trois quatre.")
    assert render.quote_span(Citation(1, p, "Deux trois", 0, 10)) == (4, 14)
    assert render.quote_span(Citation(1, p, "absent", 0, 6)) is None


def test_article_text_is_escaped():
    text = "<script>alert(1)</script> Le « général » & <b>ses</b> troupes.\n\nSecond paragraphe *ici*."
    p = passage(text, title="<img src=x onerror=alert(1)>", url="javascript:alert(1)")
    c = Citation(1, p, "<b>ses</b>", p.start + text.index("<b>"), p.start + text.index("<b>") + 10)
    answer = Answer("q", "Les <b>troupes</b> [1]. Et [7].", False, [c], [p], {"total_s": 1.234})
    html = render.render_answer(answer, turn=1)
    assert "<script>" not in html and "<img" not in html and "<b>" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html and "<mark>&lt;b&gt;ses&lt;/b&gt;</mark>" in html
    assert "&amp;" in html and "« général »" in html
    assert "\n" not in html  # one HTML block: Markdown never reformats article text
    assert '<a class="qa-cite" href="#qa1-s1">[1]</a>' in html
    assert "[7]" in html and "#qa1-s7" not in html  # a marker with no source is left as text


def test_full_width_markers_link_to_their_source_too():
    # The small models sometimes write 【1】; the page used its own [n] pattern and left it as text.
    p = passage("Milley a rencontré Zaluzhny en Pologne.")
    c = Citation(1, p, "en Pologne", p.start + 28, p.start + 38)
    html = render.render_answer(Answer("q", "En Pologne 【1】.", False, [c], [p], {}), turn=1)
    assert '<a class="qa-cite" href="#qa1-s1">[1]</a>' in html and "【" not in html


def test_why_this_answer_lists_the_stages_collapsed():
    from assistant.types import Step

    trace = [Step("retrieve", 0.012, "found 4", {"passages": [{"article_id": "a"}]}), Step("passage_gate", 0.0, "passed", {"best_passage_cosine": 0.8734})]
    html = render.render_answer(Answer("q", "En Pologne.", False, [], [], {}, trace=trace), turn=1)
    assert '<details class="qa-trace">' in html and "Pourquoi cette réponse" in html
    assert "passage_gate" in html and "best_passage_cosine 0.873" in html and "article_id" not in html


def test_http_links_only():
    p = passage("Texte.", url='https://example.org/a?x=1&y="2"')
    html = render.render_closest([p], turn=1)
    assert 'href="https://example.org/a?x=1&amp;y=&quot;2&quot;"' in html


def test_refusal_offers_the_closest_passages():
    ps = [passage("Premier passage."), passage("Second passage.")]
    refused = Answer("q", REFUSAL, True, [], ps, refusal_reason="off_topic")
    html = render.render_answer(refused, turn=2)
    assert REFUSAL in html and "qa-refusal" in html and "Passages les plus proches (2)" in html
    assert "pourquoi : les phrases citées par le modèle parlent d&#x27;autre chose que la question" in html
    assert "Premier passage." in html and "Second passage." in html and "<mark>" not in html
    english = render.render_answer(refused, turn=2, lang="en")
    assert "Closest passages" in english and "why: the sentences the model quoted speak of something else" in english


def test_rewritten_follow_up_is_shown_when_it_differs():
    p = passage("Milley est arrivé vers 11 heures.")
    answer = Answer("Et quand ?", "Vers 11 heures [1].", False, [Citation(1, p, "vers 11 heures", 118, 132)], [p], {}, "Quand Milley est-il arrivé ?")
    assert "compris comme « Quand Milley est-il arrivé ? »" in render.render_answer(answer, turn=1)
    assert "understood as « Quand Milley est-il arrivé ? »" in render.render_answer(answer, turn=1, lang="en")
    same = Answer("Où est-il ?", "En Pologne.", False, [], [], {}, "Où est-il?")
    assert "compris comme" not in render.render_answer(same, turn=1)


def test_confidence_in_words():
    p = passage("Milley est arrivé en Pologne vers 11 heures.")
    c = Citation(1, p, p.text, p.start, p.end)
    sure = Answer("q", "En Pologne [1].", False, [c], [p], {}, confidence=0.93)
    assert "réponse sûre (confiance 93 %)" in render.render_answer(sure, turn=1)
    likely = Answer("q", "En Pologne [1].", False, [c], [p], {}, confidence=0.6)
    assert "réponse probable, à vérifier dans la source" in render.render_answer(likely, turn=1)
    quote = Answer("q", f"L'article dit : « {p.text} » [1].", False, [c], [p], {}, outcome="quote", confidence=0.7)
    html = render.render_answer(quote, turn=1, lang="en")
    assert "qa-quote" in html and "the answer should be in this sentence of the article (confidence 70 %)" in html
    assert "confiance" not in render.render_answer(Answer("q", "En Pologne.", False), turn=1), "no confidence measured, none shown"


def test_every_language_has_every_text():
    from assistant.app.texts import TEXTS

    assert all(set(words) == set(TEXTS["fr"]) for words in TEXTS.values())


def test_api_data_is_json():
    import json

    p = passage("Milley a rencontré Zaluzhny en Pologne.")
    answer = Answer("q", "En Pologne [1].", False, [Citation(1, p, "en Pologne", 130, 139)], [p], {"total_s": 1.0})
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["answer"] == "En Pologne [1]." and data["citations"][0]["quote"] == "en Pologne"
    assert data["passages"][0]["text"] == p.text and render.plain_answer(answer) == "En Pologne."


def test_upload_results_per_file():
    reports = [
        ("a.txt", IngestReport(added=["id-a"])),
        ("b.md", IngestReport(unchanged=["id-b"])),
        ("c.jsonl", IngestReport(replaced=["c1"], rejected=[("c.jsonl:2", "the record has no 'text'")])),
        ("d.pdf", IngestReport(rejected=[("d.pdf", "unsupported file type .pdf")])),
        ("e.json", IngestReport()),
    ]
    rows = render.ingest_rows(reports, {"id-a": "Titre <A>"}, lang="en")
    assert ("a.txt", "added", "Titre <A>", "now in the index") in rows
    assert [r[1] for r in rows] == ["added", "unchanged", "replaced", "rejected", "rejected", "rejected"]
    assert rows[3][2:] == ("c.jsonl:2", "the record has no 'text'") and rows[4][2] == ""
    html = render.render_ingest(reports, {"id-a": "Titre <A>"}, lang="en")
    assert "Titre &lt;A&gt;" in html and "1 added, 1 replaced, 1 unchanged, 3 rejected" in html
    assert "1 ajouté, 1 remplacé, 1 inchangé, 3 refusé" in render.render_ingest(reports)


def test_index_view(fake):
    assert render.index_summary([]).startswith("L'index est vide")
    assert render.index_summary([], lang="en").startswith("The index is empty")
    rows = render.index_rows(fake.articles())
    assert rows[0][3] == fake.articles()[0]["chunks"] and rows[0][2] == SAMPLE_ARTICLE.name
    assert "**1** article(s), " in render.index_summary(fake.articles())


# -- handlers (no server) --------------------------------------------------------------------


def test_chat_streams_then_shows_the_checked_answer(fake):
    handlers = Handlers(fake)
    _, chat, question, _ = handlers.start_turn(QUESTION, [], "en")
    assert question == QUESTION and "Waiting" in chat[-1]["content"]
    steps = list(handlers.respond(question, chat, [], "en"))
    reading = steps[0][0][-1]["content"]
    assert "qa-reading" in reading and "Reading 3 passages from « Le général en chef du Pentagone" in reading, "the sources show before the model writes"
    assert "qa-draft" in steps[1][0][-1]["content"]
    final, history, _, rows = steps[-1]
    assert "qa-final" in final[-1]["content"] and "<mark>" in final[-1]["content"] and "Pologne" in final[-1]["content"]
    assert [m["role"] for m in history] == ["user", "assistant"] and "[1]" not in history[1]["content"]
    # a follow-up goes through the history, and its anchors differ from the first answer's
    _, chat, question, _ = handlers.start_turn("À quelle heure Milley est-il arrivé ?", final)
    assert "En attente du modèle" in chat[-1]["content"], "French unless the reader chose otherwise"
    final, history, _, _ = list(handlers.respond(question, chat, history))[-1]
    assert len(history) == 4 and 'id="qa2-s1"' in final[-1]["content"] and "compris comme" in final[-1]["content"]


def test_errors_become_messages_not_tracebacks(fake):
    handlers = Handlers(FakeAssistant())  # empty index: the API raises IndexStoreError
    chat, history, _, _ = list(handlers.respond("Où ?", [{"role": "user", "content": "Où ?"}, {"role": "assistant", "content": ""}], []))[-1]
    assert "the index is empty" in chat[-1]["content"] and "qa-error" in chat[-1]["content"] and history == []

    class Broken(FakeAssistant):
        def stream(self, question, history=None, **filters):
            yield "un début"
            raise RuntimeError("boom")

    chat, *_ = list(Handlers(Broken()).respond("Où ?", [{}, {}], [], "en"))[-1]
    assert "Something went wrong" in chat[-1]["content"] and "boom" not in chat[-1]["content"]
    assert list(handlers.respond("", [], [])) == []  # an empty question never reaches the model


def test_abandoned_answer_releases_the_model(fake):
    stream = Handlers(fake).respond(QUESTION, [{}, {}], [])
    next(stream)  # the passages being read
    next(stream)  # the first words: the model is held
    assert fake._model_lock.locked()
    stream.close()  # what a cancelled event (the clear button) does
    assert not fake._model_lock.locked()


def test_bad_uploads_are_reported_per_file(fake, tmp_path):
    good = tmp_path / "nouvel-article.md"
    good.write_text("# Médiathèque\n\nLa mairie a choisi l'architecte Camille Roussel.\n", encoding="utf-8")
    empty = tmp_path / "vide.txt"
    empty.write_text("")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x00")
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    records = tmp_path / "lot.jsonl"
    records.write_text('{"id": "r1", "title": "Un", "text": "Premier texte."}\nnot json\n{"title": "sans texte"}\n', encoding="utf-8")
    html, summary, rows, _, _ = Handlers(fake).add_files([str(p) for p in (good, empty, binary, pdf, records, tmp_path / "gone.txt")], "en")
    assert "2 added" in html and "rejected" in html
    for reason in ("no text in it", "binary", "unsupported file type .pdf", "not a JSON record", "no &#x27;text&#x27;", "no such file"):
        assert reason in html, reason
    assert "Médiathèque" in html and "**3** article(s)" in summary and len(rows) == 3
    html, *_ = Handlers(fake).add_files([str(good)])
    assert "inchangé" in html


def test_remove_an_article(fake):
    handlers = Handlers(fake)
    summary, rows, _, _ = handlers.remove(fake.articles()[0]["id"])
    assert rows == [] and "vide" in summary
    handlers.remove("nope")  # a warning, not an exception


def test_auth_is_user_colon_password():
    assert page.parse_auth("ana:s3:cret") == ("ana", "s3:cret") and page.parse_auth(None) is None
    with pytest.raises(InputError):
        page.parse_auth("nopassword")


# -- through the server ----------------------------------------------------------------------


@pytest.mark.slow  # a server
def test_gradio_client_gets_answer_and_sources(fake, served):
    from gradio_client import Client

    client = Client(served(fake), verbose=False, analytics_enabled=False, download_files=False)
    data = client.predict(QUESTION, None, api_name="/ask")
    assert not data["refused"] and "Pologne" in data["answer"]
    c = data["citations"][0]
    assert c["quote"] in c["passage"] and c["title"] and c["n"] == 1
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": data["answer"]}]
    follow_up = client.predict("Et à quelle heure ?", history, api_name="/ask")
    assert follow_up["standalone_question"] == "rewritten"
    assert set(data) == set(Answer("q", "", True).to_dict()), "the web API gives what `ask --json` prints"
    with pytest.raises(Exception, match="question is empty"):
        client.predict("  ", None, api_name="/ask")


@pytest.mark.slow  # a server
def test_the_page_is_served_before_the_assistant_and_a_question_waits_for_it(fake, served):
    """`assistant chat` serves the page over a Pending assistant, then opens the real one."""
    import urllib.request

    from gradio_client import Client

    from assistant.app import Pending

    pending = Pending()
    url = served(pending)
    with urllib.request.urlopen(url, timeout=30) as response:  # nothing opened yet
        assert response.status == 200
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    job = client.submit(QUESTION, None, api_name="/ask")
    time.sleep(0.5)
    assert not job.done(), "the question waits for the assistant"
    pending.set(fake)
    assert "Pologne" in job.result(timeout=30)["answer"]


def test_a_pending_assistant_that_failed_to_open_raises_its_error(fake):
    from assistant.app import Pending

    pending = Pending()
    threading.Timer(0.2, pending.fail, [IndexStoreError("the index is damaged: run assistant check")]).start()
    with pytest.raises(IndexStoreError, match="assistant check"):
        pending.articles()
    later = Pending()
    threading.Timer(0.2, later.set, [fake]).start()
    assert Handlers(later).ask(QUESTION, None)["answer"]


@pytest.mark.slow  # a server
def test_upload_through_the_server(fake, served, tmp_path):
    from gradio_client import Client, handle_file

    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"%PDF")
    good = tmp_path / "article.txt"
    good.write_text("Titre\n\nUn texte d'article en français.", encoding="utf-8")
    client = Client(served(fake), verbose=False, analytics_enabled=False, download_files=False)
    rows = client.predict([handle_file(str(good)), handle_file(str(bad))], api_name="/add_articles")
    assert [row[:2] for row in rows] == [["article.txt", "added"], ["notes.pdf", "rejected"]] and "unsupported file type .pdf" in rows[1][3]
    assert len(fake.articles()) == 2


class Overlaps:
    """Wraps a generator's `stream`, where the model works, and records each generation's start
    (+1) and end (-1) in the order they happen. It has no lock of its own (list.append is atomic):
    whatever keeps two generations apart is the product's."""

    def __init__(self, generator, seconds_per_piece: float, first_lingers: float) -> None:
        self.events: list[int] = []
        inner = generator.stream

        def stream(*args, **kwargs):
            self.events.append(1)
            try:
                if len(self.events) == 1:
                    time.sleep(first_lingers)  # every other session's request arrives meanwhile
                for piece in inner(*args, **kwargs):
                    time.sleep(seconds_per_piece)  # a model's pace
                    yield piece
            finally:
                self.events.append(-1)

        generator.stream = stream

    @property
    def most_at_once(self) -> int:
        return max(itertools.accumulate(self.events), default=0)


@pytest.mark.slow  # a server
def test_the_page_queue_never_runs_two_generations_at_once(make_assistant, served):
    """Sessions asking at once through the real server and the real `Assistant`: its fast
    generator has no lock, so only the page's queue (concurrency_limit=1) keeps them apart."""
    assistant = make_assistant({"rencontré": "Milley a rencontré Zaluzhny en Pologne [1].", "heure": "Il est arrivé vers 11 heures du matin [1]."})
    assistant.ingest([SAMPLE_ARTICLE])
    probe = Overlaps(assistant.generator, seconds_per_piece=0.05, first_lingers=1.0)
    results, _ = sessions(served(assistant), 6)
    assert all(isinstance(data["answer"], str) and data["answer"] for data, _ in results)
    assert probe.events.count(1) == 6, "every session's question reached the model"
    assert probe.most_at_once == 1, f"{probe.most_at_once} generations ran at once"


@pytest.mark.slow  # a server
def test_real_api_with_fast_models_through_the_server(make_assistant, served):
    from gradio_client import Client

    assistant = make_assistant({"rencontré": "Milley a rencontré Zaluzhny en Pologne [1]."})
    assistant.ingest([SAMPLE_ARTICLE])
    client = Client(served(assistant), verbose=False, analytics_enabled=False, download_files=False)
    data = client.predict(QUESTION, None, api_name="/ask")
    assert not data["refused"] and "Pologne" in data["answer"], data
    assert data["citations"] and all(c["quote"] in c["passage"] for c in data["citations"])
    refused = client.predict("Quelle est la capitale de l'Australie ?", None, api_name="/ask")
    assert refused["refused"] and refused["citations"] == []


def sessions(url: str, count: int) -> tuple[list[tuple[dict, float]], float]:
    """`count` gradio_client sessions, connected first, then asking at once: (answer, seconds)
    each, and the wall time."""
    from gradio_client import Client

    questions = [QUESTION, "À quelle heure Milley est-il arrivé ?"]
    asked: list[float] = []
    start = threading.Barrier(count, action=lambda: asked.append(time.perf_counter()))

    def session(i: int) -> tuple[dict, float]:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        start.wait(timeout=120)
        started = time.perf_counter()
        return client.predict(questions[i % 2], None, api_name="/ask"), time.perf_counter() - started

    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(session, range(count)))
    return results, time.perf_counter() - asked[0]


# -- the real models -------------------------------------------------------------------------


# `real_assistant` (conftest.py): the real embedding and small LLM over the sample article.


@pytest.mark.slow
def test_real_model_through_gradio_client(real_assistant, served):
    from gradio_client import Client

    client = Client(served(real_assistant), verbose=False, analytics_enabled=False, download_files=False)
    data = client.predict(QUESTION, None, api_name="/ask")
    assert not data["refused"] and "Pologne" in data["answer"]
    assert all(c["quote"] in c["passage"] for c in data["citations"]) and data["citations"]


@pytest.mark.slow
def test_real_model_twenty_sessions(real_assistant, served):

    results, elapsed = sessions(served(real_assistant), 20)
    assert all(isinstance(data["answer"], str) and data["answer"] for data, _ in results)
    waits = sorted(t for _, t in results)
    print(f"\n20 real sessions: all answered in {elapsed:.1f} s; per session {waits[0]:.1f}-{waits[-1]:.1f} s")
    Path("test-artifacts").mkdir(exist_ok=True)
    (Path("test-artifacts") / "sessions.txt").write_text(f"20 sessions, {elapsed:.1f} s in all, each {waits[0]:.1f}-{waits[-1]:.1f} s\n")


# -- the timeline and the article list -------------------------------------------------------


def test_the_timeline_places_the_dated_articles_an_answer_drew_on():
    import datetime as dt

    from assistant.app import timeline
    from assistant.types import Step

    found = [{"article_id": "a", "score": 0.9}, {"article_id": "b", "score": 0.4}, {"article_id": "c", "score": 0.8}]
    trace = [Step("retrieve", 0.0, "found 3", {"passages": found})]
    articles = {"a": {"date": "2024-03-12", "source": "Le Monde", "title": "A"}, "b": {"date": "2023-01-02", "source": "Libération", "title": "B"}, "c": {}}
    rows = timeline.timeline_rows(Answer("q", "", True, trace=trace), articles)
    assert [(r["article"], r["date"], r["outlet"]) for r in rows] == [("b", dt.date(2023, 1, 2), "Libération"), ("a", dt.date(2024, 3, 12), "Le Monde")]
    assert len(timeline.frame(rows)) == 2, "an undated article has no place on the axis"
    march = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc).timestamp() * 1000  # the plot selects in epoch milliseconds
    assert [r["article"] for r in timeline.between(rows, march, march + 20 * 86_400_000)] == ["a"]
    assert [r["article"] for r in timeline.between(rows, "2023-06-01", "2023-06-02")] == ["b"], "an empty stretch: the nearest article"
    html = Handlers(FakeAssistant()).pick(rows, "fr", type("Selection", (), {"index": ["2024-03-01", "2024-03-31"]})())
    assert "A" in html and "Le Monde · 12 mars 2024" in html and "1 article(s) de cette période" in html


def test_the_article_list_is_searched_and_filtered():
    from assistant.app.handlers import listed

    articles = [
        {"id": "1", "title": "La réforme des retraites", "source": "Le Monde", "date": "2024-03-12"},
        {"id": "2", "title": "Le budget voté", "source": "Libération", "date": "2023-11-02"},
        {"id": "3", "title": "Sans date", "source": "Le Monde", "date": None},
    ]
    assert [a["id"] for a in listed(articles)] == ["1", "2", "3"], "newest first"
    assert [a["id"] for a in listed(articles, search="reforme")] == ["1"], "accents aside"
    assert [a["id"] for a in listed(articles, search="libé")] == ["2"], "the outlet counts"
    assert [a["id"] for a in listed(articles, outlets=["Le Monde"])] == ["1", "3"]
    assert [a["id"] for a in listed(articles, since="2024-01-01")] == ["1"] and listed(articles, until="2023-01-01") == []
