"""The epilogue's claims: sparse parities are learned at a polynomial cost that grows with k while full ones
stay at chance, progress shows in the weights before the accuracy, and intermediate supervision makes a long
parity learnable (the book's own experiments)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from gradfail.claims import Claim, chance_bound, claim_set, worst
from gradfail.epilogue.class_size import ClassVariances, class_variances
from gradfail.epilogue.sparse import FULL, SOLVED, Z_SIGNAL, fitted_exponent, plateau_precursors, steps_to_solve
from gradfail.parity.experiment import final_accuracy
from gradfail.results import Results
from gradfail.scorecard import committed_runs

LAST = 5  # each run is judged by the mean of its last five evaluations (each on fresh samples)
LEARNED = 0.99


def exponent_or_nan(results: Results, size: int) -> float:
    """`fitted_exponent`, or NaN (a failing claim) when some run of that size never reached the bar."""
    try:
        return fitted_exponent(results, size)
    except ValueError:
        return float("nan")


@claim_set("sparse-parity")
def sparse_parity_claims(results: Results) -> list[Claim]:
    """Every sparse (n, k) run is solved; the fitted cost exponent of k = 3 exceeds that of k = 2; full parities
    stay at chance."""
    sparse, full = results["sizes"] != FULL, results["sizes"] == FULL
    sizes = sorted(int(k) for k in np.unique(results["sizes"][sparse]))
    exponents = {k: exponent_or_nan(results, k) for k in sizes}
    bound, why = chance_bound(LAST * int(results.settings["eval_samples"]))
    return [
        Claim(
            "sparse_all_solved",
            f"every sparse parity run reaches {SOLVED} test accuracy",
            "epilogue (after §2.1)",
            float(np.isnan(steps_to_solve(results)[sparse]).sum()),
            "<=",
            0.0,
            "a count of runs that never reached the bar",
        ),
        Claim(
            "sparse_cost_grows_with_k",
            f"steps to solve grow faster with n for k = {sizes[-1]} than for k = {sizes[0]}",
            "epilogue (after §2.1)",
            exponents[sizes[-1]] - exponents[sizes[0]],
            ">",
            0.0,
            "difference of two least-squares exponents of log steps against log n",
            details={f"k{k}": value for k, value in exponents.items()},
        ),
        Claim(
            "sparse_exponents_below_k_minus_1",
            "over the measured range of n, each fitted exponent of the steps to solve is below k − 1",
            "epilogue (after §2.1; cf. the n^O(k) of Barak et al. 2022)",
            float(np.max([exponents[k] - (k - 1) for k in sizes])),  # NaN if any exponent is
            "<",
            0.0,
            "largest (least-squares exponent − (k − 1)) over k; a NaN (an unsolved run) fails",
        ),
        Claim(
            "sparse_full_at_chance",
            "every full parity at the largest n stays at chance",
            "§2.1 (full parities)",
            worst(np.abs(final_accuracy(results, last=LAST)[full] - 0.5), "<="),
            "<=",
            bound,
            why,
        ),
    ]


@claim_set("intermediate")
def intermediate_claims(results: Results) -> list[Claim]:
    """With supervision of every running parity the longest parity is learned, without it it stays at chance;
    both learn the shortest."""
    final = final_accuracy(results, last=LAST)
    lengths = np.unique(results["lengths"])
    shortest, longest = int(lengths.min()), int(lengths.max())

    def runs(n: int, approach: str) -> np.ndarray:
        return final[(results["lengths"] == n) & (results["approaches"] == approach)]

    bound, why = chance_bound(LAST * int(results.settings["eval_samples"]))
    learned_why = f"the book's bar for 'learned' on {LAST * int(results.settings['eval_samples']):,} test examples"
    return [
        Claim(
            "intermediate_decomposition_learns_long",
            f"with intermediate supervision the n = {longest} parity is learned",
            "epilogue (after §3)",
            worst(runs(longest, "decomposition"), ">="),
            ">=",
            LEARNED,
            learned_why,
        ),
        Claim(
            "intermediate_end_to_end_fails_long",
            f"without it the n = {longest} parity stays at chance",
            "epilogue (after §3)",
            worst(np.abs(runs(longest, "end-to-end") - 0.5), "<="),
            "<=",
            bound,
            why,
        ),
        Claim(
            "intermediate_both_learn_short",
            f"both approaches learn the n = {shortest} parity",
            "epilogue (after §3)",
            worst(np.concatenate([runs(shortest, a) for a in ("end-to-end", "decomposition")]), ">="),
            ">=",
            LEARNED,
            learned_why,
        ),
    ]


@claim_set("sparse-parity")
def precursor_claims(results: Results) -> list[Claim]:
    """Hidden progress on 3-sparse parities (n ≥ 20): every run lifts off; in most, the degree-3 coefficient's |z|
    rises above its threshold and stays there until lift-off, and only in the plateau's second half; halfway to
    lift-off the weights show no preference for S."""
    precursors = plateau_precursors(results, 3, min_dim=20)
    expected = int(np.sum((results["sizes"] == 3) & (results["dims"] >= 20)))
    sustained = [p for p in precursors if not np.isnan(p.signal_step)]
    ahead = [(p.lift_off_step - p.signal_step) / p.lift_off_step for p in sustained]
    fresh = results["support_share"][0][results["sizes"] > 0]  # a fresh layer's share, one per run
    share_bound = 1 + 4 * float(fresh.std())
    null_rate = math.erfc(Z_SIGNAL / math.sqrt(2))  # P(|N(0, 1)| > threshold)
    section = "epilogue (the book's: hidden progress, cf. Barak et al. 2022)"
    return [
        Claim(
            "sparse_every_k3_lifts_off",
            "every 3-sparse run with n ≥ 20 lifts off",
            section,
            float(expected - len(precursors)),
            "<=",
            0.0,
            "count of runs that did not",
        ),
        Claim(
            "sparse_signal_before_lift_off",
            f"in at least half the runs |z| is above {Z_SIGNAL:g} from some step before lift-off until lift-off",
            section,
            len(sustained) / len(precursors) if precursors else np.nan,
            ">=",
            0.5,
            f"share of runs; without hidden progress a run shows it with probability ≈ {null_rate:.1g} (|z| of a "
            "normal above the threshold at the evaluation before lift-off)",
            details={"runs": len(sustained), "of": len(precursors)},
        ),
        Claim(
            "sparse_signal_late",
            "where it is sustained, the signal starts in the second half of the plateau",
            section,
            worst((p.signal_step / p.lift_off_step for p in sustained), ">="),
            ">=",
            0.5,
            "earliest start of the sustained signal as a share of the plateau; 0.5 is halfway",
            details={"ahead_low": min(ahead, default=np.nan), "ahead_high": max(ahead, default=np.nan)},
        ),
        Claim(
            "sparse_weights_blind_halfway",
            "halfway to lift-off the weight share on S is a fresh layer's",
            section,
            float(max((p.mid_share for p in precursors), default=np.nan)),
            "<",
            share_bound,
            "share relative to chance; bound 1 + 4 s.d. of the shares of the freshly initialised runs",
            details={"bound": share_bound},
        ),
    ]


@claim_set("intermediate-seeds", inputs=lambda seed: (committed_runs("intermediate", "paper"),), scale="paper")
def middle_length_claims(runs: Sequence[Results]) -> list[Claim]:
    """At the second-shortest length (n = 8 in the book's runs), over several seeds: end-to-end training learns
    the parity in some runs and stays at chance in others; with intermediate supervision every run learns it."""
    middle = min(int(sorted(np.unique(run["lengths"]))[1]) for run in runs) if runs else 0

    def finals(approach: str) -> np.ndarray:
        picked = [final_accuracy(r, last=LAST)[(r["lengths"] == middle) & (r["approaches"] == approach)] for r in runs]
        return np.concatenate(picked) if picked else np.array([])

    end_to_end = finals("end-to-end")
    samples = min((LAST * int(run.settings["eval_samples"]) for run in runs), default=1)
    bound, why = chance_bound(samples)
    learned_why = f"the book's bar for 'learned' on {samples:,} test examples"
    section = f"epilogue (after §3; n = {middle})"
    return [
        Claim(
            "intermediate_middle_end_to_end_learned_somewhere",
            f"end-to-end learns the n = {middle} parity in at least one run",
            section,
            float(max(end_to_end, default=np.nan)),
            ">=",
            LEARNED,
            learned_why,
            details={"learned": int(np.sum(end_to_end >= LEARNED)), "runs": len(end_to_end), "seeds": len(runs)},
        ),
        Claim(
            "intermediate_middle_end_to_end_stuck_somewhere",
            f"end-to-end stays at chance on the n = {middle} parity in at least one run",
            section,
            float(np.min(np.abs(end_to_end - 0.5))) if end_to_end.size else np.nan,
            "<=",
            bound,
            why,
            details={"stuck": int(np.sum(np.abs(end_to_end - 0.5) <= bound))},
        ),
        Claim(
            "intermediate_middle_decomposition_learns",
            f"with intermediate supervision every run learns the n = {middle} parity",
            section,
            worst(finals("decomposition"), ">="),
            ">=",
            LEARNED,
            learned_why,
        ),
    ]


CLASS_DIM, CLASS_MAX_SIZE = 10, 5  # the exercise's n and the largest k: exact over 2^10 inputs in well under 1 s


@claim_set("sparse-class-size", inputs=lambda seed: (class_variances(CLASS_DIM, CLASS_MAX_SIZE, seed),))
def class_size_claims(variances: ClassVariances) -> list[Claim]:
    """Theorem 1 on the k-sparse classes at initialisation: every class's variance is within G²/C(n, k); the
    4-sparse class is more informative than the 3- and 5-sparse ones (the zero-bias ReLU network favours even
    degrees)."""
    section = "§2.2, Theorem 1 on k-sparse classes (the book's exercise)"
    exact = "exact: every input and every parity enumerated, in float64"
    over_3, over_5 = (variances.variance(4) / variances.variance(k) for k in (3, 5))
    return [
        Claim(
            "sparse_class_within_bound",
            f"at n = {variances.dim}, each class of k-sparse parities has gradient variance ≤ G²/C(n, k)",
            section,
            float(np.max(variances.variances / variances.bounds)),
            "<=",
            1.0,
            f"largest variance / bound over k = 1 … {variances.sizes.max()}; {exact}",
        ),
        Claim(
            "sparse_class_odd_degree_penalised",
            "the gradient varies more over the 4-sparse parities than over the 3- or the 5-sparse ones",
            section,
            min(over_3, over_5),
            ">",
            1.0,
            f"the smaller of the two ratios of variances; {exact}",
            details={"over_3": over_3, "over_5": over_5},
        ),
    ]
