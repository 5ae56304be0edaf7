"""§5's claims. Figure 7: the forward-only rule learns the flat staircase best, the non-flat approximation worst,
and the multi-class learner errs only at the steps' boundaries. Appendix A.7: forward-only descent's rate."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from gradfail.claims import Claim, claim_set
from gradfail.flat.convergence import RAMP_LIPSCHITZ, ForwardOnlyTrajectory, a7_runs
from gradfail.flat.experiment import distance_to_nearest_step, exact_step_share, final_test_error, key
from gradfail.flat.learners import LEARNERS
from gradfail.flat.settings import FlatSettings
from gradfail.flat.stuck import descent_through_staircase
from gradfail.results import Results

QUICK = FlatSettings.quick()

EXACT_SHARE = 0.95
NEAR = 0.01  # "near a boundary": within this distance of a step
NEAR_SHARE = 0.9
CONCENTRATION = 3.0


@claim_set("flat")
def figure7_claims(results: Results) -> list[Claim]:
    """Forward-only has the lowest test error and non-flat the highest; forward-only lands on the exact step
    almost everywhere; the end-to-end MLP's error and the multi-class learner's mistakes sit at the steps."""
    mse = {learner: final_test_error(results, learner) for learner in LEARNERS}
    others = [mse[learner] for learner in LEARNERS if learner != "forward-only"]
    rest = [mse[learner] for learner in LEARNERS if learner != "non-flat"]
    test_points = len(results["test_label"])
    errors = results[key("multi-class", "prediction")] != results["test_label"]
    near = distance_to_nearest_step(results) <= NEAR
    errors_near = float(near[errors].mean()) if errors.any() else np.nan
    corner_error = (results[key("end-to-end", "prediction")] - results["test_label"]) ** 2
    fixed = f"test error on the same {test_points:,} test points for every learner: a paired comparison"
    return [
        Claim(
            "fig7_forward_only_best",
            "the forward-only learner ends with the lowest test error of the four",
            "§5.3, Figure 7",
            mse["forward-only"] / min(others),
            "<",
            1.0,
            fixed,
            details={learner.replace("-", "_"): value for learner, value in mse.items()},
        ),
        Claim(
            "fig7_non_flat_worst",
            "the non-flat approximation ends with the highest test error of the four",
            "§5.1, Figure 7",
            max(rest) / mse["non-flat"],
            "<",
            1.0,
            fixed,
        ),
        Claim(
            "fig7_forward_only_exact",
            f"the forward-only learner predicts the exact step on at least {EXACT_SHARE:.0%} of the test points",
            "§5.3, Figure 7e",
            exact_step_share(results, "forward-only"),
            ">=",
            EXACT_SHARE,
            f"a share of {test_points:,} points: s.e. ≤ {np.sqrt(0.05 * 0.95 / test_points):.4f}",
            details={"multi_class": exact_step_share(results, "multi-class")},
        ),
        Claim(
            "fig7_multi_class_errors_at_boundaries",
            f"at least {NEAR_SHARE:.0%} of the multi-class learner's errors lie within {NEAR} of a step boundary",
            "§5.2, Figure 7d",
            errors_near,
            ">=",
            NEAR_SHARE,
            f"a share of the learner's {int(errors.sum()):,} wrong test points",
            details={"baseline": float(near.mean()), "near": NEAR},
        ),
        Claim(
            "fig7_end_to_end_rounds_corners",
            f"over half of the end-to-end MLP's squared error lies within {NEAR} of a step",
            "§5.2, Figure 7b",
            float(corner_error[near].sum() / corner_error.sum()),
            ">",
            0.5,
            "a share of the squared error on the test points; 'rounds the corners' means most of it is there",
            details={"points": float(near.mean())},
        ),
        Claim(
            "fig7_boundary_concentration",
            f"those errors are at least {CONCENTRATION:g} times likelier near a boundary than a random test point",
            "§5.2, Figure 7d",
            errors_near / float(near.mean()),
            ">=",
            CONCENTRATION,
            "a ratio of two shares of the same test points",
        ),
    ]


@claim_set("appendix-a7", inputs=lambda seed: (*a7_runs(seed), RAMP_LIPSCHITZ))
def appendix_a7_claims(
    trajectories: Mapping[int, ForwardOnlyTrajectory], bounds: Sequence[float], lipschitz: float
) -> list[Claim]:
    """Appendix A.7 on exact population runs (one per horizon T): the proof's per-step inequality holds, the mean
    error stays below L·G·√D/√T, falls with T, and falls more slowly than the bound's T^(−1/2)."""
    horizons = sorted(trajectories)
    errors = [float(trajectories[t].errors[:-1].mean()) for t in horizons]
    slack = min(float(trajectories[t].inequality_slack(lipschitz).min()) for t in horizons)
    rate = float(np.polyfit(np.log(horizons[-3:]), np.log(errors[-3:]), 1)[0])
    exact = "expectations over a fixed population, computed exactly in float64 (rounding ≈ 1e−15)"
    return [
        Claim("a7_step_inequality", "every step moves w closer to v* by at least the proof's amount (smallest slack)",
              "appendix A.7", slack, ">=", -1e-12, exact),
        Claim("a7_rate_bound", "the mean error over T steps stays below L·G·√D/√T at every horizon (largest ratio)",
              "appendix A.7", max(e / b for e, b in zip(errors, bounds, strict=True)), "<=", 1.0, exact,
              details={"first": bounds[0] / errors[0], "last": bounds[-1] / errors[-1]}),
        Claim("a7_error_falls", "the mean error falls from each horizon to the next (largest ratio)",
              "appendix A.7", max(b / a for a, b in itertools.pairwise(errors)), "<", 1.0, exact),
        Claim("a7_slower_than_bound", "over the longest three horizons it falls as T^a with a above the bound's −1/2",
              "appendix A.7 (the book's measurement)", rate, ">", -0.5, exact + "; a least-squares slope",
              details={"rate": rate}),
    ]  # fmt: skip


@claim_set(
    "flat-gradient",
    inputs=lambda seed: descent_through_staircase(QUICK, seed).claim_inputs(),
)
def zero_gradient_claims(largest_gradient: float, largest_move: float) -> list[Claim]:
    """§5.1: through the staircase the gradient is exactly zero, so gradient descent does not move at all."""
    return [
        Claim(
            "flat_zero_gradient",
            "autograd's gradient through the staircase is exactly zero",
            "§5.1 (the gradient of a piecewise-flat function)",
            largest_gradient,
            "<=",
            0.0,
            "largest |coordinate| of the gradient; exact, any non-zero is a failure",
        ),
        Claim(
            "flat_descent_stuck",
            "gradient descent leaves every parameter exactly where it started",
            "§5.1",
            largest_move,
            "<=",
            0.0,
            "largest parameter change; exact",
        ),
    ]
