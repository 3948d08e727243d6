import pytest

from assistant.reading.kinds import fits
from assistant.reading.requests import asks_change, asks_which_article, names_no_subject, spoken_of, which_first


@pytest.mark.parametrize(
    "question, answer",
    [
        ("Quel âge a Milley ?", "Il a 64 ans."),
        ("How old is Milley?", "64 years old."),
        ("À quelle heure est-il arrivé ?", "Vers 11 heures du matin."),
        ("À quelle heure est-il arrivé ?", "En fin de matinée, vers midi."),
        ("Combien d'Américains l'accompagnaient ?", "Cinq autres Américains."),
        ("Combien de morts ?", "Plus de 3 000."),
        ("Combien de sapeurs-pompiers sont intervenus ?", "Vingtaine [1]."),  # an approximate number
        ("Combien de manifestants ?", "Des milliers."),
        ("How many people were rehoused?", "Dozens."),
        ("Combien de jours de prison a-t-il reçus ?", "Trente jours [1]."),
        ("Combien coûte l'abonnement ?", "12 euros par mois [1]."),  # a unit of the kind asked, beside another
        ("Combien de kilomètres ?", "Deux cents [1]."),  # « cents » is a number here, not money
        ("How long is the bridge?", "3 km."),  # a length, not a duration
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
        ("Combien de jours de prison le conducteur a-t-il reçus ?", "250 euros [1]."),  # the fine, not the sentence
        ("Combien de temps a duré la grève ?", "25 % [1]."),
        ("How much does the subscription cost?", "2 years."),
    ],
)
def test_answers_of_another_kind_do_not(question, answer):
    assert not fits(question, answer)


# -- questions about the articles themselves (`reading.requests`) ----------------------------------


@pytest.mark.parametrize(
    "question, order",
    [
        ("Du papier du Figaro et de celui de Libération sur la grève, lequel est sorti d'abord ?", "oldest"),
        ("Quel article est paru le premier, celui sur la grève ou celui sur les inondations ?", "oldest"),
        ("Lequel des deux est le plus ancien ?", "oldest"),
        ("Which story came out first, the one on the floods or the one on the strike?", "oldest"),
        ("Des deux dépêches, laquelle a été publiée en dernier ?", "latest"),
        ("Which one is the most recent?", "latest"),
        ("Qui a marqué le premier but ?", None),
        ("Quel est le premier ministre cité ?", None),
        ("Quand le premier article de loi a-t-il été voté ?", None),
    ],
)
def test_which_came_out_first_is_an_order_between_articles(question, order):
    assert which_first(question) == order


def test_which_article_speaks_of_something_is_read_with_what_it_speaks_of():
    assert asks_which_article("Des trois articles, lequel évoque les inondations ?")
    assert asks_which_article("Which article talks about the floods in Valencia?")
    assert not asks_which_article("Qui parle des inondations ?") and not asks_which_article("De quoi parle l'article ?")
    assert spoken_of("Des trois articles, lequel évoque les inondations ?") == "les inondations"
    assert spoken_of("Which article talks about the floods in Valencia?") == "the floods in Valencia"
    assert spoken_of("Lequel parle ?") == "Lequel parle ?", "nothing named: the question itself"


@pytest.mark.parametrize(
    "question, none",
    [
        ("Quel est l'article ?", True),
        ("De quoi parle-t-il ?", True),
        ("Que dit l'article ?", True),
        ("What is the newest story about?", True),
        ("Que conseille le papier ?", True),
        ("Que dit l'article sur la grève ?", False),
        ("Quel est le bilan ?", False),
    ],
)
def test_a_question_about_an_article_without_a_subject(question, none):
    assert names_no_subject(question) is none


def test_a_question_about_a_change_or_a_difference():
    assert asks_change("Comment le chômage a-t-il évolué entre les deux enquêtes ?")
    assert asks_change("Quelle différence entre le chiffre du ministère et celui des syndicats ?")
    assert asks_change("How did the death toll change between the two reports?")
    assert not asks_change("Combien de morts a fait le séisme ?")
    assert not asks_change("Combien de députés ont voté contre le projet de loi ?"), "« contre » is as often a vote or a match"
