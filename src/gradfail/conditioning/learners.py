"""The four learners of §4.1 (Figure 6), each as R independent copies trained as one stacked model.

Inputs are curves of shape (R, B, n), copy r seeing inputs[r]; outputs are predicted encodings p̂ (the three
linear learners) or reconstructed curves (the auto-encoder). Each loss is a sum over copies, so every copy
gets exactly its own gradient.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn

from gradfail.conditioning.curves import apply_filter, integrate_twice
from gradfail.validation import require_int

LEARNERS = ("fully connected", "convolution", "conditioned", "auto-encoder")


class FullyConnectedEncoder(nn.Module):
    """§4.1.1: p̂ = Û f, one n×n linear layer, zero-initialised; loss: squared error summed over the n outputs."""

    def __init__(self, copies: int, length: int) -> None:
        super().__init__()
        require_int("copies", copies, minimum=1)
        self.weight = nn.Parameter(torch.zeros(copies, require_int("length", length, minimum=3), length))

    def forward(self, curves: torch.Tensor) -> torch.Tensor:
        """p̂ = Û f for curves (R, B, n), copy r with its own Û."""
        return curves @ self.weight.transpose(1, 2)

    def loss(self, curves: torch.Tensor, encodings: torch.Tensor) -> torch.Tensor:
        """‖p̂ − p‖² summed over the n outputs, averaged over the batch, summed over copies (objective 4)."""
        return (self(curves) - encodings).pow(2).sum(dim=-1).mean(dim=-1).sum()

    def decode(self, curves: torch.Tensor) -> torch.Tensor:
        """W p̂: the curve the predicted encoding describes."""
        return integrate_twice(self(curves))


class ConvolutionEncoder(nn.Module):
    """§4.1.2: p̂_t = wᵀ (f_{t−2}, f_{t−1}, f_t), one 3-tap filter, zero-initialised; loss: mean squared error."""

    def __init__(self, copies: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(require_int("copies", copies, minimum=1), 3))

    @property
    def filter(self) -> torch.Tensor:
        """The 3-tap filter applied to the windows, shape (R, 3): [1, −2, 1] solves the problem exactly."""
        return self.weight

    def forward(self, curves: torch.Tensor) -> torch.Tensor:
        """p̂_t for every position of curves (R, B, n), copy r with its own filter."""
        return apply_filter(curves, self.filter)

    def loss(self, curves: torch.Tensor, encodings: torch.Tensor) -> torch.Tensor:
        """(p̂_t − p_t)² averaged over positions and the batch, summed over copies."""
        return (self(curves) - encodings).pow(2).mean(dim=(-2, -1)).sum()

    def decode(self, curves: torch.Tensor) -> torch.Tensor:
        """W p̂: the curve the predicted encoding describes."""
        return integrate_twice(self(curves))


class ConditionedConvolutionEncoder(ConvolutionEncoder):
    """§4.1.3: the 3-tap filter learned on whitened windows r Ĉ^{−1/2}; the filter applied to the raw windows
    is Ĉ^{−1/2} w̃. `whitening` (R, 3, 3) holds each copy's Ĉ^{−1/2}."""

    def __init__(self, whitening: torch.Tensor) -> None:
        if whitening.dim() != 3 or whitening.shape[1:] != (3, 3):
            raise ValueError(f"whitening must have shape (copies, 3, 3), got {tuple(whitening.shape)}")
        super().__init__(whitening.shape[0])
        self.register_buffer("whitening", whitening.double())

    @property
    def filter(self) -> torch.Tensor:
        """The equivalent filter on raw windows, Ĉ^{−1/2} w̃, shape (R, 3), in float64."""
        return (self.whitening @ self.weight.double().unsqueeze(-1)).squeeze(-1)


def truncated_normal_weights(fan_in: int, fan_out: int, generator: torch.Generator) -> torch.Tensor:
    """A (fan_in, fan_out) weight, normal with std 1/√fan_in truncated at two standard deviations (the scripts')."""
    std = fan_in**-0.5
    weight = torch.empty(fan_in, fan_out)
    return nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std, generator=generator)


class StackedMLP(nn.Module):
    """R independent fully connected ReLU networks of one shape (no ReLU after the last layer), batched; copy r
    draws its weights from generators[r] (truncated normal, std 1/√fan_in) and starts with zero biases."""

    def __init__(self, sizes: Sequence[int], generators: Sequence[torch.Generator]) -> None:
        super().__init__()
        if len(generators) == 0:
            raise ValueError("generators must hold one generator per copy")
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output size, got {list(sizes)}")
        pairs = list(pairwise(sizes))
        per_copy = [[truncated_normal_weights(a, b, g) for a, b in pairs] for g in generators]
        self.weights = nn.ParameterList([torch.stack([copy[i] for copy in per_copy]) for i in range(len(pairs))])
        self.biases = nn.ParameterList([torch.zeros(len(generators), 1, b) for _, b in pairs])

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Outputs (R, B, out) for inputs (R, B, in): copy r maps inputs[r]."""
        hidden = inputs
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            hidden = torch.baddbmm(bias, hidden, weight)
            if i < len(self.weights) - 1:
                hidden = torch.relu(hidden)
        return hidden


class CurveAutoEncoder(nn.Module):
    """§4.1.4: encoder n → 500 → 100 → 2k and decoder 2k → 100 → 100 → n, ReLU everywhere (the code too)
    except the decoder's output; loss: mean squared reconstruction error."""

    def __init__(self, length: int, kinks: int, generators: Sequence[torch.Generator]) -> None:
        super().__init__()
        require_int("length", length, minimum=3)
        code = 2 * require_int("kinks", kinks, minimum=1)
        self.encoder = StackedMLP([length, 500, 100, code], generators)
        self.decoder = StackedMLP([code, 100, 100, length], generators)

    def decode(self, curves: torch.Tensor) -> torch.Tensor:
        """The reconstruction M(N(f))."""
        return self.decoder(torch.relu(self.encoder(curves)))

    def loss(self, curves: torch.Tensor) -> torch.Tensor:
        """Mean squared reconstruction error per copy, summed over copies."""
        return (self.decode(curves) - curves).pow(2).mean(dim=(-2, -1)).sum()
