"""Figures of the conditioning chapter: condition numbers and GD iterations against n, error curves, Figure 6."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter

from gradfail.conditioning.experiment import LINEAR, rolling_median, value_at
from gradfail.conditioning.learners import LEARNERS
from gradfail.plotting import color
from gradfail.results import Results

LEARNER_COLORS = {learner: color(i) for i, learner in enumerate(LEARNERS)}
MARKERS = ("o", "s", "^", "D")


def plot_against_size(ax: Axes, sizes: Sequence[int], series: Mapping[str, Sequence[float]], ylabel: str) -> Axes:
    """One marker series per entry of `series` against n, on log-log axes, each labelled with its fitted exponent
    when the label contains `{exponent}`."""
    for i, (label, values) in enumerate(series.items()):
        values = np.asarray(values, dtype=float)
        slope = np.polyfit(np.log(sizes), np.log(values), 1)[0]
        ax.loglog(sizes, values, MARKERS[i % len(MARKERS)] + "-", color=color(i), label=label.format(exponent=slope))
    ax.set(xlabel="curve length $n$", ylabel=ylabel)
    ax.set_xticks(sizes, labels=[str(size) for size in sizes])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend()
    return ax


def plot_error_curves(axes: Sequence[Axes], results: Results, span: int) -> Sequence[Axes]:
    """The validation errors of the linear learners against iterations: encoding error (left) and decoded-curve
    error (right); thin lines every evaluation of every replicate, thick lines replicate 0's rolling median over
    `span` iterations."""
    if len(axes) != 2:
        raise ValueError(f"axes must hold two panels (encoding, decoded), got {len(axes)}")
    steps = results["steps"][1:]  # from the first evaluation after training starts
    for ax, name, title in zip(
        axes, ("encoding_error", "decoded_error"), ("encoding $\\hat p$", "decoded curve $W\\hat p$"), strict=True
    ):
        for i, learner in enumerate(LINEAR):
            values = results[name][1:, i]  # (evaluations, R)
            ax.loglog(steps, values, color=LEARNER_COLORS[learner], linewidth=0.6, alpha=0.4)
            median = rolling_median(steps, values, span)[:, 0]
            ax.loglog(steps, median, color=LEARNER_COLORS[learner], label=learner)
        ax.set(xlabel="training iterations", title=title)
    axes[0].set_ylabel("relative validation error")
    axes[0].legend()
    return axes


def plot_figure6(axes: np.ndarray, results: Results) -> np.ndarray:
    """Figure 6: two validation curves (blue) and their reconstructions (red), one row per learner, one column per
    snapshot; each panel's title gives replicate 0's validation errors at that iteration."""
    snapshots = results.settings["snapshots"]
    ae_snapshots = results.settings["autoencoder_snapshots"]
    if len(ae_snapshots) != len(snapshots):
        raise ValueError(
            f"results must hold as many autoencoder_snapshots as snapshots (one column each), "
            f"got {len(ae_snapshots)} and {len(snapshots)}"
        )
    if axes.shape != (len(LEARNERS), len(snapshots)):
        raise ValueError(f"axes must be {len(LEARNERS)} × {len(snapshots)}, got {axes.shape}")
    grid = np.arange(1, results["shown_curves"].shape[-1] + 1)
    for row, learner in enumerate(LEARNERS):
        for column, ax in enumerate(axes[row]):
            if learner == "auto-encoder":
                step = ae_snapshots[column]
                curves, decoded = results["autoencoder_shown_curves"], results["autoencoder_shown_decoded"][column]
                errors = f"curve {value_at(results, 'autoencoder_error', step)[0]:.1e}"
            else:
                step = snapshots[column]
                curves = results["shown_curves"]
                decoded = results["shown_encoding"][column, row].cumsum(-1).cumsum(-1)
                encoding = value_at(results, "encoding_error", step)[row, 0]
                errors = f"code {encoding:.1e}, curve {value_at(results, 'decoded_error', step)[row, 0]:.1e}"
            for curve, reconstruction in zip(curves, decoded, strict=True):
                ax.plot(grid, curve, color=color(0), linewidth=1.4)
                ax.plot(grid, reconstruction, color=color(1), linewidth=1.0, linestyle="--")
            ax.set_title(f"{learner}, {step:,} it.\n{errors}", fontsize=9)
            ax.set_ylim(*_limits(curves))
            ax.tick_params(labelsize=8)
    return axes


def _limits(curves: np.ndarray) -> tuple[float, float]:
    """y-limits that show the true curves with a margin, so that a wild reconstruction does not flatten them."""
    low, high = float(curves.min()), float(curves.max())
    margin = 0.25 * (high - low + 1e-9)
    return low - margin, high + margin


def plot_encodings(ax: Axes, results: Results, curve: int = 0) -> Axes:
    """The true encoding p of a shown validation curve (stems) and the linear learners' p̂ at the last snapshot."""
    if curve not in range(len(results["shown_curves"])):
        raise ValueError(f"curve must index a shown curve (0..{len(results['shown_curves']) - 1}), got {curve}")
    grid = np.arange(1, results["shown_curves"].shape[-1] + 1) - 1  # p_θ sits at index θ
    truth = results["shown_true_encoding"][curve]
    kinks = np.flatnonzero(truth)
    ax.vlines(kinks, 0, truth[kinks], color="0.3", linewidth=2.5, label="true $p$")
    for i, learner in enumerate(LINEAR):
        ax.plot(
            grid,
            results["shown_encoding"][-1, i, curve],
            color=LEARNER_COLORS[learner],
            label=learner,
            linewidth=1.4,
            linestyle=("-", "--", ":")[i],
        )
    ax.axhline(0, color="0.6", linewidth=0.8)
    ax.set(xlabel="position $\\theta$", ylabel="encoding", title=f"after {results.settings['snapshots'][-1]:,} it.")
    ax.legend()
    return ax


def plot_adam_against_gd(
    ax: Axes, steps: np.ndarray, adam: np.ndarray, gd_steps: np.ndarray, gd: np.ndarray, span: int, title: str
) -> Axes:
    """Encoding errors of the fully connected layer and the convolution: Adam's (`adam`, (evaluations, 2, R); thin:
    every evaluation, thick: replicate 0's running median over `span`) against gradient descent's closed form
    (`gd`, (len(gd_steps), 2); dashed), against log iterations; Adam's spikes above 1.1 are cut off."""
    if adam.shape[1] != 2 or gd.shape != (len(gd_steps), 2):
        raise ValueError(f"adam and gd must hold the two Adam learners, got {adam.shape} and {gd.shape}")
    steps, adam = steps[1:], adam[1:]  # from the first evaluation after training starts
    for i, learner in enumerate(LINEAR[:2]):
        tint = LEARNER_COLORS[learner]
        ax.semilogx(steps, adam[:, i], color=tint, linewidth=0.5, alpha=0.35)
        ax.semilogx(steps, rolling_median(steps, adam[:, i], span)[:, 0], color=tint, label=f"{learner}, Adam")
        ax.semilogx(gd_steps, gd[:, i], color=tint, linestyle="--", label=f"{learner}, gradient descent")
    ax.set(xlabel="iterations", ylabel="relative encoding error", title=title, ylim=(0, 1.1))
    ax.legend(fontsize=8)
    return ax
