"""Intermediate supervision (Wies, Levine & Shashua, ICLR 2023): a recurrent cell reads x ∈ {±1}^n one bit at a
time; end-to-end training sees only the final parity, decomposition also every running parity x_1⋯x_t.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gradfail.devices import resolve_device
from gradfail.layers import seeded_linear, stacked_scores
from gradfail.losses import accuracy, hinge_loss
from gradfail.parity.data import random_signs
from gradfail.results import Results, finished_run
from gradfail.seeding import derived_seed, generator
from gradfail.training import train_groups
from gradfail.validation import require_choice, require_int, require_int_tuple, require_positive_float

EXPERIMENT = "intermediate"
APPROACHES = ("end-to-end", "decomposition")
INIT_STREAM, TRAIN_STREAM, TEST_STREAM = range(3)


def running_parities(inputs: torch.Tensor) -> torch.Tensor:
    """y_t = x_1 ⋯ x_t for every t, shape (..., n): the intermediate labels; the last one is the parity."""
    return inputs.cumprod(dim=-1)


@dataclass(frozen=True)
class IntermediateSettings:
    """A recurrent MLP cell (state and hidden width 32), hinge loss, Adam lr 3e-3, batch 64."""

    lengths: tuple[int, ...] = (3, 8, 30)
    replicates: int = 2
    state: int = 32
    hidden: int = 32
    iterations: int = 3000
    batch_size: int = 64
    learning_rate: float = 3e-3
    eval_every: int = 100
    eval_samples: int = 1000

    def __post_init__(self) -> None:
        object.__setattr__(self, "lengths", require_int_tuple("lengths", self.lengths, minimum=1))
        for name in ("replicates", "state", "hidden", "iterations", "batch_size", "eval_samples"):
            require_int(name, getattr(self, name), minimum=1)
        require_positive_float("learning_rate", self.learning_rate)
        require_int("eval_every", self.eval_every, minimum=1, maximum=self.iterations)

    @classmethod
    def quick(cls) -> IntermediateSettings:
        """n = 3, 8, 30, two seeds, 3,000 Adam steps."""
        return cls()

    @classmethod
    def paper(cls) -> IntermediateSettings:
        """Not in the paper: longer inputs (n up to 60), four seeds, 6,000 steps."""
        return cls(lengths=(3, 8, 30, 60), replicates=4, iterations=6000)


class StackedRecurrentCell(nn.Module):
    """M independent cells h_t = W₂ relu(W₁ [h_{t−1}; x_t] + b₁) + b₂ with readouts s_t = uᵀh_t + c, h_0 = 0."""

    def __init__(self, count: int, state: int, hidden: int, generators: list[torch.Generator]) -> None:
        super().__init__()
        if len(generators) != require_int("count", count, minimum=1):
            raise ValueError(f"generators must hold one generator per cell ({count}), got {len(generators)}")
        layers = [
            (seeded_linear(state + 1, hidden, g), seeded_linear(hidden, state, g), seeded_linear(state, 1, g))
            for g in generators
        ]
        self.w1 = nn.Parameter(torch.stack([a.weight.T for a, _, _ in layers]).detach())
        self.b1 = nn.Parameter(torch.stack([a.bias.unsqueeze(0) for a, _, _ in layers]).detach())
        self.w2 = nn.Parameter(torch.stack([b.weight.T for _, b, _ in layers]).detach())
        self.b2 = nn.Parameter(torch.stack([b.bias.unsqueeze(0) for _, b, _ in layers]).detach())
        self.readout = nn.Parameter(torch.stack([c.weight.T for _, _, c in layers]).detach())
        self.readout_bias = nn.Parameter(torch.stack([c.bias.unsqueeze(0) for _, _, c in layers]).detach())

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Scores after every bit, shape (M, B, n), for inputs of shape (M, B, n).

        With r_t = relu(z_t) and z_t = W₁ₕh_{t−1} + x_t·w₁ₓ + b₁, the two layers fold into one matrix per step:
        z_{t+1} = (W₁ₕW₂) r_t + (W₁ₕb₂ + x_{t+1}·w₁ₓ + b₁), and s_t = (uᵀW₂) r_t + (uᵀb₂ + c). The same function
        with half the per-step matrix products: tiny products whose cost is their count, not their size."""
        state_weight = self.w1[:, :-1]  # W₁ₕ, (M, state, hidden)
        # the input's share of z_t for every step at once, (n, M, B, hidden); z₁ has no h₀ term (h₀ = 0)
        input_terms = torch.addcmul(self.b1, inputs.permute(2, 0, 1).unsqueeze(-1), self.w1[:, -1:])
        carried = input_terms[1:] + torch.bmm(self.b2, state_weight)
        step_weight = torch.bmm(self.w2, state_weight)  # W₁ₕW₂ in the stored (in, out) layout, (M, hidden, hidden)
        activations = [torch.relu(input_terms[0])]
        for carried_term in carried:
            activations.append(torch.relu(torch.baddbmm(carried_term, activations[-1], step_weight)))
        readout = torch.bmm(self.w2, self.readout)  # (uᵀW₂)ᵀ, (M, hidden, 1)
        readout_bias = torch.baddbmm(self.readout_bias, self.b2, self.readout)
        return stacked_scores(torch.stack(activations, dim=2), readout, readout_bias)  # every readout at once


def supervised_loss(approach: str, scores: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Hinge loss per cell: on the final parity only (end-to-end) or averaged over every running parity."""
    require_choice("approach", approach, APPROACHES)
    labels = running_parities(inputs)
    if approach == "end-to-end":
        return hinge_loss(scores[..., -1], labels[..., -1])
    return hinge_loss(scores, labels).mean(dim=-1)


class LengthGroup:
    """All runs of one n: model m = a·R + r uses approach APPROACHES[a], replicate r."""

    def __init__(self, length: int, settings: IntermediateSettings, seed: int, device: torch.device) -> None:
        self.length, self.settings, self.replicates = length, settings, settings.replicates
        runs = [(a, r) for a in range(len(APPROACHES)) for r in range(settings.replicates)]
        # Both approaches of a replicate start from the same cell and see the same data: a paired comparison.
        self.model = StackedRecurrentCell(
            len(runs),
            settings.state,
            settings.hidden,
            [generator(derived_seed(seed, length, r, INIT_STREAM)) for _, r in runs],
        ).to(device)
        self.train = [generator(derived_seed(seed, length, r, TRAIN_STREAM), device) for _, r in runs]
        self.test = [generator(derived_seed(seed, length, r, TEST_STREAM), device) for _, r in runs]

    def streams(self) -> list[object]:
        return [*self.train, *self.test]

    def training_loss(self) -> torch.Tensor:
        inputs = torch.stack([random_signs((self.settings.batch_size, self.length), g) for g in self.train])
        scores = self.model(inputs)
        split = self.replicates
        return (
            supervised_loss("end-to-end", scores[:split], inputs[:split]).sum()
            + supervised_loss("decomposition", scores[split:], inputs[split:]).sum()
        )

    def evaluate(self) -> torch.Tensor:
        inputs = torch.stack([random_signs((self.settings.eval_samples, self.length), g) for g in self.test])
        return accuracy(self.model(inputs)[..., -1], inputs.prod(dim=-1))


def run_intermediate(settings: IntermediateSettings, *, seed: int = 0, device: str | torch.device = "auto") -> Results:
    """Train both approaches for every n; return the accuracy on the final parity against iterations."""
    start = time.perf_counter()
    device = resolve_device(device)
    groups = [LengthGroup(n, settings, seed, device) for n in settings.lengths]
    log = train_groups(
        groups,
        lambda params: torch.optim.Adam(params, lr=settings.learning_rate, fused=True),
        iterations=settings.iterations,
        eval_every=settings.eval_every,
        description="intermediate",
    )
    runs = [(n, a, r) for n in settings.lengths for a in APPROACHES for r in range(settings.replicates)]
    arrays = {
        "steps": log.steps,
        "accuracy": log.values,
        "lengths": np.array([n for n, _, _ in runs]),
        "approaches": np.array([a for _, a, _ in runs]),
        "replicates": np.array([r for _, _, r in runs]),
    }
    return finished_run(EXPERIMENT, settings, arrays, seed=seed, device=device, started=start)
