"""Figure 7 (paper §5): four ways to learn y = u(v*ᵀx + b*) through the flat staircase u.

Each learner trains online with its own Adam, data stream and initialisation; all are scored on one fixed test
set, whose pre-activations r = v*ᵀx + b*, labels and per-learner predictions are kept for the figure, with each
learner's test error and largest gradient coordinate at every evaluation. The forward-only learner is trained a
second time with plain SGD, as the paper's eq. 5 writes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from gradfail.devices import resolve_device
from gradfail.flat.learners import (
    LEARNERS,
    ForwardOnlyRegressor,
    MLPRegressor,
    SmoothStaircaseRegressor,
    StepClassifier,
)
from gradfail.flat.settings import FlatSettings
from gradfail.flat.target import StepTarget, draw_target, sample_inputs
from gradfail.results import Results, finished_run
from gradfail.seeding import derived_seed, generator
from gradfail.training import train_online
from gradfail.validation import require_choice

EXPERIMENT = "flat"
TARGET_STREAM, TEST_STREAM, INIT_STREAM, DATA_STREAM = range(4)


def key(learner: str, quantity: str) -> str:
    """The results key of one learner's array, e.g. key('forward-only', 'mse') == 'forward_only_mse'."""
    return f"{require_choice('learner', learner, LEARNERS).replace('-', '_')}_{quantity}"


def build_learner(learner: str, settings: FlatSettings, target: StepTarget, init: torch.Generator) -> nn.Module:
    """One of the four learners of §5.2–5.5, initialised from `init` as `settings.initialisation` says."""
    require_choice("learner", learner, LEARNERS)
    d, steps, how = settings.input_dim, target.steps, settings.initialisation
    if learner == "non-flat":
        return SmoothStaircaseRegressor(d, steps, settings.sharpness, init, how)
    if learner == "end-to-end":
        return MLPRegressor(d, settings.hidden, init, how)
    if learner == "multi-class":
        return StepClassifier(d, settings.hidden, steps, init, how)
    return ForwardOnlyRegressor(d, steps, init, how)


def error_and_gradient(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(test squared error, largest |coordinate| of the gradient of the training loss on the test set)."""
    with torch.enable_grad():
        gradients = torch.autograd.grad(model.loss(inputs, labels), list(model.parameters()))
    with torch.no_grad():
        error = (model.predict(inputs) - labels).pow(2).mean()
    return torch.stack([error, torch.stack([g.abs().max() for g in gradients]).max()])


def learner_step_loss(
    model: nn.Module, target: StepTarget, settings: FlatSettings, data: torch.Generator
) -> Callable[[], torch.Tensor]:
    """The learner's loss on a fresh batch of (x, u(v*ᵀx + b*)) drawn from `data`, for `train_online`."""

    def step_loss() -> torch.Tensor:
        inputs = sample_inputs(settings.batch_size, settings.input_dim, data)
        return model.loss(inputs, target(inputs))

    return step_loss


def target_of(results: Results) -> StepTarget:
    """The target (v*, b*, steps) a results file was trained on, on the CPU."""
    slope, offset = torch.as_tensor(results["target_slope"]), torch.as_tensor(results["target_offset"])
    return StepTarget(slope, offset, torch.as_tensor(results["steps_of_u"]))


def draw_problem(
    settings: FlatSettings, seed: int, device: torch.device
) -> tuple[StepTarget, torch.Tensor, torch.Tensor]:
    """The target of seed `seed`, and its test inputs and labels."""
    target = draw_target(settings.input_dim, generator(derived_seed(seed, TARGET_STREAM), device))
    test_inputs = sample_inputs(
        settings.test_samples, settings.input_dim, generator(derived_seed(seed, TEST_STREAM), device)
    )
    return target, test_inputs, target(test_inputs)


def run_flat(settings: FlatSettings, *, seed: int = 0, device: str | torch.device = "auto") -> Results:
    """Train the four learners on one target; return test-error curves and test-set predictions."""
    start = time.perf_counter()
    device = resolve_device(device)
    target, test_inputs, test_labels = draw_problem(settings, seed, device)
    test_pre_activation = target.pre_activation(test_inputs)
    arrays = {
        "target_slope": target.slope.cpu().numpy(),
        "target_offset": target.offset.cpu().numpy(),
        "steps_of_u": target.steps.cpu().numpy(),
        "test_pre_activation": test_pre_activation.cpu().numpy(),
        "test_label": test_labels.cpu().numpy(),
    }
    for index, learner in enumerate(LEARNERS):
        model = build_learner(learner, settings, target, generator(derived_seed(seed, index, INIT_STREAM))).to(device)
        iterations, lr = settings.schedule(learner)
        optimiser = torch.optim.Adam(
            model.parameters(), lr=lr, betas=(settings.beta1, settings.beta2), eps=settings.adam_eps, fused=True
        )
        data = generator(derived_seed(seed, index, DATA_STREAM), device)
        log = train_online(
            learner_step_loss(model, target, settings, data),
            optimiser,
            lambda model=model: error_and_gradient(model, test_inputs, test_labels),
            iterations=iterations,
            eval_every=settings.eval_every,
            state=[model, data],
            description=learner,
        )
        with torch.no_grad():
            arrays[key(learner, "prediction")] = model.predict(test_inputs).cpu().numpy()
        arrays[key(learner, "steps")] = log.steps
        arrays[key(learner, "mse")], arrays[key(learner, "gradient")] = log.values.T
    arrays |= plain_sgd_forward_only(settings, seed, target, test_inputs, test_labels)
    return finished_run(EXPERIMENT, settings, arrays, seed=seed, device=device, started=start)


def plain_sgd_forward_only(
    settings: FlatSettings, seed: int, target: StepTarget, test_inputs: torch.Tensor, test_labels: torch.Tensor
) -> dict[str, np.ndarray]:
    """The forward-only learner trained with plain SGD, as eq. 5 writes the rule, from the same start and on the
    same batches as the Adam-trained one: its test predictions and test-error curve."""
    index = LEARNERS.index("forward-only")
    model = build_learner("forward-only", settings, target, generator(derived_seed(seed, index, INIT_STREAM)))
    model = model.to(test_inputs.device)
    data = generator(derived_seed(seed, index, DATA_STREAM), test_inputs.device)
    iterations, _ = settings.schedule("forward-only")
    log = train_online(
        learner_step_loss(model, target, settings, data),
        torch.optim.SGD(model.parameters(), lr=settings.forward_only_sgd_lr),
        lambda: (model.predict(test_inputs) - test_labels).pow(2).mean(),
        iterations=iterations,
        eval_every=settings.eval_every,
        state=[model, data],
        description="forward-only, plain SGD",
    )
    with torch.no_grad():
        prediction = model.predict(test_inputs).cpu().numpy()
    return {key("forward-only", "sgd_prediction"): prediction, key("forward-only", "sgd_mse"): log.values}


def exact_step_share(results: Results, learner: str, predictions: str = "prediction") -> float:
    """Share of test points where the learner's prediction equals the label exactly (the right step);
    `predictions="sgd_prediction"` for the forward-only learner trained with plain SGD."""
    return float(np.mean(results[key(learner, predictions)] == results["test_label"]))


def final_test_error(results: Results, learner: str) -> float:
    """The learner's final test squared error."""
    return float(np.mean((results[key(learner, "prediction")] - results["test_label"]) ** 2))


def nearest_step(results: Results) -> np.ndarray:
    """For each test point, the step z_i nearest to its pre-activation r."""
    r, steps = results["test_pre_activation"], results["steps_of_u"]
    return steps[np.abs(r[:, None] - steps[None, :]).argmin(axis=1)]


def distance_to_nearest_step(results: Results) -> np.ndarray:
    """For each test point, |r − z_i| for the step z_i nearest to its pre-activation r."""
    return np.abs(results["test_pre_activation"] - nearest_step(results))


def busiest_boundary(results: Results, learner: str) -> float:
    """The step near which the learner's wrong predictions cluster most (the most common nearest step)."""
    wrong = results[key(learner, "prediction")] != results["test_label"]
    if not wrong.any():
        raise ValueError(f"learner {learner!r} makes no error on the test set: no boundary to zoom on")
    values, counts = np.unique(nearest_step(results)[wrong], return_counts=True)
    return float(values[counts.argmax()])
