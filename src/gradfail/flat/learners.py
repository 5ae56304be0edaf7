"""The four learners of §5 (Figure 7): each maps inputs to a predicted label and defines its training loss.

Every layer starts as in the authors' scripts (`initialisation="scripts"`: truncated-normal weights, zero
biases) unless told to use PyTorch's default (`"pytorch"`)."""

from __future__ import annotations

import torch
from torch import nn

from gradfail.flat.target import smooth_staircase, staircase, step_index
from gradfail.layers import seeded_linear, seeded_mlp

LEARNERS = ("non-flat", "end-to-end", "multi-class", "forward-only")


def straight_through(pre_activation: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """u(r) in the forward pass, the identity in the backward pass: the forward-only rule of §5.5 (eq. 5)."""
    return pre_activation + (staircase(pre_activation, steps) - pre_activation).detach()


class SmoothStaircaseRegressor(nn.Module):
    """§5.2: a linear map (v, b) followed by the sigmoid approximation ũ, trained with the squared loss."""

    def __init__(
        self,
        input_dim: int,
        steps: torch.Tensor,
        sharpness: float,
        generator: torch.Generator,
        initialisation: str = "scripts",
    ) -> None:
        super().__init__()
        self.linear, self.sharpness = seeded_linear(input_dim, 1, generator, initialisation), sharpness
        self.register_buffer("steps", steps.detach().clone().cpu())

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return smooth_staircase(self.linear(inputs).squeeze(-1), self.steps, self.sharpness)

    def loss(self, inputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (self(inputs) - target).pow(2).mean()

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return self(inputs)


class MLPRegressor(nn.Module):
    """§5.3: an MLP d → 100 → 100 → 100 → 1 with ReLUs, regressing the label with the squared loss."""

    def __init__(
        self, input_dim: int, hidden: int, generator: torch.Generator, initialisation: str = "scripts"
    ) -> None:
        super().__init__()
        self.net = seeded_mlp([input_dim, hidden, hidden, hidden, 1], generator, initialisation)

    def loss(self, inputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (self.predict(inputs) - target).pow(2).mean()

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net(inputs).squeeze(-1)


class StepClassifier(nn.Module):
    """§5.4: an MLP d → 100 → 100 → K classifying the step index with softmax cross-entropy."""

    def __init__(
        self,
        input_dim: int,
        hidden: int,
        steps: torch.Tensor,
        generator: torch.Generator,
        initialisation: str = "scripts",
    ) -> None:
        super().__init__()
        self.net = seeded_mlp([input_dim, hidden, hidden, len(steps)], generator, initialisation)
        self.register_buffer("steps", steps.detach().clone().cpu())

    def loss(self, inputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(self.net(inputs), step_index(target, self.steps))  # y is a step value

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.steps[self.net(inputs).argmax(dim=-1)]


class ForwardOnlyRegressor(nn.Module):
    """§5.5: a linear map (v, b) through the true staircase u, trained with the forward-only rule."""

    def __init__(
        self, input_dim: int, steps: torch.Tensor, generator: torch.Generator, initialisation: str = "scripts"
    ) -> None:
        super().__init__()
        self.linear = seeded_linear(input_dim, 1, generator, initialisation)
        self.register_buffer("steps", steps.detach().clone().cpu())

    def loss(self, inputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Squared loss whose gradient is (u(wᵀx + b) − y)·(x, 1) times 2: u is passed straight through."""
        return (straight_through(self.linear(inputs).squeeze(-1), self.steps) - target).pow(2).mean()

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return staircase(self.linear(inputs).squeeze(-1), self.steps)
