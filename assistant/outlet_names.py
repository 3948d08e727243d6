"""Outlet names: the key they are matched on, and the proper name an outlet is shown under.

A page names its outlet in many spellings (« LExpress.fr », « lexpress.fr », « L'Express »):
`outlet_key` maps them all to one key; `outlet_name` gives the name to show, from the page's own
site name, or from a small table of known outlets where the page gives only a domain or a
mangled name. Nothing is invented: an unknown domain stays the domain.

Ingest names an article's outlet with it, and question reading (`reading.outlets`) finds the
outlets a question names: it sits below both."""

from __future__ import annotations

import re

from .languages import fold

# Top-level domains written after an outlet's name (« Libération.fr », « Radio-Canada.ca »).
_TLDS = (
    "fr be ch ca lu mc ma sn ci tn dz cm com net org info eu io media news uk de es it pt br ar mx "
    "cz pl nl at us cn jp ru in au nz ie gr ro hu se no dk fi tv fm cat"
).split()
# Second-level suffixes: « lanacion.com.ar » is La Nación, not "com".
_SECOND_LEVEL = {"co", "com", "org", "net", "gouv", "gov", "ac", "asso"}
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\d?\.)?((?:[\w-]+\.)+(?:" + "|".join(_TLDS) + r"))(?:[/:?#].*)?$", re.IGNORECASE)
_TRAILING_TLD = re.compile(r"\.(?:" + "|".join(_TLDS) + r")$", re.IGNORECASE)

# Proper names of outlets, by key, for pages that give only a domain or a mangled site name.
# French-language outlets first (France, Belgium, Switzerland, Canada, Africa), then a few others.
KNOWN_OUTLETS = {
    key: name
    for name, *keys in (
        ("Le Monde", "lemonde"),
        ("Le Monde diplomatique", "mondediplomatique", "lemondediplomatique"),
        ("Le Figaro", "lefigaro"),
        ("Libération", "liberation", "libe"),
        ("L'Express", "lexpress"),
        ("Le Point", "lepoint"),
        ("L'Obs", "nouvelobs", "lobs", "tempsreel"),
        ("Le Parisien", "leparisien"),
        ("Les Échos", "lesechos"),
        ("La Tribune", "latribune"),
        ("La Croix", "lacroix"),
        ("L'Humanité", "humanite", "lhumanite"),
        ("Mediapart", "mediapart"),
        ("Marianne", "marianne"),
        ("Télérama", "telerama"),
        ("20 Minutes", "20minutes"),
        ("Franceinfo", "francetvinfo", "franceinfo"),
        ("France 24", "france24"),
        ("RFI", "rfi"),
        ("BFMTV", "bfmtv"),
        ("LCI", "lci"),
        ("TF1 Info", "tf1info"),
        ("Europe 1", "europe1"),
        ("RTL", "rtl"),
        ("France Culture", "franceculture"),
        ("France Inter", "franceinter"),
        ("HuffPost", "huffingtonpost", "huffpost"),
        ("Courrier international", "courrierinternational"),
        ("Ouest-France", "ouestfrance"),
        ("Sud Ouest", "sudouest"),
        ("La Dépêche du Midi", "ladepeche"),
        ("Le Progrès", "leprogres"),
        ("Le Dauphiné libéré", "ledauphine"),
        ("La Voix du Nord", "lavoixdunord"),
        ("Le Télégramme", "letelegramme"),
        ("Nice-Matin", "nicematin"),
        ("Var-Matin", "varmatin"),
        ("Vosges Matin", "vosgesmatin"),
        ("L'Est Républicain", "estrepublicain", "lestrepublicain"),
        ("Dernières Nouvelles d'Alsace", "dna"),
        ("L'Alsace", "lalsace"),
        ("Midi Libre", "midilibre"),
        ("La Provence", "laprovence"),
        ("La Montagne", "lamontagne"),
        ("Le Républicain lorrain", "republicainlorrain", "lerepublicainlorrain"),
        ("actu.fr", "actu", "actufr"),
        ("L'Équipe", "lequipe"),
        ("Challenges", "challenges"),
        ("Capital", "capital"),
        ("Les Inrockuptibles", "lesinrocks"),
        ("Slate", "slate"),
        ("Gala", "gala"),
        ("Paris Match", "parismatch"),
        ("AOC", "aoc"),
        ("AFP", "afp"),
        ("Le Soir", "lesoir"),
        ("La Libre Belgique", "lalibre"),
        ("RTBF", "rtbf"),
        ("Sudinfo", "sudinfo"),
        ("Le Temps", "letemps"),
        ("RTS", "rts"),
        ("Tribune de Genève", "tdg"),
        ("Radio-Canada", "radiocanada"),
        ("Le Devoir", "ledevoir"),
        ("La Presse", "lapresse"),
        ("Le Journal de Montréal", "journaldemontreal"),
        ("Jeune Afrique", "jeuneafrique"),
        ("The Guardian", "theguardian", "guardian"),
        ("The New York Times", "nytimes"),
        ("The Washington Post", "washingtonpost"),
        ("BBC", "bbc"),
        ("Reuters", "reuters"),
        ("Associated Press", "apnews"),
        ("CNN", "cnn"),
        ("Der Spiegel", "spiegel"),
        ("El País", "elpais"),
        ("La Nación", "lanacion"),
        ("heise online", "heise"),
    )
    for key in keys
}


def outlet_key(name: str) -> str:
    """The key outlets are matched on: letters and digits only (of any script), folded, without "www." or the
    top-level domain, articles kept glued as domains spell them (« Le Monde », « LeMonde.fr »,
    « lemonde.fr » -> "lemonde"; « L'Express » -> "lexpress")."""
    name = name.strip()
    domain = domain_of(name)
    if domain:
        name = _registered_name(domain)
    else:
        name = _TRAILING_TLD.sub("", name)
    return re.sub(r"[\W_]", "", fold(name, same_length=True))


# Words that follow an outlet's name without making another outlet: « AOC media » is AOC.
_NAME_TAILS = {"media", "medias", "mag", "magazine", "online", "fr", "be", "ch", "ca", "com"}
_NAME_ARTICLES = {"le", "la", "les", "l", "the"}


def outlet_aliases(*names: str | None) -> set[str]:
    """Every key an outlet is matched on, for the names and URLs it goes by: each one's key, the
    key without its article (« Figaro » for « Le Figaro ») or a generic last word (« AOC media »
    is « AOC »), and the key of the known outlet behind a domain (« lemonde.fr/en » is Le Monde).

    Args:
        names: an article's outlet, its URL, a name the reader wrote; None and "" are skipped.
    """
    keys: set[str] = set()
    for name in names:
        if not name or not name.strip():
            continue
        key = outlet_key(name)
        if not key:
            continue
        keys.add(key)
        if key in KNOWN_OUTLETS and name != KNOWN_OUTLETS[key]:
            keys |= outlet_aliases(KNOWN_OUTLETS[key])
        if domain_of(name):
            continue
        words = re.findall(r"\w+", fold(_TRAILING_TLD.sub("", name.strip()), same_length=True))
        if len(words) > 1 and words[0] in _NAME_ARTICLES:
            keys.add("".join(words[1:]))
        if len(words) > 1 and words[-1] in _NAME_TAILS:
            keys.add("".join(words[:-1]))
            if len(words) > 2 and words[0] in _NAME_ARTICLES:
                keys.add("".join(words[1:-1]))
    return keys


def domain_of(text: str | None) -> str | None:
    """The host of a URL or a bare domain (« https://www.lemonde.fr/x » -> "lemonde.fr"), else None."""
    if not text or " " in text.strip():
        return None
    match = _DOMAIN.match(text.strip())
    return match.group(1).lower() if match else None


def site_domain(text: str | None) -> str | None:
    """The domain a site is registered under, without its subdomains: « https://ici.radio-canada.ca/x »
    -> "radio-canada.ca", « blogs.mediapart.fr » -> "mediapart.fr"; None when `text` is no domain."""
    domain = domain_of(text)
    if not domain:
        return None
    labels = domain.split(".")
    keep = 2 if len(labels) > 2 and labels[-2] in _SECOND_LEVEL else 1
    return ".".join(labels[-(keep + 1) :])


def outlet_name(site_names: list[str | None], url: str | None = None) -> str | None:
    """The outlet's name to show, from the page's site names (best first) or else its URL.

    Args:
        site_names: what the page says (og:site_name, its publisher, ...), possibly None.
        url: the article's URL, for a domain fallback.
    """
    for raw in site_names:
        name = _clean(raw or "")
        if name:
            return KNOWN_OUTLETS.get(outlet_key(name), name)
    domain = domain_of(url)
    if domain:
        return KNOWN_OUTLETS.get(outlet_key(domain), domain)
    return None


def _clean(name: str) -> str:
    """« AOC media - Analyse Opinion Critique » -> « AOC media »; « Guinéenews© » -> « Guinéenews »;
    « @actufr » -> « actufr »; « Gala.fr » -> « Gala »; a lowercase domain stays a domain."""
    name = re.sub(r"[©®™]", "", name).strip().lstrip("@").strip()
    # A tagline after the name: keep the name.
    name = re.split(r"\s+[|–—:-]\s+", name, maxsplit=1)[0].strip()
    if domain_of(name) and name.islower():  # a domain, not a name: the table may know it
        return name
    name = _TRAILING_TLD.sub("", name)  # « Aktuálně.cz » is the name Aktuálně
    if name.isupper() and " " in name:  # « LA NACION »: a logo's capitals, not an acronym
        name = name.title()
    return name if re.search(r"\w", name) else ""


def _registered_name(domain: str) -> str:
    """The label a domain is registered under: « ici.radio-canada.ca » -> "radio-canada",
    « lanacion.com.ar » -> "lanacion"."""
    labels = domain.split(".")[:-1]  # without the top-level domain
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    return labels[-1] if labels else domain
