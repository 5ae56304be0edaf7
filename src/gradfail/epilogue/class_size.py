"""Theorem 1 (paper §2.2) on the classes of k-sparse parities: the exact gradient variance over each class at a
random initialisation of the §2.1 network, against the bound G²/|H| with |H| = C(n, k)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradfail.gradients import per_example_gradients
from gradfail.parity.data import all_inputs, all_supports
from gradfail.parity.network import paper_network
from gradfail.parity.theory import parity_correlations, spread
from gradfail.seeding import generator
from gradfail.validation import require_int


@dataclass(frozen=True)
class ClassVariances:
    """Per size k = 1 … max: the square-loss gradient variance over the k-sparse parities and its bound G²/C(n, k);
    `everything` is the variance over all 2^n parities."""

    dim: int
    sizes: np.ndarray
    variances: np.ndarray
    bounds: np.ndarray
    everything: float

    def variance(self, size: int) -> float:
        """The variance over the parities with |S| = `size`."""
        if size not in self.sizes:
            raise ValueError(f"size must be one of {self.sizes.tolist()}, got {size}")
        return float(self.variances[self.sizes == size][0])


def class_variances(dim: int, max_size: int, seed: int, width_factor: int = 10) -> ClassVariances:
    """Exact (all 2^dim inputs, float64) variances of the gradient over each class of k-sparse parities, k ≤
    `max_size`, for the paper's network of width `width_factor`·dim drawn with `seed`."""
    require_int("dim", dim, minimum=2, maximum=14)
    require_int("max_size", max_size, minimum=1, maximum=dim)
    network = paper_network(dim, require_int("width_factor", width_factor, minimum=1) * dim, generator(seed))
    gradients = per_example_gradients(network.double(), all_inputs(dim))
    correlations = parity_correlations(gradients)
    squared_norm = gradients.pow(2).sum(dim=1).mean().item()  # G²
    support_sizes = all_supports(dim).sum(dim=1)
    sizes = np.arange(1, max_size + 1)
    members = np.array([int((support_sizes == k).sum()) for k in sizes])
    return ClassVariances(
        dim,
        sizes,
        np.array([spread(correlations[support_sizes == k]) for k in sizes]),
        squared_norm / members,
        spread(correlations),
    )
