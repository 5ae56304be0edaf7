"""Straight-line fits of the sweeps (a law is checked by the straightness of log(Var/G²) against r², log d or d), and
where a sweep crosses a level such as a squared unit roundoff."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradfail.validation import require_positive_float


class LineFit(NamedTuple):
    """Least-squares line y ≈ slope·x + intercept and its coefficient of determination R²."""

    slope: float
    intercept: float
    r_squared: float


def fit_line(x: np.ndarray, y: np.ndarray) -> LineFit:
    """Least-squares line through the points (x, y), with R² = 1 − residual / total sum of squares."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"x and y must be 1-D of one length >= 3, got shapes {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite")
    slope, intercept = np.polyfit(x, y, 1)
    residual = np.sum((y - (slope * x + intercept)) ** 2)
    return LineFit(float(slope), float(intercept), float(1 - residual / np.sum((y - y.mean()) ** 2)))


def first_below(x: np.ndarray, y: np.ndarray, level: float) -> float:
    """The x at which the positive series y(x) first falls below `level`, with log y interpolated linearly in x
    between the two points around the crossing (exact for an exponential)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2 or not np.all(y > 0):
        raise ValueError(f"x and y must be 1-D of one length >= 2 with y > 0, got shapes {x.shape} and {y.shape}")
    require_positive_float("level", level)
    below = np.flatnonzero(y < level)
    if len(below) == 0 or below[0] == 0:
        raise ValueError(f"y must start at or above level {level:.3g} and fall below it, got y from {y[0]:.3g}")
    k = below[0]
    fraction = np.log(y[k - 1] / level) / np.log(y[k - 1] / y[k])
    return float(x[k - 1] + fraction * (x[k] - x[k - 1]))
