"""Where the §5.2 learner stops, and how fast each learner gets anywhere, read from a Figure 7 results file.

The non-flat learner is `stuck` when its predictions on the test set are constant: its pre-activations all sit
on one plateau of ũ. There the gradient is far below Adam's ε, so Adam's step, lr·m/(√v + ε), is about
(lr/ε)·gradient: plain gradient descent on an almost flat loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from gradfail.flat.experiment import DATA_STREAM, INIT_STREAM, build_learner, draw_problem, key, learner_step_loss
from gradfail.flat.settings import FlatSettings
from gradfail.results import Results
from gradfail.seeding import derived_seed, generator
from gradfail.training import train_online
from gradfail.validation import require_choice, require_int

STUCK_SPREAD = 0.01  # stuck: the predictions' standard deviation is below 1% of the labels'
FLAT_GRADIENT = 0.01  # "far below ε": under 1% of Adam's ε, where Adam's step is under 1% of its learning rate


def prediction_spread(results: Results, learner: str = "non-flat") -> float:
    """The standard deviation of the learner's test predictions over that of the labels (0: a constant)."""
    return float(np.std(results[key(learner, "prediction")]) / np.std(results["test_label"]))


def is_stuck(results: Results) -> bool:
    """Whether the non-flat learner ended on a plateau of ũ: its predictions (almost) constant."""
    return prediction_spread(results) < STUCK_SPREAD


def gradient_over_eps(results: Results, learner: str = "non-flat") -> np.ndarray:
    """The learner's largest gradient coordinate (test-set loss) at each evaluation, in units of Adam's ε."""
    return results[key(learner, "gradient")] / float(results.settings["adam_eps"])


def iterations_to_reach(results: Results, learner: str, level: float) -> float:
    """The first evaluated iteration at which the learner's test error is at most `level` (inf if never)."""
    reached = np.flatnonzero(results[key(learner, "mse")] <= level)
    return float(results[key(learner, "steps")][reached[0]]) if len(reached) else np.inf


def multiply_adds(results: Results, learner: str) -> int:
    """Multiply-adds of the learner's forward pass for one example (the backward pass costs a fixed multiple):
    the cost of one of its training iterations, relative to the others'."""
    d, hidden, steps = int(results.settings["input_dim"]), int(results.settings["hidden"]), len(results["steps_of_u"])
    costs = {
        "non-flat": d + steps,  # one linear map, then one sigmoid per step
        "end-to-end": d * hidden + 2 * hidden * hidden + hidden,
        "multi-class": d * hidden + hidden * hidden + hidden * steps,
        "forward-only": d,
    }
    return costs[require_choice("learner", learner, tuple(costs))]


def stuck_share(runs: Sequence[Results]) -> float:
    """The share of runs whose non-flat learner ended stuck on a plateau (nan for no runs)."""
    return float(np.mean([is_stuck(run) for run in runs])) if runs else np.nan


def non_flat_spread(settings: FlatSettings, seed: int, iterations: int) -> float:
    """Train seed `seed`'s non-flat learner alone, as `run_flat` does but for `iterations` steps, on the CPU;
    return the spread of its test predictions (as `prediction_spread`: below STUCK_SPREAD means stuck)."""
    require_int("iterations", iterations, minimum=1)
    target, test_inputs, test_labels = draw_problem(settings, seed, torch.device("cpu"))
    model = build_learner("non-flat", settings, target, generator(derived_seed(seed, 0, INIT_STREAM)))
    optimiser = torch.optim.Adam(
        model.parameters(), lr=settings.non_flat_lr, betas=(settings.beta1, settings.beta2), eps=settings.adam_eps
    )
    data = generator(derived_seed(seed, 0, DATA_STREAM))
    train_online(
        learner_step_loss(model, target, settings, data),
        optimiser,
        lambda: torch.zeros(()),
        iterations=iterations,
        eval_every=iterations,
    )
    with torch.no_grad():
        return float(model.predict(test_inputs).std() / test_labels.std())
