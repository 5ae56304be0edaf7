"""Figures of the flat-activations chapter: Figure 7's fits against r, and A.7's error against T."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes

from gradfail.flat.experiment import key
from gradfail.flat.target import smooth_staircase
from gradfail.plotting import color
from gradfail.results import Results


def plot_learner_fit(ax: Axes, results: Results, learner: str, window: tuple[float, float]) -> Axes:
    """Figure 7: a learner's test predictions (red dots) and the label u(r) (green, dashed) against
    r = v*ᵀx + b*, for r inside `window`; for the non-flat learner also its ũ(r) (magenta, dashed)."""
    low, high = window
    if not low < high:
        raise ValueError(f"window must be (low, high) with low < high, got {window!r}")
    r, labels = results["test_pre_activation"], results["test_label"]
    shown = (r >= low) & (r <= high)
    order = np.argsort(r[shown])
    ax.plot(r[shown][order], labels[shown][order], "--", color=color(2), linewidth=1.5, label="label $u(r)$")
    if learner == "non-flat":
        grid = torch.linspace(low, high, 800, dtype=torch.float64)
        steps = torch.as_tensor(results["steps_of_u"], dtype=torch.float64)
        smooth = smooth_staircase(grid, steps, results.settings["sharpness"]).numpy()
        ax.plot(grid.numpy(), smooth, "--", color=color(3), linewidth=1.2, label=r"$\tilde u(r)$")
    prediction = results[key(learner, "prediction")][shown]
    ax.plot(r[shown], prediction, ".", color=color(1), markersize=2, alpha=0.5, label="prediction")
    ax.set(xlim=window, xlabel="$r = v^{*T}x + b^*$", title=learner)
    ax.locator_params(axis="x", nbins=4)
    return ax


def plot_rate(ax: Axes, iterations: Sequence[int], mean_errors: Sequence[float], bounds: Sequence[float]) -> Axes:
    """A.7: the mean error over T forward-only steps against T (log-log), with the bound L G √D/√T."""
    if not len(iterations) == len(mean_errors) == len(bounds):
        raise ValueError("iterations, mean_errors and bounds must have one length")
    ax.loglog(iterations, bounds, "--", color="0.3", label=r"bound $LG\sqrt{D}/\sqrt{T}$")
    ax.loglog(iterations, mean_errors, "o-", color=color(0), label="measured")
    ax.set(xlabel="iterations $T$", ylabel="mean error over the $T$ steps")
    ax.legend()
    return ax
