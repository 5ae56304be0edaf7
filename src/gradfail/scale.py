"""The two scales of every experiment: `quick` (a 2-core CPU, the default) and `paper` (the paper's settings).

This is the only place that reads the scale; experiments get a settings object and never branch on it.
"""

from __future__ import annotations

import os
from typing import Protocol, TypeVar

from gradfail.validation import require_choice

SCALES = ("quick", "paper")
SCALE_ENV_VAR = "GRADFAIL_SCALE"


class ScaledSettings(Protocol):
    """A frozen settings dataclass with one constructor per scale."""

    @classmethod
    def quick(cls) -> ScaledSettings: ...

    @classmethod
    def paper(cls) -> ScaledSettings: ...


S = TypeVar("S", bound=ScaledSettings)


def active_scale() -> str:
    """The scale chapters run at: `$GRADFAIL_SCALE` if set, else `quick`."""
    return require_choice(SCALE_ENV_VAR, os.environ.get(SCALE_ENV_VAR, "quick"), SCALES)


def settings_for(settings_class: type[S], scale: str | None = None) -> S:
    """`settings_class.quick()` or `.paper()` for `scale` (default: the active scale)."""
    scale = active_scale() if scale is None else require_choice("scale", scale, SCALES)
    return settings_class.quick() if scale == "quick" else settings_class.paper()


def scale_of(settings: ScaledSettings) -> str:
    """The label for provenance: `paper` or `quick` if `settings` equals that constructor's (`paper` when both
    do), else `custom`."""
    for scale in reversed(SCALES):
        if settings == settings_for(type(settings), scale):
            return scale
    return "custom"
