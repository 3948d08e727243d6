"""Two recorded runs compared question by question (`assistant.lab.compare`)."""

import json

from assistant.lab.compare import compare


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_only_what_changed_beyond_the_tolerance_is_reported(tmp_path):
    first = {"id": "q1", "response": "Dans une cave [1].", "confidence": 0.7, "signals": {"support": 0.5}}
    second = {"id": "q2", "response": "", "refused": True, "confidence": None}
    before = _write(tmp_path / "a.jsonl", [first, second])
    assert compare(before, before) == []
    nudged = {**first, "confidence": 0.7 + 1e-12, "signals": {"support": 0.5 + 1e-12}}
    assert compare(before, _write(tmp_path / "b.jsonl", [nudged, second])) == [], "figures agree to 1e-9"
    moved = {**first, "confidence": 0.7001, "response": "Dans la cave [1]."}
    assert compare(before, _write(tmp_path / "c.jsonl", [moved, second])) == [("q1", ["response", "confidence"])]
    assert compare(before, _write(tmp_path / "d.jsonl", [first])) == [("q2", ["missing"])]
