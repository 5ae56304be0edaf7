"""The measurements behind §3.2's claims about the two gradient estimators: their bias on a small problem
enumerated exactly, the ratio of their second moments against k, and the closed forms against autograd."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gradfail.seeding import derived_seed, generator
from gradfail.stocks.analysis import (
    INITIALISATIONS,
    SecondMoments,
    estimator_second_moments,
    expected_estimator,
    sampled_second_moments,
    second_moment_sweep,
    true_gradient,
)
from gradfail.stocks.problem import ESTIMATORS, SoftmaxAllocators, random_labels

SMALL_DIM, SMALL_STOCKS = 8, 6  # small enough to enumerate every (x, z) pair: 8 · 2⁵
RATIO_STOCKS = tuple(np.unique(np.geomspace(2, 2000, 16).round().astype(int)).tolist())
SAMPLED_STOCKS, SAMPLES = (10, 100), 4000


def small_problem(seed: int) -> tuple[SoftmaxAllocators, torch.Tensor]:
    """A float64 allocator with random weights on the small problem, and its labelling."""
    rng = generator(derived_seed(seed, 0))
    model = SoftmaxAllocators(1, SMALL_DIM, SMALL_STOCKS).double()
    with torch.no_grad():
        model.weight.normal_(generator=rng)
        model.bias.normal_(generator=rng)
    return model, random_labels(SMALL_DIM, SMALL_STOCKS, rng)


def estimator_bias(model: SoftmaxAllocators, labels: torch.Tensor) -> dict[str, float]:
    """Largest |E[estimator] − ∇L| over the coordinates, for each estimator, by exact enumeration."""
    exact = true_gradient(model, labels)
    return {e: (expected_estimator(model, labels, e) - exact).abs().max().item() for e in ESTIMATORS}


def ratio_sweep(input_dim: int, seed: int) -> dict[str, list[SecondMoments]]:
    """The closed-form second moments at every k of RATIO_STOCKS, for each label-independent initialisation."""
    rng = generator(derived_seed(seed, 1))
    return {init: second_moment_sweep(RATIO_STOCKS, input_dim, init, rng) for init in INITIALISATIONS}


def sampled_gap(seed: int) -> dict[int, float]:
    """Largest relative gap between the closed forms and autograd averages over SAMPLES samples, per k."""
    rng, gaps = generator(derived_seed(seed, 2)), {}
    for k in SAMPLED_STOCKS:
        probe = SoftmaxAllocators(1, 50, k)
        with torch.no_grad():
            probe.weight.normal_(generator=rng)
        labels = random_labels(50, k, rng)
        closed = estimator_second_moments(probe.logits()[0].detach(), labels)
        sampled = sampled_second_moments(probe, labels, SAMPLES, rng)
        gaps[k] = max(
            abs(sampled.end_to_end / closed.end_to_end - 1), abs(sampled.decomposition / closed.decomposition - 1)
        )
    return gaps


@dataclass(frozen=True)
class EstimatorMeasurements:
    """Everything `estimator_claims` checks, and the curves the chapter plots."""

    bias: dict[str, float]
    moments: dict[str, list[SecondMoments]]
    sampled: dict[int, float]

    def ratio_gap(self, initialisation: str) -> float:
        """Largest |ratio / k − 1| over RATIO_STOCKS at one initialisation."""
        ratios = np.array([m.ratio for m in self.moments[initialisation]])
        return float(np.max(np.abs(ratios / np.array(RATIO_STOCKS) - 1)))

    def claim_inputs(self) -> tuple[float, float, float, float, int]:
        return (
            max(self.bias.values()),
            self.ratio_gap("zero"),
            self.ratio_gap("pytorch-default"),
            max(self.sampled.values()),
            SAMPLES,
        )


def measure_estimators(input_dim: int, seed: int) -> EstimatorMeasurements:
    """§3.2's estimator measurements at one seed."""
    return EstimatorMeasurements(estimator_bias(*small_problem(seed)), ratio_sweep(input_dim, seed), sampled_gap(seed))
