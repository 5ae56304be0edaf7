"""How well the hidden units of a network line up with the target direction v* (§2.2): ρⱼ = ûⱼᵀv*/‖v*‖.

A unit's share of the gradient signal carries the factor exp(−r²(1 − ρⱼ²)/2), so the best-aligned unit matters:
its ρ² at initialisation, in theory (units uniform on the sphere) and as measured, and during training.
"""

from __future__ import annotations

import math

import torch

from gradfail.layers import seeded_linear
from gradfail.periodic.quadrature import alignment_tail
from gradfail.periodic.target import sample_directions
from gradfail.validation import require_int


def best_alignment(hidden_weight: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """maxⱼ ρⱼ² per run, for stacked hidden weights (M, d, m) (columns = units) and targets (M, d)."""
    units = hidden_weight / hidden_weight.norm(dim=1, keepdim=True)
    targets = directions / directions.norm(dim=1, keepdim=True)
    return torch.einsum("mdw,md->mw", units, targets).pow(2).amax(dim=1)


def initial_best_alignment(dim: int, width: int, trials: int, generator: torch.Generator) -> torch.Tensor:
    """maxⱼ ρⱼ² over the `width` units of freshly initialised hidden layers (PyTorch's default initialisation, as
    in training), a new layer and a new random target direction per trial: shape (trials,)."""
    require_int("dim", dim, minimum=1)
    require_int("width", width, minimum=1)
    require_int("trials", trials, minimum=1)
    alignments = [
        best_alignment(
            seeded_linear(dim, width, generator).weight.detach().T.unsqueeze(0),
            sample_directions(1, dim, 1.0, generator).float(),
        )
        for _ in range(trials)
    ]
    return torch.cat(alignments)


def median_best_alignment(dim: int, width: int) -> float:
    """The median of maxⱼ ρⱼ² over `width` unit directions drawn independently and uniformly on the sphere: the x
    with P(ρ² ≥ x) = 1 − 2^(−1/width), found by bisection."""
    require_int("dim", dim, minimum=2)
    target = -math.expm1(-math.log(2) / require_int("width", width, minimum=1))
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if middle == 0 or alignment_tail(dim, middle) > target:
            low = middle
        else:
            high = middle
    return (low + high) / 2
