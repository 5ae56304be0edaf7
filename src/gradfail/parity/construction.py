"""Lemma 3 (paper appendix B): an explicit one-hidden-layer ReLU network that computes any parity exactly."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gradfail.parity.data import all_inputs, all_supports, parity_labels, random_support
from gradfail.seeding import derived_seed, generator
from gradfail.validation import require_int


def lemma3_width(dim: int) -> int:
    """Hidden units the construction uses: a triad per even count 0, 2, …, 2⌊d/2⌋, i.e. 3(⌊d/2⌋ + 1)."""
    require_int("dim", dim, minimum=1)
    return 3 * (dim // 2 + 1)


def lemma3_network(support: torch.Tensor, width: int | None = None) -> nn.Sequential:
    """The network of Lemma 3 for the parity over `support` (bool mask), on inputs x ∈ {±1}^d.

    With s(x) = #{j ∈ S : x_j = −1}, triad i adds relu(s − 2i + ½) − 2 relu(s − 2i) + relu(s − 2i − ½),
    which is ½ when s = 2i and 0 at every other integer; 4 × (sum of triads) − 1 is then (−1)^s = y.
    Units beyond `lemma3_width(d)` (default: none) get zero weights, to fit a wider network of §2.1's shape.
    """
    if support.dtype != torch.bool or support.dim() != 1:
        raise ValueError(f"support must be a 1-D bool mask, got dtype {support.dtype} and shape {tuple(support.shape)}")
    dim = support.numel()
    needed = lemma3_width(dim)
    width = needed if width is None else require_int("width", width, minimum=needed)
    hidden, output = nn.Linear(dim, width), nn.Linear(width, 1)
    offsets = torch.tensor([-0.5, 0.0, 0.5], dtype=torch.float64)
    centres = 2 * torch.arange(dim // 2 + 1, dtype=torch.float64)
    with torch.no_grad():
        hidden.weight.zero_()
        hidden.bias.zero_()
        output.weight.zero_()
        # s(x) = |S|/2 − ½ Σ_{j∈S} x_j, so unit (i, offset) computes s(x) − 2i − offset.
        hidden.weight[:needed] = torch.where(support, -0.5, 0.0)
        hidden.bias[:needed] = (support.sum() / 2 - (centres[:, None] + offsets)).reshape(-1).float()
        output.weight[0, :needed] = 4 * torch.tensor([1.0, -2.0, 1.0]).repeat(dim // 2 + 1)
        output.bias.fill_(-1.0)
    return nn.Sequential(hidden, nn.ReLU(), output)


def lemma3_exactness(dims: Sequence[int], *, seed: int = 0, all_up_to: int = 8) -> dict[int, bool]:
    """Whether Lemma 3's network (placed in a width-10d network) computes the parity exactly on all 2^d inputs:
    for every parity when d ≤ `all_up_to`, for one random parity above; d → verdict."""
    exact = {}
    for d in dims:
        supports = all_supports(d) if d <= all_up_to else random_support(d, generator(derived_seed(seed, d)))[None]
        inputs = all_inputs(d, torch.float32)
        exact[d] = all(
            torch.equal(lemma3_network(s, width=10 * d)(inputs).squeeze(-1), parity_labels(inputs, s)) for s in supports
        )
    return exact
