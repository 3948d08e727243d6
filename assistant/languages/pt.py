"""Portuguese: detected, its keyword index and its refusal. What is not translated reads as for a
language without a module: sentences in English, dates the French way; no words are read."""

from . import en, fr

NAME = "Portuguese"
SNOWBALL = "portuguese"
WHY, QUOTE, OTHER_FIGURE, CONFIDENCE, SCOPE_NOTICE = en.WHY, en.QUOTE, en.OTHER_FIGURE, en.CONFIDENCE, en.SCOPE_NOTICE  # not translated yet
ARTICLES = {
    "first": "O primeiro publicado: «{title}» ({label}).",
    "last": "O último publicado: «{title}» ({label}).",
    "then": "Depois: «{title}» ({label}).",
    "before": "Antes: «{title}» ({label}).",
    "undated": "Sem data: «{title}» ({label}).",
    "which": "«{title}» ({label}): «{quote}»",
    "heading": "«{title}» ({label}):",
}
MONTH_NAMES, DATE, FIRST_DAY = fr.MONTH_NAMES, fr.DATE, fr.FIRST_DAY
REFUSAL = "Não encontro a resposta nos artigos indexados."
