"""A damaged index folder keeps answering from its intact segments: a real index of two segments,
one cut by hand; the intact article is still found and answered from, the trace, `info` and
`/api/health` name the damage and the command, a write is refused until `assistant check
--repair` has run, and after it everything is normal again."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from assistant.errors import IndexStoreError
from assistant.server import create_server
from assistant.store import folder
from assistant.store.check import check
from tests.conftest import MILLEY
from tests.test_check import LOADER, ids, segments
from tests.test_store import FROMAGE, PONT, VELO

QUESTION = "Où Milley a-t-il rencontré Zaluzhny ?"
SCRIPT = {"Où Milley": "Dans le sud-est de la Pologne [1]."}


@pytest.fixture
def damaged(make_assistant, tmp_path):
    """An index of two segments (Milley's article; then velo and fromage), the second's
    chunks.jsonl cut in its last line (fromage's chunk), opened after the cut."""
    make_assistant(chunk_chars=200, overlap_chars=0).ingest_articles([MILLEY])
    make_assistant(chunk_chars=200, overlap_chars=0).ingest_articles([VELO, FROMAGE])
    cut = segments(tmp_path / "index")[1]
    chunks = cut / folder.CHUNKS
    chunks.write_bytes(chunks.read_bytes()[:-30])
    return make_assistant(SCRIPT, chunk_chars=200, overlap_chars=0), cut.name


def retrieve_step(answer):
    return next(step for step in answer.trace if step.stage == "retrieve")


def test_a_cut_segment_is_left_out_and_the_intact_one_still_answers(damaged):
    assistant, cut = damaged
    assert ids(assistant) == ["milley"], "the articles of the cut segment are unavailable, the rest are there"
    [damage] = assistant.store.damaged()
    assert damage["segment"] == cut and damage["articles"] == ["velo", "fromage"] and "chunks.jsonl unreadable" in damage["reason"]
    assert damage["repair"] == f"assistant check --repair --index {assistant.settings.index_dir}"

    assert assistant.search(QUESTION, 1)[0].article_id == "milley"
    assert all(p.article_id == "milley" for p in assistant.search("pistes cyclables à Paris", 5)), "nothing is read from the cut segment"
    answer = assistant.ask(QUESTION)
    assert not answer.refused and "Pologne" in answer.text and answer.citations[0].passage.article_id == "milley"
    note = retrieve_step(answer).details["damaged"]
    assert note.startswith(f"2 articles (velo, fromage) unavailable: segment {cut} (chunks.jsonl unreadable: JSONDecodeError)")
    assert note.endswith(f"run `assistant check --repair --index {assistant.settings.index_dir}`")
    assert answer.to_dict()["trace"][next(i for i, s in enumerate(answer.trace) if s.stage == "retrieve")]["damaged"] == note

    info = assistant.info()
    assert info["articles"] == 1 and info["damaged"] == [damage]


def test_opening_a_damaged_index_logs_one_warning_naming_the_command(make_assistant, tmp_path, caplog):
    make_assistant().ingest_articles([PONT])
    make_assistant().ingest_articles([VELO])
    vectors = segments(tmp_path / "index")[0] / folder.VECTORS
    vectors.write_bytes(vectors.read_bytes()[:200])
    with caplog.at_level(logging.WARNING, logger="assistant.store.local"):
        assistant = make_assistant()
        for _ in range(3):
            assistant.search("pistes cyclables", 1)
    [warning] = [r.getMessage() for r in caplog.records if r.name == "assistant.store.local"]
    assert "1 article (pont) unavailable" in warning and "vectors.npy unreadable" in warning and "assistant check --repair --index" in warning
    assert ids(assistant) == ["velo"] and assistant.store.dense("pistes cyclables Paris", 1)[0].node.metadata["article_id"] == "velo"


def test_a_write_on_a_damaged_index_is_refused_naming_the_repair(damaged, tmp_path):
    assistant, _ = damaged
    index_dir = tmp_path / "index"
    live = folder.live_catalog(index_dir)
    refused = r"2 articles \(velo, fromage\) unavailable: .*run `assistant check --repair --index .*nothing is written until it is repaired"
    with pytest.raises(IndexStoreError, match=refused):
        assistant.ingest_articles([PONT])
    with pytest.raises(IndexStoreError, match="assistant check --repair"):
        assistant.remove("milley")
    assert folder.live_catalog(index_dir) == live and ids(assistant) == ["milley"], "the index is unchanged"


def test_after_the_repair_everything_is_normal_again(damaged, tmp_path):
    assistant, _ = damaged
    repaired = check(str(tmp_path / "index"), LOADER, repair=True)
    assert repaired.lost == ["fromage"]
    # The same process, not reopened: it loads the repaired commit at its next read.
    assert assistant.store.damaged() == [] and "damaged" not in assistant.info()
    assert ids(assistant) == ["milley", "velo"]
    answer = assistant.ask(QUESTION)
    assert not answer.refused and "damaged" not in retrieve_step(answer).details
    assert assistant.ingest_articles([FROMAGE]).added == ["fromage"]
    assert assistant.search("comté affiné Jura", 1)[0].article_id == "fromage"


def test_a_segment_folder_deleted_by_hand_is_unavailable_its_articles_unnamed(make_assistant, tmp_path):
    import shutil

    make_assistant().ingest_articles([PONT])
    make_assistant().ingest_articles([VELO])
    gone = segments(tmp_path / "index")[0]
    shutil.rmtree(gone)
    assistant = make_assistant()
    assert ids(assistant) == ["velo"]
    repair = f"assistant check --repair --index {tmp_path / 'index'}"
    assert assistant.store.damaged() == [{"segment": gone.name, "reason": "its folder is missing", "articles": None, "repair": repair}]
    note = retrieve_step(assistant.ask("pistes cyclables")).details["damaged"]
    assert note.startswith(f"articles whose ids cannot be read unavailable: segment {gone.name} (its folder is missing)")


def test_health_says_degraded_with_the_reason_and_200(damaged):
    assistant, cut = damaged
    reply = TestClient(create_server(assistant, page=False)).get("/api/health")
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "degraded" and body["articles"] == 1 and cut in body["index"] and "assistant check --repair" in body["index"]


def test_a_file_whose_size_is_not_the_one_written_is_damage_even_where_it_parses(make_assistant, tmp_path):
    make_assistant().ingest_articles([PONT])
    make_assistant().ingest_articles([VELO])
    articles = segments(tmp_path / "index")[1] / folder.ARTICLES
    written = articles.stat().st_size
    articles.write_text(articles.read_text() + "\n\n")  # still JSON, and still the same records
    [damage] = make_assistant().store.damaged()
    assert damage["reason"] == f"articles.json holds {written + 2} bytes, {written} were written" and damage["articles"] == ["velo"]


def test_an_intact_store_of_each_kind_reports_no_damage(where):
    from tests.test_store_contract import open_at

    assert open_at(where).damaged() == []
