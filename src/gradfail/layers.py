"""Layers initialised from an explicit generator, so that the same seed gives the same network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn

from gradfail.validation import require_choice, require_int

INITIALISATIONS = ("pytorch", "scripts")


def truncated_normal_(tensor: torch.Tensor, fan_in: int, generator: torch.Generator) -> torch.Tensor:
    """The authors' scripts' initialisation, in place: normal with std 1/√fan_in, truncated at two standard
    deviations."""
    std = 1 / math.sqrt(require_int("fan_in", fan_in, minimum=1))
    return nn.init.trunc_normal_(tensor, std=std, a=-2 * std, b=2 * std, generator=generator)


def seeded_linear(
    in_features: int, out_features: int, generator: torch.Generator, initialisation: str = "pytorch"
) -> nn.Linear:
    """nn.Linear drawn from `generator`: `pytorch`, PyTorch's default (weight and bias uniform in ±1/√fan_in);
    `scripts`, the authors' (weight truncated normal with std 1/√fan_in, bias zero)."""
    require_choice("initialisation", initialisation, INITIALISATIONS)
    layer = nn.Linear(
        require_int("in_features", in_features, minimum=1), require_int("out_features", out_features, minimum=1)
    )
    with torch.no_grad():
        if initialisation == "scripts":
            truncated_normal_(layer.weight, in_features, generator)
            layer.bias.zero_()
            return layer
        bound = 1 / math.sqrt(in_features)
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


def seeded_mlp(sizes: Sequence[int], generator: torch.Generator, initialisation: str = "pytorch") -> nn.Sequential:
    """Fully connected layers of the given sizes with ReLU between them (none after the last), each initialised
    as `seeded_linear` does."""
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output size, got {list(sizes)}")
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(pairwise(sizes)):
        layers += [seeded_linear(fan_in, fan_out, generator, initialisation)] + (
            [nn.ReLU()] if i < len(sizes) - 2 else []
        )
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
