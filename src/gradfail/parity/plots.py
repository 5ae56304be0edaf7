"""Figures of the parities chapter: Figure 1's accuracy curves, Theorem 1's variance against d, the wider, deeper
and count networks at d = 30, and the examples SGD needs against d."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from gradfail.parity.scaling import class_size, growth_fit
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


def plot_variant_accuracy(ax: Axes, results: Results) -> Axes:
    """Test accuracy against iterations at d = 30: the wider and deeper networks, and the count network (known v*)."""
    dim = results.settings["dim"]
    for i, variant in enumerate(results["variants"]):
        ax.plot(results["steps"], results["accuracy"][:, i], color=color(i), label=f"{variant}, random parity")
    ax.plot(results["known_steps"], results["known_accuracy"], color=color(2), label="count network, full parity")
    ax.axhline(0.5, color="0.4", linestyle=":", linewidth=1)
    ax.set(xlabel="training iterations", ylabel=f"test accuracy, d = {dim}", ylim=(0.35, 1.03))
    ax.legend(loc="center right")
    return ax


def plot_examples_against_d(ax: Axes, results: Results) -> Axes:
    """Examples seen (steps × batch) until 0.95 accuracy against d, |S| = d/2, one dot per run; the fit, |H| and 2^d."""
    dims, steps = results["scan_dims"], results["scan_steps"]
    batch = int(results.settings["batch_size"])
    odd = (dims // 2) % 2 == 1
    for i, (mask, label) in enumerate(((~odd, "runs, |S| even"), (odd, "runs, |S| odd"))):
        ax.semilogy(dims[mask], steps[mask] * batch, "o", color=color(i), alpha=0.8, label=label)
    grid = np.arange(dims.min(), dims.max() + 1)
    if not np.isnan(steps).any():
        fit = growth_fit(dims, steps)
        ax.semilogy(grid, batch * np.exp(fit.intercept + fit.slope * grid), color=color(0), linestyle="--",
                    label=f"fit (|S| even): × {np.exp(fit.slope):.2f} per bit")  # fmt: skip
    ax.semilogy(grid, 2.0**grid, color="0.2", label="$2^d$")
    ax.semilogy(grid, [class_size(int(d)) for d in grid], color="0.5", linestyle=":", label="$|H| = \\binom{d}{d/2}$")
    ax.set(xlabel="input dimension $d$ ($|S| = d/2$)", ylabel="examples until 0.95 accuracy")
    ax.legend()
    return ax
