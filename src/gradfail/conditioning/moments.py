"""E[p pᵀ] of the encodings under the two curve distributions (paper §4.1 and the authors' scripts), exactly.

Paper: λ I with λ = k/3n. Scripts: kinks at 3 + the order statistics of a uniform 3-subset of {0, …, n − 7},
changes a = the successive differences of one of SCRIPTS_SLOPES; the joint laws of the order statistics are
counts of subsets, so the moment is exact (no sampling).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gradfail.conditioning.curves import SCRIPTS_SLOPES, require_curve_shape
from gradfail.validation import require_choice, require_int

MARGIN = 3  # the scripts' kinks avoid the first and last three positions


def kink_variance(length: int, kinks: int) -> float:
    """λ with E[p pᵀ] = λ I under the paper's distribution: k of n positions hold a ~ U[−1, 1], E a² = 1/3."""
    require_curve_shape(length, kinks)
    return kinks / (3 * length)


def scripts_encoding_moment(length: int) -> torch.Tensor:
    """E[p pᵀ] (n × n, float64) under the scripts' distribution (k = 3, n ≥ 9), from subset counts."""
    require_int("length", length, minimum=9)
    span = length - 2 * MARGIN  # positions a kink can take
    v = np.arange(span, dtype=np.float64)
    first, second = np.meshgrid(v, v, indexing="ij")
    below = first < second
    # number of 3-subsets with order statistic r at `first` and s at `second` (r < s)
    pairs = {
        (0, 1): np.where(below, span - 1 - second, 0.0),
        (0, 2): np.where(below, second - first - 1, 0.0),
        (1, 2): np.where(below, first, 0.0),
    }
    singles = ((span - 1 - v) * (span - 2 - v) / 2, v * (span - 1 - v), v * (v - 1) / 2)
    changes = np.diff(np.array(SCRIPTS_SLOPES), axis=1, prepend=0.0)
    products = changes.T @ changes / len(changes)  # E[a_r a_s]
    inner = np.diag(sum(products[r, r] * singles[r] for r in range(3)))
    for (r, s), counts in pairs.items():
        inner = inner + products[r, s] * (counts + counts.T)
    moment = np.zeros((length, length))
    moment[MARGIN : length - MARGIN, MARGIN : length - MARGIN] = inner / math.comb(span, 3)
    return torch.from_numpy(moment)


def encoding_moment(length: int, kinks: int, distribution: str = "paper") -> torch.Tensor:
    """E[p pᵀ] (n × n, float64) of `distribution` ("paper" or "scripts", see `sample_encodings`)."""
    require_curve_shape(length, kinks)
    if require_choice("distribution", distribution, ("paper", "scripts")) == "paper":
        return kink_variance(length, kinks) * torch.eye(length, dtype=torch.float64)
    require_int("kinks", kinks, minimum=3, maximum=3)
    return scripts_encoding_moment(length)
