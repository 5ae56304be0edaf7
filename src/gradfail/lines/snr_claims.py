"""Figure 5's claims (paper §3.1): the SNR of single-tuple gradients at initialisation stays resolved for the
decomposition objective at every k and collapses for end-to-end from k = 2 on; what the authors' estimator and a
plain Monte Carlo estimate would show; and the k-way interaction that explains the collapse."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from gradfail.claims import Claim, claim_set
from gradfail.lines.intervals import mean_confidence_interval
from gradfail.lines.settings import LineSettings, SnrSettings
from gradfail.lines.snr import AUTHORS_BATCH, AUTHORS_SAMPLES, SnrEstimate, authors_estimate, estimate_snr

GAP = 1_000  # "orders of magnitude": end-to-end at least this factor below decomposition for k ≥ 3
GAP_K2 = 100  # ... and this factor at k = 2, where the gap is smaller (about 190× at quick seed 2)
E2E_LEVEL = 1e-6  # end-to-end's SNR for k ≥ 3 is bounded below this
FLOOR_SHARE = 1.5  # the authors' estimator reads at most this many times its floor 1/N at k ≥ 3
WEAK = 0.1  # |corr(y, σ(s))| below this: a weak per-image correlation
PLAIN_FACTOR = 10  # the plain Monte Carlo interval at k = 2 is over this many times as wide as the orbits'
PREDICTION_Z = 3.0  # prediction and measurement agree within this many standard errors of their difference
FLOAT32_EPS = float(np.finfo(np.float32).eps)
INTERVAL = "95% t interval of the mean over initialisations"


def figure5_numbers(estimate: SnrEstimate, batch_size: int, beta1: float) -> dict[str, float | str]:
    """The means, intervals and gaps of Figure 5 that the claims and the prose use."""
    summary = {loss: mean_confidence_interval(estimate.of(loss)) for loss in estimate.losses}
    (dec, dec_low, dec_high), (e2e, e2e_low, e2e_high) = summary["decomposition"], summary["end-to-end"]
    first, first_low, _ = summary["first image"]
    _, plain_low, plain_high = mean_confidence_interval(estimate.of("end-to-end", plain=True))
    at = {k: i for i, k in enumerate(estimate.ks)}
    ratio = {k: e2e_high[at[k]] / dec_low[at[k]] for k in (2, 3, 4)}  # end-to-end's upper end over dec's lower
    upper_k34 = max(e2e_high[at[3]], e2e_high[at[4]])
    momentum_steps = round(1 / (1 - beta1))  # Adam's first moment averages about this many steps
    effective = batch_size * momentum_steps * dec
    authors = authors_estimate(np.maximum(e2e_high, 0.0))
    orbit_width = e2e_high[at[2]] - e2e_low[at[2]]
    return {
        "dec_lowest_lower": float(dec_low.min()),
        "dec_spread": float(dec.max() / dec.min()),
        "dec_growth": float(dec_low[at[4]] / dec_high[at[1]]),
        "first_lowest_lower": float(first_low.min()),
        "first_spread": float(first.max() / first.min()),
        "e2e_lower_k1": float(e2e_low[at[1]]),
        "k1_overlap": float(min(dec_high[at[1]] - e2e_low[at[1]], e2e_high[at[1]] - dec_low[at[1]])),
        "e2e_over_dec_k34": float(max(ratio[3], ratio[4])),
        "gap_opening": float(ratio[2] / (e2e[at[1]] / dec[at[1]])),
        "dec_snr_k1": float(dec[at[1]]),
        "dec_snr_k4": float(dec[at[4]]),
        "first_snr": float(first.mean()),
        "e2e_snr_k1": float(e2e[at[1]]),
        "ratio_k1": float(dec[at[1]] / e2e[at[1]]),
        "e2e_upper_k2": float(e2e_high[at[2]]),
        "e2e_upper_k34": float(upper_k34),
        "e2e_level": E2E_LEVEL,
        "gap_k2": float(1 / ratio[2]) if ratio[2] > 0 else np.inf,
        "samples_k34": float(1 / upper_k34) if upper_k34 > 0 else np.inf,
        "momentum_steps": momentum_steps,
        "dec_effective_min": float(effective.min()),
        "dec_effective_k1": float(effective[at[1]]),
        "dec_effective_k4": float(effective[at[4]]),
        "e2e_effective": float(batch_size * momentum_steps * upper_k34),
        "authors_floor": 1 / AUTHORS_SAMPLES,
        "float32_eps": FLOAT32_EPS,
        "authors_over_eps": 1 / AUTHORS_SAMPLES / FLOAT32_EPS,
        "authors_k34": float(max(authors[at[3]], authors[at[4]])),
        "authors_floor_share": float(max(authors[at[3]], authors[at[4]]) * AUTHORS_SAMPLES),
        "authors_ceiling": 1 / AUTHORS_BATCH,
        "plain_lower_k2": float(plain_low[at[2]]),
        "plain_upper_k2": float(plain_high[at[2]]),
        "plain_width_factor": float((plain_high[at[2]] - plain_low[at[2]]) / orbit_width)
        if orbit_width > 0
        else np.inf,
        "e2e_resolved_ks": ", ".join(str(k) for k in estimate.ks if e2e_low[at[k]] > 0) or "none",
    }


@lru_cache(maxsize=1)
def quick_estimate(seed: int) -> SnrEstimate:
    """The quick-scale estimate at `seed`, computed once for both claim sets that use it."""
    return estimate_snr(SnrSettings.quick(), seed=seed)


def quick_snr_inputs(seed: int) -> tuple[SnrEstimate, int, float]:
    """`figure5_claims`' arguments at the quick settings."""
    lines = LineSettings.quick()
    return quick_estimate(seed), lines.batch_size, lines.beta1


@claim_set("figure-5", inputs=quick_snr_inputs)
def figure5_claims(estimate: SnrEstimate, batch_size: int, beta1: float) -> list[Claim]:
    """Decomposition's SNR resolved and flat-to-growing in k; end-to-end's resolved at k = 1 next to it and
    1,000 times below it from k = 2 on, under 1e-6 for k ≥ 3; what Adam's averaged batches make of both; what
    the authors' estimator and a plain Monte Carlo estimate could show."""
    n = figure5_numbers(estimate, batch_size, beta1)
    section = "§3.1, Figure 5"
    return [
        Claim(
            "fig5_decomposition_resolved",
            "decomposition's SNR is resolved above zero at every k",
            section,
            n["dec_lowest_lower"],
            ">",
            0.0,
            INTERVAL + ": its lower end",
        ),
        Claim(
            "fig5_decomposition_flat",
            "... and its mean stays within a factor 10 over k",
            section,
            n["dec_spread"],
            "<",
            10.0,
            "ratio of the largest to the smallest mean over k",
        ),
        Claim(
            "fig5_decomposition_grows",
            "... growing from k = 1 to k = 4 (intervals apart)",
            section,
            n["dec_growth"],
            ">",
            1.0,
            INTERVAL + "s: k = 4's lower end over k = 1's upper end",
        ),
        Claim(
            "fig5_first_image_flat",
            "the first image's loss has a resolved SNR within a factor 2 over k",
            section,
            n["first_spread"] if n["first_lowest_lower"] > 0 else np.nan,
            "<",
            2.0,
            INTERVAL + "; NaN if any interval reaches zero",
        ),
        Claim(
            "fig5_end_to_end_k1",
            "end-to-end's SNR at k = 1 is resolved and overlaps decomposition's",
            section,
            min(n["e2e_lower_k1"], n["k1_overlap"]),
            ">",
            0.0,
            INTERVAL + "s",
        ),
        Claim(
            "fig5_end_to_end_collapses",
            f"for k = 3, 4 end-to-end is over {GAP:,}× below decomposition",
            section,
            n["e2e_over_dec_k34"],
            "<",
            1 / GAP,
            INTERVAL + "s: end-to-end's upper end over decomposition's lower end",
        ),
        Claim(
            "fig5_gap_opens_at_k2",
            f"from k = 1 to k = 2 the gap grows over {GAP_K2:,}-fold",
            section,
            n["gap_opening"],
            "<",
            1 / GAP_K2,
            INTERVAL + "s: at k = 2 end-to-end's upper end over decomposition's lower end, over the ratio of "
            "the means at k = 1",
        ),
        Claim(
            "fig5_end_to_end_below_level",
            f"end-to-end's SNR for k ≥ 3 is below {E2E_LEVEL:g}",
            section,
            n["e2e_upper_k34"],
            "<",
            E2E_LEVEL,
            INTERVAL + ": its upper end",
        ),
        Claim(
            "fig5_authors_estimator_floor",
            f"the authors' estimator would read end-to-end's k ≥ 3 SNR as its own floor 1/N (within {FLOOR_SHARE}×)",
            "§3.1, Figure 5 (a finding: 'below float32 precision' is below what the estimator can show)",
            n["authors_floor_share"],
            "<",
            FLOOR_SHARE,
            f"(SNR + 1/N)/(1 + B·SNR) at the upper ends, N = {AUTHORS_SAMPLES:,}, B = {AUTHORS_BATCH}, in units of 1/N",
            finding="the authors' estimator cannot read below 1/N ≈ 2e-6, above float32's epsilon: its k ≥ 3 "
            "points are its floor, and an SNR is not bounded by float32's epsilon anyway",
        ),
        Claim(
            "fig5_plain_monte_carlo_blind",
            "a plain Monte Carlo estimate (no mirror orbits) cannot resolve end-to-end's SNR at k = 2: its "
            f"interval reaches zero and is over {PLAIN_FACTOR}× as wide as the orbits'",
            "§3.1, Figure 5 (the book's estimator)",
            n["plain_width_factor"] if n["plain_lower_k2"] <= 0 else np.nan,
            ">",
            float(PLAIN_FACTOR),
            INTERVAL + "s at k = 2: the plain one's width over the orbits'; NaN if the plain one excludes zero",
        ),
        Claim(
            "fig5_adam_decomposition",
            "Adam's ≈ batch × 1/(1 − β₁) averaged examples lift decomposition's SNR above 0.1",
            "§3.1 (the book's reading)",
            n["dec_effective_min"],
            ">",
            0.1,
            "SNR times the examples averaged; 0.1: a signal within an order of magnitude of the noise",
        ),
        Claim(
            "fig5_adam_end_to_end",
            "... but leave end-to-end's below 1e-3 for k ≥ 3",
            "§3.1 (the book's reading)",
            n["e2e_effective"],
            "<",
            1e-3,
            "SNR's upper end times the examples averaged",
        ),
    ]


def interaction_numbers(estimate: SnrEstimate) -> dict[str, float]:
    """Per k: the measured and predicted end-to-end signal (means over initialisations, 95% t intervals) and the
    z-score of their difference; the per-image correlations."""
    measured, _, measured_high = mean_confidence_interval(estimate.signal_of("end-to-end"))
    predicted, _, predicted_high = mean_confidence_interval(estimate.predicted_signal)
    count = estimate.predicted_signal.shape[-1]
    errors = [
        x.std(axis=-1, ddof=1) / np.sqrt(count) for x in (estimate.signal_of("end-to-end"), estimate.predicted_signal)
    ]
    z = np.abs(measured - predicted) / np.hypot(*errors)
    numbers = {
        "weak_correlation": float(np.median(np.abs(estimate.correlation))),
        "largest_correlation": float(np.abs(estimate.correlation).max()),
        "prediction_z": float(z.max()),
    }
    for i, k in enumerate(estimate.ks):
        numbers |= {
            f"measured_k{k}": float(measured[i]),
            f"measured_upper_k{k}": float(measured_high[i]),
            f"predicted_k{k}": float(predicted[i]),
            f"predicted_upper_k{k}": float(predicted_high[i]),
            f"z_k{k}": float(z[i]),
        }
    return numbers


def quick_interaction_inputs(seed: int) -> tuple[SnrEstimate]:
    """`interaction_claims`' argument at the quick settings."""
    return (quick_estimate(seed),)


@claim_set("line-interaction", inputs=quick_interaction_inputs)
def interaction_claims(estimate: SnrEstimate) -> list[Claim]:
    """A random N1's score correlates weakly with each image's label; the product of k − 1 such correlations and
    one per-image correlation predicts end-to-end's signal within the measurement's noise at every k (a sharp
    test only at k = 1, where the prediction is exact and the signal largest)."""
    n = interaction_numbers(estimate)
    section = "§3.3 (the book's reading of why end-to-end fails)"
    return [
        Claim(
            "interaction_weak_correlation",
            f"a random N1's score correlates weakly with the image label: median |corr(y, σ(s))| below {WEAK}",
            section,
            n["weak_correlation"],
            "<",
            WEAK,
            "median over initialisations; 0.1: a weak learner (a correlation of 1 would be a perfect one)",
            details={"largest": n["largest_correlation"]},
        ),
        Claim(
            "interaction_prediction_matches",
            f"the product-of-correlations prediction matches the measured end-to-end signal at every k "
            f"(within {PREDICTION_Z:g} s.e.)",
            section,
            n["prediction_z"],
            "<=",
            PREDICTION_Z,
            "largest over k of |measured − predicted| over the standard error of that difference (means over "
            "initialisations)",
            details={key: value for key, value in n.items() if key.startswith(("measured", "predicted", "z_"))},
        ),
    ]
