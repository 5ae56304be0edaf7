"""Figures of the parities chapter: Figure 1's accuracy curves and Theorem 1's variance against d."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from gradfail.parity.theory import GradientVariance
from gradfail.plotting import color
from gradfail.results import Results
from gradfail.validation import require_choice


def plot_parity_accuracy(ax: Axes, results: Results) -> Axes:
    """Figure 1: test accuracy against training iterations, one colour per d, one line per replicate."""
    steps, dims = results["steps"], results["dims"]
    for i, d in enumerate(np.unique(dims)):
        for j, run in enumerate(np.flatnonzero(dims == d)):
            ax.plot(
                steps,
                results["accuracy"][:, run],
                color=color(i),
                alpha=1.0 if j == 0 else 0.55,
                label=f"d = {d}" if j == 0 else None,
            )
    ax.axhline(0.5, color="0.4", linestyle=":", linewidth=1)
    ax.set(xlabel="training iterations", ylabel="test accuracy", ylim=(0.35, 1.03))
    ax.legend(loc="center right")
    return ax


def plot_gradient_variance(ax: Axes, variances: Sequence[GradientVariance], loss: str) -> Axes:
    """Theorem 1: the exact Var(H, F, w) for `loss` ('square' or 'hinge') and the bound G²/2^d, against d."""
    require_choice("loss", loss, ("square", "hinge"))
    dims = [v.dim for v in variances]
    measured = [v.square_variance if loss == "square" else v.hinge_variance for v in variances]
    ax.semilogy(dims, [v.bound for v in variances], color="0.3", linestyle="--", label="bound $G(w)^2/2^d$")
    ax.semilogy(dims, measured, "o", color=color(0 if loss == "square" else 1), label=f"Var(H, F, w), {loss} loss")
    ax.set(xlabel="input dimension $d$", ylabel="variance over the $2^d$ targets")
    ax.legend()
    return ax
