from assistant.answering.citations import best_quote, parse_answer, render, strip_markers
from assistant.answering.verify import Rules, ground
from assistant.text import unsupported_numbers
from assistant.types import Passage

POLAND = (
    "Milley est arrivé dans le sud-est de la Pologne vers 11 heures du matin et a commencé sa rencontre "
    "avec Zaluzhny environ deux heures plus tard, a déclaré Butler. Aucune photographie n’a été autorisée."
)
BUTLER = "Le général Mark A. Milley a passé quelques heures avec le général Valery Zaluzhny, a déclaré le colonel David Butler, porte-parole."
KREMLIN = "Le Kremlin a vivement critiqué les efforts, accusant Washington et ses alliés de l’OTAN."


def passage(text: str, start: int = 1000) -> Passage:
    return Passage(article_id="a", title="Milley", text=text, start=start, end=start + len(text), score=1.0, dense_score=0.9)


PASSAGES = [passage(POLAND), passage(BUTLER, 0), passage(KREMLIN, 2000)]
QUESTION = "Où Milley a-t-il rencontré Zaluzhny ?"


def test_markers_are_parsed_per_sentence_and_invalid_ones_dropped():
    sentences = parse_answer("Dans le sud-est de la Pologne [1][7]. Butler l'a dit [2, 3]. [1]", 3)
    assert [(s.text, s.cited) for s in sentences] == [("Dans le sud-est de la Pologne.", (1,)), ("Butler l'a dit.", (2, 3, 1))]


def test_render_puts_markers_before_the_final_period():
    sentences = parse_answer("Dans le sud-est de la Pologne. [1]", 3)
    assert render(sentences) == "Dans le sud-est de la Pologne [1]."
    assert strip_markers("En Pologne [1] .") == "En Pologne."


def test_supported_answer_keeps_its_citation_and_quote():
    result = ground("Dans le sud-est de la Pologne [1].", QUESTION, PASSAGES)
    assert not result.refused
    assert result.text == "Dans le sud-est de la Pologne [1]."
    [citation] = result.citations
    assert citation.n == 1 and "sud-est de la Pologne" in citation.quote
    assert POLAND[citation.quote_start - 1000 : citation.quote_end - 1000] == citation.quote


def test_wrong_citation_is_moved_to_the_passage_that_supports_it():
    result = ground("Dans le sud-est de la Pologne [3].", QUESTION, PASSAGES)
    assert [c.n for c in result.citations] == [1]
    assert result.text == "Dans le sud-est de la Pologne [1]."


def test_missing_citation_is_added():
    result = ground("David Butler, porte-parole.", "Qui est le porte-parole ?", PASSAGES)
    assert [c.n for c in result.citations] == [2]


def test_marker_to_a_missing_passage_is_removed():
    result = ground("Dans le sud-est de la Pologne [9].", QUESTION, PASSAGES)
    assert result.text == "Dans le sud-est de la Pologne [1]."


def test_invented_number_is_refused():
    result = ground("Milley a 68 ans [1].", "Quel âge a Milley ?", PASSAGES)
    assert result.refused and result.citations == []


def test_numbers_a_passage_spells_out_support_the_same_digits():
    passage = "Le sprinteur n'a commis qu'un seul faux départ en deux ans de course."
    assert unsupported_numbers("1 faux départ [1].", passage) == set()
    assert unsupported_numbers("Depuis 2 ans [1].", passage) == set()
    assert unsupported_numbers("Depuis 3 ans [1].", passage) == {"3"}
    assert unsupported_numbers("1 départ [1].", "Il a pris un départ.") == {"1"}, "« un » alone is an article"


def test_unsupported_sentence_is_dropped_and_supported_one_kept():
    result = ground("Dans le sud-est de la Pologne [1]. Il portait un chapeau rouge magnifique [1].", QUESTION, PASSAGES)
    assert result.text == "Dans le sud-est de la Pologne [1]."


STADIUM = Passage(
    article_id="b",
    title="Le nouveau stade",
    text="Le stade de Lyon a ouvert en 2016. Il compte 59 000 places. La ville a aussi rénové le musée des Confluences en 2023.",
    start=0,
    end=117,
    score=1.0,
    dense_score=0.9,
)


def test_an_answer_quoted_from_a_sentence_about_something_else_is_refused():
    # A question the article does not answer, answered from a sentence on another subject.
    question = "Quand la piscine olympique a-t-elle été construite ?"
    assert ground("En 2023 [1].", question, [STADIUM]).reason == "off_topic"
    assert not ground("En 2023 [1].", question, [STADIUM], Rules(0.5, 0.88, min_topic_words=0)).refused, "0 turns the check off"
    assert not ground("En 2023 [1].", "When was the swimming pool built?", [STADIUM], cross_lingual=True).refused


def test_the_sentence_before_and_the_title_count_as_the_quotes_subject():
    # « Il compte 59 000 places »: the subject is named in the sentence before.
    assert not ground("59 000 places [1].", "Combien de spectateurs accueille le stade de Lyon ?", [STADIUM]).refused
    assert not ground("En 2023 [1].", "Quand le nouveau musée a-t-il été rénové ?", [STADIUM]).refused
    assert not ground("59 000 places [1].", "Quelle est la capacité de ce nouveau lieu ?", [STADIUM]).refused, "« nouveau » is in the title"


def test_model_refusals_are_recognised_in_both_languages():
    for text in ("INTROUVABLE", "Les extraits ne mentionnent pas son âge.", "The passages do not mention it.", ""):
        assert ground(text, QUESTION, PASSAGES).reason == "model"


def test_cross_language_answer_is_accepted_through_similarity():
    def similarity(sentence, texts):
        return [0.95 if "Pologne" in t else 0.1 for t in texts]

    answer = "In south-eastern Poland [1]."
    assert ground(answer, "Where did Milley meet Zaluzhny?", PASSAGES).refused
    result = ground(answer, "Where did Milley meet Zaluzhny?", PASSAGES, similarity=similarity)
    assert not result.refused and result.citations[0].n == 1


def test_the_quote_is_the_sentence_that_says_it():
    start, end = best_quote("à 11 heures du matin", passage(POLAND))
    assert POLAND[start:end] == POLAND.split(" Aucune")[0], "the whole sentence, not a fragment of it"


def test_an_answer_in_another_language_quotes_the_sentence_closest_in_meaning():
    # No word of « At 11 in the morning » is in the passage: the first sentence used to be quoted.
    text = "Milley dirige l'état-major. Il est arrivé en Pologne vers 11 heures du matin."
    start, end = best_quote("At 11 in the morning", passage(text), similarity=lambda s, texts: [0.9 if "11" in t else 0.2 for t in texts])
    assert text[start:end] == "Il est arrivé en Pologne vers 11 heures du matin."


ENGLISH_TO_FRENCH = {"in": "dans", "the": "le", "south-east": "sud-est", "of": "de", "poland": "pologne", "at": "à", "kyiv": "kyiv"}


def translated_overlap(sentence: str, texts: list[str]) -> list[float]:
    """A stand-in for cross-lingual embeddings: the Jaccard overlap of the sentence, word for word
    translated, with each text; like a cosine, a long text dilutes a short match."""
    words = {ENGLISH_TO_FRENCH.get(w, w) for w in sentence.lower().rstrip(".").split()}
    return [len(words & set(t.lower().rstrip(".").split())) / len(words | set(t.lower().rstrip(".").split())) for t in texts]


def test_an_answer_in_another_language_is_checked_against_windows_of_the_passage():
    text = "Milley est arrivé dans le sud-est de la Pologne vers 11 heures du matin et a commencé sa rencontre."
    passage = Passage(article_id="a", title="t", text=text, start=0, end=len(text), score=1.0)
    args = ("In the south-east of Poland [1].", "Where did Milley meet Zaluzhny?", [passage])
    rules = Rules(min_support=0.5, min_cross_lingual_support=0.6, min_topic_words=1)
    # the phrase is drowned in its whole sentence (0.26), but matches its window (0.63)
    assert ground(*args, rules, similarity=translated_overlap).refused
    grounded = ground(*args, rules, similarity=translated_overlap, cross_lingual=True)
    assert not grounded.refused and grounded.citations[0].n == 1
    wrong = ground("In Kyiv [1].", *args[1:], rules, similarity=translated_overlap, cross_lingual=True)
    assert wrong.refused


def test_an_answer_that_only_restates_the_question_is_unsupported_in_any_language():
    text = "Manchester United a gagné 3-2 ; Bruno Fernandes a marqué le but du 2-1."
    scored = [passage(text)]
    close = lambda sentence, texts: [0.95 for _ in texts]  # noqa: E731 - a similarity fooled by the shared names
    question = "Who scored Manchester United's second goal against Leicester?"
    assert ground("Manchester United [1].", question, scored, similarity=close, cross_lingual=True).refused
    assert not ground("Bruno Fernandes [1].", question, scored, similarity=close, cross_lingual=True).refused
    film = [passage("Le film 2012 est sorti en salles en 2009, trois ans avant la date qu'il met en scène.")]
    assert not ground("2012 [1].", "En quelle année se passe le film 2012 ?", film, similarity=close).refused, "a number is not a restatement"
