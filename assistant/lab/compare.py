"""Two recorded runs (`assistant eval --details`) compared question by question: whether a change
that should alter nothing (a restructuring) left every answer, refusal, quote, citation and
confidence as it was.

    python -m assistant.lab.compare BEFORE.jsonl AFTER.jsonl
"""

from __future__ import annotations

import math
import sys

from .data import read_jsonl

# What a reader gets, and what decided it: the same text, outcome, citations and figures.
WORDS = ("response", "refused", "outcome", "refusal_reason", "citations", "draft", "candidate", "quote", "finding")
FIGURES = ("confidence", "answer_probability", "quote_probability", "refusal_probability")
TOLERANCE = 1e-9


def differences(before: dict, after: dict) -> list[str]:
    """The keys of one question's records that differ, figures beyond TOLERANCE."""
    changed = [key for key in WORDS if before.get(key) != after.get(key)]
    for key in FIGURES:
        a, b = before.get(key), after.get(key)
        if (a is None) != (b is None) or (a is not None and not math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE)):
            changed.append(key)
    signals_a, signals_b = before.get("signals") or {}, after.get("signals") or {}
    if signals_a.keys() != signals_b.keys() or any(abs(signals_a[k] - signals_b[k]) > TOLERANCE for k in signals_a):
        changed.append("signals")
    return changed


def compare(before_file: str, after_file: str) -> list[tuple[str, list[str]]]:
    """(question id, the keys that differ) for every question whose records differ; a question
    missing from either run counts as differing in everything."""
    before = {r["id"]: r for r in read_jsonl(before_file)}
    after = {r["id"]: r for r in read_jsonl(after_file)}
    found = []
    for question_id in sorted(before.keys() | after.keys()):
        if question_id not in before or question_id not in after:
            found.append((question_id, ["missing"]))
        elif changed := differences(before[question_id], after[question_id]):
            found.append((question_id, changed))
    return found


if __name__ == "__main__":
    changed = compare(sys.argv[1], sys.argv[2])
    total = len({r["id"] for r in read_jsonl(sys.argv[1])})
    for question_id, keys in changed:
        print(f"{question_id}: {', '.join(keys)}")
    print(f"{total - len(changed)} of {total} questions identical (words exactly, figures to {TOLERANCE:g})")
    sys.exit(1 if changed else 0)
