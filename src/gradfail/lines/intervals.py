"""Confidence intervals for a mean over independent initialisations (Figure 5 and the k-way interaction)."""

from __future__ import annotations

import math

import numpy as np


def student_t_quantile(probability: float, df: int) -> float:
    """The `probability` quantile of Student's t with `df` degrees of freedom, by integrating its density."""
    if not 0.5 <= probability < 1:
        raise ValueError(f"probability must be in [0.5, 1), got {probability!r}")
    if df < 1:
        raise ValueError(f"df must be >= 1, got {df!r}")
    grid = np.linspace(0.0, 1_000.0, 2_000_001)
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    density = np.exp(log_norm - (df + 1) / 2 * np.log1p(grid**2 / df))
    cumulative = 0.5 + np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(grid))])
    return float(np.interp(probability, cumulative, grid))


def mean_confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, lower, upper) over the last axis: the t interval mean ± t·s/√n for independent estimates."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    values = np.asarray(values, dtype=float)
    count = values.shape[-1]
    if count < 2:
        raise ValueError(f"values must hold at least 2 estimates along the last axis, got {count}")
    mean = values.mean(axis=-1)
    half = student_t_quantile((1 + level) / 2, count - 1) * values.std(axis=-1, ddof=1) / math.sqrt(count)
    return mean, mean - half, mean + half
