from assistant.answering.citations import format_context
from assistant.answering.evidence import select as select_with
from assistant.reader.runtime import Reading
from assistant.text import content_words
from assistant.types import Passage

MEETING = (
    "Le général Milley a passé quelques heures avec le général Zaluzhny, a déclaré Butler. "
    "Milley est arrivé dans le sud-est de la Pologne vers 11 heures et a rencontré Zaluzhny deux heures plus tard. "
    "Aucune photographie n’a été autorisée."
)
KREMLIN = "Le Kremlin a vivement critiqué les efforts de Washington. Moscou accuse l’OTAN de prolonger la guerre."
QUESTION = "Où Milley a-t-il rencontré Zaluzhny ?"


def passage(text: str, score: float = 1.0) -> Passage:
    return Passage(article_id="a", title="t", text=text, start=0, end=len(text), score=score)


def shared_words(question: str, sentences: list[str]) -> list[float]:
    """A stand-in for embedding cosines: how many of the question's words a sentence holds."""
    asked = content_words(question)
    return [float(len(asked & content_words(sentence))) for sentence in sentences]


def select(question: str, passages: list[Passage], max_chars: int):
    return select_with(question, passages, max_chars, shared_words).excerpts


def test_the_sentence_closest_to_the_question_is_chosen():
    [excerpt] = select(QUESTION, [passage(MEETING), passage(KREMLIN)], max_chars=120)
    # it shares « Milley », « rencontré » and « Zaluzhny »; the first sentence only two of them
    assert excerpt.n == 1
    assert excerpt.text.startswith("Milley est arrivé dans le sud-est de la Pologne")


def test_the_budget_bounds_the_excerpt_but_the_best_sentence_always_fits():
    assert len(select(QUESTION, [passage(MEETING)], max_chars=10)[0].text) > 10
    everything = select(QUESTION, [passage(MEETING), passage(KREMLIN)], max_chars=10_000)
    assert [e.n for e in everything] == [1, 2]  # a large budget is filled


def test_sentences_keep_their_order_and_skipped_text_is_marked():
    text = "Zaluzhny est parti mardi avec Milley. Il pleuvait. Milley a rencontré Zaluzhny en Pologne."
    [excerpt] = select(QUESTION, [passage(text)], max_chars=len(text) - 5)  # no room for « Il pleuvait. »
    assert excerpt.text == "Zaluzhny est parti mardi avec Milley. … Milley a rencontré Zaluzhny en Pologne."


def test_a_sentence_of_a_poorly_ranked_passage_counts_for_less():
    best = passage("Milley a rencontré Zaluzhny en Pologne. Milley est reparti le soir.")
    weak = passage("Zaluzhny et Milley ont parlé.", score=0.3)  # closer to the question than « reparti », but ranked low
    excerpts = select(QUESTION, [best, weak], max_chars=len(best.text))
    assert excerpts == [(1, best.text)]


def test_a_sentence_repeated_by_overlapping_chunks_is_shown_once_under_the_better_rank():
    first, second = passage(MEETING), passage("Aucune photographie n’a été autorisée. " + MEETING.split(". ")[1] + ".")
    excerpts = select(QUESTION, [first, second], max_chars=10_000)
    assert [e.n for e in excerpts] == [1]


def test_context_numbers_excerpts_by_rank_and_lists_the_best_last():
    context = format_context(select(QUESTION, [passage(MEETING), passage("Zaluzhny a rencontré Milley à Rzeszów.")], 10_000))
    assert context.index("[2] Zaluzhny") < context.index("[1] ")


def test_a_zero_budget_shows_the_whole_passages():
    assert select(QUESTION, [passage(MEETING), passage(KREMLIN)], 0) == [(1, MEETING), (2, KREMLIN)]


def test_no_passages_no_excerpts():
    assert select(QUESTION, [], 600) == []


def test_the_best_sentences_relevance_is_measured_whatever_the_budget():
    for budget in (0, 10, 10_000):
        # « Milley … a rencontré Zaluzhny » holds 3 of the question's words: the best sentence
        assert select_with(QUESTION, [passage(KREMLIN), passage(MEETING)], budget, shared_words).best_relevance == 3.0
    assert select_with(QUESTION, [], 600, shared_words).best_relevance == 0.0


def test_rerank_moves_up_a_passage_with_a_sentence_close_to_the_question():
    from assistant.answering.evidence import rerank

    def cosine(question, sentences):  # shared words scaled into a cosine-like 0..1
        return [0.25 * s for s in shared_words(question, sentences)]

    kremlin, meeting = passage(KREMLIN, score=1.0), passage(MEETING, score=0.9)
    assert rerank(QUESTION, [kremlin, meeting], cosine, weight=2.0) == [meeting, kremlin]
    assert rerank(QUESTION, [kremlin, meeting], cosine, weight=0.0) == [kremlin, meeting], "0 turns it off"
    far_behind = passage(MEETING, score=-5.0)  # a retrieval gap no sentence makes up for
    assert rerank(QUESTION, [kremlin, far_behind], cosine, weight=2.0) == [kremlin, far_behind]


class FakeReader:
    """Stands in for the reader: sure of the sentence holding `answer`, the span on the answer."""

    def __init__(self, answer: str) -> None:
        self.answer, self.read_count = answer, 0

    def read(self, question, candidates):
        self.read_count += len(candidates)
        return [
            Reading(0.99, (c.text.index(self.answer), c.text.index(self.answer) + len(self.answer)), 0.8)
            if self.answer in c.text
            else Reading(0.01, (0, 1), 0.1)
            for c in candidates
        ]


def test_the_reader_ranks_the_sentences_it_reads_and_its_span_reaches_the_quote():
    from assistant.answering.decide import quoted
    from assistant.answering.evidence import ReadSentences, select_learned
    from assistant.answering.evidence_model import load
    from assistant.app.render import answer_span, quote_span, render_passage

    passages = [passage(KREMLIN, 1.0), passage(MEETING, 0.9)]
    reader = FakeReader("le sud-est de la Pologne")
    unread = select_learned("Qui a critiqué Washington ?", passages, passages, 450, shared_words, load())
    read = select_learned("Qui a critiqué Washington ?", passages, passages, 450, shared_words, load(), ReadSentences(reader, 5))
    assert KREMLIN[unread.evidence.chosen[0].start :].startswith("Le Kremlin"), "the evidence model alone: the words shared"
    top = read.evidence.chosen[0]
    assert read.passages[top.n - 1].text[top.start :].startswith("Milley est arrivé"), "the reader's surest sentence first"
    assert read.passages[0].text == MEETING, "and its passage"
    assert read.evidence.reader_best == 0.99 and unread.evidence.reader_best is None
    evidence = select_learned(QUESTION, passages, passages, 450, shared_words, load(), ReadSentences(reader, 5)).evidence
    top = evidence.chosen[0]
    assert MEETING[top.start : top.end].startswith("Milley est arrivé") and top.probability == 0.99
    assert MEETING[slice(*top.span)] == "le sud-est de la Pologne"
    quote = quoted([], [passages[1]], evidence.chosen)
    assert quote.quote.startswith("Milley est arrivé") and MEETING[slice(*quote.answer_span)] == "le sud-est de la Pologne"
    html = render_passage(MEETING, quote_span(quote), answer_span(quote, quote_span(quote)))
    assert "<mark>Milley est arrivé dans <strong>le sud-est de la Pologne</strong> vers 11 heures" in html
    select_learned(QUESTION, passages, passages, 450, shared_words, load(), ReadSentences(reader, 2))
    assert reader.read_count == 5 + 5 + 2  # only the evidence model's 2 surest sentences the last time


def test_without_a_reader_the_evidence_model_ranks_and_no_span_is_given():
    from assistant.answering.evidence import select_learned
    from assistant.answering.evidence_model import load

    passages = [passage(KREMLIN, 1.0), passage(MEETING, 0.9)]
    evidence = select_learned(QUESTION, passages, passages, 450, shared_words, load()).evidence
    assert all(c.probability is None and c.span is None for c in evidence.chosen)
