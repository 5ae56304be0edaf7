"""The book's laws for Theorem 2's variance (paper §2.2), as claims on the exact sweeps of a periodic run: the
closed forms inside their windows, the crossover law everywhere, the decay in r and d, and what Monte Carlo
over x can see of it."""

from __future__ import annotations

import math

import numpy as np

from gradfail.claims import Claim, claim_set
from gradfail.periodic.experiment import tied_fit
from gradfail.periodic.fits import first_below, fit_line
from gradfail.periodic.laws import law_windows
from gradfail.results import Results

FACTOR = 2.0  # a leading-order law "holds" within a factor 2 of the exact value
STRAIGHT = 0.99  # R² of a fit called "a straight line" (an exact curve: no noise to allow for)
UNIT_ROUNDOFF = {name: float(np.finfo(name).eps) / 2 for name in ("float32", "float64")}
EXACT = "exact variances (quadrature in float64): the bound is the law's stated accuracy, not noise"


def _worst_factor(ratios: np.ndarray) -> float:
    """The largest factor by which a law misses the exact value, in either direction."""
    return float(np.exp(np.abs(np.log(ratios)).max()))


def _crossing(radii: np.ndarray, curve: np.ndarray, level: float) -> float:
    """The radius at which `curve` (against r²) first falls below `level`; NaN if it never does."""
    below = curve < level
    return math.sqrt(first_below(radii**2, curve, level)) if below.any() and not below[0] else math.nan


def radius_numbers(results: Results) -> dict[str, float]:
    """What the radius sweep shows (fixed d): each law against the exact variance, the decay at the largest d and
    the power-law tail at the smallest."""
    radii = np.asarray(results.settings["radii"], dtype=float)
    dims = results.settings["radius_dims"]
    inside, outside = [], {"typical": [], "aligned": []}
    crossover = results["radius_crossover_law"] / results["radius_variance"]
    for i, d in enumerate(dims):
        exact = results["radius_variance"][:, i]
        for name, window in zip(("typical", "aligned"), law_windows(d, radii), strict=True):
            ratio = results[f"radius_{name}_law"][:, i] / exact
            inside.append(ratio[:, window])
            outside[name].append(ratio[:, ~window & np.isfinite(ratio[0])])  # where defined, outside the window
    small, large = dims[0], dims[-1]
    large_curve, small_curve = results["radius_variance"][:, -1], results["radius_variance"][:, 0]
    peak = int(np.argmax(large_curve[0]))
    semilog = [fit_line(radii[peak:] ** 2, np.log(curve[peak:])).r_squared for curve in large_curve]
    tail = [fit_line(np.log(radii[-3:]), np.log(curve[-3:])).slope for curve in small_curve]
    law_tail = [fit_line(np.log(radii[-3:]), np.log(c[-3:])).slope for c in results["radius_aligned_law"][:, 0]]
    return {
        "small_dim": small,
        "large_dim": large,
        "r_max": float(radii[-1]),
        "peak_r": float(radii[peak]),
        "decades": float(np.log10(large_curve.max(axis=1) / large_curve.min(axis=1)).min()),
        "semilog_r2": float(min(semilog)),
        "below_float64": float(large_curve[:, -1].max() / UNIT_ROUNDOFF["float64"] ** 2),
        "law_worst_factor": _worst_factor(np.concatenate(inside, axis=1)),
        "crossover_worst_factor": _worst_factor(crossover),
        "typical_off": _worst_factor(np.concatenate(outside["typical"], axis=1)),
        "aligned_off": _worst_factor(np.concatenate(outside["aligned"], axis=1)),
        "typical_at_rmax": float(results["radius_typical_law"][0, -1, -1] / large_curve[0, -1]),
        "crossing32": _crossing(radii, large_curve[0], UNIT_ROUNDOFF["float32"] ** 2),
        "crossing64": _crossing(radii, large_curve[0], UNIT_ROUNDOFF["float64"] ** 2),
        "tail_slope": float(tail[0]),
        "tail_law_gap": float(max(abs(a - b) for a, b in zip(tail, law_tail, strict=True))),
        "tail_predicted": -(small + 1),
        "crossover_small": math.sqrt((small - 1) / 2),
        "small_at_rmax": float(small_curve[0, -1]),
    }


@claim_set("periodic")
def radius_claims(results: Results) -> list[Claim]:
    """At fixed d: the closed forms hold inside their windows only, the crossover law everywhere; at the largest
    d the variance falls in a straight semilog line far below float64's roundoff; at the smallest d the tail
    is the aligned-unit power law."""
    n = radius_numbers(results)
    return [
        Claim(
            "periodic_laws_in_window",
            f"each closed form within a factor {FACTOR:g} inside its window",
            "§2.2, Theorem 2 (the book's laws)",
            n["law_worst_factor"],
            "<=",
            FACTOR,
            EXACT,
        ),
        Claim(
            "periodic_crossover_everywhere",
            f"the crossover law within a factor {FACTOR:g} at every radius",
            "§2.2, Theorem 2 (the book's laws)",
            n["crossover_worst_factor"],
            "<=",
            FACTOR,
            EXACT,
        ),
        Claim(
            "periodic_laws_off_window",
            f"outside their windows the closed forms miss by more than {FACTOR:g}",
            "§2.2 (why the crossover law is needed)",
            min(n["typical_off"], n["aligned_off"]),
            ">",
            FACTOR,
            EXACT,
        ),
        Claim(
            "periodic_large_d_decades",
            "at the largest d the variance falls by at least 4 decades over the radii",
            "§2.2, Theorem 2 (decay in r)",
            n["decades"],
            ">=",
            4.0,
            EXACT + "; 4 decades is the figure's range",
        ),
        Claim(
            "periodic_large_d_semilog",
            f"from its peak it is a straight line against r² (R² ≥ {STRAIGHT})",
            "§2.2, Theorem 2 (Gaussian decay in r)",
            n["semilog_r2"],
            ">=",
            STRAIGHT,
            EXACT,
        ),
        Claim(
            "periodic_below_float64",
            "at the largest radius it lies below float64's roundoff squared",
            "§2.2 (precision of the signal)",
            n["below_float64"],
            "<",
            1.0,
            EXACT + "; ratio to that roundoff",
        ),
        Claim(
            "periodic_tail_is_aligned_law",
            "at the smallest d the tail's log-log slope is the aligned-unit "
            "law's at the same radii, within one power of r",
            "§2.2 (the book's aligned-unit law)",
            n["tail_law_gap"],
            "<",
            1.0,
            EXACT + "; slopes over the three largest radii",
        ),
    ]


def monte_carlo_numbers(results: Results) -> dict[str, float]:
    """What Monte Carlo over x measures of the variance at d = 16: signal, noise floors and plug-in estimates."""
    settings = results.settings
    per_sample = results["monte_carlo_noise_per_sample"]
    floor_full, floor_batch = per_sample / settings["monte_carlo_samples"], per_sample / settings["batch_size"]
    signal, plug_in = results["monte_carlo_variance"], results["monte_carlo_plug_in_full"]
    visible = signal > 10 * floor_full
    return {
        "noise_law_factor": _worst_factor(results["monte_carlo_noise_full"] / floor_full),
        "batch_floor_over_signal": float(np.min(floor_batch / signal)),
        "plug_in_factor": _worst_factor(plug_in[visible] / signal[visible]) if visible.any() else math.nan,
        "plug_in_on_floor": _worst_factor(plug_in[-1:] / floor_full[-1:]),
        "floor_full": float(floor_full[-1]),
        "floor_batch": float(floor_batch[-1]),
        "snr_batch": float(np.max(signal / floor_batch)),
        "noise_per_sample": float(per_sample[-1]),
        "mc_invisible_r": float(settings["monte_carlo_radii"][-1]),
        "mc_ratio_invisible": float(signal[-1] / floor_full[-1]),
    }


@claim_set("periodic")
def monte_carlo_claims(results: Results) -> list[Claim]:
    """Monte Carlo's noise follows 1/n; one SGD batch's floor is far above the signal at every radius; the
    million-sample plug-in estimate follows the signal above its floor and measures the floor below it."""
    n = monte_carlo_numbers(results)
    why = "Monte Carlo over x; the bound allows a factor 2 for the spread of the noise over the sampled targets"
    return [
        Claim(
            "periodic_mc_noise_law",
            "the measured noise of X̂ is c/n within a factor 2",
            "§2.2 (sampling noise)",
            n["noise_law_factor"],
            "<",
            2.0,
            why,
        ),
        Claim(
            "periodic_mc_batch_blind",
            "one batch's noise floor is over 5× the signal at every radius",
            "§2.2 (the gradient carries little information)",
            n["batch_floor_over_signal"],
            ">",
            5.0,
            "ratio of exact quantities; 5× leaves the signal invisible to one batch",
        ),
        Claim(
            "periodic_mc_plug_in_follows",
            "where the signal is 10× its floor the plug-in estimate is within 3×",
            "§2.2 (sampling noise)",
            n["plug_in_factor"],
            "<",
            3.0,
            why + " (3 on the plug-in's own noise)",
        ),
        Claim(
            "periodic_mc_plug_in_floor",
            "where the signal is below 0.2 of the floor the estimate is the floor",
            "§2.2 (sampling noise)",
            n["plug_in_on_floor"],
            "<",
            2.0,
            why,
            details={"signal_over_floor": n["mc_ratio_invisible"]},
        ),
        Claim(
            "periodic_mc_signal_hidden",
            "at the largest radius the signal is below 0.2 of the floor",
            "§2.2 (sampling noise)",
            n["mc_ratio_invisible"],
            "<",
            0.2,
            "exact signal over the 1/n floor",
        ),
    ]


def dimension_numbers(results: Results) -> dict[str, float]:
    """The dimension sweeps: log-log fits at fixed r over d ≥ 16 r², how much the semilog slope shrinks, the
    typical-unit law there, and the semilog fit with r = √d."""
    dims = np.asarray(results.settings["dims"], dtype=float)
    numbers: dict[str, float] = {}
    for i, r in enumerate(results.settings["dimension_radii"]):
        exact = results["dimension_variance"][:, i]
        curve = np.exp(np.log(exact).mean(axis=0))  # geometric mean over networks
        asymptotic = dims >= 16 * r**2
        fit = fit_line(np.log(dims[asymptotic]), np.log(curve[asymptotic]))
        per_dimension = np.diff(np.log(curve)) / np.diff(dims)  # the slope a semilog plot would show
        law = results["dimension_typical_law"][:, i][:, asymptotic] / exact[:, asymptotic]
        numbers |= {f"power_r{r:g}": fit.slope, f"power_fit_r{r:g}": fit.r_squared}
        numbers |= {f"shrink_r{r:g}": float(per_dimension[0] / per_dimension[-1])}
        numbers |= {f"typical_factor_r{r:g}": _worst_factor(law)}
    tied = tied_fit(results)
    tied_curve = np.exp(np.log(results["tied_variance"]).mean(axis=0))
    numbers |= {"tied_r2": tied.r_squared, "tied_dmax": int(results.settings["tied_dims"][-1])}
    return numbers | {"tied_smallest": float(tied_curve[-1])}


@claim_set("periodic")
def dimension_fit_claims(results: Results) -> list[Claim]:
    """At fixed r: straight on the log-log plot for d ≥ 16 r², the semilog slope shrinking tenfold, the
    typical-unit law within a factor 2; with r = √d: straight on the semilog plot."""
    n = dimension_numbers(results)
    radii = results.settings["dimension_radii"]
    section = "§2.2, Theorem 2 (the book's finding: polynomial decay at fixed r)"
    return [
        Claim(
            "periodic_fixed_r_power_law",
            f"at every fixed r, log Var/G² against log d is straight (R² ≥ {STRAIGHT})",
            section,
            min(n[f"power_fit_r{r:g}"] for r in radii),
            ">=",
            STRAIGHT,
            EXACT,
        ),
        Claim(
            "periodic_fixed_r_not_exponential",
            "the decay per added dimension shrinks over 10× across the range",
            section,
            min(n[f"shrink_r{r:g}"] for r in radii),
            ">",
            10.0,
            EXACT + "; an exponential would keep it constant (ratio 1)",
        ),
        Claim(
            "periodic_fixed_r_typical_law",
            f"the typical-unit law within a factor {FACTOR:g} for d ≥ 16 r²",
            section,
            max(n[f"typical_factor_r{r:g}"] for r in radii),
            "<=",
            FACTOR,
            EXACT,
        ),
        Claim(
            "periodic_tied_semilog",
            f"with r = √d, log Var/G² against d is straight (R² ≥ {STRAIGHT})",
            "§2.2, Theorem 2 (r growing with d)",
            n["tied_r2"],
            ">=",
            STRAIGHT,
            EXACT,
        ),
    ]
