import numpy as np

from assistant.embeddings.sentences import SentenceVectors
from tests.conftest import HashEmbedding


class CountingEmbedding(HashEmbedding):
    """The hashing embedding, counting the texts it is asked to embed."""

    embedded: list = []

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return [self._vector(text) for text in texts]


SENTENCES = ["Milley a rencontré Zaluzhny en Pologne.", "La rencontre a duré deux heures.", "Le Kremlin a démenti."]


def test_text_vectors_are_the_models_own_in_the_order_asked():
    model = CountingEmbedding(embedded=[])
    vectors = SentenceVectors(model)(SENTENCES[::-1] + SENTENCES[:1])
    expected = np.asarray([model._vector(text) for text in SENTENCES[::-1] + SENTENCES[:1]], dtype="float32")
    assert np.array_equal(vectors, expected)
    assert sorted(model.embedded) == sorted(SENTENCES)  # a text asked twice in one call is embedded once


def test_a_sentence_is_embedded_once_across_questions():
    model = CountingEmbedding(embedded=[])
    vectors = SentenceVectors(model)
    vectors(SENTENCES[:2])
    vectors(SENTENCES[1:])
    assert model.embedded == SENTENCES  # the second call embedded only the sentence it had not seen


def test_the_least_recently_used_vectors_are_forgotten_past_the_size():
    model = CountingEmbedding(embedded=[])
    vectors = SentenceVectors(model, size=2)
    vectors(SENTENCES[:2])
    vectors(SENTENCES[:1])  # the first is now the most recently used
    vectors(SENTENCES[2:])  # forgets the second
    model.embedded.clear()
    vectors(SENTENCES)
    assert model.embedded == SENTENCES[1:2]
    assert vectors([]).size == 0
