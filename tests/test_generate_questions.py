"""Questions written by the local model for the reader's training (lab.generate_questions)."""

import json

import pytest

from assistant.lab.generate_questions import parse, sentences_in_turn
from assistant.types import Article

SENTENCE = "Milley est arrivé dans le sud-est de la Pologne vers 11 heures du matin, selon deux journalistes."


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Question : À quelle heure Milley est-il arrivé en Pologne ?\nRéponse : vers 11 heures",
            ("À quelle heure Milley est-il arrivé en Pologne ?", "vers 11 heures"),
        ),
        (
            "Question : Où Milley est-il arrivé ce matin-là ?\nRéponse : « sud-est de la Pologne ».",
            ("Où Milley est-il arrivé ce matin-là ?", "sud-est de la Pologne"),
        ),
    ],
)
def test_a_pair_whose_answer_the_sentence_holds_is_kept(text, expected):
    assert parse(text, SENTENCE) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Question : Où Milley a-t-il rencontré Zaluzhny ?\nRéponse : à Kiev",  # not in the sentence
        "Question : Où Milley est-il arrivé vers 11 heures ?\nRéponse : 11 heures",  # given away by the question
        "Question : Qui est mentionné dans la phrase ?\nRéponse : Milley",  # needs the sentence to be understood
        "Question : Où est-il ?\nRéponse : Pologne",  # too short to stand alone
        "Milley est arrivé vers 11 heures.",  # no pair at all
        "Question : Quand Milley est-il arrivé en Pologne\nRéponse : vers 11 heures",  # not a question
        f"Question : Que dit le général américain ?\nRéponse : {SENTENCE}",  # the whole sentence
    ],
)
def test_an_unusable_pair_is_dropped(text):
    assert parse(text, SENTENCE) is None


def test_articles_are_taken_in_turn_and_short_sentences_skipped():
    long = "Une phrase assez longue pour que le modèle y trouve une question à poser."
    a = Article(id="a", title="A", text=f"{long} {long.replace('Une', 'Deux')} Trop court ici.")
    b = Article(id="b", title="B", text=long.replace("Une", "Trois"))
    assert [(x.id, s.split()[0]) for x, s in sentences_in_turn([a, b])] == [("a", "Une"), ("b", "Trois"), ("a", "Deux")]


@pytest.mark.slow
def test_the_small_model_writes_questions_whose_answers_are_in_their_sentences_and_a_second_run_goes_on(tmp_path):
    from assistant.config import PACKAGE_DIR, Settings
    from assistant.generation import Generator, model_path
    from assistant.lab.generate_questions import generate

    article = Article(id="milley", title="Milley en Pologne", text=(PACKAGE_DIR / "data" / "milley-zaluzhny-fr.txt").read_text(encoding="utf-8"))
    generator = Generator(model_path("small", Settings().cache_dir))
    out = tmp_path / "generated.jsonl"

    first = generate([article], generator, out, limit=4, progress=False)
    second = generate([article], generator, out, limit=2, progress=False)

    assert first["asked"] == 4 and second["asked"] == 2 and second["already_done"] == 4
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    rejected = (tmp_path / "generated-rejected.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(records) + len(rejected) == 6 and len({r["id"] for r in records}) == len(records)
    for record in records:
        assert parse(f"Question : {record['question']}\nRéponse : {record['answers'][0]}", record["sentence"]) is not None
        assert record["sentence"] in article.text and record["context_id"] == "milley"
