"""Layers initialised from an explicit generator, so that the same seed gives the same network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn

from gradfail.validation import require_int


def seeded_linear(in_features: int, out_features: int, generator: torch.Generator) -> nn.Linear:
    """nn.Linear with PyTorch's default initialisation (uniform in ±1/√fan_in), drawn from `generator`."""
    layer = nn.Linear(
        require_int("in_features", in_features, minimum=1), require_int("out_features", out_features, minimum=1)
    )
    bound = 1 / math.sqrt(in_features)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


def seeded_mlp(sizes: Sequence[int], generator: torch.Generator) -> nn.Sequential:
    """Fully connected layers of the given sizes with ReLU between them (none after the last)."""
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output size, got {list(sizes)}")
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(pairwise(sizes)):
        layers += [seeded_linear(fan_in, fan_out, generator)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*layers)


def stacked_scores(inputs: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """The one-output last layer of M stacked networks: inputs (M, …, n) · weight (M, n, 1) + bias (M, 1, 1) → (M, …).

    Computed as a broadcast product and a sum: a batched matrix product with one output column, and its backward
    pass (an outer product), are several times slower on CPUs."""
    if weight.dim() != 3 or weight.shape[-1] != 1 or weight.shape[:2] != (inputs.shape[0], inputs.shape[-1]):
        raise ValueError(
            f"weight must have shape ({inputs.shape[0]}, {inputs.shape[-1]}, 1) for inputs of shape "
            f"{tuple(inputs.shape)}, got {tuple(weight.shape)}"
        )
    leading = (inputs.shape[0],) + (1,) * (inputs.dim() - 2)
    return (inputs * weight.reshape(*leading, -1)).sum(dim=-1) + bias.reshape(leading)
