"""« Résume l'article » over the bundled sample article: three to five of its own sentences, each
cited where it stands in the article, and no model call. With the hashing embedding (fast) and
with the real one (slow); tests/test_news.py asks the same of ../shared/news where it is."""

import pytest

from assistant.config import SAMPLE_ARTICLE
from assistant.ingest.loaders import load_file
from assistant.text import split_sentences

REQUEST = "Résume l'article"


def assert_a_summary_of_the_sample(answer) -> None:
    text = load_file(SAMPLE_ARTICLE).articles[0].text
    sentences = {text[start:end].strip() for start, end in split_sentences(text)}
    lines = answer.text.splitlines()
    assert answer.outcome == "summary" and not answer.refused and 3 <= len(lines) <= 5, answer.text
    assert len(answer.citations) == len(lines), "one citation per sentence"
    for line, citation in zip(lines, answer.citations):
        assert text[citation.quote_start : citation.quote_end] == citation.quote, "the quote is where it says in the article"
        assert citation.quote.strip() in sentences, f"a whole sentence of the article: {citation.quote!r}"
        assert line.startswith("– ") and citation.quote.strip() in line and line.endswith(f"[{citation.n}]")
    starts = [c.quote_start for c in answer.citations]
    assert starts == sorted(set(starts)), "different sentences, in the article's order"
    assert [step.stage for step in answer.trace][-1] == "summarize", "a summary ends the question: no model call"


# « Résume l'article » names no subject: it is about the index's only article, not a search for
# « résume » (which the hashing vectors found too far from the article, and refused).
@pytest.mark.parametrize(
    "request_",
    [
        "Résume l'article sur la rencontre entre Milley et Zaluzhny",  # the page's example
        "What is this article about?",
        REQUEST,
        "Résume cet article",
        "De quoi parle cet article ?",
    ],
)
def test_a_summary_of_the_sample_is_its_own_sentences_each_cited(make_assistant, request_):
    assistant = make_assistant()
    assistant.ingest([SAMPLE_ARTICLE])
    answer = assistant.ask(request_)
    assert_a_summary_of_the_sample(answer)
    assert assistant.generator.prompts == [], "the model was not asked"


@pytest.mark.slow
def test_with_the_real_embedding_a_summary_of_the_sample_is_its_own_sentences(real_assistant):
    assert_a_summary_of_the_sample(real_assistant.ask(REQUEST))
