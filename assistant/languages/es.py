"""Spanish: its keyword index (Snowball's Spanish stemmer, bm25s's stop words), the sentences it
writes (refusals, the quote, the other figure, the confidence words, dates), and its words read.

The words read are not matched yet (`languages.READ`): joining them to the French and English
ones changes how every passage is read, which a measured run must decide."""

NAME = "Spanish"
SNOWBALL = "spanish"

# -- words read (see `fr`) ---------------------------------------------------------------------

STOPWORDS = frozenset(
    """el la los las lo un una unos unas de del al a y e o u ni pero que quien cual cuyo donde como cuando en con
    sin por para sobre entre hacia desde hasta su sus se le les me te nos no mas es son fue ha han era eran ser
    estar esta este esto ese esa eso muy tambien ya""".split()
)
MONTHS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}  # fmt: skip
MONTH_ABBREVIATIONS = {"ene": 1, "feb": 2, "mar": 3, "abr": 4, "jun": 6, "jul": 7, "ago": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dic": 12}
WEEKDAYS = {"lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5, "domingo": 6}
COUNTS = {
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30,
}  # fmt: skip
UNITS = {
    "dia": "day", "dias": "day", "semana": "week", "semanas": "week", "mes": "month", "meses": "month",
    "ano": "year", "anos": "year",
}  # fmt: skip
SPELLED_NUMBERS = {
    "un solo": "1", "una sola": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6",
    "siete": "7", "ocho": "8", "nueve": "9", "diez": "10", "once": "11", "doce": "12", "trece": "13",
    "catorce": "14", "quince": "15", "veinte": "20", "treinta": "30", "cuarenta": "40", "cincuenta": "50",
    "sesenta": "60", "cien": "100", "mil": "1000",
}  # fmt: skip
QUANTITIES = tuple(
    """un uno una dos tres cuatro cinco seis siete ocho nueve diez once doce veinte treinta cuarenta cincuenta
    sesenta cien ciento cientos mil millón millones decena decenas centenar centenares docena varios varias
    algunos algunas""".split()
)
NO_ANSWER = (
    r"no (?:contien|mencion|precis|permit|dic|encuentr)\w*|(?:ninguna|sin|no hay) (?:información|mención|indicación)|"
    r"no (?:lo )?sé"
)

# -- sentences written -------------------------------------------------------------------------

MONTH_NAMES = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
DATE = "{day} de {month} de {year}"  # « 30 de abril de 2015 »
FIRST_DAY = "1"
REFUSAL = "No encuentro la respuesta en los artículos indexados."
WHY = {
    "out_of_scope": "ningún artículo indexado corresponde a los filtros elegidos (período o medio)",
    "relevance": "ningún pasaje de los artículos se acerca a la pregunta",
    "sentence_relevance": "los pasajes tratan del tema, pero ninguna de sus frases responde a la pregunta",
    "threshold": "el modelo se inclinaba por « no está en los pasajes »",
    "model": "el modelo no encontró la respuesta en los pasajes",
    "answer_type": "la respuesta del modelo no era del tipo solicitado (una edad, una hora, una cantidad)",
    "unsupported": "la respuesta del modelo no estaba respaldada por el pasaje que citaba",
    "off_topic": "las frases citadas por el modelo hablan de otra cosa que la pregunta",
    "unsure": "ni la respuesta ni la frase en la que se apoyaría eran lo bastante probablemente correctas",
}
QUOTE = "El artículo dice: «{quote}» [{n}]."
OTHER_FIGURE = "{outlet} da otra cifra: {figure}."
ARTICLES = {
    "first": "El primero publicado: «{title}» ({label}).",
    "last": "El último publicado: «{title}» ({label}).",
    "then": "Después: «{title}» ({label}).",
    "before": "Antes: «{title}» ({label}).",
    "undated": "Sin fecha: «{title}» ({label}).",
    "which": "«{title}» ({label}): «{quote}»",
    "heading": "«{title}» ({label}):",
}
SCOPE_NOTICE = {
    "notice": "Ningún artículo {what} en el archivo; esto es lo que dicen los demás:",
    "outlet": "de {outlet}",
    "day": "publicado el {day}",
    "since": "publicado desde el {since}",
    "until": "publicado hasta el {until}",
    "between": "publicado entre el {since} y el {until}",
}
CONFIDENCE = {
    "sure": "respuesta segura",
    "likely": "respuesta probable: compruébela en la fuente",
    "quote": "la respuesta debería estar en esta frase del artículo",
    "confidence": "confianza {percent} %",
}
