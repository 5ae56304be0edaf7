"""Theorem 3 and A.6 in numbers: condition numbers of W and of the 3×3 window correlation C, against n.

W = D⁻² with D the first-difference matrix (I minus the shift), so W is a discrete double integral. Its largest
singular value grows like n² (the integral of a smooth input) and its smallest tends to 1/4 (1/‖D²‖, the
second difference of an alternating input): S²_{1,1}/S²_{n,n} grows like n⁴.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from gradfail.conditioning.curves import double_integration_matrix
from gradfail.validation import require_int


def singular_values(matrix: torch.Tensor) -> torch.Tensor:
    """The singular values of `matrix`, largest first, in float64."""
    return torch.linalg.svdvals(matrix.double())


def eigenvalue_condition_number(matrix: torch.Tensor) -> float:
    """λ_1 / λ_d of a symmetric positive definite matrix (A.6's quantity for C)."""
    eigenvalues = torch.linalg.eigvalsh(matrix.double())
    if eigenvalues[0] <= 0:
        raise ValueError(f"matrix must be positive definite, smallest eigenvalue {eigenvalues[0].item():.3g}")
    return float(eigenvalues[-1] / eigenvalues[0])


def double_integration_bounds(length: int) -> tuple[float, float]:
    """Bounds on S²_{1,1}/S²_{n,n} of W from two test vectors and ‖D⁻¹‖:
    (n+1)²(n+2)²/6 ≤ κ ≤ 1/sin⁴(π/(4n+2)), both of order n⁴."""
    require_int("length", length, minimum=1)
    lower = (length + 1) ** 2 * (length + 2) ** 2 / 6
    return lower, 1 / math.sin(math.pi / (4 * length + 2)) ** 4


def beam_constant() -> float:
    """1/β₁², β₁ the first root of cos β cosh β = −1 (the clamped-free beam): the limit of S_{1,1}(W)/n²."""
    beta = 1.875
    for _ in range(30):  # Newton's method on cos β cosh β + 1
        value = math.cos(beta) * math.cosh(beta) + 1
        slope = math.cos(beta) * math.sinh(beta) - math.sin(beta) * math.cosh(beta)
        beta -= value / slope
    return 1 / beta**2


def double_integration_spectrum(sizes: Sequence[int]) -> dict[str, np.ndarray]:
    """For each n: S_{1,1} and S_{n,n} of W and S²_{1,1}/S²_{n,n} (keys `largest`, `smallest`, `condition`)."""
    largest, smallest = [], []
    for i, size in enumerate(sizes):
        singular = singular_values(double_integration_matrix(require_int(f"sizes[{i}]", size, minimum=1)))
        largest.append(float(singular[0]))
        smallest.append(float(singular[-1]))
    largest_a, smallest_a = np.array(largest), np.array(smallest)
    return {"largest": largest_a, "smallest": smallest_a, "condition": (largest_a / smallest_a) ** 2}


def fitted_exponent(sizes: Sequence[int], values: Sequence[float]) -> float:
    """The slope b of the least-squares line log(value) = a + b log(n): values grow like n^b."""
    if len(sizes) != len(values) or len(sizes) < 2:
        raise ValueError(f"need at least two (n, value) pairs of one length, got {len(sizes)} and {len(values)}")
    return float(np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(values, float)), 1)[0])
