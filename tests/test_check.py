"""`assistant check [--repair]` on real damaged indexes: a segment truncated by hand, a catalog
removed, the FAISS file deleted, a keyword file corrupted, each found and repaired or named; the
CLI once as a process; PostgreSQL on a real server; and a full disk during an ingest."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import IndexStoreError
from assistant.store import folder, layouts
from assistant.store.check import check
from assistant.store.records import make_nodes
from assistant.types import Article, Chunk
from tests.conftest import HashEmbedding
from tests.test_store import FROMAGE, IDENTITY, PONT, VELO, open_store

LOADER = lambda: (HashEmbedding(), {**IDENTITY, "language": "fr"})  # noqa: E731  the assistant's model, as the CLI loads it
ARTICLES = [PONT, VELO, FROMAGE]


def segments(index_dir: Path) -> list[Path]:
    """The live segments' folders, in the order the catalog names them."""
    catalog = folder.Catalog.read(index_dir, folder.live_catalog(index_dir))
    return [index_dir / entry["name"] for entry in catalog.segments]


def ids(assistant) -> list[str]:
    return sorted(article["id"] for article in assistant.articles())


def assert_repaired(index_dir: Path, lost: list[str] = ()) -> None:
    """A repair that loses `lost`, then a check that finds nothing."""
    repaired = check(str(index_dir), LOADER, repair=True)
    assert repaired.lost == list(lost) and not repaired.findings, repaired.text()
    again = check(str(index_dir), LOADER)
    assert again.healthy, again.text()


def test_a_healthy_index_checks_clean_with_its_checksums(make_assistant, tmp_path):
    make_assistant().ingest_articles([PONT])
    make_assistant().ingest_articles([VELO, FROMAGE])
    report = check(str(tmp_path / "index"), LOADER)
    assert report.healthy and report.findings == [], report.text()
    text = report.text()
    assert "2 segments, 3 articles" in text and "checksums: 14 files verified" in text and "No problem found." in text
    assert "3 chunks embedded again agree with those stored" in text


def test_a_segment_truncated_by_hand_is_named_and_the_rest_kept(make_assistant, tmp_path):
    index_dir = tmp_path / "index"
    make_assistant().ingest_articles([PONT])
    make_assistant().ingest_articles([VELO, FROMAGE])
    chunks = segments(index_dir)[1] / folder.CHUNKS
    chunks.write_bytes(chunks.read_bytes()[:-30])  # the last line (fromage's chunk) cut short
    opened = make_assistant()  # answers from the intact segment meanwhile (tests/test_degraded.py)
    assert ids(opened) == ["pont"] and opened.store.damaged()[0]["articles"] == ["velo", "fromage"]

    report = check(str(index_dir), LOADER)
    assert not report.healthy and len(report.findings) == 1
    finding = report.findings[0]
    assert "chunks.jsonl cut short" in finding.problem and "fromage" in finding.remedy and finding.repairable
    assert "`assistant check --repair --index" in report.text()

    assert_repaired(index_dir, lost=["fromage"])
    assistant = make_assistant()
    assert ids(assistant) == ["pont", "velo"]
    assert assistant.search("pistes cyclables Paris", 1)[0].article_id == "velo"
    assert assistant.ingest_articles([FROMAGE]).added == ["fromage"], "the lost article can be ingested again"


def test_a_removed_catalog_is_made_again_from_the_one_before_and_the_segments_after(make_assistant, tmp_path):
    index_dir = tmp_path / "index"
    for article in ARTICLES:
        make_assistant().ingest_articles([article])
    (index_dir / folder.live_catalog(index_dir)).unlink()
    with pytest.raises(IndexStoreError, match="missing.*assistant check --repair"):
        make_assistant()
    report = check(str(index_dir), LOADER)
    assert "the live catalog catalog-00000003.json is missing" in report.findings[0].problem
    assert "catalog-00000002.json and the 1 segment written after it" in report.findings[0].remedy
    assert_repaired(index_dir)
    assert ids(make_assistant()) == ["fromage", "pont", "velo"]


def test_every_catalog_removed_is_made_again_from_the_segments_the_newest_copy_winning(make_assistant, tmp_path):
    index_dir = tmp_path / "index"
    assistant = make_assistant()
    assistant.ingest_articles(ARTICLES)
    assistant.ingest_articles([Article(id="velo", title="Vélos à Paris", text="La ville de Paris ferme ses pistes cyclables en hiver.")])
    for path in [*index_dir.glob("catalog-*.json"), index_dir / folder.POINTER]:
        path.unlink()
    assert make_assistant().articles() == [], "without its pointer the index looks empty: the check says so"
    report = check(str(index_dir), LOADER)
    assert "CURRENT is missing" in report.findings[0].problem and "the 2 segments on disk" in report.findings[0].remedy
    assert_repaired(index_dir)
    assistant = make_assistant()
    assert ids(assistant) == ["fromage", "pont", "velo"]
    assert "ferme" in assistant.search("pistes cyclables Paris", 1)[0].text, "the replacement, not the old version"


def test_a_damaged_older_catalog_is_removed(make_assistant, tmp_path):
    index_dir = tmp_path / "index"
    for article in ARTICLES:
        make_assistant().ingest_articles([article])
    (index_dir / "catalog-00000001.json").write_text('{"commit": 1, "next_id": 0, "segments": []')
    report = check(str(index_dir), LOADER)
    assert "catalog-00000001.json, an earlier commit's catalog, is damaged" in report.findings[0].problem
    assert_repaired(index_dir)
    assert not (index_dir / "catalog-00000001.json").exists() and ids(make_assistant()) == ["fromage", "pont", "velo"]


def test_a_catalog_changed_by_hand_fails_its_checksum(make_assistant, tmp_path):
    index_dir = tmp_path / "index"
    make_assistant().ingest_articles(ARTICLES)
    live = index_dir / folder.live_catalog(index_dir)
    live.write_text(live.read_text().replace('"removed": []', '"removed": ["velo"]'))
    with pytest.raises(IndexStoreError, match="checksum differs"):
        make_assistant()
    report = check(str(index_dir), LOADER)
    assert "the live catalog is damaged" in report.findings[0].problem
    assert_repaired(index_dir)
    assert ids(make_assistant()) == ["fromage", "pont", "velo"]


def test_a_deleted_faiss_file_is_trained_again(make_assistant, tmp_path, monkeypatch):
    from assistant.store.local import TRAINED

    monkeypatch.setattr(layouts, "APPROXIMATE_FROM", 40)
    index_dir = tmp_path / "index"
    words = "pont vélo fromage train port forêt musée école marché stade".split()
    make_assistant().ingest_articles([Article(id=f"a{i}", title=f"N° {i}", text=f"Le {words[i % 10]} k{i} ouvre au quartier q{i // 10}.") for i in range(60)])
    assert (index_dir / TRAINED).is_file()
    (index_dir / TRAINED).unlink()
    report = check(str(index_dir), LOADER)
    assert "ivf.faiss (the trained inverted lists) is missing" in report.findings[0].problem
    assert "train them again from the 60 stored vectors" in report.findings[0].remedy
    assert_repaired(index_dir)
    assert (index_dir / TRAINED).is_file()
    (index_dir / TRAINED).write_bytes(b"not an index")
    assert "is damaged" in check(str(index_dir), LOADER).findings[0].problem
    assert_repaired(index_dir)
    assert make_assistant().info()["vector_search"].startswith("IVF")


def test_a_corrupted_keyword_file_is_counted_again_from_the_chunk_texts(make_assistant, tmp_path):
    index_dir = tmp_path / "index"
    make_assistant().ingest_articles(ARTICLES)
    before = [(h.node.node_id, round(h.score, 5)) for h in make_assistant().store.keywords("pistes cyclables Paris pont", 3)]
    counts = segments(index_dir)[0] / "counts.npz"
    data = bytearray(counts.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 16] = b"\x00" * 16  # the same size, other bytes
    counts.write_bytes(bytes(data))
    report = check(str(index_dir), LOADER)
    assert "counts.npz changed since it was written" in report.findings[0].problem
    assert "keyword counts counted again from the chunk texts" in report.findings[0].remedy
    assert_repaired(index_dir)
    after = [(h.node.node_id, round(h.score, 5)) for h in make_assistant().store.keywords("pistes cyclables Paris pont", 3)]
    assert after == before


def test_keyword_counts_that_read_back_but_are_wrong_are_found_in_an_index_without_checksums(make_assistant, tmp_path):
    from assistant.store.keywords import TermCounts

    index_dir = tmp_path / "index"
    make_assistant().ingest_articles(ARTICLES)
    segment = segments(index_dir)[0]
    (segment / folder.CHECKSUMS).unlink()  # as a segment written before they were kept
    TermCounts.of(["autre chose"] * 3).save(segment)
    report = check(str(index_dir), LOADER)
    assert "are not those of its text" in report.findings[0].problem
    assert_repaired(index_dir)
    assert make_assistant().store.keywords("pistes cyclables", 1)[0].node.metadata["article_id"] == "velo"


def test_a_damaged_vectors_file_is_embedded_again(make_assistant, tmp_path):
    index_dir = tmp_path / "index"
    make_assistant().ingest_articles(ARTICLES)
    vectors = segments(index_dir)[0] / folder.VECTORS
    vectors.write_bytes(vectors.read_bytes()[:200])
    assert "vectors.npy unreadable" in make_assistant().store.damaged()[0]["reason"]
    report = check(str(index_dir), LOADER)
    assert "vectors.npy cut short" in report.findings[0].problem and "vectors embedded again" in report.findings[0].remedy
    assert_repaired(index_dir)
    assert make_assistant().store.dense("comté affiné Jura", 1)[0].node.metadata["article_id"] == "fromage"


def test_a_deleted_segment_is_dropped_and_said_lost(make_assistant, tmp_path):
    index_dir = tmp_path / "index"
    make_assistant().ingest_articles([PONT])
    make_assistant().ingest_articles([VELO])
    shutil.rmtree(segments(index_dir)[0])
    assert make_assistant().store.damaged()[0]["reason"] == "its folder is missing"
    report = check(str(index_dir), LOADER, repair=True)
    assert report.lost and "their ids were in it" in report.lost[0] and not report.healthy
    assert check(str(index_dir), LOADER).healthy and ids(make_assistant()) == ["velo"]


def test_a_model_that_gives_other_vectors_is_named(make_assistant, tmp_path):
    class Drifted(HashEmbedding):  # the same name, other weights
        def _vector(self, text):
            return list(reversed(super()._vector(text)))

    make_assistant().ingest_articles(ARTICLES)
    report = check(str(tmp_path / "index"), lambda: (Drifted(), {**IDENTITY, "language": "fr"}))
    assert "3 of 3 chunks embedded again with test/hash-bag-of-words disagree" in report.findings[0].problem
    assert not report.findings[0].repairable and "re-embed" in report.findings[0].remedy


def test_another_model_setting_and_a_lost_manifest_are_named_not_repaired(make_assistant, tmp_path):
    index_dir = tmp_path / "index"
    make_assistant().ingest_articles([PONT])
    other = check(str(index_dir), lambda: (HashEmbedding(), {**IDENTITY, "embed_model": "other/model", "language": "fr"}))
    assert "the assistant is set to 'other/model'" in other.findings[0].problem and not other.findings[0].repairable
    (index_dir / folder.MANIFEST).unlink()
    report = check(str(index_dir), LOADER, repair=True)
    assert "manifest.json is missing" in report.findings[0].problem and "backup" in report.findings[0].remedy
    assert not report.healthy


def test_nothing_to_check_where_there_is_no_index(tmp_path):
    report = check(str(tmp_path / "nowhere"), LOADER, repair=True)
    assert "there is no index" in report.findings[0].problem and not (tmp_path / "nowhere").exists()
    assert check("memory://x", LOADER).healthy


# -- the command line -----------------------------------------------------------------------


@pytest.mark.slow  # a process, and the real embedding model for the sample of vectors
def test_the_cli_checks_and_repairs_the_real_index(sample_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir)
    terms = segments(index_dir)[0] / "terms.json"
    terms.write_text(terms.read_text()[:-40])

    def run(*args):
        command = [sys.executable, "-m", "assistant.cli", "check", "--index", str(index_dir), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ, "ASSISTANT_STORE": ""})

    found = run()
    assert found.returncode == 1, found.stderr
    assert "terms.json cut short" in found.stdout and "--repair --index" in found.stdout
    repaired = run("--repair")
    assert repaired.returncode == 0 and "Repaired:" in repaired.stdout and "No problem remains." in repaired.stdout, repaired.stdout + repaired.stderr
    healthy = run()
    assert healthy.returncode == 0 and "chunks embedded again agree with those stored" in healthy.stdout, healthy.stdout


# -- a full disk ----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs mounted by the mount(2) call (as root; no process started), unmounted after.
    Skipped, saying why, where mounting is not allowed: the simulated test below still runs."""
    where = tmp_path / "disk"
    where.mkdir()
    libc = ctypes.CDLL(None, use_errno=True)  # the C library already loaded (find_library would start a process)
    if libc.mount(b"tmpfs", str(where).encode(), b"tmpfs", 0, b"size=2m") != 0:
        pytest.skip(f"cannot mount a tmpfs here: {os.strerror(ctypes.get_errno())}")
    yield where
    libc.umount2(str(where).encode(), 2)  # MNT_DETACH


def fill(disk: Path) -> Path:
    """A file that takes every free byte of `disk`."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:  # unbuffered: nothing left to flush on closing
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def assert_unchanged_after_a_full_disk(make_assistant, index_dir: Path, before: str, attempt) -> None:
    with pytest.raises(IndexStoreError, match=r"the disk holding .* is full: free some space and ingest again; the index is unchanged"):
        attempt()
    assert folder.live_catalog(index_dir) == before
    assert not [p.name for p in index_dir.iterdir() if p.name.startswith(".") and p.name != ".lock"], "half-written files left behind"
    assert ids(make_assistant(index_dir=index_dir)) == ["pont"]
    assert check(str(index_dir), LOADER).healthy


def test_a_full_disk_stops_an_ingest_and_loses_nothing(make_assistant, small_disk):
    index_dir = small_disk / "index"
    assistant = make_assistant(index_dir=index_dir)
    assistant.ingest_articles([PONT])
    before = folder.live_catalog(index_dir)
    filler = fill(small_disk)
    big = [Article(id=f"big{i}", title=f"Article {i}", text=f"Le musée numéro {i} ouvre ses portes. " * 40) for i in range(30)]
    assert_unchanged_after_a_full_disk(make_assistant, index_dir, before, lambda: assistant.ingest_articles([VELO, *big]))
    filler.unlink()
    assert assistant.ingest_articles([VELO, *big]).added == ["velo", *(a.id for a in big)]
    assert len(make_assistant(index_dir=index_dir).articles()) == 32 and check(str(index_dir), LOADER).healthy


def test_a_full_disk_simulated_at_each_write_leaves_the_last_commit(make_assistant, tmp_path, monkeypatch):
    """ENOSPC raised by the writes themselves (os.fsync and numpy's save), for where no small
    filesystem can be mounted: the index stays at its last commit and the next ingest completes."""
    index_dir = tmp_path / "index"
    assistant = make_assistant(index_dir=index_dir)
    assistant.ingest_articles([PONT])
    before = folder.live_catalog(index_dir)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    for module, name in ((folder.os, "fsync"), (folder.np, "save")):
        monkeypatch.setattr(module, name, full)
        assert_unchanged_after_a_full_disk(make_assistant, index_dir, before, lambda: assistant.ingest_articles([VELO]))
        monkeypatch.undo()
    assert assistant.ingest_articles([VELO]).added == ["velo"]
    assert ids(make_assistant(index_dir=index_dir)) == ["pont", "velo"]


def test_a_catalog_that_cannot_be_written_leaves_no_half_behind(tmp_path, monkeypatch):
    store = open_store(tmp_path)
    store.write(put=[(PONT, make_nodes(PONT, [Chunk(0, 20, PONT.text[:20])]))])
    real = json.dump

    def half(data, out, **kwargs):  # the catalog's first bytes, then the disk is full
        if "catalog" not in out.name:
            return real(data, out, **kwargs)
        out.write('{"commit": ')
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(folder.json, "dump", half)
    with pytest.raises(IndexStoreError, match="is full"):
        store.write(put=[(VELO, make_nodes(VELO, [Chunk(0, 20, VELO.text[:20])]))])
    monkeypatch.undo()
    assert not list(tmp_path.glob(".catalog-*")) and [p.name for p in tmp_path.glob("catalog-*.json")] == ["catalog-00000001.json"]
    assert list(open_store(tmp_path).articles()) == ["pont"]
    assert len(list(tmp_path.glob("seg-*"))) == 1, "the segment written for the failed commit is removed"


# -- PostgreSQL -----------------------------------------------------------------------------


def sql(url: str, *statements: str) -> None:
    import psycopg2

    with psycopg2.connect(url.split("?")[0]) as connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.mark.slow  # a PostgreSQL server
def test_postgres_tables_damaged_by_hand_are_found_and_repaired(server, tmp_path):
    from tests import pg

    url = pg.table_url(server.url())
    assistant = pg.assistant_on(url)
    assistant.ingest_articles(pg.OTHERS)
    healthy = check(url, LOADER)
    assert healthy.healthy, healthy.text()
    assert "BM25's statistics are those of the chunks" in healthy.text() and "chunks embedded again agree" in healthy.text()

    table = assistant.store.table
    sql(
        url,
        f"DELETE FROM data_{table} WHERE node_id = 'pont::1'",  # an article missing a chunk: lost
        f"UPDATE {table}_terms SET chunks = chunks + 5 WHERE lexeme = 'comt'",  # BM25's statistics off
        f"UPDATE data_{table} SET keyword_tsv = NULL WHERE article_id = 'velo'",  # words lost
        f"DROP INDEX data_{table}_keywords",
        f"DELETE FROM {table}_bands WHERE article_id = 'fromage'",
    )
    report = check(url, LOADER)
    problems = " | ".join(f.problem for f in report.findings)
    for expected in ("lack some of their chunks (pont)", "have no words counted", "BM25's statistics", f"data_{table}_keywords", "bands"):
        assert expected in problems, problems
    assert "--repair --store postgresql://" in report.text()

    repaired = check(url, LOADER, repair=True)
    assert repaired.lost == ["pont"] and not repaired.findings, repaired.text()
    assert check(url, LOADER).healthy
    reopened = pg.assistant_on(url)
    assert ids(reopened) == ["fromage", "velo"]
    local = pg.assistant_on(None, tmp_path / "index")  # the same articles in a folder: the same BM25 scores
    local.ingest_articles(pg.OTHERS[:2])
    for question in ("pistes cyclables Paris", "comté affiné Jura"):
        theirs = [(h.node.node_id, round(h.score, 4)) for h in reopened.store.keywords(question, 5)]
        assert theirs and theirs == [(h.node.node_id, round(h.score, 4)) for h in local.store.keywords(question, 5)]


@pytest.mark.slow  # a PostgreSQL server
def test_a_postgres_table_dropped_by_hand_gives_a_clear_error_naming_the_check(server):
    from tests import pg

    url = pg.table_url(server.url())
    assistant = pg.assistant_on(url)
    assistant.ingest_articles(pg.OTHERS)
    sql(url, f"DROP TABLE {assistant.store.table}_articles")
    with pytest.raises(IndexStoreError, match="is damaged .*assistant check --repair --store"):
        pg.assistant_on(url).articles()
    report = check(url, LOADER, repair=True)
    assert f"{assistant.store.table}_articles is missing" in report.findings[0].problem and not report.findings[0].repairable
