"""§5.1's starting point: through the staircase written with `torch.sign`, autograd's gradient is exactly zero,
so gradient descent on a linear model never moves."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gradfail.flat.experiment import TARGET_STREAM
from gradfail.flat.settings import FlatSettings
from gradfail.flat.target import draw_target, sample_inputs, staircase_differentiable
from gradfail.layers import seeded_linear
from gradfail.seeding import derived_seed, generator
from gradfail.training import train_online

DESCENT_STEPS = 100


@dataclass(frozen=True)
class StuckDescent:
    """What gradient descent through the staircase did: the largest gradient coordinate at the start, the
    largest parameter change after DESCENT_STEPS steps, and the loss it is stuck at."""

    largest_gradient: float
    largest_move: float
    loss: float

    def claim_inputs(self) -> tuple[float, float]:
        return self.largest_gradient, self.largest_move


def descent_through_staircase(settings: FlatSettings, seed: int) -> StuckDescent:
    """SGD (learning rate 1) on the square loss of a linear model passed through the staircase."""
    target = draw_target(settings.input_dim, generator(derived_seed(seed, TARGET_STREAM)))
    linear = seeded_linear(settings.input_dim, 1, generator(derived_seed(seed, 1)), settings.initialisation)
    start = torch.cat([p.detach().flatten() for p in linear.parameters()])
    data = generator(derived_seed(seed, 2))

    def loss() -> torch.Tensor:
        inputs = sample_inputs(settings.batch_size, settings.input_dim, data)
        return (staircase_differentiable(linear(inputs).squeeze(-1), target.steps) - target(inputs)).pow(2).mean()

    gradient = torch.autograd.grad(loss(), list(linear.parameters()))
    log = train_online(
        loss,
        torch.optim.SGD(linear.parameters(), lr=1.0),
        lambda: (torch.cat([p.flatten() for p in linear.parameters()]) - start).abs().max(),
        iterations=DESCENT_STEPS,
        eval_every=DESCENT_STEPS,
    )
    return StuckDescent(max(g.abs().max().item() for g in gradient), float(log.values[-1]), loss().item())
