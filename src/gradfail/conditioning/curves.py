"""Piecewise-linear curves and their encodings (paper §4.1): f = W p, with W double integration and W⁻¹ = U.

A curve f(x) = Σ_i a_i [x − θ_i]_+ with integer kinks θ_i ∈ {0, …, n−1} is read at x = 1, …, n, so that
f = W p exactly, with p_θ = a (the encoding) and W_{i,j} = [i − j + 1]_+. W is the cumulative sum applied
twice (a discrete double integral), so its inverse U is the second difference, the convolution with [1, −2, 1].
"""

from __future__ import annotations

import torch

from gradfail.validation import require_choice, require_int

DISTRIBUTIONS = ("paper", "scripts")  # of integer-kink curves; the auto-encoder's are continuous
SCRIPTS_SLOPES = ((1.0, -1.0, 1.0), (1.0, -2.0, 1.0), (-2.0, 1.0, -1.0), (1.0, -1.0, 2.0))
SECOND_DIFFERENCE = (1.0, -2.0, 1.0)  # the filter of Lemma 1, oldest sample first


def require_curve_shape(length: int, kinks: int) -> None:
    """Refuse n < 3 (no second difference to learn) and k ≥ n (more kinks than grid points)."""
    require_int("length", length, minimum=3)
    require_int("kinks", kinks, minimum=1, maximum=length - 1)


def double_integration_matrix(length: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """W ∈ R^{n×n} with W_{i,j} = [i − j + 1]_+ (paper §4.1.1): f = W p."""
    require_int("length", length, minimum=1)
    index = torch.arange(length)
    return (index[:, None] - index[None, :] + 1).clamp(min=0).to(dtype)


def second_difference_matrix(length: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """U with U_{i,i} = U_{i+2,i} = 1 and U_{i+1,i} = −2 (Lemma 1): the claimed inverse of W."""
    require_int("length", length, minimum=1)
    return sum(
        value * torch.diag(torch.ones(length - shift, dtype=dtype), -shift)
        for shift, value in ((0, 1), (1, -2), (2, 1))
        if shift < length
    )


def integrate_twice(encodings: torch.Tensor) -> torch.Tensor:
    """W p along the last axis, as two cumulative sums: the curve a (possibly predicted) encoding decodes to."""
    return encodings.cumsum(dim=-1).cumsum(dim=-1)


def apply_filter(curves: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """p̂_t = Σ_a w_a f_{t−2+a}: the window (f_{t−2}, f_{t−1}, f_t) of each position (a row of the paper's Vec2Row,
    with zeros before the curve, f(0) = f(−1) = 0 for kinks θ ≥ 0) times a 3-tap filter, so that [1, −2, 1] gives
    p_t exactly. Curves (R, ..., n) with taps (R, 3), or taps (3,) for every curve."""
    padded = torch.nn.functional.pad(curves, (2, 0))
    taps = taps.to(curves.dtype).reshape(*taps.shape[:-1], *[1] * (curves.dim() - taps.dim() + 1), 3)
    return taps[..., 0] * padded[..., :-2] + taps[..., 1] * padded[..., 1:-1] + taps[..., 2] * padded[..., 2:]


def second_difference(curves: torch.Tensor) -> torch.Tensor:
    """U f along the last axis: the convolution of the zero-padded curve with [1, −2, 1] (Lemma 1)."""
    return apply_filter(curves, torch.tensor(SECOND_DIFFERENCE))


def sample_encodings(
    count: int, length: int, kinks: int, generator: torch.Generator, distribution: str = "paper"
) -> torch.Tensor:
    """`count` encodings p ∈ R^n (shape (count, n)) of random curves with k integer kinks.

    paper: θ uniform without replacement on {0, …, n−1}, a_i ~ U[−1, 1] (§4.1), so E[p pᵀ] = (k / 3n) I.
    scripts (the authors' code, k = 3): θ = 3 + three distinct sorted values of {0, …, n−7}; the slopes after the
    three kinks are one of SCRIPTS_SLOPES (the first piece is flat) and a = their successive differences.
    """
    require_int("count", count, minimum=1)
    require_curve_shape(length, kinks)
    require_choice("distribution", distribution, DISTRIBUTIONS)
    device = generator.device
    if distribution == "paper":
        positions = torch.rand(count, length, generator=generator, device=device).argsort(dim=-1)[:, :kinks]
        changes = 2 * torch.rand(count, kinks, generator=generator, device=device) - 1
    else:
        require_int("kinks", kinks, minimum=3, maximum=3)
        require_int("length", length, minimum=9)
        keys = torch.rand(count, length - 6, generator=generator, device=device)
        positions = 3 + keys.argsort(dim=-1)[:, :kinks].sort(dim=-1).values
        choice = torch.randint(0, len(SCRIPTS_SLOPES), (count,), generator=generator, device=device)
        slopes = torch.tensor(SCRIPTS_SLOPES, device=device)[choice]
        changes = torch.diff(slopes, dim=-1, prepend=torch.zeros(count, 1, device=device))
    return torch.zeros(count, length, device=device).scatter_(-1, positions, changes)


def sample_continuous_curves(
    count: int, length: int, kinks: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Curves of the auto-encoder experiment (§4.1.4): θ_i ~ U[0, n) continuous, a_i ~ U[−1, 1], read at
    x = 1, …, n. Returns the curves (count, n) and their kinks θ (count, k)."""
    require_int("count", count, minimum=1)
    require_curve_shape(length, kinks)
    device = generator.device
    kinks_at = length * torch.rand(count, kinks, generator=generator, device=device)
    changes = 2 * torch.rand(count, kinks, generator=generator, device=device) - 1
    grid = torch.arange(1, length + 1, device=device, dtype=kinks_at.dtype)
    ramps = (grid[None, None, :] - kinks_at[..., None]).clamp(min=0)
    return (changes[..., None] * ramps).sum(dim=-2), kinks_at
