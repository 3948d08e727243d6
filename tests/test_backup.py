"""`assistant backup` / `assistant restore`: a consistent copy of an index while it is written, put
back as an index that answers; PostgreSQL through pg_dump and pg_restore."""

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import IndexStoreError, InputError
from assistant.store import FolderStore, folder, live
from assistant.store import backup as backups
from assistant.types import Article
from tests.conftest import HashEmbedding
from tests.test_reembed import FREE, build, corpus, free_store, run, vectors_by_id
from tests.test_store import CHUNKING, IDENTITY

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = "Où Milley a-t-il rencontré Zaluzhny ?"


def open_store(index_dir: Path) -> FolderStore:
    return FolderStore(index_dir, HashEmbedding(), IDENTITY, CHUNKING)


def catalog_articles(index_dir: Path) -> dict[str, int]:
    """Article id -> chunks, of every live article the live catalog names (read from its segments)."""
    catalog = folder.Catalog.read(index_dir, folder.live_catalog(index_dir))
    found = {}
    for entry in catalog.segments:
        segment = folder.Segment.load(index_dir, entry["name"], entry["embedded"])
        found.update((a, len(rows)) for a, rows in segment.rows().items() if a not in entry["removed"])
    return found


def reads_back_every_article(index_dir: Path, expected: dict[str, int]) -> None:
    """The index holds exactly `expected`, each article's chunks found by keywords among its own."""
    store = open_store(index_dir)
    records = store.articles()
    assert {a: len(r["node_ids"]) for a, r in records.items()} == expected
    for article_id, record in records.items():
        hits = store.keywords(record["title"], 100, among=[article_id])
        assert {hit.node.node_id for hit in hits} == set(record["node_ids"]), article_id


def test_a_backup_restored_answers_as_the_index_did(tmp_path):
    store = build(tmp_path / "index", corpus(9))
    store.write(remove=["a4"])
    done = backups.backup(str(tmp_path / "index"), tmp_path / "backup")
    assert done["segments"] == 3 and done["linked"] == done["files"] > 0
    restored = backups.restore(tmp_path / "backup", str(tmp_path / "restored"))
    assert restored["linked"] == 0, "restore copies unless asked to link: the backup stays apart from the index"
    reads_back_every_article(tmp_path / "restored", catalog_articles(tmp_path / "index"))
    question = "marché a3 q3"
    assert [h.node.node_id for h in open_store(tmp_path / "restored").dense(question, 5)] == [h.node.node_id for h in store.dense(question, 5)]
    assert vectors_by_id(tmp_path / "restored").keys() == vectors_by_id(tmp_path / "index").keys()
    open_store(tmp_path / "restored").write(remove=["a0"])  # the restored index is written as any other
    assert "a0" in open_store(tmp_path / "index").articles() and "a0" in open_store(tmp_path / "backup").articles()


def test_hard_links_share_the_files_and_copies_do_not(tmp_path, monkeypatch):
    build(tmp_path / "index", corpus(4))
    backups.backup(str(tmp_path / "index"), tmp_path / "linked")
    backups.backup(str(tmp_path / "index"), tmp_path / "copied", copy=True)
    [original] = (tmp_path / "index").glob("seg-*/chunks.jsonl")
    assert os.stat(tmp_path / "linked" / original.parent.name / "chunks.jsonl").st_ino == original.stat().st_ino
    assert os.stat(tmp_path / "copied" / original.parent.name / "chunks.jsonl").st_ino != original.stat().st_ino

    def across(source, dest):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", across)  # DEST on another filesystem
    done = backups.backup(str(tmp_path / "index"), tmp_path / "elsewhere")
    assert done["linked"] == 0 and done["files"] > 0
    reads_back_every_article(tmp_path / "elsewhere", catalog_articles(tmp_path / "index"))


def test_a_backup_is_the_catalog_it_read_whatever_writers_commit_meanwhile(tmp_path, monkeypatch):
    store = build(tmp_path / "index", corpus(8))
    expected = catalog_articles(tmp_path / "index")
    linking, writes = os.link, []

    def busy(source, dest):  # a writer commits between two files of the backup
        if Path(source).parent.name.startswith("seg-") and not writes:
            writes.append(1)
            store.write(put=[], remove=["a1"])
            build(tmp_path / "index", corpus(3, prefix="late"))
        return linking(source, dest)

    monkeypatch.setattr(os, "link", busy)
    backups.backup(str(tmp_path / "index"), tmp_path / "backup")
    assert writes and "late0" in open_store(tmp_path / "index").articles()
    reads_back_every_article(tmp_path / "backup", expected)


def test_a_segment_swept_before_it_was_linked_starts_the_backup_again(tmp_path, monkeypatch):
    build(tmp_path / "index", corpus(8))
    linking, swept = os.link, []

    def sweeping(source, dest):  # as if four commits and their sweep came between pointer and segment
        if Path(source).name == "chunks.jsonl" and not swept:
            swept.append(1)
            open_store(tmp_path / "index").write(remove=["a0"])
            raise FileNotFoundError(errno.ENOENT, "swept", str(source))
        return linking(source, dest)

    monkeypatch.setattr(os, "link", sweeping)
    backups.backup(str(tmp_path / "index"), tmp_path / "backup")
    assert swept
    reads_back_every_article(tmp_path / "backup", catalog_articles(tmp_path / "index"))


def test_restore_refuses_a_filled_folder_unless_forced_and_an_incomplete_backup(tmp_path):
    build(tmp_path / "index", corpus(3))
    build(tmp_path / "other", corpus(2, prefix="b"))
    backups.backup(str(tmp_path / "index"), tmp_path / "backup")
    with pytest.raises(InputError, match="not empty.*--force"):
        backups.restore(tmp_path / "backup", str(tmp_path / "other"))
    assert sorted(open_store(tmp_path / "other").articles()) == ["b0", "b1"], "left as it was"
    backups.restore(tmp_path / "backup", str(tmp_path / "other"), force=True)
    assert sorted(open_store(tmp_path / "other").articles()) == ["a0", "a1", "a2"]
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    with pytest.raises(InputError, match="other than an index"):
        backups.restore(tmp_path / "backup", str(tmp_path / "notes"), force=True)
    (tmp_path / "backup" / folder.POINTER).unlink()  # as a backup cut short leaves it
    with pytest.raises(IndexStoreError, match="no complete backup"):
        backups.restore(tmp_path / "backup", str(tmp_path / "new"))
    assert not (tmp_path / "new").exists()


def test_a_backup_into_a_filled_folder_or_of_no_index_is_refused(tmp_path):
    build(tmp_path / "index", corpus(2))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        backups.backup(str(tmp_path / "index"), tmp_path / "full")
    with pytest.raises(IndexStoreError, match="no index"):
        backups.backup(str(tmp_path / "nothing"), tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_a_reembedded_index_is_backed_up_with_its_model(tmp_path, monkeypatch):
    monkeypatch.setattr(live, "SEGMENT_CHUNKS", 8)
    build(tmp_path / "index", corpus(6))
    run(tmp_path / "index")
    backups.backup(str(tmp_path / "index"), tmp_path / "backup")
    backups.restore(tmp_path / "backup", str(tmp_path / "restored"))
    assert free_store(tmp_path / "restored").info()["articles"] == 6
    with pytest.raises(IndexStoreError, match=FREE["embed_model"]):
        open_store(tmp_path / "restored")


def test_the_command_line_backs_up_and_restores(tmp_path, capsys):
    build(tmp_path / "index", corpus(3))
    assert main(["backup", str(tmp_path / "backup"), "--index", str(tmp_path / "index")]) == 0
    assert "hard-linked" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "backup"), "--index", str(tmp_path / "restored")]) == 0
    assert main(["restore", str(tmp_path / "backup"), "--index", str(tmp_path / "restored")]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "backup"), "--index", str(tmp_path / "restored"), "--force"]) == 0
    assert sorted(open_store(tmp_path / "restored").articles()) == ["a0", "a1", "a2"]


# -- real processes, models and servers (slow) ------------------------------------------------


@pytest.mark.slow  # a writer process
def test_backups_taken_while_another_process_ingests_are_whole(tmp_path):
    from tests.test_store_processes import finish, writer

    open_store(tmp_path / "index")
    (tmp_path / "go").touch()
    ingest = writer(tmp_path, "big", count=60, delay=0.005, repeat=70)  # keywords first, then embedded segment by segment
    taken, catalogs = [], set()
    while ingest.poll() is None:
        if folder.live_catalog(tmp_path / "index") not in catalogs | {None}:  # one backup per commit seen
            dest = tmp_path / f"backup-{len(taken)}"
            catalogs.add(backups.backup(str(tmp_path / "index"), dest)["catalog"])
            taken.append((dest, open_store(dest).info()))
        time.sleep(0.1)
    assert "60 added" in finish(ingest)
    assert sum(0 < info["waiting_for_vectors"] < info["chunks"] for _, info in taken) >= 2, "no backup fell during the ingest"
    halfway = [item for item in taken if 0 < item[1]["waiting_for_vectors"] < item[1]["chunks"]]
    for number, (dest, info) in enumerate([*halfway[:: max(1, len(halfway) // 3)], taken[-1]]):  # a few: the machine may be busy
        restored = tmp_path / f"restored-{number}"
        backups.restore(dest, str(restored))
        reads_back_every_article(restored, catalog_articles(dest))
        assert open_store(restored).info()["waiting_for_vectors"] == info["waiting_for_vectors"]


@pytest.mark.slow  # the real models, an `assistant ingest` process
def test_a_backup_taken_during_an_ingest_answers_the_reference_question(tmp_path):
    from assistant.api import Assistant
    from assistant.config import SAMPLE_ARTICLE

    Assistant.open(tmp_path / "index").ingest([SAMPLE_ARTICLE])
    more = tmp_path / "more"
    more.mkdir()
    for i, text in enumerate(article.text for article in corpus(40, repeat=12, prefix="lyon")):
        (more / f"lyon{i}.txt").write_text(f"Nouvelles de Lyon {i}\n\n{text}", encoding="utf-8")
    ingest = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ingest", str(more), "--index", str(tmp_path / "index")], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    taken = 0
    while ingest.poll() is None or not taken:
        backups.backup(str(tmp_path / "index"), tmp_path / f"backup-{taken}")
        taken += 1
        time.sleep(0.5)
    assert ingest.wait() == 0, ingest.stderr.read()[-2000:]
    backups.restore(tmp_path / f"backup-{taken // 2}", str(tmp_path / "restored"))
    answer = Assistant.open(tmp_path / "restored").ask(REFERENCE)
    assert not answer.refused and "Pologne" in answer.text


@pytest.mark.slow  # a PostgreSQL server
def test_a_postgresql_store_dumped_and_restored_into_another_database_reads_back(tmp_path, server):
    from tests import pg

    url = pg.table_url(server.url())
    pg.assistant_on(url).ingest_articles(pg.articles())
    done = backups.backup(url, tmp_path / "store.dump")
    assert done["bytes"] > 0
    database = f"restored_{os.getpid()}"
    subprocess.run([backups.program("createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", database], check=True)
    target = url.replace("/postgres?", f"/{database}?")
    with pytest.raises(InputError, match="table"):
        backups.restore(tmp_path / "store.dump", server.url().replace("/postgres", f"/{database}") + "?table=other")
    backups.restore(tmp_path / "store.dump", target)
    restored = pg.assistant_on(target)
    assert restored.store.articles() == pg.assistant_on(url).store.articles()
    assert pg.top10(restored.store, REFERENCE) == pg.top10(pg.assistant_on(url).store, REFERENCE)
    answer = restored.ask(REFERENCE)
    assert not answer.refused and "Pologne" in answer.text
    restored.ingest_articles([Article(id="after", title="Après", text="Un article écrit après la restauration.")])  # its sequences came along
    assert "after" in restored.store.articles()
    with pytest.raises(InputError, match="--force"):
        backups.restore(tmp_path / "store.dump", target)
    backups.restore(tmp_path / "store.dump", target, force=True)
    assert pg.assistant_on(target).store.info()["chunks"] == pg.assistant_on(url).store.info()["chunks"]
