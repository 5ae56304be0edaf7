"""Which training runs on cos(v*ᵀx), r = √d, learn (§2.2, the book's experiment), as claims on a periodic run: every
run below the transition learns, every run above it fails, and at the transition (paper scale) the same network and
target learn on one stream of training batches and fail on another; plain SGD aligns the same runs as Adam, later."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from gradfail.claims import Claim, claim_set, worst
from gradfail.periodic.claims import ERROR_WHY, LAST, LEARNED, NOT_LEARNED, final_relative_error
from gradfail.results import Results, first_step

BELOW, ABOVE = 16, 24  # the dimensions on either side of the transition (d = 20 at paper scale)
ALIGNED = 0.99  # a unit "turned onto v*"
ESCAPED = 0.9  # the best unit's ρ² at which a run counts as having found v* (for the time it takes)


def initial_factor(results: Results) -> np.ndarray:
    """Per run, the best unit's factor exp(−r²(1 − ρ²)/2) at initialisation, with r² = d."""
    return np.exp(-results["train_dims"] * (1 - results["best_alignment"][0]) / 2)


def noise_level(results: Results) -> float:
    """1/√(batch × iterations): the relative size of the noise left in a gradient averaged over every example that
    training draws."""
    return 1 / math.sqrt(results.settings["batch_size"] * results.settings["iterations"])


def repeat_errors(results: Results) -> np.ndarray:
    """Final relative test error of each network–target pair of `repeat_dim` (rows) on each batch stream (columns;
    the first is the run of the main sweep)."""
    dims, replicates = results["train_dims"], int(results.settings["replicates"])
    main = final_relative_error(results)[dims == results.settings["repeat_dim"]]
    repeats = results["repeat_relative_error"][-LAST:].mean(axis=0).reshape(-1, replicates)  # (streams, replicates)
    return np.column_stack([main, repeats.T])


def repeat_outcomes(results: Results) -> np.ndarray:
    """Learned (True) or not, for each pair (rows) and batch stream (columns) of `repeat_errors`."""
    return repeat_errors(results) <= LEARNED


def escape_steps(steps: np.ndarray, alignment: np.ndarray) -> np.ndarray:
    """Per run, the first evaluation at which the best unit reaches ρ² ≥ 0.9 (NaN: never)."""
    return first_step(steps, alignment >= ESCAPED)


def sgd_numbers(results: Results) -> dict[str, float]:
    """Plain SGD against Adam on the same networks, targets and batches: the smallest final ρ² of the SGD runs at
    d ≤ 16, and per d the median ratio of the steps each optimiser needs to find v* (∞ if SGD never does)."""
    sgd_dims, dims = results["sgd_train_dims"], results["train_dims"]
    sgd_escape = escape_steps(results["steps"], results["sgd_best_alignment"])
    adam_escape = escape_steps(results["steps"], results["best_alignment"])
    numbers = {"sgd_aligned_min": worst(results["sgd_best_alignment"][-1][sgd_dims <= BELOW], ">")}
    for d in np.unique(sgd_dims[sgd_dims <= BELOW]):
        ratio = np.nan_to_num(sgd_escape[sgd_dims == d], nan=np.inf) / adam_escape[dims == d]
        numbers[f"slowdown_d{d}"] = float(np.median(ratio))
    sgd_final = results["sgd_relative_error"][-LAST:].mean(axis=0)
    for d in np.unique(sgd_dims):
        numbers[f"sgd_learned_d{d}"] = f"{int((sgd_final[sgd_dims == d] <= LEARNED).sum())} of {(sgd_dims == d).sum()}"
    return numbers


@claim_set("periodic")
def transition_claims(results: Results) -> list[Claim]:
    """Every run that learns ends aligned with v*; every run at d ≤ 16 learns and every run at d ≥ 24 fails; where
    the run holds them (paper scale), repeats at the transition split on the batches, and plain SGD aligns the runs
    at d ≤ 16 too, later than Adam."""
    final, dims, trained = final_relative_error(results), results["train_dims"], results["best_alignment"][-1]
    learned = final <= LEARNED
    why = ERROR_WHY.format(int(results.settings["test_samples"]))
    section = "§2.2 (the book's experiment: which runs learn)"
    claims = [
        Claim(
            "periodic_learned_aligned",
            f"every run that learned ends with a unit at ρ² > {ALIGNED}",
            section,
            float(trained[learned].min()) if learned.any() else math.nan,
            ">",
            ALIGNED,
            f"ρ² of the best unit at the end; {ALIGNED} is 'turned onto v*'",
        ),
        Claim(
            "periodic_below_transition_learn",
            f"every run at d ≤ {BELOW} ends below relative error {LEARNED}",
            section,
            worst(final[dims <= BELOW], "<="),
            "<=",
            LEARNED,
            why,
        ),
        Claim(
            "periodic_above_transition_fail",
            f"every run at d ≥ {ABOVE} stays above relative error {NOT_LEARNED}",
            section,
            worst(final[dims >= ABOVE], ">="),
            ">=",
            NOT_LEARNED,
            why,
        ),
    ]
    if "repeat_relative_error" in results.arrays:
        outcomes = repeat_outcomes(results)
        split = outcomes.any(axis=1) & ~outcomes.all(axis=1)
        claims.append(
            Claim(
                "periodic_transition_split",
                f"at d = {results.settings['repeat_dim']} some network and target learn on one stream of batches "
                "and fail on another",
                section,
                float(split.sum()),
                ">=",
                1.0,
                "pairs (same initial network and target) with both outcomes over their batch streams; so no "
                "property of the initial state can tell the runs apart",
                details={"learned": int(outcomes.sum()), "runs": outcomes.size, "pairs": len(outcomes)},
            )
        )
    if "sgd_relative_error" in results.arrays:
        numbers = sgd_numbers(results)
        slowdowns = {key: value for key, value in numbers.items() if key.startswith("slowdown")}
        claims += [
            Claim(
                "periodic_sgd_aligns",
                f"plain SGD turns a unit onto v* (ρ² > {ALIGNED}) in every run at d ≤ {BELOW}",
                "§2.2 (plain-SGD control)",
                numbers["sgd_aligned_min"],
                ">",
                ALIGNED,
                "ρ² of the best unit at the end of the SGD runs",
            ),
            Claim(
                "periodic_sgd_slower",
                f"it needs more steps than Adam to find v* at every d ≤ {BELOW} (median over runs)",
                "§2.2 (plain-SGD control)",
                min(slowdowns.values()),
                ">",
                1.0,
                f"ratio of the first evaluations at which the best unit reaches ρ² ≥ {ESCAPED}; same networks, "
                "targets and batches; evaluations every few hundred steps",
                details=slowdowns,
            ),
        ]
    return claims


def threshold_table(runs: Sequence[Results]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per committed seed: (d, the best unit's initial factor, learned) of every training run."""
    return [(r["train_dims"], initial_factor(r), final_relative_error(r) <= LEARNED) for r in runs]


def transition_numbers(
    table: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], edges: dict[int, float]
) -> dict[str, float | str]:
    """Over every seed of `table`, at each d of `edges` (the half-variance band's ρ² edge, r² = d): the runs, those
    starting inside the band and those of them that learned; and the gap that separates the first seed's runs."""
    numbers: dict[str, float | str] = {}
    for d, edge in edges.items():
        runs = [(f[dims == d], ok[dims == d]) for dims, f, ok in table]
        factor, learned = np.concatenate([f for f, _ in runs]), np.concatenate([ok for _, ok in runs])
        inside = factor >= math.exp(-d * (1 - edge) / 2)
        numbers |= {f"runs_d{d}": len(factor), f"in_band_d{d}": int(inside.sum())}
        numbers |= {f"in_band_learned_d{d}": int((inside & learned).sum()), f"learned_d{d}": int(learned.sum())}
    _, factor, learned = table[0]
    return numbers | {"gap_low": float(factor[~learned].max()), "gap_high": float(factor[learned].min())}


def fitted_threshold(factor: np.ndarray, learned: np.ndarray) -> float:
    """The geometric middle of the gap between the largest factor of a failed run and the smallest of a learned
    run; NaN if no threshold separates them."""
    high, low = factor[~learned].max(), factor[learned].min()
    return math.sqrt(high * low) if low > high else math.nan


def _committed_table() -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    from gradfail.scorecard import committed_runs  # the scorecard imports this module

    return (threshold_table(committed_runs("periodic", "paper")),)


@claim_set("periodic-threshold", inputs=lambda seed: _committed_table(), scale="paper")
def threshold_claims(table: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[Claim]:
    """A threshold on the best unit's initial factor that separates the runs of the first committed seed
    misclassifies runs of the others."""
    (_, factor, learned), others = table[0], table[1:]
    threshold = fitted_threshold(factor, learned)
    wrong = sum(int(((f > threshold) != ok).sum()) for _, f, ok in others)
    return [
        Claim(
            "periodic_factor_threshold_fails",
            "a factor threshold fitted on seed 0's paper-scale runs misclassifies runs of the other seeds",
            "§2.2 (the book's experiment: which runs learn)",
            float(wrong) if not math.isnan(threshold) else math.nan,
            ">=",
            1.0,
            "a count of runs; the threshold is the middle of seed 0's gap, so it is fitted on those runs",
            details={"threshold": threshold, "runs": sum(len(f) for _, f, _ in others)},
        )
    ]
