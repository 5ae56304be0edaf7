"""Figures of the linear-periodic chapter: the three variance sweeps, Monte Carlo beside them, training curves and
the alignment of the best hidden unit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from gradfail.periodic.laws import law_windows
from gradfail.periodic.outcome_claims import initial_factor, repeat_errors
from gradfail.plotting import color
from gradfail.results import Results
from gradfail.validation import require_int

EXACT_STYLE = {"marker": "o", "linestyle": "none", "markersize": 5}


def _series(ax: Axes, x: np.ndarray, values: np.ndarray, style: dict, label: str | None, colour: str) -> None:
    """One line per network (rows of `values`), the first labelled and opaque, the others faint."""
    for n, row in enumerate(np.atleast_2d(values)):
        ax.plot(x, row, color=colour, alpha=1.0 if n == 0 else 0.4, label=label if n == 0 else None, **style)


def plot_radius_sweep(ax: Axes, results: Results, index: int, colour: str) -> Axes:
    """Var/G² against r² (semilog) at d = radius_dims[index]: the crossover law at every radius, the two closed
    forms only inside their windows (`law_windows`)."""
    dims = results.settings["radius_dims"]
    require_int("index", index, minimum=0, maximum=len(dims) - 1)
    d, radii = dims[index], np.asarray(results.settings["radii"])
    x = radii**2
    _series(ax, x, results["radius_variance"][:, index], EXACT_STYLE, f"exact, d = {d}", colour)
    _series(ax, x, results["radius_crossover_law"][:, index], {"linewidth": 1}, "crossover law", colour)
    typical_window, aligned_window = law_windows(d, radii)
    for name, window, style in (("typical", typical_window, "--"), ("aligned", aligned_window, ":")):
        if window.any():
            law = np.where(window, results[f"radius_{name}_law"][:, index], np.nan)
            _series(ax, x, law, {"linestyle": style, "linewidth": 2.5}, f"{name}-unit law", colour)
    ax.set(yscale="log", xlabel="$r^2$", ylabel=r"$\mathrm{Var}(\mathcal{H}, F, w)\,/\,G(w)^2$")
    return ax


def plot_monte_carlo(ax: Axes, results: Results, sample_sizes: Sequence[int]) -> Axes:
    """What Monte Carlo over x measures at monte_carlo_radii with all samples and with one batch (sizes in that
    order): its plug-in estimate of Var/G² (crosses) and its noise E‖X̂ − X‖²/G² (dash-dotted)."""
    x = np.asarray(results.settings["monte_carlo_radii"]) ** 2
    for name, n, colour in zip(("full", "batch"), sample_sizes, (color(1), color(4)), strict=True):
        label = f"Monte Carlo, n = {n:,}"
        ax.plot(x, results[f"monte_carlo_plug_in_{name}"], "x", color=colour, markersize=8, mew=2, label=label)
        ax.plot(x, results["monte_carlo_noise_per_sample"] / n, "-.", color=colour, linewidth=1.2)
    return ax


def plot_floor(ax: Axes, value: float, label: str) -> Axes:
    """A horizontal reference level with its label at the right end."""
    ax.axhline(value, color="0.45", linestyle="-.", linewidth=1)
    ax.annotate(
        label, (1.0, value), xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=9, color="0.3"
    )
    return ax


def plot_dimension_sweep(ax: Axes, results: Results) -> Axes:
    """Var/G² against d at each fixed radius (log-log), with the typical-unit law where d ≥ 4r²."""
    dims = np.asarray(results.settings["dims"])
    for i, r in enumerate(results.settings["dimension_radii"]):
        _series(ax, dims, results["dimension_variance"][:, i], EXACT_STYLE, f"exact, r = {r:g}", color(i))
        law = np.where(dims >= 4 * r * r, results["dimension_typical_law"][:, i], np.nan)
        _series(ax, dims, law, {"linestyle": "--"}, None, color(i))
    ax.set(xscale="log", yscale="log", xlabel="input dimension $d$", ylabel=r"$\mathrm{Var}\,/\,G^2$")
    return ax


def plot_tied_sweep(ax: Axes, results: Results, rate: float, intercept: float) -> Axes:
    """Var/G² against d with r = √d (semilog) and the fitted exponential exp(intercept − rate·d)."""
    dims = np.asarray(results.settings["tied_dims"])
    _series(ax, dims, results["tied_variance"], EXACT_STYLE, r"exact, $r = \sqrt{d}$", color(2))
    ax.plot(dims, np.exp(intercept - rate * dims), "--", color=color(2), label=f"fit: $e^{{-{rate:.3f}\\,d}}$")
    ax.set(yscale="log", xlabel="input dimension $d$", ylabel=r"$\mathrm{Var}\,/\,G^2$")
    return ax


def plot_training(ax: Axes, results: Results, quantity: str) -> Axes:
    """`relative_error` (test MSE / trivial MSE, log scale) or `best_alignment` (maxⱼ ρⱼ²) against Adam
    iterations, one colour per d, one line per replicate."""
    if quantity not in ("relative_error", "best_alignment"):
        raise ValueError(f"quantity must be 'relative_error' or 'best_alignment', got {quantity!r}")
    dims = results["train_dims"]
    for i, d in enumerate(np.unique(dims)):
        for j, run in enumerate(np.flatnonzero(dims == d)):
            ax.plot(
                results["steps"],
                results[quantity][:, run],
                color=color(i),
                alpha=1.0 if j == 0 else 0.5,
                label=f"d = {d}" if j == 0 else None,
            )
    if quantity == "relative_error":
        ax.axhline(1.0, color="0.4", linestyle=":", linewidth=1)
        ax.set(yscale="log", ylabel="test MSE / trivial MSE")
    else:
        ax.set(ylim=(0, 1.03), ylabel=r"best alignment $\max_j \rho_j^2$")
    ax.set(xlabel="Adam iterations")
    return ax


def plot_initial_alignment(
    ax: Axes,
    dims: Sequence[int],
    widths: Sequence[int],
    predicted: np.ndarray,
    measured: np.ndarray,
    bands: Sequence[float],
) -> Axes:
    """Median best alignment maxⱼ ρⱼ² at initialisation against d (log2 axis), one colour per width: prediction
    for units uniform on the sphere (lines), PyTorch's initialisation (circles); the typical ρ² = 1/d (dotted); and
    the alignment above which half of Var lies for r = √d (`bands`, black dashes)."""
    if predicted.shape != (len(widths), len(dims)) or measured.shape != predicted.shape or len(bands) != len(dims):
        raise ValueError(f"predicted and measured must have shape (widths, dims) = {(len(widths), len(dims))}")
    for i, width in enumerate(widths):
        ax.plot(dims, predicted[i], "-", color=color(i), label=f"width {width:,}")
        ax.plot(dims, measured[i], "o", color=color(i), mfc="none")
    ax.plot(dims, 1 / np.asarray(dims, dtype=float), ":", color="0.3", label="typical unit, $1/d$")
    ax.plot(dims, bands, "x--", color="0.1", label=r"half of Var above ($r = \sqrt{d}$)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(dims, [str(d) for d in dims])
    ax.minorticks_off()
    ax.set(xlabel="input dimension $d$", ylabel=r"median of $\max_j \rho_j^2$ at initialisation")
    return ax


def plot_initial_factors(
    ax: Axes, table: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], levels: dict[str, float]
) -> Axes:
    """The best unit's initial factor exp(−r²(1 − ρ²)/2) of every run against d, one (d, factor, learned) entry per
    seed, filled where the run learned, open where it did not; `levels` as labelled horizontal lines."""
    for seed, (dims, factor, learned) in enumerate(table):
        x = dims + 0.5 * (seed - (len(table) - 1) / 2)  # seeds side by side
        ax.plot(x[learned], factor[learned], "o", color=color(0), markersize=5, label="learned" if seed == 0 else None)
        label = "did not learn" if seed == 0 else None
        ax.plot(x[~learned], factor[~learned], "o", color=color(3), mfc="none", markersize=5, label=label)
    for (name, value), style in zip(levels.items(), ("-.", "--", ":"), strict=False):
        ax.axhline(value, color="0.3", linestyle=style, linewidth=1, label=name)
    ax.set(yscale="log", xlabel="input dimension $d$", ylabel=r"best unit's $e^{-r^2(1-\rho^2)/2}$ at initialisation")
    return ax


def plot_repeats(ax: Axes, results: Results) -> Axes:
    """Final relative error of every run of `repeat_dim` against its best unit's initial factor: the run of the main
    sweep (filled) and its repeats on other batch streams (crosses), one colour per network–target pair."""
    factor = initial_factor(results)[results["train_dims"] == results.settings["repeat_dim"]]
    for pair, (x, row) in enumerate(zip(factor, repeat_errors(results), strict=True)):
        ax.plot([x], row[:1], "o", color=color(pair), markersize=7)
        ax.plot(np.full(len(row) - 1, x), row[1:], "x", color=color(pair), markersize=7, mew=1.5)
    ax.axhline(0.5, color="0.4", linestyle=":", linewidth=1)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel=r"best unit's $e^{-r^2(1-\rho^2)/2}$ at initialisation",
        ylabel="final test MSE / trivial MSE",
    )
    return ax


def plot_optimisers(ax: Axes, results: Results) -> Axes:
    """Best alignment maxⱼ ρⱼ² against iterations at each d of the SGD control: Adam (solid) and plain SGD (dashed)
    on the same networks, targets and batches."""
    for i, d in enumerate(np.unique(results["sgd_train_dims"])):
        for name, key, dims, style in (
            ("Adam", "best_alignment", results["train_dims"], "-"),
            ("SGD", "sgd_best_alignment", results["sgd_train_dims"], "--"),
        ):
            for j, run in enumerate(np.flatnonzero(dims == d)):
                label = f"{name}, d = {d}" if j == 0 else None
                ax.plot(results["steps"], results[key][:, run], style, color=color(i), alpha=0.8, label=label)
    ax.set(ylim=(0, 1.03), xlabel="iterations", ylabel=r"best alignment $\max_j \rho_j^2$")
    return ax
