"""Argument checks shared by the public helpers: bad input fails early with a ValueError that names the argument."""

from __future__ import annotations

from collections.abc import Iterable


def require_int(name: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return `value` if it is an int within [minimum, maximum]; otherwise raise a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def require_positive_float(name: str, value: object) -> float:
    """Return `value` as a float if it is a finite number > 0; otherwise raise a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def require_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return `value` if it is one of `allowed`; otherwise raise a ValueError listing the allowed values."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value  # type: ignore[return-value]


def require_int_tuple(name: str, values: object, *, minimum: int) -> tuple[int, ...]:
    """Return `values` as a non-empty tuple of distinct ints, each >= `minimum`."""
    if not isinstance(values, tuple | list) or len(values) == 0:
        raise ValueError(f"{name} must be a non-empty tuple of integers, got {values!r}")
    checked = tuple(require_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(values))
    if len(set(checked)) != len(checked):
        raise ValueError(f"{name} must not repeat a value, got {values!r}")
    return checked


def require_unit_interval(name: str, value: object) -> float:
    """Return `value` as a float if it lies in [0, 1) (e.g. Adam's betas); otherwise raise a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)
