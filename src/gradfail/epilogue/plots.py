"""Figures of the epilogue: steps to learn sparse parities against n, hidden progress, intermediate supervision."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from gradfail.epilogue.intermediate import APPROACHES
from gradfail.epilogue.sparse import FULL, fitted_exponent, steps_to_solve
from gradfail.plotting import color
from gradfail.results import Results

APPROACH_COLORS = {"end-to-end": color(1), "decomposition": color(0)}


def plot_steps_to_solve(ax: Axes, results: Results) -> Axes:
    """SGD steps until test accuracy ≥ 0.99 against n (log-log), one colour per k, with the fitted power law
    (every run of a k must be solved)."""
    steps = steps_to_solve(results)
    for i, k in enumerate(size for size in np.unique(results["sizes"]) if size != FULL):
        runs = results["sizes"] == k
        dims = results["dims"][runs]
        exponent = fitted_exponent(results, int(k))
        ax.loglog(dims, steps[runs], "o", color=color(i), label=f"k = {k}: steps $\\propto n^{{{exponent:.2f}}}$")
        grid = np.array([dims.min(), dims.max()])
        intercept = np.mean(np.log(steps[runs]) - exponent * np.log(dims))
        ax.loglog(grid, np.exp(intercept) * grid**exponent, "-", color=color(i), alpha=0.6)
    ax.set(xlabel="input dimension $n$", ylabel="SGD steps to 0.99 test accuracy")
    ax.legend()
    return ax


def plot_hidden_progress(axes: Sequence[Axes], results: Results, dim: int, size: int) -> Sequence[Axes]:
    """Accuracy, support share and degree-k coefficient z against steps for the runs with (n, k) = (dim, size)."""
    runs = np.flatnonzero((results["dims"] == dim) & (results["sizes"] == size))
    if len(runs) == 0 or len(axes) != 3:
        raise ValueError(f"need three axes and runs with n = {dim}, k = {size}")
    labels = ("test accuracy", "weight share on S / chance", "|z| of the degree-k coefficient")
    for ax, metric, label in zip(axes, ("accuracy", "support_share", "coefficient_z"), labels, strict=True):
        for j, run in enumerate(runs):
            ax.plot(
                results["steps"],
                results[metric][:, run],
                color=color(j),
                label=f"replicate {results['replicates'][run]}",
            )
        ax.set(ylabel=label)
    axes[2].axhline(3, color="0.4", linestyle=":", linewidth=1)
    axes[2].set_yscale("log")
    axes[-1].set(xlabel="SGD steps")
    axes[0].legend()
    return axes


def plot_intermediate(axes: Sequence[Axes], results: Results) -> Sequence[Axes]:
    """Accuracy on the final parity against steps, one panel per n, both approaches, one line per seed."""
    lengths = np.unique(results["lengths"])
    if len(axes) != len(lengths):
        raise ValueError(f"axes must hold one panel per n ({len(lengths)}), got {len(axes)}")
    for ax, n in zip(axes, lengths, strict=True):
        for approach in APPROACHES:
            runs = np.flatnonzero((results["lengths"] == n) & (results["approaches"] == approach))
            for j, run in enumerate(runs):
                ax.plot(
                    results["steps"],
                    results["accuracy"][:, run],
                    color=APPROACH_COLORS[approach],
                    alpha=1.0 if j == 0 else 0.55,
                    label=approach if j == 0 else None,
                )
        ax.set(title=f"n = {n}", xlabel="Adam steps", ylim=(0.35, 1.03))
    axes[0].set_ylabel("accuracy on the final parity")
    axes[0].legend(loc="center right")
    return axes
