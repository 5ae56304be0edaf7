"""Lemma 2, Theorem 3 and A.5–A.6 made exact: gradient descent on the population objectives of §4's linear learners.

Under the paper's curve distribution E[p pᵀ] = λ I with λ = k/3n (Lemma 2's assumption holds exactly), so
E[f fᵀ] = λ W Wᵀ and E[f pᵀ] = λ W; under the scripts' distribution E[p pᵀ] = P is another exact matrix
(`moments`), and E[f fᵀ] = W P Wᵀ, E[f pᵀ] = W P. Each linear learner minimises a quadratic ½ E‖θᵀx − y‖²
over θ ∈ R^{d×m};
from θ = 0, gradient descent with step η leaves the error θ_t − θ* = −(I − ηΣ)^t θ*, Σ = E[x xᵀ] (appendix A.5),
so any quadratic error measure of θ_t is a closed form in the eigendecomposition of Σ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

from gradfail.conditioning.curves import (
    double_integration_matrix,
    integrate_twice,
    sample_encodings,
)
from gradfail.conditioning.moments import encoding_moment, kink_variance
from gradfail.validation import require_choice, require_int, require_positive_float

MAX_DOUBLINGS = 200


@dataclass(frozen=True)
class ErrorMetric:
    """A quadratic error of the weights, tr(δᵀ G_in δ G_out) / energy with δ = θ − θ*; 1 at θ = 0."""

    input_metric: torch.Tensor
    output_metric: torch.Tensor
    energy: float

    def __call__(self, offset: torch.Tensor) -> torch.Tensor:
        """The error of weights θ* + `offset`."""
        return (offset * (self.input_metric @ offset @ self.output_metric)).sum() / self.energy


@dataclass(frozen=True)
class PopulationRegression:
    """½ E‖θᵀx − y‖² over θ ∈ R^{d×m}, from Σ = E[x xᵀ] and E[x yᵀ], with named error measures of θ:
    `encoding` (E‖θᵀx − y‖² / E‖y‖², the excess loss) and, when given, `decoded` (the error of the decoded curve)."""

    second_moment: torch.Tensor
    cross_moment: torch.Tensor
    metrics: dict[str, ErrorMetric] = field(hash=False)

    @cached_property
    def optimum(self) -> torch.Tensor:
        """θ* = Σ⁻¹ E[x yᵀ], through the eigendecomposition of Σ."""
        eigenvalues, vectors = self._eigen
        return vectors @ ((vectors.T @ self.cross_moment) / eigenvalues[:, None])

    @cached_property
    def _eigen(self) -> tuple[torch.Tensor, torch.Tensor]:
        eigenvalues, vectors = torch.linalg.eigh(self.second_moment.double())
        if eigenvalues[0] <= 0:
            raise ValueError(f"second_moment must be positive definite, smallest eigenvalue {eigenvalues[0]:.3g}")
        return eigenvalues, vectors

    @property
    def curvatures(self) -> torch.Tensor:
        """The eigenvalues μ_j of Σ, largest first: the curvatures of the objective."""
        return self._eigen[0].flip(0)

    @property
    def condition_number(self) -> float:
        """μ_1 / μ_d: the condition number of the objective."""
        return float(self.curvatures[0] / self.curvatures[-1])

    @property
    def default_lr(self) -> float:
        """η = 1/μ_1, the step of appendix A.5 (stable up to 2/μ_1, so no constant step is more than ~2× faster
        on the slow directions)."""
        return 1 / float(self.curvatures[0])

    def metric(self, name: str) -> ErrorMetric:
        """The error measure called `name` (ValueError naming the known ones otherwise)."""
        return self.metrics[require_choice("metric", name, tuple(self.metrics))]

    @cached_property
    def _mode_couplings(self) -> dict[str, torch.Tensor]:
        """Per metric, Z with error(t) = qᵀ Z q and q_j = (1 − η μ_j)^t (eigenbasis of Σ, ascending)."""
        _, vectors = self._eigen
        rotated = vectors.T @ self.optimum  # row j: v_jᵀθ*
        return {
            name: (vectors.T @ m.input_metric @ vectors) * (rotated @ m.output_metric @ rotated.T).T / m.energy
            for name, m in self.metrics.items()
        }

    def error(self, weights: torch.Tensor, metric: str = "encoding") -> float:
        """The error of given weights θ under `metric`."""
        return float(self.metric(metric)(weights.double() - self.optimum))

    def error_after(self, steps: int, lr: float | None = None, metric: str = "encoding") -> float:
        """The error after `steps` iterations of gradient descent from θ = 0 with step `lr`, in closed form."""
        lr = self.default_lr if lr is None else lr
        self.metric(metric)
        factors = (1 - lr * self._eigen[0]) ** steps
        return float(factors @ self._mode_couplings[metric] @ factors)

    def iterations_to_reach(self, tolerance: float, lr: float | None = None, metric: str = "encoding") -> int:
        """The smallest t with `error_after(t) <= tolerance` (the error falls monotonically for lr ≤ 1/μ_1)."""
        require_positive_float("tolerance", tolerance)
        lr = self.default_lr if lr is None else lr
        if not 0 < lr * float(self.curvatures[0]) <= 1:
            raise ValueError(f"lr must lie in (0, 1/μ_1 = {self.default_lr:.3g}], where the error falls monotonically")
        high = 1
        for _ in range(MAX_DOUBLINGS):
            if self.error_after(high, lr, metric) <= tolerance:
                break
            high *= 2
        else:
            raise ValueError(f"tolerance {tolerance} is not reached within 2^{MAX_DOUBLINGS} iterations")
        low = high // 2
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if self.error_after(middle, lr, metric) <= tolerance else (middle, high)
        return 0 if high == 1 and self.error_after(0, lr, metric) <= tolerance else high

    def gradient_descent(self, steps: int, lr: float | None = None, metric: str = "encoding") -> np.ndarray:
        """Run gradient descent θ ← θ − η (Σθ − E[x yᵀ]) from θ = 0 for `steps` iterations; the error after each
        (shape (steps + 1,)): the literal run that `error_after` predicts."""
        require_int("steps", steps, minimum=0)
        lr = self.default_lr if lr is None else lr
        measure = self.metric(metric)
        weights = torch.zeros_like(self.cross_moment, dtype=torch.float64)
        errors = torch.empty(steps + 1, dtype=torch.float64)
        errors[0] = measure(weights - self.optimum)
        for step in range(1, steps + 1):
            weights = weights - lr * (self.second_moment @ weights - self.cross_moment)
            errors[step] = measure(weights - self.optimum)
        return errors.numpy()


def fully_connected_regression(length: int, kinks: int, distribution: str = "paper") -> PopulationRegression:
    """§4.1.1, objective (4): p̂ = Û f, θ = Ûᵀ; Σ = W P Wᵀ, E[f pᵀ] = W P with P = E[p pᵀ] (λ I for the paper's
    curves). Decoded error: E‖W(p̂ − p)‖² / E‖f‖². Positions that never hold a kink (the scripts' first and last
    three) are left out: gradient descent from zero keeps their outputs at zero and never moves θ off the span
    of the curves, so the problem lives on the positions P covers, with inputs in an orthonormal basis of that span."""
    moment = encoding_moment(length, kinks, distribution)
    support = moment.diagonal() > 0
    inner, w = moment[support][:, support], double_integration_matrix(length)[:, support]
    curves = w @ inner @ w.T
    basis = torch.eye(length, dtype=torch.float64) if bool(support.all()) else torch.linalg.qr(w).Q
    second = basis.T @ curves @ basis
    metrics = {
        "encoding": ErrorMetric(second, torch.eye(len(inner), dtype=torch.float64), float(torch.trace(inner))),
        "decoded": ErrorMetric(second, w.T @ w, float(torch.trace(curves))),
    }
    return PopulationRegression(second, basis.T @ w @ inner, metrics)


def window_moments(curve_moment: torch.Tensor, cross_moment: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """C = mean_t E[r_t r_tᵀ] for the windows r_t = (f_{t−2}, f_{t−1}, f_t) (A.6's matrix) and mean_t E[r_t p_t],
    from E[f fᵀ] and E[f pᵀ]: entry (a, b) sums a diagonal of E[f fᵀ] shifted by 2 − a and 2 − b places."""
    length = curve_moment.shape[0]
    lags = [2 - a for a in range(3)]  # r_t[a] = f_{t − lag}, zero before the curve

    def lagged(i: int, j: int) -> torch.Tensor:  # Σ_t E[f_{t−i} f_{t−j}] over t ≥ max(i, j)
        first = max(i, j)
        return torch.diagonal(curve_moment[first - i : length - i, first - j : length - j]).sum()

    correlation = torch.stack([torch.stack([lagged(i, j) for j in lags]) for i in lags])
    cross = torch.stack([torch.diagonal(cross_moment, offset=i).sum() for i in lags])  # E[f_{t−i} p_t]
    return correlation / length, cross / length


def convolution_regression(length: int, kinks: int, distribution: str = "paper") -> PopulationRegression:
    """§4.1.2 per position: p̂_t = wᵀ r_t; Σ = C, E p_t² = tr P / n. A filter error δ makes p̂ − p = Σ_a δ_a S^{2−a} f,
    so its decoded error is δᵀ G δ / E‖f‖² with G_ab = tr(W S^{2−a} E[f fᵀ] S^{2−b}ᵀ Wᵀ)."""
    moment, w = encoding_moment(length, kinks, distribution), double_integration_matrix(length)
    curves = w @ moment @ w.T
    correlation, cross = window_moments(curves, w @ moment)
    lags, metric = [2 - a for a in range(3)], w.T @ w
    # tr(S^i M S^jᵀ WᵀW) = Σ_{u ≥ i, v ≥ j} M_{u−i, v−j} (WᵀW)_{u,v}: one elementwise product per entry
    gram = torch.stack(
        [torch.stack([(curves[: length - i, : length - j] * metric[i:, j:]).sum() for j in lags]) for i in lags]
    )
    one = torch.ones(1, 1, dtype=torch.float64)
    metrics = {
        "encoding": ErrorMetric(correlation, one, float(torch.trace(moment)) / length),
        "decoded": ErrorMetric(gram, one, float(torch.trace(curves))),
    }
    return PopulationRegression(correlation, cross.unsqueeze(-1), metrics)


def whitened(problem: PopulationRegression, whitening: torch.Tensor) -> PopulationRegression:
    """The same regression on inputs P x (§4.1.3 with P = Ĉ^{−1/2}): θ = P θ̃, so Σ → PΣP, E[x yᵀ] → P E[x yᵀ]
    and every input metric G → P G P."""
    p = whitening.double()
    metrics = {
        name: ErrorMetric(p @ m.input_metric @ p, m.output_metric, m.energy) for name, m in problem.metrics.items()
    }
    return PopulationRegression(p @ problem.second_moment @ p, p @ problem.cross_moment, metrics)


def inverse_square_root(matrix: torch.Tensor) -> torch.Tensor:
    """M^{−1/2} of a symmetric positive definite matrix, from its eigendecomposition (float64)."""
    eigenvalues, vectors = torch.linalg.eigh(matrix.double())
    if eigenvalues[0] <= 0:
        raise ValueError(f"matrix must be positive definite, smallest eigenvalue {eigenvalues[0].item():.3g}")
    return vectors @ torch.diag(eigenvalues.rsqrt()) @ vectors.T


def sampled_window_correlation(curves: torch.Tensor) -> torch.Tensor:
    """Ĉ: the 3×3 correlation of the causal windows of `curves` (..., n), averaged over curves and positions, in
    float64 (the [1, −2, 1] direction is a cancellation between large numbers)."""
    length = curves.shape[-1]
    padded = torch.nn.functional.pad(curves.double(), (2, 0))
    windows = [padded[..., a : a + length] for a in range(3)]
    return torch.stack([torch.stack([(wa * wb).mean() for wb in windows]) for wa in windows])


def expected_sgd_weights(length: int, kinks: int, lr: float, steps: int) -> torch.Tensor:
    """Lemma 2: E Û_t = η λ Wᵀ Σ_{i<t} (I − η λ W Wᵀ)^i for SGD from Û_0 = 0 on objective (4)."""
    require_int("steps", steps, minimum=0)
    variance, w = kink_variance(length, kinks), double_integration_matrix(length)
    contraction = torch.eye(length, dtype=torch.float64) - lr * variance * w @ w.T
    total, power = torch.zeros_like(w), torch.eye(length, dtype=torch.float64)
    for _ in range(steps):
        total, power = total + power, power @ contraction
    return lr * variance * w.T @ total


def sgd_weight_runs(
    length: int, kinks: int, lr: float, steps: int, runs: int, generator: torch.Generator
) -> torch.Tensor:
    """Û_t of `runs` independent SGD runs (shape (runs, n, n), float64) on ½‖Û f − p‖², one fresh curve of the
    paper's distribution per step, from Û_0 = 0: draws of the random matrix whose mean Lemma 2 gives."""
    require_int("runs", runs, minimum=1)
    require_int("steps", steps, minimum=0)
    weights = torch.zeros(runs, length, length, dtype=torch.float64, device=generator.device)
    for _ in range(steps):
        encodings = sample_encodings(runs, length, kinks, generator).double()
        curves = integrate_twice(encodings)
        residuals = (weights @ curves.unsqueeze(-1)).squeeze(-1) - encodings
        weights = weights - lr * residuals.unsqueeze(-1) * curves.unsqueeze(-2)
    return weights


def linear_learner_regressions(
    length: int, kinks: int, whitening_curves: int, generator: torch.Generator
) -> dict[str, PopulationRegression]:
    """The population objectives of §4.1.1–4.1.3 at one n: fully connected, convolution, and the convolution
    whitened by Ĉ^{−1/2}, with Ĉ estimated from `whitening_curves` sampled curves (as the paper does)."""
    require_int("whitening_curves", whitening_curves, minimum=1)
    convolution = convolution_regression(length, kinks)
    curves = integrate_twice(sample_encodings(whitening_curves, length, kinks, generator).double())
    return {
        "fully connected": fully_connected_regression(length, kinks),
        "convolution": convolution,
        "conditioned": whitened(convolution, inverse_square_root(sampled_window_correlation(curves))),
    }
