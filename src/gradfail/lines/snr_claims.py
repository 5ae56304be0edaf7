"""Figure 5's claims (paper §3.1): the SNR of single-tuple gradients at initialisation stays resolved for the
decomposition objective at every k and collapses for end-to-end from k = 2 on."""

from __future__ import annotations

import numpy as np

from gradfail.claims import Claim, claim_set
from gradfail.lines.settings import LineSettings, SnrSettings
from gradfail.lines.snr import SnrEstimate, estimate_snr, median_confidence_interval, resolved_upper_bound

GAP = 1_000  # "orders of magnitude": end-to-end at least this factor below decomposition
E2E_LEVEL = 1e-6  # end-to-end's SNR for k ≥ 3 is bounded below this
FLOAT32_EPS = float(np.finfo(np.float32).eps)
INTERVAL = "distribution-free 95% interval of the median over initialisations"


def figure5_numbers(estimate: SnrEstimate, batch_size: int, beta1: float) -> dict[str, float | str]:
    """The medians, intervals and gaps of Figure 5 that the claims and the prose use."""
    summary = {loss: median_confidence_interval(estimate.of(loss)) for loss in estimate.losses}
    (dec, dec_low, dec_high), (e2e, e2e_low, e2e_high) = summary["decomposition"], summary["end-to-end"]
    first, first_low, _ = summary["first image"]
    at = {k: i for i, k in enumerate(estimate.ks)}
    e2e_bound = dict(zip(estimate.ks, resolved_upper_bound(estimate.of("end-to-end")), strict=True))
    gaps = {k: dec_low[at[k]] / e2e_bound[k] for k in (2, 3, 4)}
    upper_k34 = max(e2e_bound[3], e2e_bound[4])
    momentum_steps = round(1 / (1 - beta1))  # Adam's first moment averages about this many steps
    effective = batch_size * momentum_steps * dec
    unresolved = all(e2e_low[at[k]] <= 0 for k in (2, 3, 4))
    return {
        "dec_lowest_lower": float(dec_low.min()),
        "dec_spread": float(dec.max() / dec.min()),
        "dec_growth": float(dec_low[at[4]] / dec_high[at[1]]),
        "first_lowest_lower": float(first_low.min()),
        "first_spread": float(first.max() / first.min()),
        "e2e_lower_k1": float(e2e_low[at[1]]),
        "k1_overlap": float(min(dec_high[at[1]] - e2e_low[at[1]], e2e_high[at[1]] - dec_low[at[1]])),
        "e2e_over_dec_k34": float(max(e2e_high[at[k]] / dec_low[at[k]] for k in (3, 4))),
        "gap_opening": float(gaps[2] / (dec[at[1]] / e2e[at[1]])),
        "dec_snr_k1": float(dec[at[1]]),
        "dec_snr_k4": float(dec[at[4]]),
        "first_snr": float(np.median(first)),
        "e2e_snr_k1": float(e2e[at[1]]),
        "ratio_k1": float(dec[at[1]] / e2e[at[1]]),
        "e2e_upper_k2": float(e2e_bound[2]),
        "e2e_upper_k34": float(upper_k34),
        "e2e_level": E2E_LEVEL,
        "gap_k2": float(gaps[2]),
        "gap_k34": float(min(gaps[3], gaps[4])),
        "float32_eps": FLOAT32_EPS,
        "momentum_steps": momentum_steps,
        "dec_effective_min": float(effective.min()),
        "dec_effective_k1": float(effective[at[1]]),
        "dec_effective_k4": float(effective[at[4]]),
        "e2e_effective": float(batch_size * momentum_steps * upper_k34),
        "e2e_intervals": "reach down to zero: the signal is below this estimator's resolution"
        if unresolved
        else "do not all reach zero: some of these tiny signals are resolved",
        "float32_verdict": "below it, in line with the paper"
        if upper_k34 < FLOAT32_EPS
        else "not that tight, but it confirms a collapse by three orders of magnitude",
    }


def quick_snr_inputs(seed: int) -> tuple[SnrEstimate, int, float]:
    """`figure5_claims`' arguments at the quick settings."""
    lines = LineSettings.quick()
    return estimate_snr(SnrSettings.quick(), seed=seed), lines.batch_size, lines.beta1


@claim_set("figure-5", inputs=quick_snr_inputs)
def figure5_claims(estimate: SnrEstimate, batch_size: int, beta1: float) -> list[Claim]:
    """Decomposition's SNR resolved and flat-to-growing in k; end-to-end's resolved at k = 1 next to it and
    1,000 times below it from k = 2 on, under 1e-6 for k ≥ 3; what Adam's averaged batches make of both."""
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
            "... and its median stays within a factor 10 over k",
            section,
            n["dec_spread"],
            "<",
            10.0,
            "ratio of the largest to the smallest median over k",
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
            f"from k = 1 to k = 2 the gap grows over {GAP:,}-fold",
            section,
            n["gap_opening"],
            ">",
            GAP,
            INTERVAL + "s, end-to-end's upper end raised to its scatter",
        ),
        Claim(
            "fig5_end_to_end_below_level",
            f"end-to-end's SNR for k ≥ 3 is below {E2E_LEVEL:g}",
            section,
            n["e2e_upper_k34"],
            "<",
            E2E_LEVEL,
            INTERVAL + "'s upper end, raised to the estimates' scatter",
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
            "SNR bound times the examples averaged",
        ),
    ]
