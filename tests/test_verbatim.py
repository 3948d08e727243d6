"""The short answer in the source's words (`answering.verbatim`)."""

import pytest

from assistant.answering.verbatim import verbatim_span

SENTENCE = "Milley est arrivé dans le sud-est de la Pologne vers 11 heures du matin et a commencé sa rencontre."


def said(answer: str, text: str = SENTENCE) -> str | None:
    span = verbatim_span(answer, text, 0, len(text))
    return text[span[0] : span[1]] if span else None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("En sud-est de la Pologne", "dans le sud-est de la Pologne"),  # the model's French, mended
        ("Dans le sud-est de la Pologne", "dans le sud-est de la Pologne"),
        ("Pologne", "Pologne"),  # no function word asked for, none added
        ("À 11 heures", "vers 11 heures"),  # the source's own preposition
        ("vers 11 heures du matin", "vers 11 heures du matin"),
    ],
)
def test_the_span_of_the_sentence_that_says_the_answer(answer, expected):
    assert said(answer) == expected


@pytest.mark.parametrize(
    "answer",
    [
        "Kyiv",  # not in the sentence
        "Non, en Pologne",  # a yes or no the span would drop
        "Milley est arrivé en Pologne",  # its words are there, but spread over a longer phrase
        "[1]",
    ],
)
def test_no_span_when_the_sentence_does_not_say_it_in_a_few_words(answer):
    assert said(answer) is None


def test_the_span_stays_inside_the_cited_sentence():
    text = "La réunion a eu lieu à Bruxelles. Milley est arrivé en Pologne."
    start = text.index("Milley")
    span = verbatim_span("En Pologne", text, start, len(text))
    assert text[span[0] : span[1]] == "en Pologne"
