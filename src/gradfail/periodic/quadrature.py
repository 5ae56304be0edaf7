"""The one-dimensional integrals behind the exact gradient of §2.2, in float64.

Every quantity of the chapter reduces to two kinds of integral: a standard Gaussian z restricted to the half-line
z > t where a ReLU unit is active, weighted by cos(αz) or sin(αz) (kink at t, so the half-line is integrated on its
own: the integrand is then smooth and Gauss–Legendre converges to rounding error), and an average over the
alignment ρ = ûᵀv*/‖v*‖ of a fixed unit direction û with a uniformly random direction v*.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from gradfail.validation import require_int, require_positive_float

HALF_LINE_PANEL_FREQUENCY = 3.0  # one 32-node panel per 3 units of frequency (at least 4 panels): see the tests
HALF_LINE_LENGTH = 12.0  # the half-line z > t is cut at max(t, 0) + 12, where the Gaussian density is 2e-32
ALIGNMENT_NODES = 512  # 16 panels of 32 on θ ∈ [0, π/2]
PANEL_NODES = 32


def gauss_legendre(nodes: int, low: float, high: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Composite Gauss–Legendre rule on [low, high]: `nodes` points (a multiple of 32, in panels of 32) and weights."""
    require_int("nodes", nodes, minimum=PANEL_NODES)
    if nodes % PANEL_NODES:
        raise ValueError(f"nodes must be a multiple of {PANEL_NODES}, got {nodes}")
    if not low < high:
        raise ValueError(f"need low < high, got [{low}, {high}]")
    unit_nodes, unit_weights = np.polynomial.legendre.leggauss(PANEL_NODES)
    edges = np.linspace(low, high, nodes // PANEL_NODES + 1)
    half_widths, centres = np.diff(edges)[:, None] / 2, (edges[1:] + edges[:-1])[:, None] / 2
    points = (centres + half_widths * unit_nodes).ravel()
    weights = (half_widths * unit_weights).ravel()
    return torch.from_numpy(points), torch.from_numpy(weights)


def gaussian_density(z: torch.Tensor) -> torch.Tensor:
    """φ(z), the standard normal density."""
    return torch.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def gaussian_tail(t: torch.Tensor) -> torch.Tensor:
    """Q(t) = P(z > t) for a standard normal z."""
    return torch.special.erfc(t / math.sqrt(2)) / 2


class HalfLineMoments(NamedTuple):
    """E[f(z) 1{z > t}] for z ~ N(0, 1) and f = cos(αz), sin(αz), z·cos(αz), z·sin(αz)."""

    cos: torch.Tensor
    sin: torch.Tensor
    z_cos: torch.Tensor
    z_sin: torch.Tensor


def nodes_for_frequency(max_frequency: float) -> int:
    """Gauss–Legendre nodes that integrate cos(αz), sin(αz) against φ on z > t to rounding error for |α| up to
    `max_frequency`: 32 per panel, one panel per 3 units of frequency, at least 4 panels."""
    return PANEL_NODES * max(4, math.ceil(abs(max_frequency) / HALF_LINE_PANEL_FREQUENCY))


def half_line_moments(frequency: torch.Tensor, threshold: torch.Tensor, nodes: int | None = None) -> HalfLineMoments:
    """The four moments for every (α, t) of the broadcast `frequency` and `threshold` tensors (float64), with
    `nodes_for_frequency` nodes unless told otherwise."""
    frequency, threshold = torch.broadcast_tensors(frequency.double(), threshold.double())
    if nodes is None:
        nodes = nodes_for_frequency(frequency.abs().max().item() if frequency.numel() else 0.0)
    unit, weights = gauss_legendre(nodes, 0.0, 1.0)
    upper = threshold.clamp(min=0) + HALF_LINE_LENGTH
    span = (upper - threshold).unsqueeze(-1)
    z = threshold.unsqueeze(-1) + span * unit
    weighted = span * weights * gaussian_density(z)
    phase = frequency.unsqueeze(-1) * z
    cos, sin = torch.cos(phase) * weighted, torch.sin(phase) * weighted
    return HalfLineMoments(cos.sum(-1), sin.sum(-1), (cos * z).sum(-1), (sin * z).sum(-1))


class AlignmentRule(NamedTuple):
    """Nodes ρ ∈ (0, 1) and log-weights such that Σ exp(log_weight)·f(ρ) = E[f(ρ)] for every even f, where ρ is
    one coordinate of a uniformly random unit vector of R^d (density ∝ (1 − ρ²)^((d−3)/2) on [−1, 1])."""

    alignment: torch.Tensor
    log_weight: torch.Tensor


def alignment_rule(dim: int, nodes: int = ALIGNMENT_NODES) -> AlignmentRule:
    """The rule for dimension d ≥ 2, with ρ = cos θ and θ ∈ [0, π/2] of density ∝ sin^(d−2) θ."""
    require_int("dim", dim, minimum=2)
    return _theta_rule(dim, nodes, math.pi / 2)


def _theta_rule(dim: int, nodes: int, theta_max: float) -> AlignmentRule:
    """The rule restricted to θ ∈ [0, θ_max] (ρ ≥ cos θ_max): its weights sum to P(|ρ| ≥ cos θ_max)."""
    theta, weights = gauss_legendre(nodes, 0.0, theta_max)
    log_normaliser = math.lgamma((dim - 1) / 2) - math.lgamma(dim / 2) + math.log(math.sqrt(math.pi) / 2)
    log_weight = (dim - 2) * torch.log(torch.sin(theta)) + torch.log(weights) - log_normaliser
    return AlignmentRule(torch.cos(theta), log_weight)


def alignment_tail(dim: int, alignment_squared: float, nodes: int = ALIGNMENT_NODES) -> float:
    """P(ρ² ≥ x) for one coordinate ρ of a uniformly random unit vector of R^d (d ≥ 2), by quadrature."""
    require_int("dim", dim, minimum=2)
    if not 0 < alignment_squared < 1:
        raise ValueError(f"alignment_squared must be in (0, 1), got {alignment_squared!r}")
    return torch.exp(_theta_rule(dim, nodes, math.acos(math.sqrt(alignment_squared))).log_weight).sum().item()


def require_radius(radius: float) -> float:
    """The norm r = ‖v*‖ of a target direction: a positive finite number."""
    return require_positive_float("radius", radius)
