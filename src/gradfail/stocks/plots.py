"""Figures of the stocks chapter: Figure 4's loss curves and §3.3's second-moment ratio against k."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from gradfail.plotting import color
from gradfail.results import Results
from gradfail.stocks.analysis import SecondMoments
from gradfail.stocks.problem import ESTIMATORS

MARKERS = ("o", "x", "^")  # distinct shapes, so coinciding series stay visible
ESTIMATOR_COLORS = {"end-to-end": color(1), "decomposition": color(0)}  # the paper's red and blue
INITIALISATION_STYLES = {"scripts": "-", "zero": "--"}
INITIALISATION_LABELS = {"scripts": "", "zero": ", from zero"}


def plot_stocks_losses(axes: Sequence[Axes], results: Results) -> Sequence[Axes]:
    """Figure 4: the primary loss E[−zᵀN(x)] against iterations, one panel per k, one line per run; runs from
    the scripts' initialisation solid, zero-initialised controls dashed."""
    stocks = np.unique(results["stocks"])
    if len(axes) != len(stocks):
        raise ValueError(f"axes must hold one panel per k ({len(stocks)}), got {len(axes)}")
    for ax, k in zip(axes, stocks, strict=True):
        for initialisation, style in INITIALISATION_STYLES.items():
            for estimator in ESTIMATORS:
                chosen = (results["stocks"] == k) & (results["estimators"] == estimator)
                runs = np.flatnonzero(chosen & (results["initialisations"] == initialisation))
                for j, run in enumerate(runs):
                    ax.plot(
                        results["steps"],
                        results["loss"][:, run],
                        style,
                        color=ESTIMATOR_COLORS[estimator],
                        alpha=1.0 if j == 0 else 0.55,
                        label=(estimator + INITIALISATION_LABELS[initialisation]) if j == 0 else None,
                    )
        ax.set(title=f"k = {k}", xlabel="training iterations", ylim=(-1.05, 0.05))
        if np.any((results["stocks"] == k) & (results["initialisations"] == "zero")):
            ax.legend(loc="lower left", fontsize="small")
    axes[0].set_ylabel("primary loss $E[-z^T N(x)]$")
    axes[0].legend(loc="center right")
    return axes


def plot_second_moment_ratio(ax: Axes, moments: dict[str, Sequence[SecondMoments]]) -> Axes:
    """§3.3: E‖∇̂_e2e‖²/E‖∇̂_dec‖² against k on log-log axes, one marker series per initialisation, and y = k."""
    every_k = sorted({m.stocks for series in moments.values() for m in series})
    ax.loglog(every_k, every_k, color="0.3", linestyle="--", label="prediction: ratio = k")
    for i, (label, series) in enumerate(moments.items()):
        ks, ratios = [m.stocks for m in series], [m.ratio for m in series]
        marker = MARKERS[i % len(MARKERS)]
        ax.loglog(ks, ratios, marker, color=color(i), mfc="none" if marker == "o" else color(i), ms=8, label=label)
    ax.set(xlabel="number of stocks $k$", ylabel=r"$E\|\hat\nabla_{e2e}\|^2 \,/\, E\|\hat\nabla_{dec}\|^2$")
    ax.legend()
    return ax
