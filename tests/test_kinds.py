import pytest

from assistant.reading.kinds import fits


@pytest.mark.parametrize(
    "question, answer",
    [
        ("Quel âge a Milley ?", "Il a 64 ans."),
        ("How old is Milley?", "64 years old."),
        ("À quelle heure est-il arrivé ?", "Vers 11 heures du matin."),
        ("À quelle heure est-il arrivé ?", "En fin de matinée, vers midi."),
        ("Combien d'Américains l'accompagnaient ?", "Cinq autres Américains."),
        ("Combien de morts ?", "Plus de 3 000."),
        ("Quand la réunion a-t-elle eu lieu ?", "Mardi."),
        ("En quelle année la Révolution commence-t-elle ?", "En 1789."),
        ("When did they meet?", "On Tuesday."),
        ("Où Milley a-t-il rencontré Zaluzhny ?", "En Pologne."),
        ("Qui est Butler ?", "Le porte-parole de l'armée."),
    ],
)
def test_answers_of_the_asked_kind_fit(question, answer):
    assert fits(question, answer)


@pytest.mark.parametrize(
    "question, answer",
    [
        ("Quel âge a Milley ?", "11 heures."),
        ("Combien d'Américains l'accompagnaient ?", "Du personnel de sécurité de l'armée."),
        ("Quand la réunion a-t-elle eu lieu ?", "En Pologne."),
        ("How many soldiers?", "The American soldier."),
    ],
)
def test_answers_of_another_kind_do_not(question, answer):
    assert not fits(question, answer)
