"""Measure the near-duplicate detector on real pages: copies made the way sites make them (wire
copy retyped with a site's boilerplate, an update, a teaser cut short, an edit) must be grouped;
different articles (every pair of pages, the same story by two outlets, an article quoting two
sentences of another) must not. Prints, per shingle size, the exact Jaccard similarity and the
MinHash estimate of each kind.

    python -m assistant.lab.near_duplicates ../shared/news
"""

from __future__ import annotations

import re
import sys
from itertools import combinations
from pathlib import Path

from ..ingest import load_file
from ..ingest.duplicates import DuplicateIndex, containment, minhash_signature, shingles, similarity
from ..text import sentences


def copies(text: str) -> dict[str, str]:
    """Copies of one article as other sites or later ingests would have it."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    said = sentences(text)
    return {
        "retyped with boilerplate": " ".join(paragraphs).replace("’", "'").replace("« ", "«").replace(" »", "»")
        + "\nLire aussi : les dernières informations sur ce sujet.\n© Le Journal, tous droits réservés. Abonnez-vous.",
        "updated (paragraph added, figure changed)": "Mise à jour : le bilan a été revu, selon les autorités locales.\n"
        + re.sub(r"\d+", lambda m: str(int(m.group()) + 1), text, count=1),
        "teaser (first 60 %)": "\n".join(paragraphs[: max(1, round(len(paragraphs) * 0.6))]),
        "edited (1 sentence in 10 cut)": " ".join(s for i, s in enumerate(said) if i % 10 != 5),
    }


def main(folder: str) -> None:
    texts = {p.stem: load_file(p).articles[0].text for p in sorted(Path(folder).glob("*.html"))}
    french = [stem for stem, text in texts.items() if " le " in text and " la " in text]
    pairs: dict[str, list[tuple[str, str]]] = {}
    for stem in french:
        for kind, copy in copies(texts[stem]).items():
            pairs.setdefault(kind, []).append((texts[stem], copy))
    pairs["different pages (all pairs)"] = [(texts[a], texts[b]) for a, b in combinations(texts, 2)]
    pairs["same story, two outlets (AOC, Gala)"] = [(texts["trafilatura__aoc.media.archaisme"], texts["trafilatura__gala.fr.surnom"])]
    pairs["quoting 2 sentences of it"] = [(texts[a], texts[b] + " " + " ".join(sentences(texts[a])[1:3])) for a, b in zip(french, french[1:])]
    print(f"{'kind':45} {'n':>4}  " + "  ".join(f"k={k}: jaccard min/max" for k in (3, 5, 7)) + "   minhash (k=5) min/max  containment min/max")
    for kind, items in pairs.items():
        row = []
        for k in (3, 5, 7):
            values = [_jaccard(shingles(a, k), shingles(b, k)) for a, b in items]
            row.append(f"{min(values):.2f}/{max(values):.2f}".ljust(22))
        signatures = [(minhash_signature(a), minhash_signature(b)) for a, b in items]
        estimates = [similarity(a, b) for a, b in signatures]
        contained = [containment(a, b) for a, b in signatures]
        estimated = f"   {min(estimates):.2f}/{max(estimates):.2f}      {min(contained):.2f}/{max(contained):.2f}"
        print(f"{kind:45} {len(items):4}  " + "  ".join(row) + estimated)
    index = DuplicateIndex()
    for stem, text in texts.items():
        index.add(stem, text)
    grouped = sum(bool([hit for hit in index.find(copy) if hit[0] == stem]) for stem in french for copy in copies(texts[stem]).values())
    false = sum(bool([hit for hit in index.find(text) if hit[0] != stem]) for stem, text in texts.items())
    print(f"\nDuplicateIndex at its threshold: {grouped}/{4 * len(french)} copies found, {false}/{len(texts)} pages matched to another page")


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/news")
