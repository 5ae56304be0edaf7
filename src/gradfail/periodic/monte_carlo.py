"""Monte Carlo over x beside the exact computation (§2.2): what an estimate of the target-dependent gradient
X(v*) = E_x[cos(v*ᵀx) ∂p/∂w] from n sampled inputs measures, and its noise floor."""

from __future__ import annotations

from typing import NamedTuple

import torch

from gradfail.periodic.signal import HiddenUnits, target_gradient
from gradfail.validation import require_int


def weighted_gradient_sum(units: HiddenUnits, inputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Σᵢ weights[i, r] ∂p(xᵢ)/∂w for inputs (n, d) and weights (n, R): shape (R, P) in `target_gradient`'s order,
    computed by matrix products without forming the n per-input gradients."""
    pre_activation = inputs @ units.directions.T - units.thresholds  # z − t, (n, m)
    active = (pre_activation > 0).double()
    a = units.output_weights
    gated_inputs = (active.unsqueeze(2) * inputs.unsqueeze(1)).flatten(1)  # (n, m·d): 1{z > t} x per unit
    input_sums = (weights.T @ gated_inputs).view(-1, units.width, units.dim)  # (R, m, d)
    active_sums = weights.T @ active  # (R, m)
    relu_sums = weights.T @ (pre_activation.clamp(min=0) * units.norms)
    output_bias = weights.sum(dim=0, keepdim=True).T
    return torch.cat([(a.unsqueeze(1) * input_sums).flatten(1), a * active_sums, relu_sums, output_bias], dim=1)


def per_input_gradient_norms(units: HiddenUnits, inputs: torch.Tensor) -> torch.Tensor:
    """‖∂p(xᵢ)/∂w‖² for each row of inputs (n, d)."""
    pre_activation = inputs @ units.directions.T - units.thresholds
    active = (pre_activation > 0).double()
    gate = (units.output_weights**2 * active).sum(dim=1)
    relu = (pre_activation.clamp(min=0) * units.norms).pow(2).sum(dim=1)
    return gate * (inputs.pow(2).sum(dim=1) + 1) + relu + 1


class MonteCarloMeasurement(NamedTuple):
    """Per radius, what Monte Carlo over x measures. `plug_in_full` / `plug_in_batch`: the sample variance over the
    K directions of X̂(v*) estimated from all samples / from one batch (its mean is Var + the estimate's noise);
    `noise_full`: mean over directions of the measured ‖X̂(v*) − X(v*)‖² with all samples; `noise_per_sample`:
    E_x‖cos(v*ᵀx) ∂p/∂w − X(v*)‖² averaged over directions, so that the noise of an n-sample mean is this / n."""

    plug_in_full: torch.Tensor
    plug_in_batch: torch.Tensor
    noise_full: torch.Tensor
    noise_per_sample: torch.Tensor


def monte_carlo_measurement(
    units: HiddenUnits,
    unit_directions: torch.Tensor,
    radii: torch.Tensor,
    samples: int,
    batch_size: int,
    generator: torch.Generator,
) -> MonteCarloMeasurement:
    """Estimate X(r·û) for each unit vector û (rows of `unit_directions`, K ≥ 2) and radius r by averaging
    cos(v*ᵀx) ∂p/∂w over `samples` fresh inputs (float64; one input sample serves every target, as one data set
    would), and compare with the exact X. The batch estimates use the first `batch_size` inputs."""
    require_int("batch_size", batch_size, minimum=1)
    require_int("samples", samples, minimum=batch_size)
    if unit_directions.dim() != 2 or unit_directions.shape[0] < 2:
        raise ValueError(f"unit_directions must hold at least two rows, got shape {tuple(unit_directions.shape)}")
    targets = (unit_directions.double().unsqueeze(1) * radii.double().view(1, -1, 1)).flatten(0, 1)  # (K·R, d)
    exact = target_gradient(units, targets)
    total, second = torch.zeros_like(exact), torch.zeros(len(targets), dtype=torch.float64)
    chunk = batch_size * max(1, (1 << 15) // batch_size)
    for start in range(0, samples, chunk):
        inputs = torch.randn(min(chunk, samples - start), units.dim, generator=generator, dtype=torch.float64)
        weights = torch.cos(inputs @ targets.T)  # (n, K·R)
        if start == 0:
            batch = weighted_gradient_sum(units, inputs[:batch_size], weights[:batch_size]) / batch_size
        total += weighted_gradient_sum(units, inputs, weights)
        second += (weights.pow(2) * per_input_gradient_norms(units, inputs).unsqueeze(1)).sum(dim=0)
    shape = (unit_directions.shape[0], len(radii), -1)
    estimate, exact = (total / samples).view(shape), exact.view(shape)
    return MonteCarloMeasurement(
        plug_in_full=_plug_in(estimate),
        plug_in_batch=_plug_in(batch.view(shape)),
        noise_full=(estimate - exact).pow(2).sum(dim=2).mean(dim=0),
        noise_per_sample=(second.view(shape[:2]) / samples - exact.pow(2).sum(dim=2)).mean(dim=0),
    )


def _plug_in(estimates: torch.Tensor) -> torch.Tensor:
    """Sample variance over the first axis of vectors (K, R, P): one value per radius."""
    return (estimates - estimates.mean(dim=0)).pow(2).sum(dim=2).sum(dim=0) / (estimates.shape[0] - 1)
