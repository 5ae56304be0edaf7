"""Figure 7's claims (paper §5): the forward-only rule learns the flat staircase best, the non-flat approximation
worst, and the multi-class learner errs only at the steps' boundaries."""

from __future__ import annotations

import numpy as np

from gradfail.claims import Claim, claim_set
from gradfail.flat.experiment import distance_to_nearest_step, exact_step_share, final_test_error, key
from gradfail.flat.learners import LEARNERS
from gradfail.results import Results

EXACT_SHARE = 0.95
NEAR = 0.01  # "near a boundary": within this distance of a step
NEAR_SHARE = 0.9
CONCENTRATION = 3.0


@claim_set("flat")
def figure7_claims(results: Results) -> list[Claim]:
    """Forward-only has the lowest test error and non-flat the highest; forward-only lands on the exact step
    almost everywhere; the multi-class learner's errors sit next to step boundaries."""
    mse = {learner: final_test_error(results, learner) for learner in LEARNERS}
    others = [mse[learner] for learner in LEARNERS if learner != "forward-only"]
    rest = [mse[learner] for learner in LEARNERS if learner != "non-flat"]
    test_points = len(results["test_label"])
    errors = results[key("multi-class", "prediction")] != results["test_label"]
    near = distance_to_nearest_step(results) <= NEAR
    errors_near = float(near[errors].mean()) if errors.any() else np.nan
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
            "fig7_boundary_concentration",
            f"those errors are at least {CONCENTRATION:g} times likelier near a boundary than a random test point",
            "§5.2, Figure 7d",
            errors_near / float(near.mean()),
            ">=",
            CONCENTRATION,
            "a ratio of two shares of the same test points",
        ),
    ]
