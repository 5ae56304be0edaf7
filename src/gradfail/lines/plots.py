"""Figures of the line-image chapter: Figure 2 (sample images), Figure 3 (accuracy curves), Figure 5 (the SNR)
and the k-way interaction."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes

from gradfail.lines.experiment import key
from gradfail.lines.images import LineParameters
from gradfail.lines.intervals import mean_confidence_interval
from gradfail.lines.objectives import APPROACHES
from gradfail.lines.snr import SnrEstimate, authors_estimate
from gradfail.plotting import color
from gradfail.results import Results

APPROACH_COLORS = {"end-to-end": color(1), "decomposition": color(0)}  # the paper's red and blue
SNR_LINEAR, SIGNAL_LINEAR = 1e-9, 1e-16  # the symmetric-log axes are linear within ± these
LOSS_STYLES = {
    "end-to-end": (color(1), "o"),
    "decomposition": (color(0), "s"),
    "first image": (color(5), "D"),
}


def plot_line_examples(axes: np.ndarray, images: torch.Tensor, parameters: LineParameters) -> np.ndarray:
    """Figure 2: one image per axis, drawn with the row index pointing up so that θ reads as usual."""
    if axes.size != len(images):
        raise ValueError(f"axes must hold one panel per image ({len(images)}), got {axes.size}")
    labels = parameters.labels()
    for ax, image, angle, label in zip(
        axes.flat, images.cpu(), parameters.angles.tolist(), labels.tolist(), strict=True
    ):
        ax.imshow(image.numpy(), cmap="Greys", origin="lower", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"θ = {math.degrees(angle):.0f}°, y = {label:+.0f}", fontsize=9)
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
        for spine in ax.spines.values():  # a frame shows where the picture ends
            spine.set(visible=True, color="0.6")
    return axes


def plot_accuracy_curves(axes: Sequence[Axes], results: Results) -> Sequence[Axes]:
    """Figure 3: test accuracy on the tuple label against iterations, one panel per k, both approaches."""
    ks = np.unique(results["ks"])
    if len(axes) != len(ks):
        raise ValueError(f"axes must hold one panel per k ({len(ks)}), got {len(axes)}")
    for ax, k in zip(axes, ks, strict=True):
        for approach in APPROACHES:
            for j, run in enumerate(np.flatnonzero(results["ks"] == k)):
                ax.plot(
                    results[key(approach, "steps")],
                    results[key(approach, "accuracy")][:, run],
                    color=APPROACH_COLORS[approach],
                    alpha=1.0 if j == 0 else 0.55,
                    label=approach if j == 0 else None,
                )
        ax.axhline(0.5, color="0.4", linestyle=":", linewidth=1)
        ax.set(title=f"k = {k}", xlabel="training iterations", ylim=(0.3, 1.0))
    axes[0].set_ylabel("test accuracy on the tuple label")
    axes[0].legend(loc="lower right")
    return axes


def plot_interval(
    ax: Axes, x: np.ndarray, values: np.ndarray, colour: str, marker: str, label: str, **style: object
) -> np.ndarray:
    """The mean over initialisations (last axis of `values`) at each x with its 95% t interval (Figure 5's
    bars); returns the means."""
    mean, lower, upper = mean_confidence_interval(values)
    ax.errorbar(x, mean, yerr=[mean - lower, upper - mean], fmt=marker, color=colour, capsize=3, label=label, **style)
    return mean


def plot_snr(ax: Axes, estimate: SnrEstimate) -> Axes:
    """Figure 5: per loss and k, the mean SNR over initialisations with its 95% t interval (filled markers, the
    orbit estimate); end-to-end's plain Monte Carlo estimate (open circles); what the authors' estimator would
    read for end-to-end's and the first image's mean SNR (dashed, `authors_estimate`). Symmetric-log axis: an
    interval that reaches below zero is drawn as it is."""
    ks = np.asarray(estimate.ks)
    offsets = np.linspace(-0.15, 0.15, len(estimate.losses) + 1)
    for offset, loss in zip(offsets, estimate.losses, strict=False):
        colour, marker = LOSS_STYLES[loss]
        mean = plot_interval(ax, ks + offset, estimate.of(loss), colour, marker, f"{loss} (mean, 95% interval)")
        if loss in ("end-to-end", "first image"):
            ax.plot(
                ks,
                authors_estimate(np.maximum(mean, 0.0)),
                "--",
                color=colour,
                linewidth=1,
                label=f"{loss}: the authors' estimator would read",
            )
    colour, _ = LOSS_STYLES["end-to-end"]
    plain = estimate.of("end-to-end", plain=True)
    plot_interval(ax, ks + offsets[-1], plain, colour, "o", "end-to-end, plain Monte Carlo", mfc="none")
    ax.axhline(0.0, color="0.4", linewidth=0.8)
    ax.set_yscale("symlog", linthresh=SNR_LINEAR)
    ax.set(xticks=ks, xlabel="k (images per tuple)", ylabel="SNR of the last layer of N1")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    return ax


def plot_interaction(axes: Sequence[Axes], estimate: SnrEstimate) -> Sequence[Axes]:
    """The k-way interaction: (left) corr(y, σ(s)) of each random initialisation; (right) end-to-end's signal
    ‖E ĝ‖² against k, measured (orbit estimate) and predicted from the per-image correlations, means over
    initialisations with 95% t intervals, on a symmetric-log axis."""
    if len(axes) != 2:
        raise ValueError(f"axes must hold two panels, got {len(axes)}")
    left, right = axes
    correlation = estimate.correlation
    left.plot(np.zeros_like(correlation), correlation, "o", color=LOSS_STYLES["end-to-end"][0], alpha=0.6)
    left.axhline(0.0, color="0.4", linewidth=0.8)
    left.set(xticks=[], xlim=(-1, 1), ylim=(-0.3, 0.3), ylabel="corr(y, σ(s)) at one initialisation")
    ks = np.asarray(estimate.ks)
    for offset, (name, values, colour, marker) in zip(
        (-0.08, 0.08),
        (
            ("measured", estimate.signal_of("end-to-end"), LOSS_STYLES["end-to-end"][0], "o"),
            ("predicted", estimate.predicted_signal, "0.2", "s"),
        ),
        strict=True,
    ):
        plot_interval(right, ks + offset, values, colour, marker, f"{name} (mean, 95% interval)")
    right.axhline(0.0, color="0.4", linewidth=0.8)
    right.set_yscale("symlog", linthresh=SIGNAL_LINEAR)
    right.set(xticks=ks, xlabel="k (images per tuple)", ylabel="end-to-end signal ‖E ĝ‖²")
    right.legend(fontsize=9)
    return axes
