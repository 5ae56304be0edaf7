"""Theorem 2's consequence in training (the book's experiment; paper §2.2): networks learn cos(v*·x) with
‖v*‖ = √d in small dimension and stay at the trivial predictor's error in large dimension."""

from __future__ import annotations

import numpy as np

from gradfail.claims import Claim, claim_set
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
