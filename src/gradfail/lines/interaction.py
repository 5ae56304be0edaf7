"""Why end-to-end's signal collapses (§3.1, Figure 5): the k-way interaction of the gradient, predicted from weak
per-image correlations.

E[y_j] = 0 and the k images are independent, so E[ỹ F] keeps only the part of F that depends on every image.
The end-to-end gradient is ĝ = −ỹ Σ_i σ'(s_i) h_i ∂f/∂u_i (inside the hinge's margin), with u_j = σ(s_j) and
f = vᵀ ReLU(Wᵀu + b) the head N2, so it depends on the other images only through their u_j. If the label only
shifts u's distribution by ρ = E[y u] (a weak correlation), E[y_j g(u_j)] ≈ ρ E[g'(u_j)], and

    E ĝ ≈ −ρ^{k−1} E[y σ'(s) κ_k(u) h],  κ_k(u) = Σ_i Σ_r v_r W_ir Π_{j≠i} W_jr Λ_ri(W_ir u + b_r),

with Λ_ri(t) = d^{k−1}/dt^{k−1} P(t + Σ_{j≠i} W_jr u_j > 0) over independent u_j (a kernel estimate). For k = 1
this is exact (up to the grid on which κ is tabulated): κ_1(u) = Σ_r v_r W_1r 1[W_1r u + b_r > 0].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from numpy.polynomial import hermite_e

from gradfail.validation import require_int

COMBINATIONS = 1_024  # draws of the other images' u_j for the kernel estimate of Λ
GRID = 41  # points of the u grid on which κ_k is tabulated
POWERS = 6  # ρ^{2(k−1)} up to k = 4


def hermite_derivative(x: torch.Tensor, order: int) -> torch.Tensor:
    """The `order`-th derivative of the standard normal density at x: (−1)^n He_n(x) φ(x)."""
    require_int("order", order, minimum=0)
    coefficients = np.zeros(order + 1)
    coefficients[order] = (-1) ** order
    polynomial = torch.zeros_like(x)
    for power, c in enumerate(hermite_e.herme2poly(coefficients)):
        polynomial = polynomial + c * x**power
    return polynomial * torch.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)


def interaction_kernel(
    weight: torch.Tensor,
    bias: torch.Tensor,
    output: torch.Tensor,
    pool: torch.Tensor,
    grid: torch.Tensor,
    generator: torch.Generator,
) -> torch.Tensor:
    """κ_k on `grid` for one head: weight (k, R), bias (R,), output (R,), `pool` samples of u (the marginal).

    Λ_ri is the (k−1)-th derivative in t of a Gaussian-kernel estimate of P(t + S > 0), S = Σ_{j≠i} W_jr u_j over
    independent draws from the pool, with Silverman's bandwidth for each unit."""
    k = weight.shape[0]
    t = weight.unsqueeze(-1) * grid + bias.unsqueeze(-1)  # (k, R, G)
    if k == 1:
        return (output.unsqueeze(-1) * weight[0].unsqueeze(-1) * (t[0] > 0)).sum(dim=0)
    draws = pool[torch.randint(len(pool), (COMBINATIONS, k), generator=generator)]  # (Q, k)
    kappa = torch.zeros_like(grid)
    for i in range(k):
        others = [j for j in range(k) if j != i]
        sums = draws[:, others] @ weight[others]  # (Q, R)
        width = 1.06 * sums.std(dim=0).clamp_min(1e-12) * COMBINATIONS ** (-1 / 5)  # (R,)
        scaled = (t[i].unsqueeze(0) + sums.unsqueeze(-1)) / width.unsqueeze(-1)  # (Q, R, G)
        derivative = hermite_derivative(scaled, k - 2).mean(dim=0) / width.unsqueeze(-1) ** (k - 1)  # (R, G)
        factor = output * weight[i] * weight[others].prod(dim=0)  # (R,)
        kappa += (factor.unsqueeze(-1) * derivative).sum(dim=0)
    return kappa


def elementary_mean(power_sums: torch.Tensor, count: int, order: int) -> torch.Tensor:
    """The unbiased estimate of μ^order from the power sums p_1..p_n of `count` independent draws: the elementary
    symmetric polynomial e_order (Newton's identities) over C(count, order)."""
    elementary = [torch.ones_like(power_sums[..., 0])]
    for j in range(1, order + 1):
        terms = [(-1) ** (i - 1) * elementary[j - i] * power_sums[..., i - 1] for i in range(1, j + 1)]
        elementary.append(sum(terms) / j)
    return elementary[order] / math.comb(count, order)


@dataclass
class InteractionMoments:
    """Running sums over images for the prediction, per network: the power sums of z = y(u − u')/2 (half A of the
    images), of u (all images and mirror images), and the mirror-pair vectors y(A(x) − A(x'))/2, A = σ'(s)κ_k(u)h,
    summed over two quarters B1, B2 (one row per k)."""

    z_powers: torch.Tensor  # (M, POWERS)
    z_count: int
    u_sums: torch.Tensor  # (M, 2): Σ u, Σ u²
    u_count: int
    quarter_sums: torch.Tensor  # (ks, 2, M, dim)
    quarter_count: int

    @classmethod
    def zeros(cls, count: int, ks: int, dim: int, device: torch.device) -> InteractionMoments:
        """Empty sums for `count` networks, `ks` tuple lengths, features of dimension `dim`."""
        z = dict(dtype=torch.float64, device=device)
        return cls(
            torch.zeros(count, POWERS, **z), 0, torch.zeros(count, 2, **z), 0, torch.zeros(ks, 2, count, dim, **z), 0
        )

    def add(
        self,
        scores: torch.Tensor,
        mirrored_scores: torch.Tensor,
        features: torch.Tensor,
        mirrored_features: torch.Tensor,
        labels: torch.Tensor,
        kernels: list[tuple[torch.Tensor, torch.Tensor]],
    ) -> None:
        """Add N images per network: scores (M, N), features (M, N, dim), labels (M, N), N a multiple of 4;
        kernels[k] = (grid (G,), κ_k (M, G)) per tuple length."""
        u, mirrored_u = torch.sigmoid(scores), torch.sigmoid(mirrored_scores)
        z = labels * (u - mirrored_u) / 2
        half = z[:, 0::2]
        self.z_powers += torch.stack([half.pow(p).sum(dim=1) for p in range(1, POWERS + 1)], dim=1)
        self.z_count += half.shape[1]
        both = torch.cat([u, mirrored_u], dim=1)
        self.u_sums += torch.stack([both.sum(dim=1), both.pow(2).sum(dim=1)], dim=1)
        self.u_count += both.shape[1]
        for row, (grid, kappa) in enumerate(kernels):
            pairs = (
                labels.unsqueeze(-1)
                * (image_term(u, features, grid, kappa) - image_term(mirrored_u, mirrored_features, grid, kappa))
                / 2
            )
            self.quarter_sums[row, 0] += pairs[:, 1::4].sum(dim=1)
            self.quarter_sums[row, 1] += pairs[:, 3::4].sum(dim=1)
        self.quarter_count += labels[:, 1::4].shape[1]

    def correlation(self) -> torch.Tensor:
        """corr(y, u) = E[y u] / sd(u) per network, from the mirror pairs of half A."""
        mean = self.u_sums[:, 0] / self.u_count
        spread = (self.u_sums[:, 1] / self.u_count - mean**2).sqrt()
        return self.z_powers[:, 0] / self.z_count / spread

    def predicted_signal(self, ks: tuple[int, ...]) -> torch.Tensor:
        """‖E ĝ‖² ≈ ρ^{2(k−1)} ‖E[y σ'(s) κ_k(u) h]‖² per (k, network): each factor estimated without bias, from
        disjoint images."""
        rows = []
        for row, k in enumerate(ks):
            power = elementary_mean(self.z_powers, self.z_count, 2 * (k - 1))
            first, second = self.quarter_sums[row] / self.quarter_count
            rows.append(power * (first * second).sum(dim=-1))
        return torch.stack(rows)


def image_term(u: torch.Tensor, features: torch.Tensor, grid: torch.Tensor, kappa: torch.Tensor) -> torch.Tensor:
    """A(x) = σ'(s) κ_k(u) h for u = σ(s) (M, N) and features h (M, N, dim), κ_k tabulated on `grid` (M, G)."""
    table = torch.stack([interpolate(u[m], grid, kappa[m]) for m in range(len(u))])
    return (u * (1 - u) * table).unsqueeze(-1) * features


def interpolate(x: torch.Tensor, grid: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear interpolation of `values` on the increasing `grid` at x, constant beyond its ends."""
    x = x.clamp(grid[0], grid[-1])
    right = torch.searchsorted(grid, x).clamp(1, len(grid) - 1)
    left = right - 1
    weight = (x - grid[left]) / (grid[right] - grid[left])
    return values[left] + weight * (values[right] - values[left])
