"""Figure 6's claims (paper §4.1), checked on a conditioning run: the conditioned learner's filter and encoding,
the order of the two Adam learners on the encoding and on the curve, where each learner's error sits, and how
many gradient-descent steps Adam's progress is worth."""

from __future__ import annotations

import numpy as np

from gradfail.claims import Claim, claim_set, worst
from gradfail.conditioning.descent import adam_learner_problems, equivalent_iterations
from gradfail.conditioning.experiment import KINK_RADII, filter_distance, rolling_median, value_at
from gradfail.results import Results, first_step

FC, CONV, COND = range(3)  # the linear learners, in the order of the results' second axis
NEAR, WIDE = range(len(KINK_RADII))
EARLY = 2_000  # iterations: the start of training, well before the convolution's error drops below the other's
SPAN = 2_500  # iterations in a running median's window
JUMP = 2.0  # an evaluation "jumps" when its error is above twice the running median
SECOND_DIFFERENCE = np.array([1.0, -2.0, 1.0])
SECOND_DIFFERENCE_UNIT = SECOND_DIFFERENCE / np.linalg.norm(SECOND_DIFFERENCE)
MEDIANS = "medians over evaluations, every replicate (Adam's spikes would otherwise decide single evaluations)"


def quarter_medians(values: np.ndarray, parts: int = 4) -> np.ndarray:
    """Medians over `parts` consecutive stretches of evaluations, shape (parts, ...)."""
    return np.stack([np.median(part, axis=0) for part in np.array_split(values, parts)])


@claim_set("conditioning")
def figure6_claims(results: Results) -> list[Claim]:
    """§4.1's picture: conditioning finds [1, −2, 1] at once; the convolution trails the fully connected layer on
    the encoding early and leads late, but trails it on the decoded curve throughout; the fully connected
    layer's encoding error sits at the kinks, its curve error does not; the auto-encoder's sits at the kinks."""
    trained = results["steps"] > 0
    steps, encoding, decoded = (
        results["steps"][trained],
        results["encoding_error"][trained],
        results["decoded_error"][trained],
    )
    snapshots = results.settings["snapshots"]
    at_snapshots = np.stack([value_at(results, "encoding_error", s) for s in snapshots])  # (snapshots, 3, R)
    gap = at_snapshots[:, [FC, CONV]].min(axis=1) / at_snapshots[:, COND]
    early = np.median(encoding[steps <= EARLY], axis=0)  # (3, R)
    last_quarter = quarter_medians(encoding)[-1]
    decoded_quarters = quarter_medians(decoded)  # (4, 3, R)
    second_half = slice(len(steps) // 2, None)
    curve_ratio = np.median(results["decoded_kink_ratio"][trained][second_half, FC], axis=0)  # (R, radii)
    code_ratio = np.median(results["encoding_kink_ratio"][trained][second_half, FC], axis=0)
    autoencoder = results["autoencoder_kink_ratio"][results["autoencoder_steps"] > 0]
    autoencoder = np.median(autoencoder[len(autoencoder) // 2 :], axis=0)  # (R, radii)
    running = rolling_median(steps, encoding, SPAN)
    overtakes = first_step(steps, running[:, CONV] < running[:, FC])
    ratio_why = "mean squared error near the kinks over that elsewhere, median over the second half of training"
    jumps = (encoding > JUMP * running).mean(axis=0)  # (3, R): share of evaluations above twice the running median
    last_filter = results["filters"][-1, 0]  # the convolution's filter at the last snapshot, (R, 3)
    along = last_filter @ SECOND_DIFFERENCE_UNIT
    off_direction = np.linalg.norm(last_filter - along[:, None] * SECOND_DIFFERENCE_UNIT, axis=1)
    scale = along / np.linalg.norm(SECOND_DIFFERENCE)  # the filter is scale · [1, −2, 1] plus the residual
    return [
        Claim(
            "fig6_conditioned_filter",
            "the conditioned learner's filter is [1, −2, 1] at every snapshot (max distance)",
            "§4.1.3, Figure 6c",
            float(filter_distance(results)[:, 1].max()),
            "<",
            1e-3,
            "an optimum reached to rounding would be ≈ 1e−15; 1e−3 is far below the unconditioned filters' distance",
        ),
        Claim(
            "fig6_conditioned_gap",
            "its encoding error is over 1,000 times below both other learners' at every snapshot",
            "§4.1.3, Figure 6c",
            float(gap.min()),
            ">",
            1e3,
            "ratio of validation errors at equal iterations; three orders of magnitude is the paper's picture",
        ),
        Claim(
            "fig6_conditioned_first_evaluation",
            "it is below 1e−6 already at the first evaluation",
            "§4.1.3, Figure 6c",
            float(encoding[0, COND].max()),
            "<",
            1e-6,
            "relative validation error after the first evaluation interval",
        ),
        Claim(
            "fig6_convolution_worse_early",
            f"over the first {EARLY:,} iterations the convolution's encoding error exceeds the fully connected one's",
            "§4.1.2, Figure 6b (a finding: the paper shows the convolution ahead)",
            float(early[CONV].min() - early[FC].max()),
            ">",
            0.0,
            MEDIANS,
            details={"conv": float(early[CONV].min()), "fc": float(early[FC].max())},
            finding="with the paper's curves the convolution's encoding error trails the fully connected layer's "
            "early in training (Figure 6b shows the convolution ahead)",
        ),
        Claim(
            "fig6_convolution_better_late",
            "over the last quarter of training the convolution's encoding error is below the fully connected one's",
            "§4.1.2, Figure 6b",
            float(last_quarter[FC].min() - last_quarter[CONV].max()),
            ">",
            0.0,
            MEDIANS,
            details={
                "conv": float(last_quarter[CONV].max()),
                "fc": float(last_quarter[FC].min()),
                "overtakes": " and ".join("never" if np.isnan(x) else f"{x:,.0f}" for x in overtakes),
            },
        ),
        Claim(
            "fig6_curve_order_reversed",
            "on the decoded curve the fully connected layer is ahead of the convolution in every quarter",
            "§4.1, Figure 6a–b (a finding: Figure 6 plots decoded curves)",
            float(decoded_quarters[:, CONV].min() - decoded_quarters[:, FC].max()),
            ">",
            0.0,
            MEDIANS,
            details={"fc": float(decoded_quarters[:, FC].max()), "conv": float(decoded_quarters[:, CONV].min())},
            finding="on the decoded curves, which Figure 6 plots, the fully connected layer is ahead of the "
            "convolution throughout training",
        ),
        Claim(
            "fig6_fc_encoding_at_kinks",
            "the fully connected layer's encoding error is over ten times denser at the kinks",
            "§4.1.1, Figure 6a",
            float(code_ratio.min()),
            ">",
            10.0,
            ratio_why,
            details={"near": float(code_ratio[:, NEAR].min()), "wide": float(code_ratio[:, WIDE].min())},
        ),
        Claim(
            "fig6_fc_curve_not_at_kinks",
            "its decoded curve's error is not concentrated at the kinks",
            "§4.1.1, Figure 6a (a finding: the paper sees inaccuracies at the non-smooth points)",
            float(curve_ratio.max()),
            "<",
            1.0,
            ratio_why,
            details={"near": float(curve_ratio[:, NEAR].max()), "wide": float(curve_ratio[:, WIDE].max())},
            finding="the fully connected layer's decoded curves are no less accurate at the kinks than elsewhere; "
            "its encodings are",
        ),
        Claim(
            "fig6_convolution_jumps",
            f"the convolution's encoding error jumps above {JUMP:g}× its running median in ≥ 5% of evaluations",
            "§4.1.2, Figure 6b (Adam at the scripts' learning rate)",
            float(jumps[CONV].min()),
            ">=",
            0.05,
            f"share of evaluations; validation noise on {results.settings['validation_curves']:,} curves moves the "
            "error by a few percent, never twofold; 5% is one evaluation in twenty",
        ),
        Claim(
            "fig6_fully_connected_smooth",
            f"the fully connected learner's never does (share of evaluations above {JUMP:g}× its running median)",
            "§4.1.1, Figure 6a",
            float(jumps[FC].max()),
            "<=",
            0.0,
            "share of evaluations, same rule: the contrast that makes the convolution's jumps its own",
        ),
        Claim(
            "fig6_convolution_filter_direction",
            "at the last snapshot the convolution's filter points along [1, −2, 1] (relative residual < 0.1)",
            "§4.1.2, Figure 6b",
            float((off_direction / np.linalg.norm(last_filter, axis=1)).max()),
            "<",
            0.1,
            "norm of the filter's part orthogonal to [1, −2, 1] over the filter's norm; exact in the weights",
        ),
        Claim(
            "fig6_convolution_filter_too_small",
            "but it is too small: c · [1, −2, 1] with c < 0.9, so the encoding is scaled down",
            "§4.1.2, Figure 6b",
            float(scale.max()),
            "<",
            0.9,
            "the filter's component along [1, −2, 1] over that of [1, −2, 1]; exact in the weights",
            details={"low": float(scale.min())},
        ),
        Claim(
            "fig6_autoencoder_close",
            "the auto-encoder's final reconstruction error is below 1% of the curve's energy",
            "§4.1.4, Figure 6d",
            float(results["autoencoder_error"][-1].max()),
            "<",
            0.01,
            "relative validation error; 1% is the tolerance the book uses for 'reached' throughout",
        ),
        Claim(
            "fig6_autoencoder_at_kinks",
            f"the auto-encoder's error is over 1.5 times denser within {KINK_RADII[NEAR]:.0f} of a kink",
            "§4.1.4, Figure 6d",
            worst(autoencoder[:, NEAR], ">"),
            ">",
            1.5,
            ratio_why,
        ),
    ]


ADAM_SPEEDUP = 5.0  # Adam's progress counts as "much faster" when gradient descent needs five times the iterations


@claim_set("conditioning")
def optimiser_claims(results: Results) -> list[Claim]:
    """Adam against gradient descent (step 1/μ₁) on the same population objective: the iterations gradient descent
    needs to reach the encoding error each Adam learner ends with, over Adam's iterations."""
    steps, encoding = results["steps"], results["encoding_error"]
    final = rolling_median(steps[1:], encoding[1:], SPAN)[-1]  # (3, R): the running median at the last evaluation
    settings = results.settings
    problems = adam_learner_problems(settings["length"], settings["kinks"], settings["distribution"])
    worth = {
        learner: equivalent_iterations(problem, final[i]).min() for i, (learner, problem) in enumerate(problems.items())
    }
    return [
        Claim(
            "fig6_adam_faster_than_gd",
            f"gradient descent needs over {ADAM_SPEEDUP:g}× Adam's iterations to reach Adam's final encoding errors",
            "§4.1.1–4.1.2, Figure 6a–b",
            float(min(worth.values()) / steps[-1]),
            ">",
            ADAM_SPEEDUP,
            f"closed-form gradient descent against Adam's running median over the last {SPAN:,} iterations, worst "
            "replicate; validation noise moves that median by a few percent, the count by far less than 5×",
            details={
                "gd_fc": float(worth["fully connected"]),
                "gd_conv": float(worth["convolution"]),
                "fc": float(final[FC].max()),
                "conv": float(final[CONV].max()),
                "steps": float(steps[-1]),
            },
        )
    ]
