"""English: the words the assistant reads and the sentences it writes, and the sentences of any
language without a translation of its own (`languages.get`)."""

NAME = "English"
SNOWBALL = "english"

# -- words read (see `fr`) ---------------------------------------------------------------------

STOPWORDS = frozenset(
    """the a an of to in on at by for with from and or but is are was were be been has have had it its this that
    these those as into about which who whom what when where why how than then there their they he she his her""".split()
)
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
MONTH_ABBREVIATIONS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
}  # fmt: skip
UNITS = {
    "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
    "year": "year", "years": "year",
}  # fmt: skip
# Not read yet: `text.stated_numbers` vouches for French spelled numbers only.
SPELLED_NUMBERS: dict[str, str] = {}
QUANTITIES = tuple(
    """one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred hundreds
    thousand thousands million millions billion billions dozen dozens several few""".split()
)
NO_ANSWER = r"not (?:mention|contain|provide|specif|found|stated)\w*|(?:don't|do not|cannot|can't) (?:know|find|answer)|no information"

# -- sentences written -------------------------------------------------------------------------

MONTH_NAMES = "January February March April May June July August September October November December".split()
DATE = "{day} {month} {year}"  # "30 April 2015"
FIRST_DAY = "1"
REFUSAL = "I cannot find the answer in the indexed articles."
WHY = {
    "out_of_scope": "no indexed article matches the filters chosen (period or outlet)",
    "relevance": "no passage comes close to the question",
    "sentence_relevance": "the passages are on its topic, but no sentence of them comes close to the question",
    "threshold": "the model leaned towards « not in the passages »",
    "model": "the model found no answer in the passages",
    "answer_type": "the model's answer was not of the kind asked (an age, a time, a quantity)",
    "unsupported": "the model's answer was not backed by the passage it cited",
    "off_topic": "the sentences the model quoted speak of something else",
    "unsure": "neither the answer nor the sentence it would rest on was likely enough to be right",
}
QUOTE = 'The article says: "{quote}" [{n}].'
OTHER_FIGURE = "{outlet} gives another figure: {figure}."
ARTICLES = {
    "first": 'Published first: "{title}" ({label}).',
    "last": 'Published last: "{title}" ({label}).',
    "then": 'Then: "{title}" ({label}).',
    "before": 'Before: "{title}" ({label}).',
    "undated": 'Undated: "{title}" ({label}).',
    "which": '"{title}" ({label}): "{quote}"',
    "heading": '"{title}" ({label}):',
}
SCOPE_NOTICE = {
    "notice": "No article {what} in the archive; here is what the others say:",
    "outlet": "from {outlet}",
    "day": "published on {day}",
    "since": "published since {since}",
    "until": "published until {until}",
    "between": "published between {since} and {until}",
}
CONFIDENCE = {
    "sure": "confident answer",
    "likely": "likely answer: check it in the source",
    "quote": "the answer should be in this sentence of the article",
    "confidence": "confidence {percent} %",
}
