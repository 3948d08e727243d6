"""French, the product's first language: the words the assistant reads and the sentences it writes.

Words read for matching are folded (lowercase, no accents: « août » is "aout"), as the text
they are matched against is."""

NAME = "French"
# PyStemmer's (Snowball) stemmer and bm25s's stop words for a keyword index in this language.
SNOWBALL = "french"

# -- words read --------------------------------------------------------------------------------

# Words that carry no meaning of their own (`text.content_words`).
STOPWORDS = frozenset(
    """le la les l un une des du de d au aux et ou mais donc or ni car que qu qui quoi dont où ce cet cette
    ces son sa ses leur leurs il elle ils elles on nous vous je tu se s y en ne pas plus est sont a ont été
    être avoir fait par pour dans sur sous avec sans entre vers chez à était étaient selon comme aussi""".split()
)
MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}  # fmt: skip
# As dates write them, without their period (« 3 févr. 2024 »).
MONTH_ABBREVIATIONS = {"janv": 1, "fevr": 2, "fev": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
WEEKDAYS = {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6}
# The counts a time phrase is said with (« il y a trois jours », « les 7 derniers jours »).
COUNTS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30,
}  # fmt: skip
UNITS = {
    "jour": "day", "jours": "day", "semaine": "week", "semaines": "week", "mois": "month", "an": "year",
    "ans": "year", "annee": "year", "annees": "year",
}  # fmt: skip
# What a passage may spell out where an answer writes digits (« deux ans » -> « 2 ans »). A bare
# « un » is left out: as an article it is everywhere and would vouch for any invented 1.
SPELLED_NUMBERS = {
    "un seul": "1", "une seule": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "six": "6",
    "sept": "7", "huit": "8", "neuf": "9", "dix": "10", "onze": "11", "douze": "12", "treize": "13",
    "quatorze": "14", "quinze": "15", "seize": "16", "vingt": "20", "trente": "30", "quarante": "40",
    "cinquante": "50", "soixante": "60", "cent": "100", "mille": "1000",
}  # fmt: skip
# Words an answer gives a quantity with (`reading.kinds`: « Combien … ? » wants one).
QUANTITIES = tuple(
    """un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize vingt trente
    quarante cinquante soixante cent cents mille million millions milliard milliards dizaine dizaines centaine
    centaines douzaine douzaines quinzaine vingtaine vingtaines trentaine quarantaine cinquantaine soixantaine
    millier milliers plusieurs quelques""".split()
)
# How a model says it does not know (a regular expression, `answering.verify`), besides the
# INTROUVABLE word the prompt asks for.
NO_ANSWER = (
    r"introuvable|ne (?:contien|mentionn|précis|permet|dit|donn|trouv|sai)\w*|pas (?:d'|de )?(?:information|réponse|mention|précis)|"
    r"aucune (?:information|mention|indication)|je ne sais pas"
)

# -- sentences written -------------------------------------------------------------------------

MONTH_NAMES = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
DATE = "{day} {month} {year}"  # « 30 avril 2015 »
FIRST_DAY = "1er"  # « 1er mai 2015 »
REFUSAL = "Je ne trouve pas la réponse dans les articles indexés."
# Why an answer was refused, by `policy.Refusal` value.
WHY = {
    "out_of_scope": "aucun article indexé ne correspond aux filtres choisis (période ou média)",
    "relevance": "aucun passage des articles n'est proche de la question",
    "sentence_relevance": "les passages traitent du sujet, mais aucune de leurs phrases ne répond à la question",
    "threshold": "le modèle penchait vers « ce n'est pas dans les passages »",
    "model": "le modèle n'a pas trouvé la réponse dans les passages",
    "answer_type": "la réponse du modèle n'était pas du genre demandé (un âge, une heure, une quantité)",
    "unsupported": "la réponse du modèle n'était pas appuyée par le passage qu'elle citait",
    "off_topic": "les phrases citées par le modèle parlent d'autre chose que la question",
    "unsure": "ni la réponse ni la phrase qui la porterait n'étaient assez probablement justes",
}
QUOTE = "L'article dit : « {quote} » [{n}]."  # the source's sentence given verbatim
OTHER_FIGURE = "{outlet} donne un autre chiffre : {figure}."  # its citation marker follows
# Questions about the articles themselves (`summarize`): which came out first, which speaks of
# something, what the one picked by its date says.
ARTICLES = {
    "first": "Le premier publié : « {title} » ({label}).",
    "last": "Le dernier publié : « {title} » ({label}).",
    "then": "Puis : « {title} » ({label}).",
    "before": "Avant : « {title} » ({label}).",
    "undated": "Sans date : « {title} » ({label}).",
    "which": "« {title} » ({label}) : « {quote} »",
    "heading": "« {title} » ({label}) :",
}
# The question named an outlet or a period no indexed article matches, so every article was
# searched: said before the answer (`rendering.notice_text`; « {what} » joins the parts below).
SCOPE_NOTICE = {
    "notice": "Aucun article {what} dans l'archive ; voici ce que disent les autres :",
    "outlet": "de {outlet}",
    "day": "publié le {day}",
    "since": "publié depuis le {since}",
    "until": "publié jusqu'au {until}",
    "between": "publié entre le {since} et le {until}",
}
# How sure an answer is, in words (`languages.sureness`).
CONFIDENCE = {
    "sure": "réponse sûre",
    "likely": "réponse probable, à vérifier dans la source",
    "quote": "la réponse devrait se trouver dans cette phrase de l'article",
    "confidence": "confiance {percent} %",
}
