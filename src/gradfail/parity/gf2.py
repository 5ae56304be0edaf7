"""Learning a parity without gradients (paper §2.2's contrast): Gaussian elimination over GF(2)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

_WORD = 64


def solve_parity_gf2(bits: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    """Return v ∈ {0,1}^d with ⟨b_i, v⟩ ≡ labels_i (mod 2) for every row b_i of `bits`, if the samples fix v.

    `bits` is an (m, d) 0/1 array and `labels` an m-vector of 0/1 (the paper's y = (−1)^label). Returns None
    when the m samples leave v undetermined (rank < d: draw more); raises ValueError if no parity fits them.
    Rows are packed into 64-bit words, so each elimination step XORs whole rows at once.
    """
    bits, labels = np.asarray(bits), np.asarray(labels)
    if bits.ndim != 2 or labels.shape != (bits.shape[0],):
        raise ValueError(f"bits must be (m, d) and labels (m,), got {bits.shape} and {labels.shape}")
    if not (np.isin(bits, (0, 1)).all() and np.isin(labels, (0, 1)).all()):
        raise ValueError("bits and labels must hold only 0 and 1")
    samples, dim = bits.shape
    augmented = np.concatenate([bits, labels[:, None]], axis=1).astype(np.uint8)
    words = -(-(dim + 1) // _WORD)
    packed = np.packbits(augmented, axis=1, bitorder="little")
    rows = np.zeros((samples, words * 8), np.uint8)
    rows[:, : packed.shape[1]] = packed
    rows = rows.view(np.dtype("<u8"))  # (m, words), read little-endian on any host: bit c of row r is augmented[r, c]

    def column(c: int) -> np.ndarray:
        return ((rows[:, c // _WORD] >> np.uint64(c % _WORD)) & np.uint64(1)).astype(bool)

    pivot_columns: list[int] = []
    for c in range(dim):
        rank = len(pivot_columns)
        candidates = np.flatnonzero(column(c)[rank:])
        if candidates.size == 0:
            continue
        pivot = rank + candidates[0]
        rows[[rank, pivot]] = rows[[pivot, rank]]
        others = column(c)
        others[rank] = False
        rows[others] ^= rows[rank]
        pivot_columns.append(c)
    rank = len(pivot_columns)
    if column(dim)[rank:].any():
        raise ValueError("labels are not a parity of the bits: the system has no solution over GF(2)")
    if rank < dim:
        return None
    return column(dim)[:dim].astype(np.uint8)  # reduced form: row i reads v_i = label bit


def gf2_recovery(dims: Sequence[int], extra: int, *, seed: int = 0) -> tuple[dict[int, bool], dict[int, float]]:
    """For each d, a random v* and d + `extra` random examples: whether elimination recovers v*, and how many
    milliseconds it took."""
    rng = np.random.default_rng(seed)
    recovered, milliseconds = {}, {}
    for d in dims:
        v_star = rng.integers(0, 2, d)
        bits = rng.integers(0, 2, (d + extra, d))
        start = time.perf_counter()
        found = solve_parity_gf2(bits, bits @ v_star % 2)
        milliseconds[d] = 1e3 * (time.perf_counter() - start)
        recovered[d] = found is not None and np.array_equal(found, v_star)
    return recovered, milliseconds
