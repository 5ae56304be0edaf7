"""Theorem 2's quantities computed exactly for p(x) = Σ_j a_j relu(w_jᵀx + b_j) + c and targets cos(v*ᵀx).

With the square loss ½(p − y)², ∇F_v*(w) = E[p g] − X(v*) where g(x) = ∂p(x)/∂w and X(v*) = E_x[cos(v*ᵀx) g(x)]:
only X depends on the target, and Var(H, F, w) = E_v*‖X(v*) − E X‖² (paper §2.2). Unit j depends on x only through
z = ûⱼᵀx (it is active when z > t_j = −b_j/‖w_j‖), so with ρ = ûⱼᵀv*/r and v*ᵀx = rρ z + r√(1 − ρ²) z' (z' an
independent standard normal), integrating z' out in closed form leaves the factor exp(−r²(1 − ρ²)/2) times
one-dimensional integrals over z > t_j (`half_line_moments`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from gradfail.periodic.quadrature import (
    ALIGNMENT_NODES,
    alignment_rule,
    gaussian_density,
    gaussian_tail,
    half_line_moments,
    nodes_for_frequency,
    require_radius,
)
from gradfail.periodic.target import sample_directions
from gradfail.validation import require_int

UNIT_CHUNK_ELEMENTS = 1 << 22  # (alignment nodes × units × half-line nodes) per chunk of units


@dataclass(frozen=True)
class HiddenUnits:
    """A network Linear(d, m) → ReLU → Linear(m, 1) seen unit by unit, in float64: unit j has direction ûⱼ, norm
    sⱼ = ‖wⱼ‖, threshold tⱼ = −bⱼ/sⱼ (active when ûⱼᵀx > tⱼ) and output weight aⱼ."""

    directions: torch.Tensor  # (m, d)
    norms: torch.Tensor  # (m,)
    thresholds: torch.Tensor  # (m,)
    output_weights: torch.Tensor  # (m,)

    @classmethod
    def of(cls, network: nn.Sequential) -> HiddenUnits:
        """The units of a Sequential(Linear(d, m), ReLU, Linear(m, 1)) such as `seeded_mlp([d, m, 1], ...)`."""
        if len(network) != 3 or network[2].out_features != 1:
            raise ValueError("network must be Sequential(Linear(d, m), ReLU(), Linear(m, 1))")
        weight = network[0].weight.detach().double().cpu()
        norms = weight.norm(dim=1)
        if not bool((norms > 0).all()):
            raise ValueError("network has a hidden unit with zero incoming weights")
        bias = network[0].bias.detach().double().cpu()
        return cls(weight / norms[:, None], norms, -bias / norms, network[2].weight.detach().double().cpu()[0])

    @property
    def dim(self) -> int:
        return self.directions.shape[1]

    @property
    def width(self) -> int:
        return self.directions.shape[0]


def gradient_norm_squared(units: HiddenUnits) -> float:
    """G(w)² = E_x‖∂p(x)/∂w‖² in closed form (the G(w) of Theorem 1, at its smallest allowed value)."""
    t, s, a = units.thresholds, units.norms, units.output_weights
    tail, density = gaussian_tail(t), gaussian_density(t)
    relu_squared = (1 + t * t) * tail - t * density  # E[(z − t)₊²]
    input_squared = t * density + tail + (units.dim - 1) * tail  # E[‖x‖² 1{z > t}]
    return 1.0 + (s * s * relu_squared + a * a * (tail + input_squared)).sum().item()


def target_gradient(units: HiddenUnits, directions: torch.Tensor) -> torch.Tensor:
    """X(v*) = E_x[cos(v*ᵀx) ∂p(x)/∂w] for each row v* of `directions` (K, d): shape (K, P), parameters in
    `per_example_gradients` order (hidden weights row by row, hidden biases, output weights, output bias)."""
    directions = directions.double().cpu()
    if directions.dim() != 2 or directions.shape[1] != units.dim:
        raise ValueError(f"directions must have shape (K, {units.dim}), got {tuple(directions.shape)}")
    radius_squared = directions.pow(2).sum(dim=1, keepdim=True)  # (K, 1)
    frequency = directions @ units.directions.T  # α = rρ, (K, m)
    damping = torch.exp(-(radius_squared - frequency**2) / 2)  # exp(−r²(1 − ρ²)/2)
    m = half_line_moments(frequency, units.thresholds)
    a = units.output_weights
    orthogonal = directions.unsqueeze(1) - frequency.unsqueeze(-1) * units.directions  # v* − αû
    hidden_weight = (a * damping).unsqueeze(-1) * (
        m.z_cos.unsqueeze(-1) * units.directions - m.sin.unsqueeze(-1) * orthogonal
    )
    hidden_bias = a * damping * m.cos
    output_weight = units.norms * damping * (m.z_cos - units.thresholds * m.cos)
    output_bias = torch.exp(-radius_squared / 2)
    return torch.cat([hidden_weight.flatten(1), hidden_bias, output_weight, output_bias], dim=1)


class AlignmentProfile(NamedTuple):
    """Var(H, F, w) split by alignment: contribution[i] comes from targets with |ρ| near alignment[i] for one unit
    (summed over units); probability[i] is the chance of that alignment for one unit."""

    alignment: torch.Tensor
    probability: torch.Tensor
    contribution: torch.Tensor


def variance_profile(
    units: HiddenUnits, radius: float, *, alignment_nodes: int = ALIGNMENT_NODES, half_line_nodes: int | None = None
) -> AlignmentProfile:
    """The exact Var(H, F, w) over v* uniform on the sphere of radius r, resolved by alignment ρ.

    Var is a sum over units, and unit j depends on v* only through ρⱼ, whose density is known: each unit's part is
    a one-dimensional integral over ρ (`alignment_rule`). Along ûⱼ and for aⱼ, bⱼ the mean over v* is removed
    (two passes); along v*'s part orthogonal to ûⱼ the mean is zero by symmetry.
    """
    r = require_radius(radius)
    rule = alignment_rule(units.dim, alignment_nodes)
    weight = torch.exp(rule.log_weight)  # (n,)
    frequency = (r * rule.alignment).unsqueeze(1)  # (n, 1)
    orthogonal_squared = (r * r * (1 - rule.alignment**2)).unsqueeze(1)  # β² = r²(1 − ρ²)
    damping = torch.exp(-orthogonal_squared / 2)
    contribution = torch.zeros_like(weight)
    half_line_nodes = half_line_nodes or nodes_for_frequency(r)
    chunk = max(1, UNIT_CHUNK_ELEMENTS // (alignment_nodes * half_line_nodes))
    for start in range(0, units.width, chunk):
        t = units.thresholds[start : start + chunk]
        a, s = units.output_weights[start : start + chunk], units.norms[start : start + chunk]
        m = half_line_moments(frequency, t, half_line_nodes)  # (n, chunk)
        for part in (a * damping * m.cos, a * damping * m.z_cos, s * damping * (m.z_cos - t * m.cos)):
            mean = (weight.unsqueeze(1) * part).sum(dim=0)
            contribution += weight * (part - mean).pow(2).sum(dim=1)
        contribution += weight * (a * a * orthogonal_squared * damping**2 * m.sin**2).sum(dim=1)
    return AlignmentProfile(rule.alignment, weight, contribution)


def exact_variance(units: HiddenUnits, radius: float, **nodes: int) -> float:
    """Var(H, F, w) = E_v*‖X(v*) − E X‖² over v* uniform on the sphere of radius r, by quadrature (float64)."""
    return variance_profile(units, radius, **nodes).contribution.sum().item()


def sampled_variance(units: HiddenUnits, radius: float, count: int, generator: torch.Generator) -> tuple[float, float]:
    """Var(H, F, w) estimated from `count` sampled targets v* (X(v*) exact for each): (estimate, standard error)."""
    require_int("count", count, minimum=2)
    gradients = target_gradient(units, sample_directions(count, units.dim, radius, generator))
    spread = (gradients - gradients.mean(dim=0)).pow(2).sum(dim=1) * count / (count - 1)
    return spread.mean().item(), spread.std().item() / math.sqrt(count)


def half_variance_alignment(profile: AlignmentProfile) -> tuple[float, float]:
    """(x, p): half of Var comes from targets with ρ² ≥ x for some unit, and p = P(ρ² ≥ x) for one unit."""
    order = torch.argsort(profile.alignment, descending=True)
    share = torch.cumsum(profile.contribution[order], dim=0) / profile.contribution.sum()
    index = int(torch.searchsorted(share, torch.tensor(0.5, dtype=share.dtype)))
    return profile.alignment[order][index].item() ** 2, profile.probability[order][: index + 1].sum().item()
