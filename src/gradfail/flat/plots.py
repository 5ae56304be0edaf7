"""Figures of the flat-activations chapter: Figure 7's fits against r, the learners' test-error and gradient
curves, and A.7's error against T."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes

from gradfail.flat.experiment import key
from gradfail.flat.learners import LEARNERS
from gradfail.flat.plateau import FLAT_GRADIENT, gradient_over_eps, is_stuck
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


def plot_learning_curves(ax: Axes, results: Results) -> Axes:
    """Each learner's test squared error against the iteration (log scale), and the forward-only rule trained
    with plain SGD (dashed)."""
    for index, learner in enumerate(LEARNERS):
        ax.semilogy(results[key(learner, "steps")], results[key(learner, "mse")], color=color(index), label=learner)
    fo = LEARNERS.index("forward-only")
    steps, sgd = results[key("forward-only", "steps")], results[key("forward-only", "sgd_mse")]
    ax.semilogy(steps, sgd, "--", color=color(fo), label="forward-only, plain SGD")
    ax.set(xlabel="iteration", ylabel="test squared error")
    ax.legend()
    return ax


def plot_plateau_gradients(ax: Axes, runs: Sequence[Results]) -> Axes:
    """The non-flat learner's largest gradient coordinate, in units of Adam's ε, along each run: solid where it
    ends stuck on a plateau, dotted where it learns; with the line at ε and the bar for 'far below ε'."""
    if not runs:
        raise ValueError("runs must hold at least one results file")
    for run in runs:
        stuck = is_stuck(run)
        ax.semilogy(
            run[key("non-flat", "steps")],
            gradient_over_eps(run),
            "-" if stuck else ":",
            color=color(1 if stuck else 0),
            label=f"seed {run.provenance.get('seed', '?')}, {'stuck' if stuck else 'learns'}",
        )
    ax.axhline(1.0, color="0.3", linewidth=1)
    ax.axhline(FLAT_GRADIENT, color="0.3", linewidth=1, linestyle="--")
    ax.set(xlabel="iteration", ylabel="largest gradient coordinate / ε")
    ax.legend(fontsize="small")
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
