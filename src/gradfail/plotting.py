"""One look for every figure of the book: a colour-blind-safe palette, readable sizes, light grids."""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

BOOK_STYLE = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.8,
    "axes.prop_cycle": cycler(color=PALETTE),
    "figure.constrained_layout.use": True,
}


def use_book_style() -> None:
    """Apply the book's matplotlib style to every figure drawn after this call."""
    mpl.rcParams.update(BOOK_STYLE)


def color(index: int) -> str:
    """The index-th colour of the palette (cycling), so that one quantity keeps one colour across figures."""
    return PALETTE[index % len(PALETTE)]
