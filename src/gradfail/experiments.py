"""The registry behind `python -m gradfail`: every experiment's name, settings, run function and summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradfail.conditioning.experiment import LINEAR, run_conditioning
from gradfail.conditioning.settings import ConditioningSettings
from gradfail.epilogue.intermediate import IntermediateSettings, run_intermediate
from gradfail.epilogue.sparse import SparseParitySettings, run_sparse_parity, steps_to_solve
from gradfail.flat.experiment import exact_step_share, final_test_error, run_flat
from gradfail.flat.learners import LEARNERS
from gradfail.flat.settings import FlatSettings
from gradfail.lines.experiment import final_accuracy as final_tuple_accuracy
from gradfail.lines.experiment import key as line_key
from gradfail.lines.experiment import run_end_to_end
from gradfail.lines.objectives import APPROACHES
from gradfail.lines.settings import LineSettings
from gradfail.parity.experiment import final_accuracy, run_parity
from gradfail.parity.scaling import ParityScalingSettings, run_parity_scaling
from gradfail.parity.settings import ParitySettings
from gradfail.periodic.experiment import run_periodic, tied_fit
from gradfail.periodic.settings import PeriodicSettings
from gradfail.results import Results
from gradfail.stocks.experiment import first_step_below, run_stocks
from gradfail.stocks.settings import StocksSettings
from gradfail.validation import require_choice


@dataclass(frozen=True)
class Experiment:
    """One experiment of the paper as the command line sees it."""

    name: str
    description: str
    settings_class: type
    run: Callable[..., Results]
    summarise: Callable[[Results], list[str]]


def summarise_parity(results: Results) -> list[str]:
    """One line per run: d, replicate, |S| and final accuracy (mean of the last five evaluations)."""
    finals = final_accuracy(results, last=min(5, len(results["steps"])))
    lines = ["    d  replicate  |S|  final accuracy"]
    for run, d in enumerate(results["dims"]):
        size = int(results["supports"][run].sum())
        lines.append(f"{d:5d}  {results['replicates'][run]:9d}  {size:3d}  {finals[run]:14.3f}")
    return lines


def summarise_parity_scaling(results: Results) -> list[str]:
    """The variants' and the count network's final accuracy, then each scanned d's steps to 0.95 accuracy."""
    finals = results["accuracy"][-5:].mean(axis=0)
    dim = results.settings["dim"]
    lines = [f"  {v} network at d = {dim}: {a:.3f}" for v, a in zip(results["variants"], finals, strict=True)]
    lines.append(f"  count network, known full parity: {results['known_accuracy'][-5:].mean():.3f}")
    for d in np.unique(results["scan_dims"]):
        steps = ", ".join(f"{s:,.0f}" for s in results["scan_steps"][results["scan_dims"] == d])
        lines.append(f"  d = {d:2d}, |S| = {d // 2}: steps to 0.95: {steps}")
    return lines


def summarise_periodic(results: Results) -> list[str]:
    """One line per training run: d, replicate, final relative test error and best alignment; then the fitted
    decay rate of Var/G² per dimension with r = √d."""
    lines = ["    d  replicate  relative test error  best alignment rho^2"]
    for run, d in enumerate(results["train_dims"]):
        error, alignment = results["relative_error"][-1, run], results["best_alignment"][-1, run]
        lines.append(f"{d:5d}  {results['replicates'][run]:9d}  {error:19.4f}  {alignment:20.3f}")
    lines.append(f"Var/G^2 with r = sqrt(d) falls like exp(-{-tied_fit(results).slope:.3f} d)")
    return lines


def summarise_end_to_end(results: Results) -> list[str]:
    """One line per run: k, approach, replicate and final tuple accuracy (mean of the last four evaluations)."""
    lines = ["    k  approach       replicate  final accuracy"]
    for approach in APPROACHES:
        finals = final_tuple_accuracy(results, approach, last=min(4, len(results[line_key(approach, "steps")])))
        for run, k in enumerate(results["ks"]):
            lines.append(f"{k:5d}  {approach:13s}  {results['replicates'][run]:9d}  {finals[run]:14.3f}")
    return lines


def summarise_stocks(results: Results) -> list[str]:
    """One line per run: k, estimator, final primary loss and the first step with loss ≤ −0.9."""
    reached = first_step_below(results, -0.9)
    lines = ["     k  estimator      final loss  first step <= -0.9"]
    for run, k in enumerate(results["stocks"]):
        step = "never" if np.isnan(reached[run]) else f"{reached[run]:.0f}"
        lines.append(f"{k:6d}  {results['estimators'][run]:13s}  {results['loss'][-1, run]:10.3f}  {step:>18s}")
    return lines


def summarise_conditioning(results: Results) -> list[str]:
    """One line per learner and replicate: final relative validation errors of the encoding and of the curve."""
    lines = ["learner          replicate  encoding error  curve error"]
    for i, learner in enumerate(LINEAR):
        for r, (encoding, curve) in enumerate(
            zip(results["encoding_error"][-1, i], results["decoded_error"][-1, i], strict=True)
        ):
            lines.append(f"{learner:15s}  {r:9d}  {encoding:14.2e}  {curve:11.2e}")
    for r, curve in enumerate(results["autoencoder_error"][-1]):
        lines.append(f"{'auto-encoder':15s}  {r:9d}  {'-':>14s}  {curve:11.2e}")
    return lines


def summarise_flat(results: Results) -> list[str]:
    """One line per learner: final test squared error and share of test points on the exact step."""
    lines = ["learner         test MSE  exact step"]
    for learner in LEARNERS:
        lines.append(
            f"{learner:13s}  {final_test_error(results, learner):9.2e}  {exact_step_share(results, learner):10.3f}"
        )
    return lines


def summarise_sparse_parity(results: Results) -> list[str]:
    """One line per run: n, k (0 = full parity), seed, steps to 0.99 accuracy and final accuracy."""
    solved = steps_to_solve(results)
    lines = ["    n    k  seed  steps to 0.99  final accuracy"]
    for run, n in enumerate(results["dims"]):
        step = "never" if np.isnan(solved[run]) else f"{solved[run]:.0f}"
        k = results["sizes"][run]
        final = results["accuracy"][-1, run]
        lines.append(f"{n:5d} {k if k else 'all':>4}  {results['replicates'][run]:4d}  {step:>13s}  {final:14.3f}")
    return lines


def summarise_intermediate(results: Results) -> list[str]:
    """One line per run: n, approach, seed and final accuracy on the final parity."""
    lines = ["    n  approach       seed  final accuracy"]
    for run, n in enumerate(results["lengths"]):
        approach, final = results["approaches"][run], results["accuracy"][-1, run]
        lines.append(f"{n:5d}  {approach:13s}  {results['replicates'][run]:4d}  {final:14.3f}")
    return lines


EXPERIMENTS: dict[str, Experiment] = {
    experiment.name: experiment
    for experiment in (
        Experiment(
            "parity", "§2.1 Figure 1: learning random parities with SGD", ParitySettings, run_parity, summarise_parity
        ),
        Experiment(
            "parity-scaling",
            "§2.1's remarks: wider and deeper networks at d = 30, a known parity, steps against d",
            ParityScalingSettings,
            run_parity_scaling,
            summarise_parity_scaling,
        ),
        Experiment(
            "periodic",
            "§2.2 Theorem 2: the gradient's signal about cos(v*·x), computed exactly, and training",
            PeriodicSettings,
            run_periodic,
            summarise_periodic,
        ),
        Experiment(
            "end-to-end",
            "§3.1 Figure 3: k-tuples of line images, end-to-end against decomposition",
            LineSettings,
            run_end_to_end,
            summarise_end_to_end,
        ),
        Experiment(
            "stocks",
            "§3.2 Figure 4: end-to-end against decomposition gradient estimators",
            StocksSettings,
            run_stocks,
            summarise_stocks,
        ),
        Experiment(
            "conditioning",
            "§4 Figure 6: encoding piecewise-linear curves, four architectures",
            ConditioningSettings,
            run_conditioning,
            summarise_conditioning,
        ),
        Experiment(
            "flat", "§5 Figure 7: learning through a flat staircase activation", FlatSettings, run_flat, summarise_flat
        ),
        Experiment(
            "sparse-parity",
            "Epilogue: sparse parities are learnable, full ones are not",
            SparseParitySettings,
            run_sparse_parity,
            summarise_sparse_parity,
        ),
        Experiment(
            "intermediate",
            "Epilogue: intermediate supervision of a recurrent parity learner",
            IntermediateSettings,
            run_intermediate,
            summarise_intermediate,
        ),
    )
}


def get_experiment(name: str) -> Experiment:
    """The registered experiment called `name` (ValueError listing the known names otherwise)."""
    return EXPERIMENTS[require_choice("experiment", name, EXPERIMENTS)]


def describe(settings: Any) -> str:
    """A one-line `key=value` description of a settings dataclass."""
    return ", ".join(f"{k}={v}" for k, v in vars(settings).items())
