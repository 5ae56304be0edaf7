"""The linear-periodic targets of Theorem 2 (paper §2.2): y = cos(v*ᵀx) with x ~ N(0, I_d) and ‖v*‖ = r.

Period convention: ψ(t) = cos t, period 2π, and the radius r = ‖v*‖ sets the frequency. (The convention
ψ(t) = cos 2πt with ‖v*‖ = r' is the same family with r = 2πr'.)
"""

from __future__ import annotations

import math

import torch

from gradfail.validation import require_int, require_positive_float


def sample_directions(count: int, dim: int, radius: float, generator: torch.Generator) -> torch.Tensor:
    """`count` vectors v* uniform on the sphere of radius r in R^d, float64, on the generator's device."""
    require_int("count", count, minimum=1)
    require_int("dim", dim, minimum=1)
    require_positive_float("radius", radius)
    gaussian = torch.randn(count, dim, generator=generator, device=generator.device, dtype=torch.float64)
    return radius * gaussian / gaussian.norm(dim=1, keepdim=True)


def cosine_target(inputs: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """y = cos(v*ᵀx) for inputs of shape (..., B, d) and directions of shape (..., d): shape (..., B)."""
    if inputs.shape[-1] != directions.shape[-1]:
        raise ValueError(f"inputs and directions must share the last axis, got {inputs.shape} and {directions.shape}")
    return torch.cos((inputs * directions.unsqueeze(-2)).sum(-1))


def trivial_mse(radius: float) -> float:
    """Var(cos(v*ᵀx)) = (1 + e^(−2r²))/2 − e^(−r²): the squared error of always predicting E[y] = e^(−r²/2)."""
    r2 = require_positive_float("radius", radius) ** 2
    return (1 + math.exp(-2 * r2)) / 2 - math.exp(-r2)
