"""Approximate laws of Var(H, F, w) for targets cos(v*ᵀx) (§2.2): two closed forms, one on each side of
r² ≈ (d − 1)/2, and the one-dimensional integral over the alignment that both are limits of.

All three keep the dominant term of the unit-by-unit formulas of `signal.py`, the incoming-weight gradient along the
part of v* that unit j does not see, a_j² β² e^(−β²) E[sin(αz) 1{z > t_j}]² with α = rρ, β² = r²(1 − ρ²); the
typical-unit and crossover laws add the fluctuation over v* of the three parts with a non-zero mean. While r² ≪ d/2
typical alignments ρ ~ N(0, 1/d) carry the variance; once r² ≫ d, targets nearly aligned with one unit.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gradfail.periodic.quadrature import (
    alignment_rule,
    gaussian_density,
    half_line_moments,
    require_radius,
)
from gradfail.periodic.signal import HiddenUnits


def law_windows(dim: int, radii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of `radii` well inside each closed form's regime, where the chapter checks and draws it: r² ≤ d/16 for
    the typical-unit law, r² ≥ 4d for the aligned-unit law."""
    squared = np.asarray(radii, dtype=float) ** 2
    return squared <= dim / 16, squared >= 4 * dim


def mean_part_fluctuation(units: HiddenUnits, radius: float) -> float:
    """The fluctuation over v* of the outgoing-weight, bias and along-ûⱼ parts, to first order in ρ²:
    r⁴ e^(−r²)/(2d²) · Σⱼ φ(tⱼ)² (sⱼ² + aⱼ²tⱼ² + aⱼ²(1 + tⱼ²)²)."""
    r = require_radius(radius)
    t, s, a = units.thresholds, units.norms, units.output_weights
    terms = gaussian_density(t) ** 2 * (s * s + a * a * t * t + a * a * (1 + t * t) ** 2)
    return r**4 * math.exp(-r * r) / (2 * units.dim**2) * terms.sum().item()


def typical_unit_law(units: HiddenUnits, radius: float) -> float:
    """Leading order of Var(H, F, w) while r² ≪ d/2, for ρ ~ N(0, 1/d) and small α = rρ (NaN when 2r² ≥ d):
    r⁴ e^(−r²)/d · (1 − 2r²/d)^(−3/2) Σⱼ aⱼ² φ(tⱼ)² (sin(αz) ≈ αz) plus `mean_part_fluctuation`."""
    r = require_radius(radius)
    d = units.dim
    if 2 * r * r >= d:
        return math.nan
    strength = (units.output_weights**2 * gaussian_density(units.thresholds) ** 2).sum().item()
    orthogonal = r**4 * math.exp(-r * r) / d * (1 - 2 * r * r / d) ** -1.5 * strength
    return orthogonal + mean_part_fluctuation(units, r)


def aligned_unit_law(units: HiddenUnits, radius: float) -> float:
    """Leading order of Var(H, F, w) once r² ≫ d/2, when targets nearly aligned with one unit dominate:
    Γ((d+1)/2)/B(½, (d−1)/2) · r^(−(d+1)) · Σⱼ aⱼ² φ(tⱼ)² cos²(r tⱼ) (sin(αz) integrated to φ(t) cos(αt)/α, the
    ρ-density near |ρ| = 1). NaN when r² ≤ d/2."""
    r = require_radius(radius)
    d = units.dim
    if 2 * r * r <= d:
        return math.nan
    log_beta = math.lgamma(0.5) + math.lgamma((d - 1) / 2) - math.lgamma(d / 2)
    t = units.thresholds
    strength = (units.output_weights**2 * gaussian_density(t) ** 2 * torch.cos(r * t) ** 2).sum().item()
    return strength * math.exp(math.lgamma((d + 1) / 2) - log_beta - (d + 1) * math.log(r))


def dawson_profile(frequency: torch.Tensor) -> torch.Tensor:
    """D(α) = E[sin(αz) 1{z > 0}]/φ(0) = √2 F(α/√2), F Dawson's integral: α for small α, 1/α for large α."""
    return half_line_moments(frequency, torch.zeros((), dtype=torch.float64)).sin * math.sqrt(2 * math.pi)


def crossover_law(units: HiddenUnits, radius: float) -> float:
    """Var(H, F, w) at every r: the along-ê term averaged over the exact law of ρ with E[sin(αz) 1{z > t}] ≈
    φ(t) cos(αt) D(α) (`dawson_profile`: exact at t = 0, both closed forms' limits), plus `mean_part_fluctuation`."""
    r = require_radius(radius)
    rule = alignment_rule(units.dim)
    weight = torch.exp(rule.log_weight).unsqueeze(1)
    frequency = (r * rule.alignment).unsqueeze(1)  # α = rρ
    orthogonal_squared = (r * r * (1 - rule.alignment**2)).unsqueeze(1)  # β² = r²(1 − ρ²)
    t, a = units.thresholds, units.output_weights
    moment = gaussian_density(t) * torch.cos(frequency * t) * dawson_profile(frequency)
    terms = weight * a * a * orthogonal_squared * torch.exp(-orthogonal_squared) * moment**2
    return terms.sum().item() + mean_part_fluctuation(units, r)
