"""The paper's claims as tested objects: each names what it asserts, where the paper says it, what was measured,
the bound it must meet and why that bound. Chapters `check` them; the scorecard and the seed sweeps tabulate them.
"""

from __future__ import annotations

import html
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from gradfail.validation import require_choice

RELATIONS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
ClaimFunction = Callable[..., list["Claim"]]
CLAIM_SETS: dict[str, list[ClaimFunction]] = {}  # experiment or claim-set name → its functions, in chapter order


@dataclass(frozen=True)
class ClaimInputs:
    """How to compute a claim function's arguments at a seed, and which sweep checks it: "quick" (once per
    seed of the quick sweep) or "paper" (once, on committed paper-scale runs)."""

    compute: Callable[[int], tuple]
    scale: str = "quick"


CLAIM_INPUTS: dict[ClaimFunction, ClaimInputs] = {}  # claim functions that do not take a run → their inputs


@dataclass(frozen=True)
class Claim:
    """One claim checked on one run: `value` must satisfy `value <relation> bound`.

    `why` says where the bound comes from (the measurement's standard error, an exact identity's rounding,
    the paper's own number); `details` are further measured numbers the prose quotes; `finding` is non-empty
    where the book's measurement disagrees with the paper, and says how."""

    name: str
    statement: str
    paper: str
    value: float
    relation: str
    bound: float
    why: str
    details: Mapping[str, float | str] = field(default_factory=dict)
    finding: str = ""

    def __post_init__(self) -> None:
        require_choice("relation", self.relation, RELATIONS)
        if not self.name.isidentifier():
            raise ValueError(f"name must be an identifier (it is a glue key), got {self.name!r}")

    @property
    def holds(self) -> bool:
        """Whether the measured value meets the bound (never for a NaN)."""
        return not math.isnan(self.value) and RELATIONS[self.relation](self.value, self.bound)

    def describe(self) -> str:
        """One line: the claim, its value against its bound, and whether it holds."""
        verdict = "holds" if self.holds else "FAILS"
        return (
            f"{self.name}: {self.statement} — {self.value:.4g} {self.relation} {self.bound:.4g} {verdict} ({self.why})"
        )


def claim_set(
    name: str, inputs: Callable[[int], tuple] | None = None, scale: str = "quick"
) -> Callable[[ClaimFunction], ClaimFunction]:
    """Register a claim function under an experiment's name (it takes that experiment's results) or under a
    claim set's name; `inputs(seed)` computes its arguments, so the sweeps can check it (see ClaimInputs)."""
    require_choice("scale", scale, ("quick", "paper"))

    def register(function: ClaimFunction) -> ClaimFunction:
        CLAIM_SETS.setdefault(name, []).append(function)
        if inputs is not None:
            CLAIM_INPUTS[function] = ClaimInputs(inputs, scale)
        return function

    return register


class ClaimFailed(AssertionError):
    """A chapter's claim no longer holds: names each failed claim, its value, its bound and why that bound."""


@dataclass(frozen=True)
class ClaimReport:
    """The claims a chapter checked, shown as a table."""

    claims: tuple[Claim, ...]
    title: str = ""

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(c.statement)}</td><td>{html.escape(c.paper)}</td>"
            f"<td>{c.value:.4g} {html.escape(c.relation)} {c.bound:.4g}</td>"
            f"<td>{'✓' if c.holds else '✗'}</td><td>{html.escape(c.why)}</td></tr>"
            for c in self.claims
        )
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        head = "<tr><th>claim</th><th>paper</th><th>measured against bound</th><th></th><th>why this bound</th></tr>"
        return f'<table class="claims">{caption}<thead>{head}</thead><tbody>{rows}</tbody></table>'

    def __repr__(self) -> str:
        return "\n".join([*([self.title] if self.title else []), *(c.describe() for c in self.claims)])


def check(claims: Iterable[Claim], *, title: str = "", prefix: str = "", glue: bool = True) -> ClaimReport:
    """Raise ClaimFailed if any claim fails; otherwise glue each value (as `prefix + name`) and each detail (as
    `prefix + name + '_' + key`) for the prose, and return the claims as a table."""
    claims = tuple(claims)
    failed = [c for c in claims if not c.holds]
    if failed:
        raise ClaimFailed("\n".join(["claims that no longer hold:", *(c.describe() for c in failed)]))
    if glue:
        glue_values(glued_values(claims, prefix))
    return ClaimReport(claims, title)


def glued_values(claims: Sequence[Claim], prefix: str = "") -> dict[str, float | str]:
    """Every value a claim set glues: `prefix + name` and `prefix + name + '_' + key` for each detail."""
    values: dict[str, float | str] = {}
    for c in claims:
        values[prefix + c.name] = c.value
        values.update({f"{prefix}{c.name}_{key}": detail for key, detail in c.details.items()})
    return values


def glue_values(values: Mapping[str, object]) -> None:
    """Glue each value under its name, undisplayed (needs myst-nb, which the book and its notebooks install)."""
    from myst_nb import glue

    for name, value in values.items():
        glue(
            name, value.item() if isinstance(value, np.generic) else value, display=False
        )  # plain text, not np.float32(…)


CHANCE_Z = 4.0  # "at chance": within this many standard errors of 0.5


def chance_bound(samples: int) -> tuple[float, str]:
    """The largest |accuracy − 0.5| a chance-level learner shows, 4 standard errors of a mean of `samples`
    independent ±1 guesses (s.e. 0.5/√samples), and the sentence saying so."""
    standard_error = 0.5 / math.sqrt(samples)
    return CHANCE_Z * standard_error, (
        f"accuracy on {samples:,} independent test examples: s.e. {standard_error:.3f} at chance; bound "
        f"{CHANCE_Z:g} s.e."
    )


def worst(values: Iterable[float], relation: str) -> float:
    """The run that comes closest to failing a bound: the minimum for `>=`/`>`, the maximum for `<=`/`<`."""
    values = [float(v) for v in values]
    if not values:
        return math.nan
    return min(values) if relation in (">=", ">") else max(values)
