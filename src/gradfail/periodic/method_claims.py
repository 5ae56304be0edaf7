"""Checks of the book's method for Theorem 2 (paper §2.2), as claims: the exact X(v*) against autograd, the
quadrature against itself, the sampled variance against the exact one, the alignment of a fresh layer, and
where the typical training run starts against the half-variance band."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from gradfail.claims import Claim, claim_set

Z_BOUND = 5.0  # over ~400 coordinates, P(some |z| > 5) ≈ 400 · 5.7e-7 ≈ 2e-4 under sampling noise alone


@claim_set("periodic-method")
def exactness_claims(
    z_max: float, g_squared_z: float, quadrature_change: float, closed_form_error: float
) -> list[Claim]:
    """The exact X(v*) and G(w)² agree with autograd averages; the half-line quadrature is converged and matches
    the closed form E[cos(αz)1{z > 0}] = e^(−α²/2)/2."""
    why_z = f"autograd mean over sampled inputs against the exact value, in standard errors; bound {Z_BOUND:g}"
    return [
        Claim(
            "periodic_x_against_autograd",
            "the exact X(v*) matches autograd in every coordinate",
            "§2.2 (the book's method)",
            z_max,
            "<",
            Z_BOUND,
            why_z,
        ),
        Claim(
            "periodic_g2_against_autograd",
            "the exact G(w)² matches autograd",
            "§2.2 (the book's method)",
            abs(g_squared_z),
            "<",
            Z_BOUND,
            why_z,
        ),
        Claim(
            "periodic_quadrature_converged",
            "doubling the half-line nodes changes the moments by < 1e-13",
            "§2.2 (the book's method)",
            quadrature_change,
            "<",
            1e-13,
            "float64 rounding of sums of ~1",
        ),
        Claim(
            "periodic_quadrature_closed_form",
            "the quadrature matches e^(−α²/2)/2 to < 1e-14",
            "§2.2 (the book's method)",
            closed_form_error,
            "<",
            1e-14,
            "float64 rounding of values ≤ 1/2",
        ),
    ]


@claim_set("periodic-method")
def sampling_claims(rows: Sequence[Mapping[str, float]]) -> list[Claim]:
    """The alignment quadrature is converged; sampled targets agree with it within 4 standard errors up to
    r = 3; at the largest radius the sample misses the rare aligned targets by more than 3 standard errors.
    Each row: radius, exact, change (at doubled nodes), estimate, error (its standard error)."""
    z = {row["radius"]: (row["estimate"] - row["exact"]) / row["error"] for row in rows}
    last = rows[-1]
    return [
        Claim(
            "periodic_alignment_converged",
            "doubling both node counts changes the variance by < 1e-12",
            "§2.2 (the book's method)",
            max(row["change"] for row in rows),
            "<",
            1e-12,
            "relative; float64",
        ),
        Claim(
            "periodic_sampled_agrees",
            "sampled targets agree with the exact variance for r ≤ 3",
            "§2.2 (the book's method)",
            max(abs(v) for r, v in z.items() if r <= 3),
            "<=",
            4.0,
            "the sample's own standard error; bound 4 s.e.",
        ),
        Claim(
            "periodic_sampled_misses",
            "at the largest r the sample falls short by over 3 of its s.e.",
            "§2.2 (why exact averaging)",
            -z[last["radius"]],
            ">",
            3.0,
            "the sample's own standard error",
            details={"ratio": last["estimate"] / last["exact"]},
        ),
        Claim(
            "periodic_sampled_far_off",
            "... and returns less than half the exact value",
            "§2.2 (why exact averaging)",
            last["estimate"] / last["exact"],
            "<",
            0.5,
            "ratio to the exact value",
        ),
    ]


@claim_set("periodic-method")
def alignment_claims(measured: np.ndarray, predicted: np.ndarray) -> list[Claim]:
    """The median best alignment of a freshly initialised layer matches the prediction for units uniform on the
    sphere (PyTorch's initialisation draws each unit's direction uniformly)."""
    return [
        Claim(
            "periodic_alignment_prediction",
            "median best ρ² at initialisation within 0.1 of the prediction",
            "§2.2 (lucky units)",
            float(np.abs(measured - predicted).max()),
            "<",
            0.1,
            "medians of 32 draws of the best of m units: their spread is a few hundredths",
        ),
    ]


@claim_set("periodic-method")
def band_claims(median_initial: Mapping[int, float], bands: Mapping[int, tuple[float, float]]) -> list[Claim]:
    """Far from the transition the half-variance band tells the typical runs apart: the median d = 16 run starts
    inside it, the median d = 32 run outside. (It does not predict the runs near the transition.)"""
    return [
        Claim(
            "periodic_d16_in_band",
            "the median d = 16 run starts inside the band",
            "§2.2 (lucky units)",
            median_initial[16] - bands[16][0],
            ">=",
            0.0,
            "median best ρ² minus the band's edge",
        ),
        Claim(
            "periodic_d32_outside_band",
            "the median d = 32 run starts outside it",
            "§2.2 (lucky units)",
            bands[32][0] - median_initial[32],
            ">",
            0.0,
            "the band's edge minus the median best ρ²",
        ),
    ]


@claim_set("periodic-method")
def precision_claims(deepest_change: float) -> list[Claim]:
    """The exact variance keeps its precision far below float64's roundoff squared: doubling the nodes at the
    largest radius and dimension changes it by less than 1e-12 relative."""
    return [
        Claim(
            "periodic_no_quadrature_floor",
            "at the deepest point, doubling both node counts changes < 1e-12",
            "§2.2 (the book's method)",
            deepest_change,
            "<",
            1e-12,
            "relative change; float64 rounding",
        ),
    ]
