"""Every claim can fail: each claim function is checked on a hand-built genuine-looking run, where every claim
holds, and on a counterfeit, where the named claims must fail. A test fails if a claim function has no
counterfeit here."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from gradfail.claims import CLAIM_INPUTS, CLAIM_SETS, Claim, ClaimFailed, chance_bound, check, glued_values, worst
from gradfail.cli import main
from gradfail.conditioning.claims import figure6_claims, optimiser_claims
from gradfail.conditioning.theory_claims import (
    condition_claims,
    gd_order_claims,
    iteration_claims,
    kappa_c_claims,
    lemma1_claims,
    lemma2_claims,
    stability_claims,
)
from gradfail.epilogue.claims import (
    class_size_claims,
    intermediate_claims,
    middle_length_claims,
    precursor_claims,
    sparse_parity_claims,
)
from gradfail.epilogue.class_size import ClassVariances, class_variances
from gradfail.experiments import EXPERIMENTS, get_experiment
from gradfail.flat.claims import (
    appendix_a7_claims,
    figure7_claims,
    iteration_count_claims,
    plain_sgd_claims,
    plateau_claims,
    stuck_share_claims,
    training_time_claims,
    zero_gradient_claims,
)
from gradfail.flat.convergence import (
    ForwardOnlyTrajectory,
    forward_only_descent,
    ramp,
    rate_bound,
    rate_step_size,
    unit_sphere_inputs,
)
from gradfail.flat.experiment import key as flat_key
from gradfail.lines.claims import figure3_claims, k2_seed_claims
from gradfail.lines.experiment import parity_accuracy
from gradfail.lines.snr import SnrEstimate
from gradfail.lines.snr_claims import figure5_claims, interaction_claims
from gradfail.parity.claims import (
    a1_claims,
    figure1_claims,
    float32_claims,
    gf2_claims,
    lemma3_claims,
    lemma3_printed_claims,
    scaling_variant_claims,
    steps_growth_claims,
    theorem1_claims,
)
from gradfail.parity.theory import ChainRuleCheck, GradientVariance, random_network_variances
from gradfail.periodic.claims import dimension_claims, training_claims
from gradfail.periodic.law_claims import dimension_fit_claims, monte_carlo_claims, radius_claims
from gradfail.periodic.method_claims import (
    alignment_claims,
    band_claims,
    exactness_claims,
    precision_claims,
    sampling_claims,
)
from gradfail.periodic.outcome_claims import threshold_claims, transition_claims
from gradfail.results import Results, committed_results, git_state, settings_dict
from gradfail.scale import settings_for
from gradfail.scorecard import (
    CHAPTERS,
    CLAIM_FIELDS,
    FUNCTION_SECTIONS,
    METHOD_SETS,
    THEORY,
    claim_sets,
    committed_runs,
    committed_sweep,
    parse_seeds,
    registered,
    scorecard_markdown,
    scorecard_rows,
    sweep,
    sweep_lines,
    sweep_numbers,
    sweep_summary,
    write_sweep,
)
from gradfail.seeding import generator
from gradfail.stocks.claims import estimator_claims, figure4_claims

E = 40  # evaluations in a hand-built run


def flat_curves(finals: list[float], start: float = 0.5) -> np.ndarray:
    """(E, runs) curves moving linearly from `start` to each run's final value, and staying there."""
    ramp = np.clip(np.linspace(0, 2, E), 0, 1)[:, None]
    return start + ramp * (np.array(finals)[None, :] - start)


def parity_run(final: dict[int, float]) -> Results:
    dims = [d for d in final for _ in range(2)]
    supports = np.zeros((len(dims), max(dims)), dtype=bool)
    for run, d in enumerate(dims):
        supports[run, : d // 2] = True
    arrays = {"steps": np.arange(E) * 100, "accuracy": flat_curves([final[d] for d in dims]), "dims": np.array(dims)}
    return Results("parity", {"eval_samples": 500}, arrays | {"supports": supports})


def scaling_run(wider: float, known: float, per_bit: float, scale: float) -> Results:
    """A parity-scaling run: the variants' and the count network's curves, and scan steps = scale·per_bit^d."""
    dims = np.repeat(np.arange(8, 20, 2), 2)
    wobble = np.tile([0.8, 1.25], 6) * np.where((dims // 2) % 2, 1.5, 1.0)  # seed spread, odd |S| slower
    arrays = {
        "steps": np.arange(E) * 100,
        "accuracy": flat_curves([wider, 0.5]),
        "variants": np.array(["wider", "deeper"]),
        "known_steps": np.arange(E) * 100,
        "known_accuracy": flat_curves([known])[:, 0],
        "scan_dims": dims,
        "scan_steps": scale * per_bit**dims * wobble,
    }
    return Results("parity-scaling", {"eval_samples": 500, "dim": 30, "iterations": 5000, "batch_size": 128}, arrays)


def stocks_run(
    decomposition_k2000: float, end_to_end_k2000: float, still_descending: bool = False, zero_init_shift: float = 0.0
) -> Results:
    """k = 10 and 2000 from the scripts' start, and k = 2000 from zero weights (finals moved by `zero_init_shift`);
    the k = 2000 end-to-end curve descends until the last evaluation if `still_descending`."""
    ks = np.array([10, 10, 2000, 2000, 2000, 2000])
    estimators = np.array(["end-to-end", "decomposition"] * 3)
    starts = np.array(["scripts"] * 4 + ["zero"] * 2)
    finals = [-0.99, -0.99, end_to_end_k2000, decomposition_k2000]
    loss = flat_curves(finals + [f + zero_init_shift for f in finals[2:]], start=0.0)
    if still_descending:
        loss[:, 2] = np.linspace(0.0, end_to_end_k2000, E)
    arrays = {"steps": np.arange(E) * 100, "loss": loss, "stocks": ks, "estimators": estimators}
    return Results("stocks", {}, arrays | {"initialisations": starts})


def flat_run(forward_only_noise: float, multi_class_spread: bool, corners: bool = True) -> Results:
    rng = np.random.default_rng(0)
    r = rng.uniform(0, 5, 20_000)
    label = np.floor(r)
    near = np.abs(r - np.clip(np.round(r), 1, 4)) < 0.004  # next to one of the steps at 1, 2, 3, 4
    at_corner = np.abs(r - np.clip(np.round(r), 1, 4)) < 0.01
    wrong = rng.random(r.size) < near.mean() if multi_class_spread else near
    predictions = {
        "non-flat": label + rng.normal(0, 0.5, r.size),
        "end-to-end": label + rng.normal(0, np.where(at_corner, 0.3, 0.01) if corners else 0.1, r.size),
        "multi-class": np.where(wrong, label + 1, label),
        "forward-only": label + (rng.normal(0, forward_only_noise, r.size) if forward_only_noise else 0),
    }
    arrays = {"test_pre_activation": r, "test_label": label, "steps_of_u": np.arange(1.0, 5.0)}
    return Results("flat", {}, arrays | {flat_key(name, "prediction"): p for name, p in predictions.items()})


def flat_curves_run(
    forward_only_at: float = 1_000, stuck: bool = True, plateau_gradient: float = 1e-9, sgd_behind: bool = True
) -> Results:
    """A Figure 7 run with learning curves: forward-only reaching its final error at `forward_only_at` (never if
    inf), the others at 5,000; the non-flat learner stuck (constant) or not, with its final gradient; plain SGD
    behind Adam or level with it."""
    run = flat_run(0.0, multi_class_spread=False)
    steps = np.arange(0, 10_001, 250)
    arrays = dict(run.arrays)
    for name in ("non-flat", "end-to-end", "multi-class", "forward-only"):
        final = float(np.mean((run[flat_key(name, "prediction")] - run["test_label"]) ** 2))
        arrays[flat_key(name, "steps")] = steps
        arrays[flat_key(name, "mse")] = np.where(
            steps >= (forward_only_at if name == "forward-only" else 5_000), final, 1.0
        )
        arrays[flat_key(name, "gradient")] = np.full(len(steps), 0.1)
    if stuck:
        arrays[flat_key("non-flat", "prediction")] = np.full(len(run["test_label"]), 2.0)
    arrays[flat_key("non-flat", "gradient")][-1] = plateau_gradient
    noise = np.random.default_rng(1).normal(0, 0.3, len(run["test_label"])) if sgd_behind else 0.0
    arrays[flat_key("forward-only", "sgd_prediction")] = run["test_label"] + noise
    settings = {"adam_eps": 1e-5, "eval_every": 250, "forward_only_sgd_lr": 0.3, "input_dim": 100, "hidden": 100}
    return Results("flat", settings, arrays)


def solving_curve(step: float, steps: np.ndarray) -> np.ndarray:
    return np.where(steps >= step, 1.0, 0.5)


def sparse_run(full_final: float, k3_solved: bool) -> Results:
    steps = np.arange(0, 20_001, 50)
    runs = [(10, 2), (20, 2), (10, 3), (20, 3), (40, 0)]
    curves = [solving_curve(50 * n**0.5 if k == 2 else 50 * n**1.5, steps) for n, k in runs[:3]]
    curves.append(solving_curve(50 * 20**1.5 if k3_solved else np.inf, steps))
    curves.append(np.full(len(steps), full_final))
    arrays = {
        "steps": steps,
        "accuracy": np.stack(curves, axis=1),
        "dims": np.array([n for n, _ in runs]),
        "sizes": np.array([k for _, k in runs]),
    }
    return Results("sparse-parity", {"eval_samples": 2000}, arrays)


def intermediate_run(end_to_end_long: float, decomposition_long: float) -> Results:
    lengths = np.array([3, 3, 30, 30])
    approaches = np.array(["end-to-end", "decomposition"] * 2)
    accuracy = flat_curves([1.0, 1.0, end_to_end_long, decomposition_long])
    arrays = {"steps": np.arange(E) * 100, "accuracy": accuracy, "lengths": lengths, "approaches": approaches}
    return Results("intermediate", {"eval_samples": 1000}, arrays)


def middle_run(e2e: tuple[float, float], decomposition: float) -> Results:
    """An intermediate run at n = 3, 8, 30 whose two n = 8 end-to-end runs end at `e2e`."""
    lengths = np.repeat([3, 8, 30], 3)
    approaches = np.array(["end-to-end", "end-to-end", "decomposition"] * 3)
    finals = [1.0, 1.0, 1.0, *e2e, decomposition, 0.5, 0.5, 1.0]
    arrays = {"steps": np.arange(E) * 100, "accuracy": flat_curves(finals), "lengths": lengths}
    return Results("intermediate", {"eval_samples": 1000}, {**arrays, "approaches": approaches})


def lines_run(end_to_end_k3: float, decomposition_off_ceiling: float, end_to_end_k2: float = 0.5) -> Results:
    ks = np.array([1, 2, 3, 4])
    images = np.full(4, 0.97)
    decomposition = np.array([parity_accuracy(0.97, int(k)) for k in ks]) - decomposition_off_ceiling
    end_to_end = np.array([0.95, end_to_end_k2, end_to_end_k3, 0.5])
    arrays = {"ks": ks, "end_to_end_steps": np.arange(E) * 100, "decomposition_steps": np.arange(E) * 100}
    for name, finals in (("end_to_end", end_to_end), ("decomposition", decomposition)):
        arrays[f"{name}_accuracy"] = flat_curves(list(finals))
        arrays[f"{name}_image_accuracy"] = flat_curves(list(images))
    return Results("end-to-end", {"test_tuples": 2000}, arrays)


def periodic_run(largest_final: float, exponential_at_fixed_r: bool = False) -> Results:
    """Training curves, and variances falling like d^−2 (1 − 1/(2d)) at fixed r and like e^(−0.87 d) with r = √d."""
    train_dims = np.array([2, 2, 8, 8, 16, 16, 32, 32])
    finals = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, largest_final, largest_final]
    dims, tied_dims = np.array([2.0, 8, 32, 128, 512]), np.array([2.0, 8, 16, 32, 64])
    at_fixed_r = np.exp(-dims / 8) if exponential_at_fixed_r else dims**-2.0 * (1 - 0.5 / dims)
    tied = np.exp(-(1.2 if exponential_at_fixed_r else 0.87) * tied_dims)
    arrays = {
        "relative_error": flat_curves(finals, start=1.0),
        "train_dims": train_dims,
        "dimension_variance": np.stack([at_fixed_r, 2 * at_fixed_r])[None],  # (networks, radii, dims)
        "tied_variance": tied[None],
    }
    settings = {"test_samples": 8192, "dims": list(dims), "dimension_radii": [1.0, 2.0], "tied_dims": list(tied_dims)}
    return Results("periodic", settings, arrays)


def conditioning_run(convolution_early: float, autoencoder_kink_ratio: float, genuine: bool = True) -> Results:
    """Figure 6 by hand; the counterfeit (genuine=False) also has a smooth convolution and a jumping fully
    connected learner, a full-size but skewed convolution filter and a poor auto-encoder."""
    steps = np.arange(E) * 500
    replicates = 2
    t = np.linspace(0, 1, E)[:, None]
    spikes = np.where(np.arange(E) % 10 == 5, 3.0, 1.0)[:, None]  # every tenth evaluation jumps threefold
    fc = (0.9 - 0.2 * t) * (1 if genuine else spikes)
    conv = np.where(steps[:, None] <= 2_000, convolution_early, 0.9 - 0.8 * t) * (spikes if genuine else 1)
    cond = np.full((E, 1), 1e-9)
    encoding = np.stack([np.repeat(c, replicates, axis=1) for c in (fc, conv, cond)], axis=1)  # (E, 3, R)
    decoded = np.stack([np.repeat(c, replicates, axis=1) for c in (0.1 * fc / fc, 0.5 + 0 * t, 1e-9 + 0 * t)], 1)
    ratios = np.ones((E, 3, replicates, 2))
    encoding_ratio, decoded_ratio = ratios * 30.0, ratios * 0.7
    snapshots = [1_000, 5_000, 19_500]
    convolution_filter = [0.5, -1.0, 0.5] if genuine else [2.0, -3.0, 2.0]
    filters = np.zeros((len(snapshots), 2, replicates, 3)) + np.array([1.0, -2.0, 1.0])
    filters[:, 0] = convolution_filter
    arrays = {
        "steps": steps,
        "encoding_error": encoding,
        "decoded_error": decoded,
        "filters": filters,
        "encoding_kink_ratio": encoding_ratio,
        "decoded_kink_ratio": decoded_ratio,
        "autoencoder_steps": steps,
        "autoencoder_kink_ratio": np.full((E, replicates, 2), autoencoder_kink_ratio),
        "autoencoder_error": np.full((E, replicates), 1e-3 if genuine else 0.05),
    }
    return Results("conditioning", {"snapshots": snapshots, "validation_curves": 1000}, arrays)


def adam_run(final: float) -> Results:
    """Adam's encoding errors falling linearly from 1 to `final` (all three linear learners) over 19,500 steps."""
    errors = np.linspace(1.0, final, E)[:, None, None] * np.ones((1, 3, 2))
    settings = {"length": 100, "kinks": 3, "distribution": "paper"}
    return Results("conditioning", settings, {"steps": np.arange(E) * 500, "encoding_error": errors})


GD_PAPER = np.array([[0.94, 0.99], [0.87, 0.92]])  # encoding errors (fully connected, convolution) at 2k and 50k
GD_SCRIPTS = np.array([[0.90, 0.97], [0.75, 0.48]])


def forged_variances() -> list[GradientVariance]:
    """Variances above Theorem 1's bound, inconsistent with Parseval, not halving with d."""
    return [GradientVariance(d, 0.5, 0.5 / 2**d, 1.0, 0.5, 0.1) for d in range(2, 8)]


def a7_runs(forged: bool) -> tuple[dict, list[float], float]:
    """Forward-only descent on a small exact population at three horizons, or forged runs whose error grows."""
    horizons, inputs = [10, 30, 100, 300], unit_sphere_inputs(500, 5, generator(7))
    v_star = 2 * torch.nn.functional.normalize(torch.randn(5, generator=generator(8), dtype=torch.float64), dim=0)
    bounds = [rate_bound(4.0, 2.0, 1.0, t) for t in horizons]
    if forged:
        grow = {t: torch.linspace(0.1, 1.0 + t / 100, t + 1, dtype=torch.float64) for t in horizons}
        return {t: ForwardOnlyTrajectory(0.1, e, -e, torch.ones(t)) for t, e in grow.items()}, bounds, 1.0
    runs = {t: forward_only_descent(inputs, v_star, ramp, rate_step_size(4.0, 2.0, t), t) for t in horizons}
    return runs, bounds, 1.0


def tampered(results: Results, **arrays: np.ndarray) -> Results:
    """A copy of `results` with some arrays replaced: a counterfeit of a real run."""
    return Results(results.experiment, results.settings, {**dict(results.arrays), **arrays}, results.provenance)


def periodic_paper() -> Results:
    results = committed_results("periodic")
    assert results is not None
    return results


def periodic_radius_counterfeit() -> Results:
    """d = 512 falling like r^−2 instead of e^(−r²); the crossover law 3× off; the aligned law's tail steeper."""
    real = periodic_paper()
    radii = np.asarray(real.settings["radii"])
    variance = real["radius_variance"].copy()
    variance[:, -1] = 1e-3 * radii**-2.0
    return tampered(
        real,
        radius_variance=variance,
        radius_crossover_law=3 * real["radius_crossover_law"],
        radius_aligned_law=real["radius_aligned_law"] * radii**2,
    )


def periodic_monte_carlo_counterfeit() -> Results:
    """Noise 3× the 1/n law, a signal 100× larger, plug-in estimates 5× off."""
    real = periodic_paper()
    return tampered(
        real,
        monte_carlo_noise_full=3 * real["monte_carlo_noise_full"],
        monte_carlo_variance=100 * real["monte_carlo_variance"],
        monte_carlo_plug_in_full=5 * real["monte_carlo_plug_in_full"],
    )


def periodic_outcome_counterfeit() -> Results:
    """A d = 16 run that fails, a d = 24 run that learns without aligning, no run at d = 20 that learns on any
    stream, and SGD that never aligns but reaches ρ² = 0.95 at once."""
    real = periodic_paper()
    error, dims = real["relative_error"].copy(), real["train_dims"]
    error[-5:, dims == 20] = error[-5:, np.flatnonzero(dims == 16)[0]] = 1.0
    error[-5:, np.flatnonzero(dims == 24)[0]] = 0.01
    return tampered(
        real,
        relative_error=error,
        repeat_relative_error=np.ones_like(real["repeat_relative_error"]),
        sgd_best_alignment=np.full_like(real["sgd_best_alignment"], 0.95),
    )


def periodic_dimension_counterfeit() -> Results:
    """Var/G² falling exponentially in d at fixed r."""
    real = periodic_paper()
    dims = np.asarray(real.settings["dims"], dtype=float)
    return tampered(real, dimension_variance=np.exp(-dims / 8) * np.ones_like(real["dimension_variance"]))


EXACTNESS = {"z_max": 2.9, "g_squared_z": -0.4, "quadrature_change": 3e-16, "closed_form_error": 1e-17}
SAMPLING_ROWS = [
    {"radius": 1.0, "exact": 1e-2, "change": 1e-15, "estimate": 1.01e-2, "error": 1e-4},
    {"radius": 3.0, "exact": 1e-4, "change": 1e-14, "estimate": 0.98e-4, "error": 2e-6},
    {"radius": 6.0, "exact": 1e-7, "change": 1e-13, "estimate": 2e-8, "error": 1e-8},
]
BAND = {"median_initial": {16: 0.5, 32: 0.1}, "bands": {16: (0.4, 1e-3), 32: (0.3, 1e-6)}}
THRESHOLD_TABLE = [  # (d, initial factor, learned) per seed: seed 1's runs fall on the wrong side of seed 0's gap
    (np.array([16, 20]), np.array([1e-2, 1e-3]), np.array([True, False])),
    (np.array([16, 20]), np.array([5e-3, 2e-3]), np.array([False, True])),
]


CONDITION = {
    "fitted_w": 3.8,
    "local_w": 3.99,
    "bound_violations": 0,
    "local_c": 2.99,
    "whitened_max": 1.01,
    "curves": 10_000,
}
ITERATIONS = {
    "closed_form_mismatches": 0,
    "ordered": True,
    "exponent_fc": 3.97,
    "exponent_conv": 2.98,
    "conditioned_max": 2,
    "decoded_fc_faster": True,
    "decoded_exponent_conv": 3.01,
    "slow_alignment": 0.999,
}
ITERATION_NAMES = (
    "gd_closed_form_literal",
    "gd_order_fc_conv_cond",
    "gd_exponent_fc",
    "gd_exponent_conv",
    "gd_conditioned_few",
    "gd_decoded_fc_faster",
    "gd_decoded_exponent_conv",
    "gd_slow_direction",
)


def snr_estimate(collapsed: bool) -> SnrEstimate:
    """Figure 5 by hand: 20 initialisations at k = 1–4; end-to-end collapses to noise around zero from k = 2
    (or, counterfeit, only falls tenfold), and the counterfeit decomposition shrinks with k."""
    rng = np.random.default_rng(0)
    ks = (1, 2, 3, 4)
    scatter = lambda scale: scale * (1 + 0.1 * rng.standard_normal((len(ks), 20)))  # noqa: E731
    growth = np.array([1.0, 1.2, 1.4, 1.6]) if collapsed else np.array([1.0, 0.5, 0.2, 0.05])
    decomposition = scatter(1e-3) * growth[:, None]
    end_to_end = scatter(1e-3)
    end_to_end[1:] = 1e-9 * rng.standard_normal((3, 20)) if collapsed else 1e-4
    first = scatter(1e-3)
    snr = np.stack([end_to_end, decomposition, first])
    plain = snr + 1e-3 * rng.standard_normal(snr.shape) if collapsed else snr  # the counterfeit's plain resolves
    correlation, predicted = 0.03 * rng.standard_normal(20), np.abs(end_to_end) * 1e-3
    predicted[0] = scatter(1e-3)[0]
    names = ("end-to-end", "decomposition", "first image")
    return SnrEstimate(names, ks, snr, np.ones_like(snr), plain, correlation, predicted)


def interaction_estimate(genuine: bool) -> SnrEstimate:
    """The k-way interaction by hand: weak correlations and a prediction that matches the measured signal at k = 1
    (or, counterfeit, strong correlations and a prediction three times too large)."""
    estimate = snr_estimate(collapsed=True)
    if genuine:
        return estimate
    return replace(estimate, correlation=0.5 + estimate.correlation, predicted_signal=3 * estimate.predicted_signal)


def sparse_paper() -> Results:
    results = committed_results("sparse-parity")
    assert results is not None
    return results


def sparse_precursor_counterfeit() -> Results:
    """No coefficient ever leaves its null distribution, the weights lean on S from the start, and one 3-sparse
    run never lifts off."""
    real = sparse_paper()
    share, accuracy = real["support_share"].copy(), real["accuracy"].copy()
    share[1:] = 2.0
    accuracy[:, np.flatnonzero((real["sizes"] == 3) & (real["dims"] >= 20))[0]] = 0.5
    return tampered(real, coefficient_z=np.zeros_like(real["coefficient_z"]), support_share=share, accuracy=accuracy)


# claim function → (genuine run, counterfeit run, names of the claims the counterfeit must fail)
CASES: dict[Callable, tuple[Callable[[], Results], Callable[[], Results], set[str]]] = {
    figure1_claims: (
        lambda: parity_run({5: 1.0, 10: 0.99, 30: 0.505}),
        lambda: parity_run({5: 0.9, 10: 0.99, 30: 0.56}),  # d = 30 'at chance' 6 s.e. off; d = 5 short of 0.95
        {"fig1_d5_learned", "fig1_d30_chance"},
    ),
    scaling_variant_claims: (
        lambda: scaling_run(0.505, 0.99, 1.3, 50.0),
        lambda: scaling_run(0.6, 0.5, 1.3, 50.0),
        {"scaling_wider_chance", "scaling_known_learned"},
    ),
    steps_growth_claims: (
        lambda: scaling_run(0.505, 0.99, 1.3, 50.0),
        lambda: scaling_run(0.505, 0.99, 2.0, 0.05 / 128),  # 2^d growth, and fewer examples than |H|
        {"steps_slower_than_2d", "examples_above_class_size"},
    ),
    float32_claims: (
        lambda: (random_network_variances(list(range(2, 9)), seed=0),),
        lambda: ([GradientVariance(8, 2.0**-60, 2.0**-60, 1.0, 1.0, 0.0)],),  # Var·2^d/G² forged to 2^−52
        {"float32_deviation_d30"},
    ),
    a1_claims: (
        lambda: ([ChainRuleCheck(4, 10.0, 0.0), ChainRuleCheck(6, 8.0, 1e-16)],),
        lambda: ([ChainRuleCheck(4, 10.0, 0.0), ChainRuleCheck(6, 1e-16, 1e-3)],),  # printed right, corrected off
        {"a1_printed_chain_rule", "a1_corrected_chain_rule"},
    ),
    lemma3_printed_claims: (
        lambda: ({2: (2, 0), 3: (4, 0)}, {1: True, 2: True}),
        lambda: ({2: (0, 0), 3: (4, 0)}, {1: True, 2: False}),  # the printed one exact at d = 2; odd tents off at 2
        {"lemma3_printed_fails", "lemma3_odd_width"},
    ),
    theorem1_claims: (
        lambda: random_network_variances(list(range(2, 9)), seed=0),
        forged_variances,
        {"thm1_square_bound", "thm1_parseval_match", "thm1_halving"},
    ),
    figure4_claims: (
        lambda: stocks_run(-0.99, -0.2),
        lambda: stocks_run(-0.8, -0.6, still_descending=True, zero_init_shift=0.1),
        {
            "fig4_decomposition_solves",
            "fig4_end_to_end_fails_large_k",
            "fig4_end_to_end_levels_off",
            "fig4_initialisation_does_not_matter",
        },
    ),
    appendix_a7_claims: (
        lambda: a7_runs(False),
        lambda: a7_runs(True),
        {"a7_step_inequality", "a7_rate_bound", "a7_error_falls", "a7_last_iterate"},
    ),
    figure7_claims: (
        lambda: flat_run(0.0, multi_class_spread=False),
        lambda: flat_run(0.6, multi_class_spread=True, corners=False),
        {
            "fig7_end_to_end_rounds_corners",
            "fig7_forward_only_best",
            "fig7_non_flat_worst",
            "fig7_forward_only_exact",
            "fig7_multi_class_errors_at_boundaries",
            "fig7_boundary_concentration",
        },
    ),
    sparse_parity_claims: (
        lambda: sparse_run(0.505, k3_solved=True),
        lambda: sparse_run(0.53, k3_solved=False),
        {"sparse_all_solved", "sparse_cost_grows_with_k", "sparse_exponents_below_k_minus_1", "sparse_full_at_chance"},
    ),
    class_size_claims: (
        lambda: (class_variances(10, 5, seed=0),),
        lambda: (ClassVariances(10, np.arange(1, 6), np.array([1.0, 0.1, 0.02, 0.01, 0.001]), np.full(5, 0.5), 0.1),),
        {"sparse_class_within_bound", "sparse_class_odd_degree_penalised"},
    ),
    middle_length_claims: (
        lambda: (committed_runs("intermediate", "paper"),),
        lambda: ([middle_run(e2e=(1.0, 1.0), decomposition=0.97), middle_run(e2e=(0.99, 0.6), decomposition=1.0)],),
        {
            "intermediate_middle_end_to_end_stuck_somewhere",
            "intermediate_middle_decomposition_learns",
        },
    ),
    intermediate_claims: (
        lambda: intermediate_run(0.51, 1.0),
        lambda: intermediate_run(0.6, 0.9),
        {"intermediate_end_to_end_fails_long", "intermediate_decomposition_learns_long"},
    ),
    k2_seed_claims: (
        lambda: [lines_run(0.5, 0.0, end_to_end_k2=0.5), lines_run(0.5, 0.0, end_to_end_k2=0.9)],
        lambda: [lines_run(0.5, 0.0, end_to_end_k2=0.6), lines_run(0.5, 0.0, end_to_end_k2=0.7)],
        {"fig3_k2_learned_on_some_seed", "fig3_k2_at_chance_on_some_seed"},
    ),
    figure3_claims: (
        lambda: lines_run(0.51, 0.0),
        lambda: lines_run(0.56, 0.1),
        {"fig3_end_to_end_chance_large_k", "fig3_decomposition_at_parity_ceiling"},
    ),
    training_claims: (
        lambda: periodic_run(0.99),
        lambda: periodic_run(0.4),
        {"periodic_largest_not_learned"},
    ),
    dimension_claims: (
        lambda: periodic_run(0.99),
        lambda: periodic_run(0.99, exponential_at_fixed_r=True),
        {"periodic_exponent_above_minus_2", "periodic_exponent_near_minus_2", "periodic_tied_rate_near_laplace"},
    ),
    figure6_claims: (
        lambda: conditioning_run(0.95, 3.0),
        lambda: conditioning_run(0.5, 1.2, genuine=False),
        {
            "fig6_convolution_worse_early",
            "fig6_autoencoder_at_kinks",
            "fig6_convolution_jumps",
            "fig6_fully_connected_smooth",
            "fig6_convolution_filter_direction",
            "fig6_convolution_filter_too_small",
            "fig6_autoencoder_close",
        },
    ),
    radius_claims: (
        periodic_paper,
        periodic_radius_counterfeit,
        {
            "periodic_large_d_semilog",
            "periodic_laws_in_window",
            "periodic_tail_is_aligned_law",
            "periodic_below_float64",
            "periodic_large_d_decades",
            "periodic_crossover_everywhere",
        },
    ),
    monte_carlo_claims: (
        periodic_paper,
        periodic_monte_carlo_counterfeit,
        {
            "periodic_mc_plug_in_follows",
            "periodic_mc_batch_blind",
            "periodic_mc_plug_in_floor",
            "periodic_mc_noise_law",
        },
    ),
    dimension_fit_claims: (
        periodic_paper,
        periodic_dimension_counterfeit,
        {
            "periodic_fixed_r_typical_law",
            "periodic_fixed_r_not_exponential",
            "periodic_fixed_r_power_law",
        },
    ),
    exactness_claims: (
        lambda: EXACTNESS,
        lambda: EXACTNESS | {"z_max": 7.0, "quadrature_change": 1e-9},
        {"periodic_x_against_autograd", "periodic_quadrature_converged"},
    ),
    sampling_claims: (
        lambda: (SAMPLING_ROWS,),
        lambda: ([*SAMPLING_ROWS[:2], SAMPLING_ROWS[2] | {"estimate": 0.99e-7}],),
        {"periodic_sampled_misses", "periodic_sampled_far_off"},
    ),
    alignment_claims: (
        lambda: (np.array([0.5, 0.3]), np.array([0.52, 0.28])),
        lambda: (np.array([0.5, 0.3]), np.array([0.52, 0.45])),
        {"periodic_alignment_prediction"},
    ),
    transition_claims: (
        periodic_paper,
        periodic_outcome_counterfeit,
        {
            "periodic_learned_aligned",
            "periodic_below_transition_learn",
            "periodic_above_transition_fail",
            "periodic_transition_split",
            "periodic_sgd_aligns",
            "periodic_sgd_slower",
        },
    ),
    threshold_claims: (
        lambda: (THRESHOLD_TABLE,),
        lambda: ([THRESHOLD_TABLE[0], (*THRESHOLD_TABLE[1][:2], np.array([True, False]))],),
        {"periodic_factor_threshold_fails"},
    ),
    band_claims: (
        lambda: BAND,
        lambda: BAND | {"median_initial": {16: 0.35, 32: 0.35}},
        {"periodic_d16_in_band", "periodic_d32_outside_band"},
    ),
    precision_claims: (lambda: (1e-15,), lambda: (1e-9,), {"periodic_no_quadrature_floor"}),
    lemma1_claims: (lambda: (0, 0.0), lambda: (1, 2.0**-40), {"lemma1_inverse", "lemma1_recovery"}),
    lemma2_claims: (lambda: (3.1, 40.0), lambda: (6.0, 3.0), {"lemma2_mean_matches", "lemma2_resolves_a_step"}),
    condition_claims: (
        lambda: CONDITION,
        lambda: (
            CONDITION | {"fitted_w": 3.2, "local_w": 3.8, "bound_violations": 1, "local_c": 2.7, "whitened_max": 1.3}
        ),
        {
            "thm3_exponent_at_least_3_5",
            "thm3_exponent_is_4",
            "thm3_within_bounds",
            "a6_exponent_is_3",
            "whitened_about_one",
        },
    ),
    iteration_claims: (
        lambda: ITERATIONS,
        lambda: dict(zip(ITERATIONS, (2, False, 3.5, 3.3, 40, False, 2.0, 0.9), strict=True)),
        set(ITERATION_NAMES),
    ),
    kappa_c_claims: (
        lambda: (1.6, 3e-10, 11.0),
        lambda: (50.0, 0.2, 1.0),
        {"a6_kappa_c_three_halves_n3", "a6_kappa_c_free_of_k", "a6_scripts_curves_better_conditioned"},
    ),
    gd_order_claims: (
        lambda: (GD_PAPER, 128_429, GD_SCRIPTS, 11_803),
        lambda: (GD_PAPER[:, ::-1], 30_000, GD_SCRIPTS[:, ::-1], 80_000),
        {"gd_paper_fc_ahead", "gd_paper_overtakes_late", "gd_scripts_conv_ahead", "gd_scripts_overtakes_early"},
    ),
    optimiser_claims: (lambda: adam_run(0.7), lambda: adam_run(0.99), {"fig6_adam_faster_than_gd"}),
    stability_claims: (
        lambda: (1.9, 1e-12, 1e9),
        lambda: (0.3, 1e-3, 10.0),
        {"thm3_gap", "thm3_converges_at_1_5", "thm3_diverges_past_2"},
    ),
    lemma3_claims: (lambda: ({d: True for d in range(1, 13)},), lambda: ({1: True, 2: False},), {"lemma3_exact"}),
    gf2_claims: (lambda: ({30: True, 1000: True}, 20), lambda: ({30: True, 1000: False}, 20), {"gf2_recovers"}),
    zero_gradient_claims: (lambda: (0.0, 0.0), lambda: (1e-30, 1e-7), {"flat_zero_gradient", "flat_descent_stuck"}),
    plateau_claims: (
        flat_curves_run,
        lambda: flat_curves_run(plateau_gradient=1e-3),  # stuck, yet its gradient is 100 ε
        {"nonflat_stuck_below_eps"},
    ),
    training_time_claims: (
        flat_curves_run,
        lambda: flat_curves_run(forward_only_at=np.inf),
        {"fig7_forward_only_fastest"},
    ),
    plain_sgd_claims: (flat_curves_run, lambda: flat_curves_run(sgd_behind=False), {"forward_only_needs_adam"}),
    stuck_share_claims: (
        lambda: ([flat_curves_run(stuck=s) for s in (True, True, False)],) * 2,
        lambda: ([flat_curves_run()] * 3, [flat_curves_run(stuck=False)] * 3),
        {"nonflat_stuck_most", "nonflat_learns_on_some_seed"},
    ),
    iteration_count_claims: (
        lambda: ([flat_curves_run(forward_only_at=t) for t in (1_000, 9_000)],) * 2,
        lambda: ([flat_curves_run()] * 2, [flat_curves_run(forward_only_at=9_000)] * 2),
        {"forward_only_not_always_first_in_iterations"},
    ),
    estimator_claims: (
        lambda: (1e-16, 1e-13, 0.005, 0.03, 4000, 1e-15, 1e-15, 2.0),
        lambda: (1e-3, 1e-3, 0.05, 0.2, 4000, 0.1, 1e-3, 0.0),  # variances as if their ratio were k
        {
            "stocks_estimators_unbiased",
            "stocks_ratio_is_k",
            "stocks_ratio_about_k",
            "stocks_closed_form_sampled",
            "stocks_variance_gap_exact",
            "stocks_variance_ratio_uniform",
        },
    ),
    precursor_claims: (
        sparse_paper,
        sparse_precursor_counterfeit,
        {
            "sparse_every_k3_lifts_off",
            "sparse_signal_before_lift_off",
            "sparse_signal_late",
            "sparse_weights_blind_halfway",
        },
    ),
    figure5_claims: (
        lambda: (snr_estimate(collapsed=True), 1000, 0.9),
        lambda: (snr_estimate(collapsed=False), 1000, 0.9),
        {
            "fig5_decomposition_flat",
            "fig5_decomposition_grows",
            "fig5_end_to_end_collapses",
            "fig5_gap_opens_at_k2",
            "fig5_end_to_end_below_level",
            "fig5_authors_estimator_floor",
            "fig5_plain_monte_carlo_blind",
            "fig5_adam_end_to_end",
        },
    ),
    interaction_claims: (
        lambda: (interaction_estimate(genuine=True),),
        lambda: (interaction_estimate(genuine=False),),
        {"interaction_weak_correlation", "interaction_prediction_matches"},
    ),
}


def test_every_claim_function_has_a_genuine_and_a_counterfeit_run() -> None:
    claim_sets()  # imports every section's claims
    registered = {function for functions in CLAIM_SETS.values() for function in functions}
    assert registered == set(CASES), f"claim functions without a counterfeit test: {registered - set(CASES)}"


@pytest.mark.parametrize("function", list(CASES), ids=lambda f: f.__name__)
def test_claims_hold_on_a_genuine_run_and_fail_on_a_counterfeit(function: Callable) -> None:
    genuine, counterfeit, must_fail = CASES[function]

    def claims_of(make: Callable) -> list[Claim]:
        made = make()
        if isinstance(made, dict):
            return function(**made)
        return function(*made) if isinstance(made, tuple) else function(made)

    held = claims_of(genuine)
    assert held and all(c.holds for c in held), [c.describe() for c in held if not c.holds]
    failed = {c.name for c in claims_of(counterfeit) if not c.holds}
    assert failed == must_fail
    with pytest.raises(ClaimFailed, match=sorted(must_fail)[0]):
        check(claims_of(counterfeit), glue=False)


def test_a_claim_compares_its_value_with_its_bound_and_never_holds_for_nan() -> None:
    claim = Claim("x", "x is small", "§0", 0.5, "<=", 1.0, "why")
    assert claim.holds and not Claim("x", "", "", math.nan, "<=", 1.0, "").holds
    assert not Claim("x", "", "", 1.0, "<", 1.0, "").holds and Claim("x", "", "", 1.0, "<=", 1.0, "").holds
    with pytest.raises(ValueError, match="relation must be one of"):
        Claim("x", "", "", 1.0, "==", 1.0, "")
    with pytest.raises(ValueError, match="name must be an identifier"):
        Claim("not a name", "", "", 1.0, "<=", 1.0, "")
    assert "FAILS" in Claim("x", "", "", 2.0, "<=", 1.0, "").describe()


def test_check_glues_values_and_details_and_reports_a_table() -> None:
    claims = [Claim("a", "a holds", "§1", 0.5, "<=", 1.0, "why", details={"low": 0.1})]
    report = check(claims, glue=False, title="t")
    assert "<table" in report._repr_html_() and "a holds" in report._repr_html_()
    assert glued_values(claims, prefix="paper_") == {"paper_a": 0.5, "paper_a_low": 0.1}


def test_chance_bound_is_four_standard_errors_and_worst_picks_the_closest_run() -> None:
    bound, why = chance_bound(2500)
    assert bound == pytest.approx(0.04) and "s.e. 0.010" in why
    assert worst([0.9, 0.97], ">=") == 0.9 and worst([0.01, 0.03], "<=") == 0.03 and math.isnan(worst([], "<="))


def test_parse_seeds_reads_ranges_and_lists() -> None:
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4] and parse_seeds("0,3") == [0, 3] and parse_seeds("7") == [7]
    for bad in ("a-b", "3-1", "1,1", "-1"):
        with pytest.raises(ValueError, match="--seeds"):
            parse_seeds(bad)


def test_sweep_tabulates_every_claim_per_seed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Runs stand in for processes: seed 1's d = 30 run is off chance, so that claim passes 2 of 3 seeds."""
    calls = []

    def fake_run(run, scale, device, threads, folder) -> Path:
        calls.append((run.experiment, run.seed, threads))
        results = parity_run({5: 1.0, 10: 0.99, 30: 0.6 if run.seed == 1 else 0.5})
        results.provenance.update(
            seed=run.seed, wall_time_s=1.0, device="cpu", git_commit=git_state()["git_commit"], git_dirty=False
        )
        results.settings = settings_dict(settings_for(get_experiment("parity").settings_class, scale))
        return results.save(folder / run.filename)

    monkeypatch.setattr("gradfail.scorecard.run_in_process", fake_run)
    table = sweep(["parity"], "quick", [0, 1, 2], tmp_path / "runs", jobs=2)
    assert sorted(calls) == [("parity", s, max(1, (os.cpu_count() or 1) // 2)) for s in (0, 1, 2)]
    row = list(table["names"]).index("fig1_d30_chance")
    assert table["holds"][row].tolist() == [True, False, True]
    assert "2/3" in "\n".join(sweep_lines(table))
    saved = Results.load(write_sweep(table, tmp_path))
    assert saved["values"].shape == (len(saved["names"]), 3) and saved.provenance["seed"] == 0
    calls.clear()  # started again, the sweep keeps the runs it finished
    again = sweep(["parity"], "quick", [0, 1, 3], tmp_path / "runs", jobs=1)
    assert calls == [("parity", 3, os.cpu_count() or 1)] and again.provenance["kept_runs"] == 2


def test_every_claim_set_is_a_run_s_a_theorem_s_or_a_method_check_and_has_a_section() -> None:
    for name, functions in registered().items():
        if name in METHOD_SETS:
            continue
        assert name in CHAPTERS, f"claim set {name} has no chapter section for the scorecard"
        if name not in EXPERIMENTS:
            assert all(f in CLAIM_INPUTS for f in functions), f"{name}: a claim function without inputs"


def test_every_scorecard_link_names_the_page_that_holds_its_label() -> None:
    book = Path(__file__).resolve().parents[1] / "book"
    for page, label in [*CHAPTERS.values(), *FUNCTION_SECTIONS.values()]:
        assert f"({label})=" in (book / f"{page}.md").read_text(), f"{label} is not on page {page}"


def fake_theory_run(seed: int) -> Results:
    """A theory file as `theory_run` writes it, for Lemma 3 alone (which fails at seed 1)."""
    claims = lemma3_claims({1: True, 2: seed != 1})
    arrays = {
        "sets": np.array(["lemma-3"] * len(claims)),
        "names": np.array([c.name for c in claims]),
        "values": np.array([c.value for c in claims]),
        **{f"{f}s": np.array([getattr(c, f) for c in claims]) for f in CLAIM_FIELDS},
    }
    record = {"seed": seed, "wall_time_s": 0.5, **git_state(), "git_dirty": False, "scale": "quick"}
    return Results(THEORY, {"sets": ["lemma-3"]}, arrays, record)


def test_the_theory_sets_are_swept_in_process_and_tabulated_with_the_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("gradfail.scorecard.theory_run", fake_theory_run)
    table = sweep([THEORY], "quick", [0, 1], tmp_path)
    row = list(table["names"]).index("lemma3_exact")
    assert table["holds"][row].tolist() == [True, False] and table["experiments"][row] == "lemma-3"
    with pytest.raises(ValueError, match="quick scale only"):
        sweep([THEORY], "paper", [0], tmp_path)


def test_scorecard_lists_every_claim_with_its_evidence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("gradfail.scorecard.theory_run", fake_theory_run)
    quick = sweep([THEORY], "quick", [0, 1], tmp_path)
    monkeypatch.setattr("gradfail.scorecard.committed_sweep", lambda scale: quick if scale == "quick" else None)
    rows = scorecard_rows()
    names = {row.claim.name for row in rows}
    assert {"fig1_d30_chance", "fig4_end_to_end_fails_large_k", "fig6_convolution_worse_early"} <= names
    assert {"lemma3_exact", "fig3_k2_learned_on_some_seed"} <= names  # a theory set's, and one on committed runs
    lemma3 = next(row for row in rows if row.claim.name == "lemma3_exact")
    assert lemma3.quick_passes == (1, 2) and lemma3.paper_value is None
    table = scorecard_markdown(rows)
    assert table.count("\n") == len(rows) + 1 and "{ref}`parities <parity-figure1>`" in table
    assert "{ref}`parities <parity-lemma3>`" in table and "1/2 ✗" in table and "**finding**" in table


def test_sweep_numbers_name_the_failing_seeds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("gradfail.scorecard.theory_run", fake_theory_run)
    quick = sweep([THEORY], "quick", [0, 1], tmp_path)
    monkeypatch.setattr("gradfail.scorecard.committed_sweep", lambda scale: quick)
    assert sweep_numbers("lemma3_exact") == {
        "quick_lemma3_exact_passes": "1 of 2 seeds",
        "quick_lemma3_exact_failing": "seed 1 (1)",
        "quick_lemma3_exact_spread": "0.71",
    }
    assert sweep_numbers("no_such_claim")["quick_no_such_claim_passes"] == "no committed sweep"


def test_the_committed_sweeps_cover_every_claim_at_every_seed() -> None:
    """Every claim the book tests has a quick value and passes over the committed quick sweep's seeds."""
    quick = committed_sweep("quick")
    assert quick is not None, "no committed quick sweep: python -m gradfail claims all --scale quick --seeds 0-4"
    rows = scorecard_rows()
    # paper-scale sets checked on committed runs only
    on_committed_runs = {"figure-3-k2", "intermediate-seeds", "flat-seeds", "periodic-threshold"}
    # the periodic run's repeats at d = 20 and its plain-SGD control exist at paper scale only
    paper_only = {"periodic_transition_split", "periodic_sgd_aligns", "periodic_sgd_slower"}
    assert all(row.paper_passes for row in rows if row.claim.name in paper_only)
    missing = [
        row.claim.name
        for row in rows
        if row.quick_passes is None and row.experiment not in on_committed_runs and row.claim.name not in paper_only
    ]
    assert not missing, f"claims without a quick sweep: {missing}"
    assert all(row.quick_passes[1] == len(quick["seeds"]) for row in rows if row.quick_passes)
    assert sweep_summary(quick) == f"seeds 0, 1, 2, 3, 4: {', '.join(quick.settings['experiments'])}"


def test_the_claims_command_refuses_bad_input_before_running(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gradfail.scorecard.run_in_process", lambda *a: pytest.fail("ran an experiment"))
    assert main(["claims", "parity", "--seeds", "x"]) == 2
    assert main(["claims", "parity", "--jobs", "0"]) == 2
    assert main(["claims", "no-such-experiment"]) == 2
    assert main(["claims", "parity", "--out", "/proc/nope"]) == 2
