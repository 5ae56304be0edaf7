"""Appendix A.7 checked: the forward-only rule w ← w − η E[(u(wᵀx) − u(v*ᵀx)) x] for a monotone L-Lipschitz u.

On a finite population (expectations exact), every step satisfies the proof's inequality
‖w_t − v*‖² − ‖w_{t+1} − v*‖² ≥ (2η/L) e_t − η²‖∇̃_t‖², with e_t = E[(u(w_tᵀx) − u(v*ᵀx))²]. Summed over
T steps from w_0 with ‖w_0 − v*‖² = D and ‖∇̃‖ ≤ G, it gives mean_t e_t ≤ L (D/(ηT) + ηG²)/2, which the
step η = √D/(G√T) makes L G √D/√T: the O(1/√T) rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from gradfail.seeding import derived_seed, generator
from gradfail.validation import require_int, require_positive_float


def ramp(pre_activation: torch.Tensor) -> torch.Tensor:
    """A monotone, 1-Lipschitz, bounded (|u| ≤ 1) activation: r clipped to [−1, 1]."""
    return pre_activation.clamp(-1.0, 1.0)


def unit_sphere_inputs(count: int, input_dim: int, generator: torch.Generator) -> torch.Tensor:
    """count points uniform on the unit sphere of R^d (so ‖x‖ = 1), in float64."""
    require_int("count", count, minimum=1)
    points = torch.randn(
        count, require_int("input_dim", input_dim, minimum=1), generator=generator, dtype=torch.float64
    )
    return points / points.norm(dim=1, keepdim=True)


@dataclass(frozen=True)
class ForwardOnlyTrajectory:
    """Per step t = 0 … T: the error e_t and distance ‖w_t − v*‖²; per update: ‖∇̃_t‖²."""

    step_size: float
    errors: torch.Tensor
    distances: torch.Tensor
    update_norms: torch.Tensor

    def inequality_slack(self, lipschitz: float) -> torch.Tensor:
        """Per update, (D_t − D_{t+1}) − ((2η/L) e_t − η²‖∇̃_t‖²): never negative if the proof's step holds."""
        require_positive_float("lipschitz", lipschitz)
        eta = self.step_size
        progress = self.distances[:-1] - self.distances[1:]
        return progress - (2 * eta / lipschitz * self.errors[:-1] - eta**2 * self.update_norms)


def forward_only_descent(
    inputs: torch.Tensor,
    target_slope: torch.Tensor,
    activation: Callable[[torch.Tensor], torch.Tensor],
    step_size: float,
    iterations: int,
) -> ForwardOnlyTrajectory:
    """Full-batch forward-only iterations from w_0 = 0 on the population `inputs`, labels u(v*ᵀx) (§5.5, eq. 5)."""
    require_positive_float("step_size", step_size)
    require_int("iterations", iterations, minimum=1)
    if inputs.dim() != 2 or target_slope.shape != inputs.shape[1:] or target_slope.dtype != inputs.dtype:
        raise ValueError(
            f"inputs must be (n, d) and target_slope (d,) of one dtype, got {tuple(inputs.shape)} {inputs.dtype} "
            f"and {tuple(target_slope.shape)} {target_slope.dtype}"
        )
    labels = activation(inputs @ target_slope)
    weights = torch.zeros_like(target_slope)
    errors, distances, norms = [], [], []
    for _ in range(iterations + 1):
        residual = activation(inputs @ weights) - labels
        errors.append(residual.pow(2).mean())
        distances.append((weights - target_slope).pow(2).sum())
        update = (residual.unsqueeze(1) * inputs).mean(dim=0)
        norms.append(update.pow(2).sum())
        weights = weights - step_size * update
    return ForwardOnlyTrajectory(step_size, torch.stack(errors), torch.stack(distances), torch.stack(norms[:-1]))


def rate_step_size(initial_distance: float, gradient_bound: float, iterations: int) -> float:
    """η = √D / (G √T), the step that balances the two terms of the bound."""
    _require_rate_inputs(initial_distance, gradient_bound, iterations)
    return math.sqrt(initial_distance) / (gradient_bound * math.sqrt(iterations))


def rate_bound(initial_distance: float, gradient_bound: float, lipschitz: float, iterations: int) -> float:
    """L G √D / √T: the bound on the mean error over T forward-only steps taken with `rate_step_size`."""
    _require_rate_inputs(initial_distance, gradient_bound, iterations)
    require_positive_float("lipschitz", lipschitz)
    return lipschitz * gradient_bound * math.sqrt(initial_distance / iterations)


def _require_rate_inputs(initial_distance: float, gradient_bound: float, iterations: int) -> None:
    require_positive_float("initial_distance", initial_distance)
    require_positive_float("gradient_bound", gradient_bound)
    require_int("iterations", iterations, minimum=1)


A7_DIM, A7_POPULATION, A7_TARGET_NORM = 20, 5000, 3.0
A7_HORIZONS = (10, 30, 100, 300, 1000, 3000)
RAMP_LIPSCHITZ, RAMP_GRADIENT_BOUND = 1.0, 2.0  # the ramp is 1-Lipschitz and |u| ≤ 1, so G = 2 when ‖x‖ = 1


def a7_runs(seed: int) -> tuple[dict[int, ForwardOnlyTrajectory], list[float]]:
    """Appendix A.7 on a finite population on the unit sphere (expectations exact): full-batch forward-only
    descent with the ramp from w = 0 towards a random v* of norm 3, one run per horizon T with its own step;
    the runs, and the bound L·G·√D/√T for each."""
    population = unit_sphere_inputs(A7_POPULATION, A7_DIM, generator(derived_seed(seed, 0)))
    v_star = torch.randn(A7_DIM, generator=generator(derived_seed(seed, 1)), dtype=torch.float64)
    v_star = A7_TARGET_NORM * v_star / v_star.norm()
    distance = float(v_star.pow(2).sum())
    runs = {
        t: forward_only_descent(population, v_star, ramp, rate_step_size(distance, RAMP_GRADIENT_BOUND, t), t)
        for t in A7_HORIZONS
    }
    return runs, [rate_bound(distance, RAMP_GRADIENT_BOUND, RAMP_LIPSCHITZ, t) for t in A7_HORIZONS]
