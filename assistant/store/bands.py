"""The near-duplicate index every store keeps (`contract.Store.duplicate_candidates`): the bands
of MinHash LSH, cut from each article's signature (its record's `minhash`) as datasketch's
`MinHashLSH` cuts them, so that the candidates a store hands back are those datasketch's index of
every stored article would find, and an article is grouped by looking up its own bands only.

`ingest.duplicates` asks LSH for candidates from the lowest similarity a copy may have (0.2), for
which datasketch cuts the 128 values into 28 bands of 2 (the first 56 values: its
`_optimal_param`, checked by a test). Two signatures are candidates when they agree on both values
of one band. A band is kept as one 64-bit key: its two 32-bit values side by side, mixed with the
band's number, so that equal values in two different bands make different keys. Two keys of
different bands can still be equal by chance (once in 2**64): the caller checks every candidate,
so such a meeting costs one comparison, never a wrong group.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

VALUES = 128  # a signature's length (`duplicates.NUM_PERM`)
BANDS, ROWS = 28, 2  # datasketch's MinHashLSH(threshold=0.2, num_perm=128)
EMPTY = 2**32 - 1  # every value of the signature of a text without words: a copy of nothing
_MIX = np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # wraps modulo 2**64


def keys(signatures: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """The band keys of the signatures that have some, one row of BANDS uint64 per signature,
    and those signatures' positions. A signature of another length, with a value outside 32
    bits, or of a text without words has none (nothing is found through it)."""
    kept = [n for n, values in enumerate(signatures) if len(values) == VALUES and min(values) >= 0 and max(values) <= EMPTY]
    if not kept:
        return np.empty((0, BANDS), dtype=np.uint64), np.empty(0, dtype=np.int64)
    values = np.asarray([signatures[n] for n in kept], dtype=np.uint64)
    worded = ~(values == EMPTY).all(axis=1)
    pairs = values[worded, : BANDS * ROWS].reshape(-1, BANDS, ROWS)
    return (pairs[:, :, 0] << np.uint64(32) | pairs[:, :, 1]) ^ _MIX, np.asarray(kept, dtype=np.int64)[worded]


def table(signatures: Sequence[Sequence[int]]) -> np.ndarray:
    """The bands of a list of signatures as a lookup table: two rows, the keys sorted and the
    position of the signature each comes from (`sharing` reads it)."""
    found, positions = keys(signatures)
    flat, owners = found.ravel(), np.repeat(positions, BANDS)
    order = np.argsort(flat, kind="stable")
    return np.stack([flat[order], owners[order].astype(np.uint64)])


def sharing(lookup: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The positions (in the list `lookup` was made from) of the signatures that have any of
    the keys `wanted` (sorted, unique), each once."""
    stored = lookup[0]
    low, high = np.searchsorted(stored, wanted, "left"), np.searchsorted(stored, wanted, "right")
    hit = high > low
    if not hit.any():
        return np.empty(0, dtype=np.int64)
    rows = np.concatenate([np.arange(a, b) for a, b in zip(low[hit].tolist(), high[hit].tolist())])
    return np.unique(lookup[1][rows].astype(np.int64))


def wanted(signatures: Sequence[Sequence[int]]) -> np.ndarray:
    """The keys to look up for these signatures: sorted, each once."""
    return np.unique(keys(signatures)[0])
