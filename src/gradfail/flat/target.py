"""The §5 target y(x) = u(v*ᵀx + b*), u a staircase with steps at b* + the authors' offsets, and its relatives.

Inputs follow the authors' scripts: x ~ N(0, I)/d, v* ~ N(0, I), b* ~ N(0, 1), so r = v*ᵀx + b* has mean b*
and standard deviation ‖v*‖/d ≈ 1/√d; the finest steps sit within a few tenths of b*.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gradfail.validation import require_int, require_positive_float

COARSE_OFFSETS = tuple(float(t) for t in range(-100, 100, 5))
FINE_OFFSETS = (-5.0, -4.0, -3.0, -2.0, -1.0, -0.2, 0.0, 0.1, 0.15, 0.175, 1.0, 2.0, 3.0, 4.0, 5.0)
STEP_OFFSETS = tuple(sorted(set(COARSE_OFFSETS) | set(FINE_OFFSETS)))  # 52 distinct steps
PAPER_STEP_VALUES, PAPER_OUTPUTS = 56, 55  # §5's text: steps z_0 < … < z_55, and §5.4's classifier has 55 outputs


@dataclass(frozen=True)
class StepTarget:
    """y(x) = u(v*ᵀx + b*) with u(r) = the largest step z_i ≤ r (§5.1)."""

    slope: torch.Tensor  # v*, shape (d,)
    offset: torch.Tensor  # b*, shape ()
    steps: torch.Tensor  # z_0 < z_1 < …, shape (K,)

    def pre_activation(self, inputs: torch.Tensor) -> torch.Tensor:
        """r = v*ᵀx + b* for inputs of shape (..., d)."""
        return inputs @ self.slope + self.offset

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return staircase(self.pre_activation(inputs), self.steps)


def draw_target(input_dim: int, generator: torch.Generator) -> StepTarget:
    """v* ~ N(0, I_d), b* ~ N(0, 1) and the steps z = b* + STEP_OFFSETS, on the generator's device."""
    require_int("input_dim", input_dim, minimum=1)
    device = generator.device
    slope = torch.randn(input_dim, generator=generator, device=device)
    offset = torch.randn((), generator=generator, device=device)
    return StepTarget(slope, offset, offset + torch.tensor(STEP_OFFSETS, device=device))


def sample_inputs(count: int, input_dim: int, generator: torch.Generator) -> torch.Tensor:
    """count inputs x ~ N(0, I_d)/d (the scripts' scale)."""
    require_int("count", count, minimum=1)
    require_int("input_dim", input_dim, minimum=1)
    return torch.randn(count, input_dim, generator=generator, device=generator.device) / input_dim


def require_steps(steps: torch.Tensor) -> None:
    """Refuse steps that are not a 1-D, strictly increasing list of at least two values."""
    if steps.dim() != 1 or len(steps) < 2 or not bool((torch.diff(steps) > 0).all()):
        raise ValueError(f"steps must be a 1-D strictly increasing tensor of at least 2 values, got {steps!r}")


def step_index(pre_activation: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """The index i of the largest step z_i ≤ r (0 below the first step): the class of §5.4."""
    require_steps(steps)
    return (torch.searchsorted(steps, pre_activation.contiguous(), right=True) - 1).clamp(min=0)


def staircase(pre_activation: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """u(r): r rounded down to the nearest step. Built from comparisons, so autograd cannot pass through it."""
    return steps[step_index(pre_activation, steps)]


def staircase_differentiable(pre_activation: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """u(r) = z_0 + Σ_i (z_i − z_{i−1}) 1[r ≥ z_i], written with torch.sign so that autograd runs through it,
    and finds what calculus says: a derivative of exactly zero wherever r is not on a step."""
    indicators = (torch.sign(pre_activation.unsqueeze(-1) - steps[1:]) + 1) / 2
    return steps[0] + (indicators * torch.diff(steps)).sum(dim=-1)


def smooth_staircase(pre_activation: torch.Tensor, steps: torch.Tensor, sharpness: float) -> torch.Tensor:
    """ũ(r) = z_0 + Σ_i (z_i − z_{i−1}) σ(c (r − z_i)): each step replaced by a sigmoid of slope c (§5.2)."""
    require_positive_float("sharpness", sharpness)
    sigmoids = torch.sigmoid(sharpness * (pre_activation.unsqueeze(-1) - steps[1:]))
    return steps[0] + (sigmoids * torch.diff(steps)).sum(dim=-1)
