"""A follow-up's pronoun replaced by the name it stands for (pure functions, French and English).

« Où Milley a-t-il rencontré Zaluzhny ? » then « Et à quelle heure est-il arrivé ? » becomes
« À quelle heure Milley est-il arrivé ? ». The 1.5B model rewrote such follow-ups wrongly more
often than not (« Quelle heure est-elle arrivée à Zaluzhny ? »), at 3-4 s each; this rule costs
nothing. The referent is the answer when the previous question asked who (« Qui a critiqué
Washington ? » « Le Kremlin. » « De quoi les accuse-t-il ? »), else the first name the previous
question gives. A follow-up the rule cannot place (no pronoun, « Et Zaluzhny ? ») is left to the
model."""

from __future__ import annotations

import re

from ..text import STOPWORDS, fold, strip_markers
from ..types import Turn

_NAME = re.compile(r"(?:\b[lL][’'])?[A-ZÀ-Ý][\w’'.-]*(?:\s+(?:de\s+|d[’']|du\s+|von\s+|van\s+)?[A-ZÀ-Ý][\w’'.-]*)*")
_WHO = re.compile(r"^\s*(?:qui|who)\b", re.IGNORECASE)
_WHO_IS = re.compile(r"^\s*(?:qui|who)\s+(?:est|était|sont|étaient|is|was|are|were)\b", re.IGNORECASE)  # asks about a name it gives
_OPENER = re.compile(r"^\s*(?:et|mais|and|but|so)\b[\s,]*", re.IGNORECASE)
# « est-il », « a-t-il », « va-t-elle »: a verb and the subject pronoun inverted after it
_INVERTED = re.compile(r"\b(\w+)-(?:t-)?(il|elle|ils|elles)\b", re.IGNORECASE)
_FRENCH_SUBJECT = re.compile(r"\b(il|elle|ils|elles)\b(?=\s+\w)", re.IGNORECASE)
_ENGLISH = re.compile(r"\b(he|she|it|they|him|her|them)\b", re.IGNORECASE)
_QUESTION_WORDS = frozenset(fold(w) for w in "qui que quoi quel quelle quels quelles où quand comment pourquoi combien".split()) | frozenset(
    "who what which when where why how".split()
)
MAX_ANSWER_WORDS = 6  # an answer this short names the one a « qui » asked for


def referent(history: list[Turn]) -> str | None:
    """What a pronoun of the next message stands for: the last answer to a « qui » question,
    else the first name of the last question."""
    asked = next((turn.text for turn in reversed(history) if turn.role == "user"), "")
    answered = next((turn.text for turn in reversed(history) if turn.role == "assistant"), "")
    answer = strip_markers(answered).rstrip(".!?").strip()
    from_answer = answer[:1].lower() + answer[1:] if answer and fold(answer.split()[0]) in STOPWORDS else answer
    if _WHO.match(asked) and not _WHO_IS.match(asked) and _names_someone(answer):
        return from_answer
    for match in _NAME.finditer(asked):
        words = match.group().split()
        while words and fold(words[0]) in _QUESTION_WORDS | STOPWORDS:  # « Où », « Le »: capitals of the sentence
            words = words[1:]
        if words:
            name = " ".join(words)
            return "l" + name[1:] if name[:2] in ("L'", "L’") else name  # « L'Écosse » inside a sentence
    return from_answer if _WHO.match(asked) and _names_someone(answer) else None


_CLITIC = re.compile(r"(?:\b(?:le|la|les|lui|leur|en|y|me|te|se|nous|vous|ne)\s+|\b(?:l|m|t|s|n)[’'])$", re.IGNORECASE)


def _before_clitics(question: str, at: int) -> int:
    """Where a subject goes before a verb at `at`: before the object pronouns just before it
    (« où l'a-t-il », « de quoi les accuse-t-il », « combien en a-t-elle »)."""
    while match := _CLITIC.search(question, 0, at):
        at = match.start()
    return at


def _names_someone(answer: str) -> bool:
    """A short answer with a name in it (« Le Kremlin », « Le colonel David Butler »), not a
    description (« Deux journalistes »)."""
    words = answer.split()
    return 0 < len(words) <= MAX_ANSWER_WORDS and any(w[:1].isupper() for w in words[1:])


def resolve(message: str, history: list[Turn], language: str) -> str | None:
    """The message with its pronoun replaced by its referent, or None when the rule does not apply."""
    name = referent(history)
    if name is None or language not in ("fr", "en"):
        return None
    question = _OPENER.sub("", message).strip()
    if language == "fr":
        inverted = _INVERTED.search(question)
        if inverted:  # the named subject before the verb and its object pronouns, the pronoun kept: correct French
            at = _before_clitics(question, inverted.start())
            head = re.sub(r"qu[’']$", "que ", question[:at], flags=re.IGNORECASE)  # « Qu'a-t-il » -> « Que Butler a-t-il »
            question = head + f"{name} " + question[at:]
        elif _FRENCH_SUBJECT.search(question):
            question = _FRENCH_SUBJECT.sub(name, question, count=1)
        else:
            return None
    else:
        if not _ENGLISH.search(question):
            return None
        question = _ENGLISH.sub(name, question, count=1)
    return question[:1].upper() + question[1:]
