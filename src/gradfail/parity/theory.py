"""Theorem 1 (paper §2.2) computed exactly for parities: Var(H, F, w) over all 2^d targets, and G(w)².

Expectations run over all 2^d inputs; the target-dependent part E_x[h_v(x) g(x)] for all 2^d parities h_v at
once is a Walsh–Hadamard transform of the per-input gradients g(x) = ∂p_w(x)/∂w.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gradfail.gradients import per_example_gradients
from gradfail.parity.data import all_inputs, all_supports, parity_labels
from gradfail.parity.network import paper_network
from gradfail.seeding import derived_seed, generator
from gradfail.validation import require_int


def walsh_hadamard(values: torch.Tensor) -> torch.Tensor:
    """Unnormalised Walsh–Hadamard transform along axis 0: out[v] = Σ_x (−1)^popcount(v & x) values[x]."""
    n = values.shape[0]
    if n < 1 or n & (n - 1):
        raise ValueError(f"values.shape[0] must be a power of two, got {n}")
    out, half = values.reshape(n, -1).clone(), 1
    while half < n:  # butterflies in place: (a, b) -> (a + b, a - b) for index pairs differing in one bit
        pairs = out.view(n // (2 * half), 2, half, -1)
        low, high = pairs[:, 0], pairs[:, 1]
        low.add_(high)
        high.mul_(-2).add_(low)
        half *= 2
    return out.reshape(values.shape)


@dataclass(frozen=True)
class GradientVariance:
    """Theorem 1's quantities for one network w on {±1}^d, exact: Var(H, F, w) over the 2^d parities for the
    square and the hinge loss, G(w)² = E_x‖g(x)‖² with g = ∂p_w/∂w, and ‖g(1, …, 1)‖² (see `parseval_variance`).
    """

    dim: int
    square_variance: float
    hinge_variance: float
    g_squared: float
    g_ones_squared: float
    outside_margin: float

    @property
    def bound(self) -> float:
        """Theorem 1's bound G(w)²/|H| with |H| = 2^d."""
        return self.g_squared / 2**self.dim

    @property
    def parseval_variance(self) -> float:
        """The square-loss variance predicted by Parseval: G²/2^d − ‖g(1, …, 1)‖²/4^d."""
        return self.bound - self.g_ones_squared / 4**self.dim


def hinge_slope(margins: torch.Tensor) -> torch.Tensor:
    """r'(z) for the hinge r(z) = max(0, 1 − z): −1 inside the margin (z < 1), 0 outside."""
    return -(margins < 1).to(margins.dtype)


def parity_correlations(per_input: torch.Tensor) -> torch.Tensor:
    """Row v is E_x[h_v(x) · per_input[x]] for every parity h_v, rows of `per_input` in `all_inputs` order."""
    return walsh_hadamard(per_input) / per_input.shape[0]


def spread(vectors: torch.Tensor) -> float:
    """Mean squared distance of the rows to their mean: Var(H, F, w) when row h is ∇F_h (up to a shift)."""
    return (vectors - vectors.mean(dim=0)).pow(2).sum(dim=1).mean().item()


def parity_gradient_variance(network: nn.Module, dim: int) -> GradientVariance:
    """Theorem 1's quantities for `network` on {±1}^dim, in float64, over all 2^dim parities and inputs.

    Square loss: ∇F_h = E[(p − h) g], so Var is the spread of E[h g] over h. Hinge r(hp): h·r'(hp) =
    a(x) + h(x)·b(x) with b = (r'(p) + r'(−p))/2 (appendix A.1), so Var is the spread of E[h b g].
    `outside_margin` is the share of inputs with |p(x)| ≥ 1, where the hinge loss is flat for one label.
    """
    require_int("dim", dim, minimum=1, maximum=16)
    network = copy.deepcopy(network).double().cpu()
    inputs = all_inputs(dim)
    gradients = per_example_gradients(network, inputs)
    with torch.no_grad():
        outputs = network(inputs).reshape(-1)
    hinge_weight = (hinge_slope(outputs) + hinge_slope(-outputs)) / 2
    return GradientVariance(
        dim=dim,
        square_variance=spread(parity_correlations(gradients)),
        hinge_variance=spread(parity_correlations(gradients * hinge_weight.unsqueeze(1))),
        g_squared=gradients.pow(2).sum(dim=1).mean().item(),
        g_ones_squared=gradients[0].pow(2).sum().item(),
        outside_margin=(outputs.abs() >= 1).double().mean().item(),
    )


def random_network_variances(dims: Sequence[int], *, width_factor: int = 10, seed: int = 0) -> list[GradientVariance]:
    """`parity_gradient_variance` of one randomly initialised §2.1 network (width width_factor·d) per d."""
    require_int("width_factor", width_factor, minimum=1)
    return [
        parity_gradient_variance(paper_network(d, width_factor * d, generator(derived_seed(seed, d))), d) for d in dims
    ]


def fitted_log2_slope(dims: Sequence[int], ratios: Sequence[float]) -> float:
    """Least-squares slope of log2(ratio) against d: −1 means the ratio halves with each added dimension."""
    if len(dims) != len(ratios) or len(dims) < 2:
        raise ValueError(f"dims and ratios must have one equal length >= 2, got {len(dims)} and {len(ratios)}")
    if min(ratios) <= 0 or not all(map(math.isfinite, ratios)):
        raise ValueError("ratios must be positive and finite to take their logarithm")
    return float(np.polyfit(np.asarray(dims, float), np.log2(ratios), 1)[0])


@dataclass(frozen=True)
class ChainRuleCheck:
    """Appendix A.1's hinge-loss gradient E_x[h r'(h p) g] against autograd, over every parity target h on {±1}^d:
    the largest relative error of the formula as printed (without the factor h) and of the corrected one."""

    dim: int
    printed_error: float
    corrected_error: float


def hinge_chain_rule_check(dim: int, *, seed: int = 0) -> ChainRuleCheck:
    """Compare ∇F_h for r(z) = max(0, 1 − z), computed by autograd over all 2^dim inputs, with appendix A.1's printed
    E[r'(h p) g] and the corrected E[h r'(h p) g], for all 2^dim parities h, one random §2.1 network (float64)."""
    require_int("dim", dim, minimum=1, maximum=12)
    network = paper_network(dim, 10 * dim, generator(derived_seed(seed, dim))).double()
    inputs = all_inputs(dim)
    gradients = per_example_gradients(network, inputs)
    with torch.no_grad():
        outputs = network(inputs).reshape(-1)
    printed, corrected = [], []
    for target in parity_labels(inputs.unsqueeze(0), all_supports(dim).unsqueeze(1)):  # row v: h_v on every input
        network.zero_grad()
        torch.clamp(1 - target * network(inputs).reshape(-1), min=0).mean().backward()
        exact = torch.cat([p.grad.reshape(-1) for p in network.parameters()])
        slope = hinge_slope(target * outputs)
        for formula, weight in ((printed, slope), (corrected, target * slope)):
            formula.append(((weight[:, None] * gradients).mean(dim=0) - exact).norm().item() / exact.norm().item())
    return ChainRuleCheck(dim, max(printed), max(corrected))
