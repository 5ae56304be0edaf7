"""Figures of the line-image chapter: Figure 2 (sample images), Figure 3 (accuracy curves), Figure 5 (the SNR)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes

from gradfail.lines.experiment import key
from gradfail.lines.images import LineParameters
from gradfail.lines.objectives import APPROACHES
from gradfail.lines.snr import SnrEstimate, median_confidence_interval, resolved_upper_bound
from gradfail.plotting import color
from gradfail.results import Results

APPROACH_COLORS = {"end-to-end": color(1), "decomposition": color(0)}  # the paper's red and blue
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


def plot_snr(ax: Axes, estimate: SnrEstimate, floor: float) -> Axes:
    """Figure 5: per loss and k, the median SNR over initialisations with its 95% interval (filled markers) and,
    faint, the single initialisations; where the interval reaches zero, only its upper end, raised to the
    estimator's resolution (open triangle, `resolved_upper_bound`). The dashed line is `floor` (float32's epsilon)."""
    ks = np.asarray(estimate.ks)
    offsets = np.linspace(-0.15, 0.15, len(estimate.losses))
    for offset, loss in zip(offsets, estimate.losses, strict=True):
        colour, marker = LOSS_STYLES[loss]
        snr = estimate.of(loss)
        median, lower, upper = median_confidence_interval(snr)
        x = ks + offset
        resolved = lower > 0
        for xi, values in zip(x[resolved], snr[resolved], strict=True):
            ax.plot(np.full(len(values), xi), values, ".", color=colour, alpha=0.25, markersize=4)
        ax.errorbar(
            x[resolved],
            median[resolved],
            yerr=[median[resolved] - lower[resolved], upper[resolved] - median[resolved]],
            fmt=marker,
            color=colour,
            capsize=3,
            label=f"{loss} (median, 95% interval)",
        )
        bound = resolved_upper_bound(snr)
        ax.plot(x[~resolved], bound[~resolved], "v", color=colour, mfc="none", markersize=9, mew=1.5)
    ax.axhline(floor, color="0.3", linestyle="--", linewidth=1, label="float32 machine epsilon")
    ax.plot([], [], "v", color="0.3", mfc="none", label="not resolved: upper bound")
    ax.set_yscale("log")
    ax.set(xticks=ks, xlabel="k (images per tuple)", ylabel="SNR of the last layer of N1")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1))
    return ax
