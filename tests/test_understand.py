import pytest

from assistant.answering.understand import needs_context
from assistant.reading.referents import resolve
from assistant.types import Turn

# (message, language, whether it leans on the conversation before it)
CASES = [
    ("Où Milley a-t-il rencontré Zaluzhny ?", "fr", False),  # « -t-il » repeats the named subject
    ("Pourquoi Milley est-il allé en Pologne ?", "fr", False),
    ("Milley a-t-il démissionné ?", "fr", False),
    ("Quand l'Ukraine a-t-elle reçu les chars Leopard ?", "fr", False),
    ("Combien de chars y a-t-il en Ukraine ?", "fr", False),  # impersonal: stands for nothing
    ("Combien y a t'il de lochs en Écosse ?", "fr", False),
    ("L'Écosse a t elle une constitution écrite ?", "fr", False),
    ("Est-ce que Milley a rencontré Zaluzhny ?", "fr", False),
    ("Qu'est-ce que la brigade Azov a défendu ?", "fr", False),
    ("Combien de temps a duré la rencontre entre Milley et Zaluzhny ?", "fr", False),
    ("Where did Milley meet Zaluzhny?", "en", False),
    ("What is the capital of Ukraine?", "en", False),
    ("Où a-t-il rencontré Zaluzhny ?", "fr", True),  # who?
    ("Qu'a-t-il dit à Milley ?", "fr", True),
    ("Quel âge a-t-il ?", "fr", True),
    ("Quelle est sa date de naissance ?", "fr", True),
    ("Qui y était ?", "fr", True),
    ("Et Zaluzhny ?", "fr", True),
    ("Et à quelle heure est-il arrivé ?", "fr", True),
    ("Combien de soldats ?", "fr", True),  # too little of its own to search with
    ("Qui est Milley ?", "fr", True),
    ("Where did he meet Zaluzhny?", "en", True),
    ("What about the tanks?", "en", True),
    ("¿Dónde se reunieron Milley y Zaluzhny?", "es", True),  # no word lists: always rewritten
]


@pytest.mark.parametrize("question, language, expected", CASES)
def test_a_message_needs_the_conversation_only_when_it_points_back(question, language, expected):
    assert needs_context(question, language) is expected


@pytest.mark.parametrize(
    ("asked", "answered", "message", "language", "expected"),
    [
        ("Où Milley a-t-il rencontré Zaluzhny ?", "En Pologne [1].", "Et à quelle heure est-il arrivé ?", "fr", "À quelle heure Milley est-il arrivé ?"),
        ("Qui est Valery Zaluzhny ?", "Un général [1].", "Où l'a-t-il rencontré ?", "fr", "Où Valery Zaluzhny l'a-t-il rencontré ?"),
        ("Qui a critiqué Washington ?", "Le Kremlin [1].", "De quoi les accuse-t-il ?", "fr", "De quoi le Kremlin les accuse-t-il ?"),  # the answer to « qui »
        ("Qui est le porte-parole ?", "Le colonel David Butler [1].", "Qu'a-t-il déclaré ?", "fr", "Que le colonel David Butler a-t-il déclaré ?"),
        ("Quand l'Ukraine a-t-elle reçu les chars ?", "En janvier.", "Combien en a-t-elle reçu ?", "fr", "Combien l'Ukraine en a-t-elle reçu ?"),
        ("Où Milley a-t-il rencontré Zaluzhny ?", "En Pologne.", "Il est arrivé quand ?", "fr", "Milley est arrivé quand ?"),
        ("Where did Milley meet Zaluzhny?", "In Poland [1].", "And when did he arrive?", "en", "When did Milley arrive?"),
        ("Où Milley a-t-il rencontré Zaluzhny ?", "En Pologne.", "Et Zaluzhny ?", "fr", None),  # no pronoun: the model rewrites it
        ("Où a eu lieu la réunion ?", "En Pologne.", "Qui y était ?", "fr", None),  # no name to give
    ],
)
def test_a_pronoun_gets_the_name_it_stands_for(asked, answered, message, language, expected):
    assert resolve(message, [Turn("user", asked), Turn("assistant", answered)], language) == expected
