"""The measurements behind §3.2's claims about the two gradient estimators: their bias and variances on a small
problem enumerated exactly, the ratio of their second moments and of their variances against k, and the closed forms
against autograd."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gradfail.seeding import derived_seed, generator
from gradfail.stocks.analysis import (
    INITIALISATIONS,
    SecondMoments,
    enumerated_moments,
    estimator_second_moments,
    expected_estimator,
    sampled_second_moments,
    second_moment_sweep,
    true_gradient,
    weight_variances,
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


def variance_gap(model: SoftmaxAllocators, labels: torch.Tensor) -> float:
    """|(V_e2e − V_dec) / (M_e2e − M_dec) − 1|, variances V and second moments M enumerated: the variances differ
    by exactly what the second moments do, since both estimators have the mean ∇L."""
    (m_e2e, v_e2e), (m_dec, v_dec) = (enumerated_moments(model, labels, e) for e in ESTIMATORS)
    return abs((v_e2e - v_dec) / (m_e2e - m_dec) - 1)


def uniform_variance_ratios(input_dim: int, seed: int) -> np.ndarray:
    """V_e2e / V_dec of the weight gradients at the uniform allocation, for each k of RATIO_STOCKS: the prediction
    is (k − 1/d) / (1 − 1/d) for every labelling."""
    rng = generator(derived_seed(seed, 3))
    return np.array(
        [weight_variances(torch.zeros(input_dim, k), random_labels(input_dim, k, rng)).ratio for k in RATIO_STOCKS]
    )


def predicted_variance_ratio(stocks: np.ndarray, input_dim: int) -> np.ndarray:
    """(k − 1/d) / (1 − 1/d): the variances' ratio at the uniform allocation, where ‖∇_W L‖² is 1/d of the
    decomposition estimator's second moment of W."""
    return (stocks - 1 / input_dim) / (1 - 1 / input_dim)


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
    variance_gap: float
    variance_ratios: np.ndarray
    input_dim: int

    def ratio_gap(self, initialisation: str) -> float:
        """Largest |ratio / k − 1| over RATIO_STOCKS at one initialisation."""
        ratios = np.array([m.ratio for m in self.moments[initialisation]])
        return float(np.max(np.abs(ratios / np.array(RATIO_STOCKS) - 1)))

    def variance_ratio_gap(self) -> float:
        """Largest |V_e2e/V_dec ÷ ((k − 1/d)/(1 − 1/d)) − 1| over RATIO_STOCKS at the uniform allocation."""
        predicted = predicted_variance_ratio(np.array(RATIO_STOCKS), self.input_dim)
        return float(np.max(np.abs(self.variance_ratios / predicted - 1)))

    def claim_inputs(self) -> tuple[float, float, float, float, int, float, float, float]:
        largest = RATIO_STOCKS.index(max(RATIO_STOCKS))
        return (
            max(self.bias.values()),
            self.ratio_gap("zero"),
            self.ratio_gap("scripts"),
            max(self.sampled.values()),
            SAMPLES,
            self.variance_gap,
            self.variance_ratio_gap(),
            float(self.variance_ratios[largest] - RATIO_STOCKS[largest]),
        )


def measure_estimators(input_dim: int, seed: int) -> EstimatorMeasurements:
    """§3.2's estimator measurements at one seed."""
    small = small_problem(seed)
    return EstimatorMeasurements(
        estimator_bias(*small),
        ratio_sweep(input_dim, seed),
        sampled_gap(seed),
        variance_gap(*small),
        uniform_variance_ratios(input_dim, seed),
        input_dim,
    )
