"""The index folder shared by real processes: writers at once lose nothing, a serving process sees
what another committed, a killed ingest resumes where it stopped."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assistant.store import FolderStore
from tests.conftest import HashEmbedding
from tests.test_store import CHUNKING, IDENTITY

ROOT = Path(__file__).resolve().parents[1]

# A writer process: the product's API with the hashing embedding, slowed down so that writers
# overlap. It opens the index, says so (NAME.ready beside the index), holds it open until every
# file it waits for exists (the go file, or every writer's ready file: a barrier), then ingests.
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant.api import Assistant
    from assistant.config import Settings
    from assistant.store import live
    from assistant.types import Article
    from tests.conftest import HashEmbedding, ScriptedGenerator

    index, name, count, delay, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    waits = [Path(path) for path in sys.argv[6:]]
    live.SEGMENT_CHUNKS = 40
    calls = Path(index).parent / f"{name}.calls"

    class Slow(HashEmbedding):
        def _get_text_embedding(self, text):
            time.sleep(delay)
            with calls.open("a") as out:
                out.write("x")
            return self._vector(text)

    assistant = Assistant(Settings(index_dir=Path(index)), embed_model=Slow(), generator=ScriptedGenerator())
    assistant.articles()
    (Path(index).parent / f"{name}.ready").touch()
    deadline = time.monotonic() + 120  # generous: the cores may be busy
    while not all(path.exists() for path in waits):
        if time.monotonic() > deadline:
            sys.exit(f"{name} waited 120 s for {[str(path) for path in waits if not path.exists()]}")
        time.sleep(0.01)
    words = "pont tramway musée marché stade forêt école port gare parc".split()
    articles = [
        Article(id=f"{name}-{i}", title=f"{name} {i}", text=f"Le {words[i % 10]} {name}{i} ouvre au quartier q{i}. " * repeat)
        for i in range(count)
    ]
    print(assistant.ingest_articles(articles).summary(), flush=True)
    """
)


def writer(tmp_path: Path, name: str, count: int = 1, delay: float = 0.05, repeat: int = 6, waits=("go",)) -> subprocess.Popen:
    """A writer process on tmp_path/index that ingests once every file of `waits` (in tmp_path) exists."""
    command = [sys.executable, "-c", WRITER, str(tmp_path / "index"), name, str(count), str(delay), str(repeat), *(str(tmp_path / w) for w in waits)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def open_store(tmp_path: Path) -> FolderStore:
    return FolderStore(tmp_path / "index", HashEmbedding(), IDENTITY, CHUNKING)


def finish(process: subprocess.Popen, timeout: float = 60) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out


def wait_until(condition, timeout: float = 120.0) -> None:  # generous: the cores may be busy
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.slow  # writer processes
def test_two_writers_at_once_both_land(tmp_path):
    open_store(tmp_path)  # an empty index: both writers start from nothing
    # A barrier, not a pause: neither writes before both hold the empty index open, however slow
    # the machine, so the second to commit always has to catch up with the first's commit.
    barrier = ("alpha.ready", "beta.ready")
    writers = [writer(tmp_path, name, count=3, waits=barrier) for name in ("alpha", "beta")]
    for process in writers:
        assert "3 added" in finish(process)
    stored = open_store(tmp_path).articles()
    assert sorted(stored) == sorted(f"{name}-{i}" for name in ("alpha", "beta") for i in range(3))


@pytest.mark.slow  # writer processes
def test_a_serving_process_sees_what_the_command_line_added_and_its_upload_keeps_it(make_assistant, tmp_path):
    from assistant.app.handlers import Handlers

    serving = make_assistant()  # the chat page's assistant, open for the whole test
    upload = tmp_path / "velo.txt"
    upload.write_text("Vélos à Paris\n\nLa ville de Paris ouvre cent kilomètres de pistes cyclables cet été.", encoding="utf-8")
    Handlers(serving).add_files([str(upload)])
    (tmp_path / "go").touch()
    assert "1 added" in finish(writer(tmp_path, "cli"))
    assert serving.search("tramway cli0 q0", 1)[0].article_id == "cli-0", "the next question sees the command line's article"
    second = tmp_path / "fromage.txt"
    second.write_text("Fromages\n\nLe comté est affiné pendant au moins quatre mois dans le Jura.", encoding="utf-8")
    Handlers(serving).add_files([str(second)])
    assert len(open_store(tmp_path).articles()) == 3, "the page's upload kept what the command line added"


@pytest.mark.slow  # writer processes
def test_a_killed_ingest_resumes_where_it_stopped(tmp_path):
    (tmp_path / "go").touch()
    first = writer(tmp_path, "big", count=60, delay=0.01, repeat=70)  # 360 chunks: searchable by keywords first
    reader = open_store(tmp_path)

    def some_embedded():
        info = reader.info()
        return info["articles"] == 60 and 0 < info["waiting_for_vectors"] < info["chunks"]

    try:
        wait_until(some_embedded)
        assert reader.keywords("stade big9 q9", 1)[0].node.metadata["article_id"] == "big-9", "findable before it is embedded"
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.communicate()
    info = reader.info()
    waiting, total = info["waiting_for_vectors"], info["chunks"]
    (tmp_path / "big.calls").unlink()
    out = finish(writer(tmp_path, "big", count=60, delay=0.0, repeat=70))
    assert "60 unchanged" in out
    assert reader.info()["waiting_for_vectors"] == 0
    calls = len((tmp_path / "big.calls").read_text())
    assert calls <= waiting + 40 and calls < total, f"embedded {calls} of {total} again: it did not resume"
    assert [hit.node.metadata["article_id"] for hit in reader.dense("stade", 1, among=["big-59"])] == ["big-59"], "the last article has its vectors"


@pytest.mark.slow
def test_two_assistant_ingest_commands_at_once_both_land(tmp_path):
    """The real command line and embedding model, twice at once on one index."""
    from assistant.config import SAMPLE_ARTICLE

    other = tmp_path / "velo.txt"
    other.write_text("Vélos à Paris\n\nLa ville de Paris ouvre cent kilomètres de pistes cyclables cet été.", encoding="utf-8")
    env = {**os.environ, "ASSISTANT_INDEX": str(tmp_path / "index")}
    commands = [[sys.executable, "-m", "assistant.cli", "ingest", str(path)] for path in (SAMPLE_ARTICLE, other)]
    processes = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    for process in processes:
        assert "1 added" in finish(process, timeout=300)
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "info", "--articles"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "articles       2" in done.stdout, done.stdout + done.stderr
