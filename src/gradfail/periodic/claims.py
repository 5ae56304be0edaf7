"""Theorem 2's consequence in training (the book's experiment; paper §2.2): networks learn cos(v*·x) with
‖v*‖ = √d in small dimension and stay at the trivial predictor's error in large dimension."""

from __future__ import annotations

import math

import numpy as np

from gradfail.claims import Claim, claim_set
from gradfail.periodic.experiment import tied_fit
from gradfail.results import Results

LAST = 5  # each run is judged by the mean of its last five evaluations
LEARNED, NOT_LEARNED = 0.5, 0.9
ERROR_WHY = "relative test error: 1 is the trivial (zero) predictor's, on a fixed test set of {:,} inputs"


def final_relative_error(results: Results) -> np.ndarray:
    """Each run's relative test error, averaged over its last five evaluations."""
    return results["relative_error"][-LAST:].mean(axis=0)


def median_by_dimension(results: Results, values: np.ndarray | None = None) -> dict[int, float]:
    """{d: median over the runs of dimension d of `values`} (one per run; default: the final relative error)."""
    values, dims = final_relative_error(results) if values is None else values, results["train_dims"]
    return {int(d): float(np.median(values[dims == d])) for d in np.unique(dims)}


@claim_set("periodic")
def training_claims(results: Results) -> list[Claim]:
    """Every run at the smallest d learns; the median run at d = 8 and 16 learns; at the largest d the median
    run stays near the trivial error."""
    final, dims = final_relative_error(results), results["train_dims"]
    medians = median_by_dimension(results)
    smallest, largest = int(dims.min()), int(dims.max())
    why = ERROR_WHY.format(int(results.settings["test_samples"]))
    return [
        Claim(
            "periodic_smallest_learned",
            f"every run at d = {smallest} ends below relative error {LEARNED}",
            "§2.2, Theorem 2 (small d)",
            float(final[dims == smallest].max()),
            "<=",
            LEARNED,
            why,
        ),
        *(
            Claim(
                f"periodic_d{d}_learned",
                f"the median run at d = {d} ends below relative error {LEARNED}",
                "§2.2, Theorem 2 (moderate d)",
                medians.get(d, np.nan),
                "<=",
                LEARNED,
                why,
            )
            for d in (8, 16)
        ),
        Claim(
            "periodic_largest_not_learned",
            f"the median run at d = {largest} stays above relative error {NOT_LEARNED}",
            "§2.2, Theorem 2 (large d)",
            medians[largest],
            ">=",
            NOT_LEARNED,
            why,
        ),
    ]


APPROACH = 0.1  # "approaches −2": the largest-d local exponent within this of −2
EXACT = "exact variances (quadrature in float64), so the bound is the claim's own tolerance, not noise"


def local_exponents(results: Results, radius_index: int) -> np.ndarray:
    """Slopes of log(Var/G²) against log d between consecutive dimensions at one fixed r (geometric mean over
    networks)."""
    dims = np.asarray(results.settings["dims"], dtype=float)
    curve = np.log(results["dimension_variance"][:, radius_index]).mean(axis=0)
    return np.diff(curve) / np.diff(np.log(dims))


@claim_set("periodic")
def dimension_claims(results: Results) -> list[Claim]:
    """At fixed r, Var/G² decays polynomially in d with a local exponent near −2 (above it on the run checked; the
    side depends on the networks drawn); with r = √d it decays exponentially at a rate a little above (1 + ln 2)/2."""
    radii = results.settings["dimension_radii"]
    last = [float(local_exponents(results, i)[-1]) for i in range(len(radii))]
    rate, laplace = -tied_fit(results).slope, (1 + math.log(2)) / 2
    return [
        Claim(
            "periodic_exponent_above_minus_2",
            "at every fixed r the local exponent of Var/G² in d, at the largest d, lies above −2",
            "§2.2, Theorem 2 (polynomial decay at fixed r: the side of −2)",
            min(last),
            ">",
            -2.0,
            EXACT + "; the side of −2 depends on the networks drawn (see the sweeps)",
            details={f"r{r:g}": value for r, value in zip(radii, last, strict=True)},
        ),
        Claim(
            "periodic_exponent_near_minus_2",
            f"at every fixed r that exponent is within {APPROACH} of −2",
            "§2.2, Theorem 2 (the book's finding: polynomial decay at fixed r)",
            max(abs(value + 2) for value in last),
            "<",
            APPROACH,
            EXACT + "; the typical-unit law predicts −2 + O(1/d)",
            details={f"r{r:g}": value for r, value in zip(radii, last, strict=True)},
            finding="at fixed r the variance decays only polynomially in d (like d^−2), not exponentially",
        ),
        Claim(
            "periodic_tied_rate_above_laplace",
            "with r = √d, Var/G² falls like e^(−c d) with c above (1 + ln 2)/2",
            "§2.2, Theorem 2 (r growing with d)",
            rate - laplace,
            ">",
            0.0,
            EXACT + "; c is a least-squares slope over the r = √d sweep",
            details={"rate": rate, "laplace": laplace},
        ),
        Claim(
            "periodic_tied_rate_near_laplace",
            "with r = √d the rate c exceeds (1 + ln 2)/2 by less than 10%",
            "§2.2, Theorem 2 (the book's finding: the rate with r = √d)",
            (rate - laplace) / laplace,
            "<",
            0.1,
            EXACT,
            finding="with r = √d the variance falls like e^(−c d) with c ≈ (1 + ln 2)/2 ≈ 0.85, not the 1 of e^(−r²)",
        ),
    ]
