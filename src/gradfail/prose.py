"""Numbers for a chapter's prose: settings and measurements glued under their names (myst-nb `glue`), so the
text quotes what the cells computed and never types a number."""

from __future__ import annotations

from collections.abc import Mapping

from gradfail.claims import glue_values


def readable(value: object) -> object:
    """Integers of 1,000 and more with thousands separators (as text); everything else unchanged."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1_000:
        return f"{value:,}"
    return value


def glue_settings(settings: object, *names: str, prefix: str = "") -> None:
    """Glue each named field of a settings dataclass as `prefix + name`."""
    unknown = [name for name in names if not hasattr(settings, name)]
    if unknown:
        raise ValueError(f"names must be fields of {type(settings).__name__}; unknown: {', '.join(unknown)}")
    glue_values({prefix + name: readable(getattr(settings, name)) for name in names})


def glue_numbers(values: Mapping[str, object]) -> None:
    """Glue each value under its name (large integers made readable)."""
    glue_values({name: readable(value) for name, value in values.items()})
