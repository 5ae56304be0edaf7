"""Random parities (paper §2.1): inputs uniform on {±1}^d, label = product of x over a hidden subset S."""

from __future__ import annotations

import torch

from gradfail.validation import require_int

MAX_ENUMERATED_DIM = 24


def random_support(dim: int, generator: torch.Generator) -> torch.Tensor:
    """A uniformly random subset S ⊆ [dim] as a bool mask: each coordinate is in S with probability 1/2 (v* of §2.1)."""
    require_int("dim", dim, minimum=1)
    return torch.rand(dim, generator=generator, device=generator.device) < 0.5


def parity_labels(inputs: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """y = Π_{j∈S} x_j for x ∈ {±1}^d, i.e. (−1)^⟨b, v*⟩ in the paper's {0,1} notation (b = (1 − x)/2)."""
    if support.dtype != torch.bool or support.shape[-1] != inputs.shape[-1]:
        raise ValueError(
            f"support must be a bool mask over the last input dimension ({inputs.shape[-1]}), "
            f"got dtype {support.dtype} and shape {tuple(support.shape)}"
        )
    return torch.where(support, inputs, torch.ones_like(inputs)).prod(dim=-1)


def random_signs(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """A tensor of independent uniform ±1 entries (float32) on the generator's device."""
    bits = torch.randint(0, 2, shape, generator=generator, device=generator.device)
    return (1 - 2 * bits).float()


def all_inputs(dim: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """All 2^dim points of {±1}^dim; row i has x_j = −1 exactly where bit j of i is set (Walsh–Hadamard order)."""
    require_int("dim", dim, minimum=1, maximum=MAX_ENUMERATED_DIM)
    bits = (torch.arange(2**dim).unsqueeze(1) >> torch.arange(dim)) & 1
    return (1 - 2 * bits).to(dtype)


def all_supports(dim: int) -> torch.Tensor:
    """All 2^dim subsets of [dim] as bool masks, in the same order as `all_inputs` (row v ↔ bits of v)."""
    return all_inputs(dim) < 0
