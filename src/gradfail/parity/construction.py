"""Lemma 3 (paper appendix B): an explicit one-hidden-layer ReLU network that computes any parity exactly."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gradfail.parity.data import all_inputs, all_supports, parity_labels, random_support
from gradfail.seeding import derived_seed, generator
from gradfail.validation import require_choice, require_int

TRIADS = ("book", "printed", "odd")  # tents at the even counts 0, 2, …; as printed (from 2); at the odd counts


def triad_centres(dim: int, triads: str = "book") -> torch.Tensor:
    """The counts s at which the triads put their tents: "book" 0, 2, …, 2⌊d/2⌋; "printed" (appendix B as printed,
    i ∈ [d/2]) 2, 4, …, 2⌊d/2⌋; "odd" 1, 3, …, 2⌈d/2⌉ − 1."""
    require_int("dim", dim, minimum=1)
    first, last = {"book": (0, dim // 2), "printed": (1, dim // 2), "odd": (0, (dim + 1) // 2 - 1)}[
        require_choice("triads", triads, TRIADS)
    ]
    return 2 * torch.arange(first, last + 1, dtype=torch.float64) + (triads == "odd")


def lemma3_width(dim: int, triads: str = "book") -> int:
    """Hidden units the construction uses, three per tent: 3(⌊d/2⌋ + 1) for the book's triads."""
    return 3 * len(triad_centres(dim, triads))


def lemma3_network(support: torch.Tensor, width: int | None = None, triads: str = "book") -> nn.Sequential:
    """The network of Lemma 3 for the parity over `support` (bool mask), on inputs x ∈ {±1}^d.

    With s(x) = #{j ∈ S : x_j = −1}, the triad at c adds relu(s − c + ½) − 2 relu(s − c) + relu(s − c − ½), which
    is ½ when s = c and 0 at every other integer; with tents at the even counts 4 × (sum of triads) − 1 is (−1)^s = y,
    with tents at the odd counts 1 − 4 × (sum). `triads="printed"` omits the tent at s = 0, as appendix B does.
    Units beyond `lemma3_width(d)` (default: none) get zero weights, to fit a wider network of §2.1's shape.
    """
    if support.dtype != torch.bool or support.dim() != 1:
        raise ValueError(f"support must be a 1-D bool mask, got dtype {support.dtype} and shape {tuple(support.shape)}")
    dim = support.numel()
    centres = triad_centres(dim, triads)
    needed = 3 * len(centres)
    width = needed if width is None else require_int("width", width, minimum=needed)
    sign = -1.0 if triads == "odd" else 1.0
    hidden, output = nn.Linear(dim, width), nn.Linear(width, 1)
    offsets = torch.tensor([-0.5, 0.0, 0.5], dtype=torch.float64)
    with torch.no_grad():
        hidden.weight.zero_()
        hidden.bias.zero_()
        output.weight.zero_()
        # s(x) = |S|/2 − ½ Σ_{j∈S} x_j, so unit (c, offset) computes s(x) − c − offset.
        hidden.weight[:needed] = torch.where(support, -0.5, 0.0)
        hidden.bias[:needed] = (support.sum() / 2 - (centres[:, None] + offsets)).reshape(-1).float()
        output.weight[0, :needed] = sign * 4 * torch.tensor([1.0, -2.0, 1.0]).repeat(len(centres))
        output.bias.fill_(-sign)
    return nn.Sequential(hidden, nn.ReLU(), output)


def lemma3_printed_errors(dims: Sequence[int], *, seed: int = 0) -> dict[int, tuple[int, int]]:
    """Appendix B's construction as printed, on all 2^d inputs for one random parity per d: d → (inputs it gets
    wrong, of which how many are not inputs with s(x) = 0, i.e. x_j = +1 on all of S)."""
    errors = {}
    for d in dims:
        support = random_support(d, generator(derived_seed(seed, d)))
        inputs = all_inputs(d, torch.float32)
        wrong = lemma3_network(support, triads="printed")(inputs).squeeze(-1) != parity_labels(inputs, support)
        at_zero = (inputs[:, support] > 0).all(dim=1)
        errors[d] = (int(wrong.sum()), int((wrong & ~at_zero).sum() + (at_zero & ~wrong).sum()))
    return errors


def lemma3_exactness(
    dims: Sequence[int], *, seed: int = 0, all_up_to: int = 8, triads: str = "book"
) -> dict[int, bool]:
    """Whether Lemma 3's network (placed in a width-10d network) computes the parity exactly on all 2^d inputs:
    for every parity when d ≤ `all_up_to`, for one random parity above; d → verdict."""
    exact = {}
    for d in dims:
        supports = all_supports(d) if d <= all_up_to else random_support(d, generator(derived_seed(seed, d)))[None]
        inputs = all_inputs(d, torch.float32)
        exact[d] = all(
            torch.equal(lemma3_network(s, width=10 * d, triads=triads)(inputs).squeeze(-1), parity_labels(inputs, s))
            for s in supports
        )
    return exact
