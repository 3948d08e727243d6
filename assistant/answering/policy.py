"""When the assistant refuses to answer: every reason, and what it tells the reader.

Each check of the pipeline that can refuse names one of these reasons; its threshold is a field
of `Settings` whose comment says how it was chosen. A refusal always reads the same to the
reader (`refusal_text`), in their language, and `Refusal.why` says which check decided it; both
sentences are the language's (`languages`)."""

from __future__ import annotations

from enum import Enum

from .. import languages


class Refusal(str, Enum):
    """Why an answer is a refusal, by the check that decided it, in the order the checks run.
    The values are the names `Answer.refusal_reason`, `ask --json` and the evaluation use."""

    OUT_OF_SCOPE = "out_of_scope"
    RELEVANCE = "relevance"
    SENTENCE_RELEVANCE = "sentence_relevance"
    THRESHOLD = "threshold"
    MODEL = "model"
    ANSWER_TYPE = "answer_type"
    UNSUPPORTED = "unsupported"
    OFF_TOPIC = "off_topic"
    UNSURE = "unsure"

    def why(self, language: str = "en") -> str:
        """The reason in a sentence, in the reader's language (English for a language without a
        translation: `languages`)."""
        return languages.get(language).WHY[self.value]


def refusal_text(language: str) -> str:
    """What the reader is told when the articles do not hold the answer (English for a language
    without a translation)."""
    return languages.get(language).REFUSAL
