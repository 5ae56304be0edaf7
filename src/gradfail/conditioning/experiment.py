"""Figure 6 (paper §4.1): the four learners trained with the scripts' optimisers, snapshots of two validation curves.

Every learner trains R replicates as one stacked model, each replicate on its own training set and batch
stream; the linear learners share one validation set, the auto-encoder has its own (continuous kinks).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from gradfail.conditioning.curves import (
    SECOND_DIFFERENCE,
    integrate_twice,
    sample_continuous_curves,
    sample_encodings,
)
from gradfail.conditioning.learners import (
    LEARNERS,
    ConditionedConvolutionEncoder,
    ConvolutionEncoder,
    CurveAutoEncoder,
    FullyConnectedEncoder,
)
from gradfail.conditioning.population import inverse_square_root, sampled_window_correlation
from gradfail.conditioning.settings import ConditioningSettings
from gradfail.devices import resolve_device
from gradfail.results import Results, finished_run
from gradfail.seeding import derived_seed, generator
from gradfail.training import EvalLog, train_online
from gradfail.validation import require_int

EXPERIMENT = "conditioning"
TRAIN_STREAM, VALIDATION_STREAM, BATCH_STREAM, INIT_STREAM = range(4)
LINEAR = LEARNERS[:3]
SHOWN = 2  # validation curves drawn in Figure 6
# Entries within this distance of a kink count as "at the kink": two points, and a wide neighbourhood of eight, which
# shows whether a finding hinges on the radius (see the chapter).
KINK_RADII = (2.0, 8.0)


def relative_error(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Σ‖predicted − target‖² / Σ‖target‖² over the curves (last two axes): 1 for predicting zero."""
    return (predicted - target).pow(2).sum(dim=(-2, -1)) / target.pow(2).sum(dim=(-2, -1))


def near_kinks(kinks: torch.Tensor, length: int, start: int) -> torch.Tensor:
    """Which entries lie within each of KINK_RADII of one of their curve's kinks `kinks` (V, k), shape (radii, V, n).
    Entry i sits at position start + i: x = 1, …, n for curves (start 1), θ = 0, …, n − 1 for encodings (start 0)."""
    require_int("length", length, minimum=1)
    grid = torch.arange(start, start + length, device=kinks.device, dtype=kinks.dtype)
    distance = (grid - kinks.unsqueeze(-1)).abs().amin(dim=-2)  # (V, n): to the nearest kink
    return torch.stack([distance <= radius for radius in KINK_RADII])


def kink_error_ratio(predicted: torch.Tensor, target: torch.Tensor, near: torch.Tensor) -> torch.Tensor:
    """Mean squared error at the entries `near` (radii, V, n) marks over that at the others, shape (..., radii) for
    predictions (..., V, n): above 1 when the error sits at the kinks."""
    squared = (predicted - target).pow(2).flatten(-2)
    weights = torch.stack([near, ~near], dim=1).flatten(-2).to(squared.dtype)  # (radii, near / elsewhere, V·n)
    means = (squared @ weights.flatten(0, 1).T).unflatten(-1, weights.shape[:2]) / weights.sum(dim=-1)
    return means[..., 0] / means[..., 1]


def random_batch(data: Sequence[torch.Tensor], size: int, rng: torch.Generator) -> list[torch.Tensor]:
    """The same random rows (with replacement) of each (R, N, n) tensor in `data`; replicate r draws its own."""
    copies, count = data[0].shape[:2]
    rows = torch.randint(0, count, (copies, size), generator=rng, device=rng.device)
    replicate = torch.arange(copies, device=rng.device)[:, None]
    return [tensor[replicate, rows] for tensor in data]


def train_in_segments(
    step_loss: Callable[[], torch.Tensor],
    optimiser: torch.optim.Optimizer,
    evaluate: Callable[[], torch.Tensor],
    snapshot: Callable[[], dict[str, torch.Tensor]],
    snapshots: Sequence[int],
    eval_every: int,
    state: Sequence[object],
    description: str,
) -> tuple[EvalLog, list[dict[str, torch.Tensor]]]:
    """`train_online` up to each of `snapshots` in turn, taking `snapshot()` there; one log of all evaluations.
    `state`: the modules and generators that change as training goes (for checkpoints)."""
    done, steps, values, taken = 0, [], [], []
    for target in snapshots:
        log = train_online(
            step_loss,
            optimiser,
            evaluate,
            iterations=target - done,
            eval_every=eval_every,
            state=state,
            description=description,
        )
        first = 0 if done == 0 else 1  # a segment's first evaluation repeats the previous segment's last
        steps.append(log.steps[first:] + done)
        values.append(log.values[first:])
        with torch.no_grad():
            taken.append({name: value.cpu() for name, value in snapshot().items()})
        done = target
    return EvalLog(np.concatenate(steps), np.concatenate(values)), taken


def stacked(snapshots: list[dict[str, torch.Tensor]], name: str) -> np.ndarray:
    """Entry `name` of every snapshot, stacked along a new first axis (one per snapshot)."""
    return torch.stack([s[name] for s in snapshots]).numpy()


def run_conditioning(settings: ConditioningSettings, *, seed: int = 0, device: str | torch.device = "auto") -> Results:
    """Train the four learners of `settings`; return error curves, snapshots and filters with provenance."""
    start = time.perf_counter()
    device = resolve_device(device)
    arrays = train_linear_learners(settings, seed, device)
    arrays.update(train_autoencoder(settings, seed, device))
    return finished_run(EXPERIMENT, settings, arrays, seed=seed, device=device, started=start)


def linear_data(settings: ConditioningSettings, seed: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Training encodings and curves (R, N, n), one set per replicate, and the validation encodings (V, n)."""
    shape = (settings.length, settings.kinks)
    train = torch.stack(
        [
            sample_encodings(
                settings.train_curves,
                *shape,
                generator(derived_seed(seed, 0, TRAIN_STREAM, r), device),
                settings.distribution,
            )
            for r in range(settings.replicates)
        ]
    )
    validation = sample_encodings(
        settings.validation_curves,
        *shape,
        generator(derived_seed(seed, 0, VALIDATION_STREAM), device),
        settings.distribution,
    )
    return train, integrate_twice(train), validation


class LinearValidation:
    """The validation set shared by the linear learners, and what Figure 6 measures on it."""

    def __init__(self, encodings: torch.Tensor, copies: int, kinks: int) -> None:
        self.encodings, self.curves = encodings, integrate_twice(encodings)
        self.inputs = self.curves.expand(copies, -1, -1)
        theta = encodings.abs().topk(kinks, dim=-1).indices.to(encodings.dtype)  # θ_i = the index of a_i
        self.near_in_encoding = near_kinks(theta, encodings.shape[-1], start=0)
        self.near_in_curve = near_kinks(theta, encodings.shape[-1], start=1)

    def errors(self, learners: dict[str, nn.Module]) -> torch.Tensor:
        """Per learner, shape (learners, 2 + 2·radii, R): the relative errors of the encoding and of the decoded
        curve, then the kink ratio (`kink_error_ratio`) of the encoding and of the decoded curve at each radius."""
        rows = []
        for p in (learner(self.inputs) for learner in learners.values()):
            decoded = integrate_twice(p)
            errors = torch.stack([relative_error(p, self.encodings), relative_error(decoded, self.curves)])
            ratios = [
                kink_error_ratio(p, self.encodings, self.near_in_encoding).T,
                kink_error_ratio(decoded, self.curves, self.near_in_curve).T,
            ]
            rows.append(torch.cat([errors, *ratios]))
        return torch.stack(rows)

    def snapshot(self, learners: dict[str, nn.Module]) -> dict[str, torch.Tensor]:
        """Replicate 0's encodings of the shown curves, and every replicate's filters."""
        predicted = [learner(self.inputs) for learner in learners.values()]
        return {
            "shown_encoding": torch.stack([p[0, :SHOWN] for p in predicted]),
            "filter": torch.stack([m.filter.double() for m in learners.values() if isinstance(m, ConvolutionEncoder)]),
        }


def train_linear_group(
    learners: dict[str, nn.Module],
    optimiser: torch.optim.Optimizer,
    batch_size: int,
    train: tuple[torch.Tensor, torch.Tensor],
    validation: LinearValidation,
    batches: torch.Generator,
    settings: ConditioningSettings,
) -> tuple[EvalLog, list[dict[str, torch.Tensor]]]:
    """Train `learners` together (summed losses, one batch of (curves, encodings) per step) under `optimiser`."""

    def loss() -> torch.Tensor:
        curves, encodings = random_batch(train, batch_size, batches)
        return sum(learner.loss(curves, encodings) for learner in learners.values())

    return train_in_segments(
        loss,
        optimiser,
        lambda: validation.errors(learners),
        lambda: validation.snapshot(learners),
        settings.snapshots,
        settings.eval_every,
        [*learners.values(), batches],
        " + ".join(learners),
    )


def train_adam_learners(
    settings: ConditioningSettings,
    seed: int,
    device: torch.device,
    train: tuple[torch.Tensor, torch.Tensor],
    validation: LinearValidation,
) -> tuple[EvalLog, list[dict[str, torch.Tensor]]]:
    """§4.1.1–4.1.2: the fully connected and convolutional learners under one Adam, a learning rate each."""
    learners = {
        "fully connected": FullyConnectedEncoder(settings.replicates, settings.length).to(device),
        "convolution": ConvolutionEncoder(settings.replicates).to(device),
    }
    adam = torch.optim.Adam(
        [
            {"params": learners["fully connected"].parameters(), "lr": settings.fully_connected_lr},
            {"params": learners["convolution"].parameters(), "lr": settings.convolution_lr},
        ],
        fused=True,
    )
    batches = generator(derived_seed(seed, 0, BATCH_STREAM), device)
    return train_linear_group(learners, adam, settings.batch_size, train, validation, batches, settings)


def adam_encoding_errors(
    settings: ConditioningSettings, *, seed: int = 0, device: str | torch.device = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """The Adam learners of `run_conditioning` alone, on `settings.distribution` curves: evaluation steps and
    relative encoding errors, shape (evaluations, 2 learners (fully connected, convolution), R)."""
    device = resolve_device(device)
    train_p, train_f, valid_p = linear_data(settings, seed, device)
    validation = LinearValidation(valid_p, settings.replicates, settings.kinks)
    log, _ = train_adam_learners(settings, seed, device, (train_f, train_p), validation)
    return log.steps, log.values[:, :, 0]


def train_linear_learners(settings: ConditioningSettings, seed: int, device: torch.device) -> dict[str, np.ndarray]:
    """§4.1.1–4.1.3: the fully connected and convolutional learners under one Adam (a learning rate each), the
    conditioned one under SGD on batches of its own."""
    train_p, train_f, valid_p = linear_data(settings, seed, device)
    copies = settings.replicates
    validation = LinearValidation(valid_p, copies, settings.kinks)
    whitening = torch.stack([inverse_square_root(sampled_window_correlation(train_f[r])) for r in range(copies)])
    adam_log, adam_snaps = train_adam_learners(settings, seed, device, (train_f, train_p), validation)
    conditioned = {"conditioned": ConditionedConvolutionEncoder(whitening).to(device)}
    sgd = torch.optim.SGD(conditioned["conditioned"].parameters(), lr=settings.conditioned_lr)
    sgd_batches = generator(derived_seed(seed, 1, BATCH_STREAM), device)
    sgd_log, sgd_snaps = train_linear_group(
        conditioned, sgd, settings.conditioned_batch_size, (train_f, train_p), validation, sgd_batches, settings
    )
    errors = np.concatenate([adam_log.values, sgd_log.values], axis=1)  # (evaluations, 3, 2 + 2·radii, R)
    radii = len(KINK_RADII)
    both = {name: np.concatenate([stacked(adam_snaps, name), stacked(sgd_snaps, name)], 1) for name in adam_snaps[0]}
    return {
        "steps": adam_log.steps,
        "encoding_error": errors[:, :, 0],
        "decoded_error": errors[:, :, 1],
        "encoding_kink_ratio": errors[:, :, 2 : 2 + radii].transpose(0, 1, 3, 2),  # (evaluations, 3, R, radii)
        "decoded_kink_ratio": errors[:, :, 2 + radii :].transpose(0, 1, 3, 2),
        "shown_curves": validation.curves[:SHOWN].cpu().numpy(),
        "shown_true_encoding": valid_p[:SHOWN].cpu().numpy(),
        "shown_encoding": both["shown_encoding"],
        "filters": both["filter"],
        "whitening": whitening.cpu().numpy(),
    }


def train_autoencoder(settings: ConditioningSettings, seed: int, device: torch.device) -> dict[str, np.ndarray]:
    """§4.1.4: the deep auto-encoder on curves with continuous kinks, Adam, with its own snapshots."""
    shape = (settings.length, settings.kinks)
    train = torch.stack(
        [
            sample_continuous_curves(
                settings.train_curves, *shape, generator(derived_seed(seed, 1, TRAIN_STREAM, r), device)
            )[0]
            for r in range(settings.replicates)
        ]
    )
    valid_f, valid_kinks = sample_continuous_curves(
        settings.validation_curves, *shape, generator(derived_seed(seed, 1, VALIDATION_STREAM), device)
    )
    inits = [generator(derived_seed(seed, r, INIT_STREAM)) for r in range(settings.replicates)]
    model = CurveAutoEncoder(settings.length, settings.kinks, inits).to(device)
    batches = generator(derived_seed(seed, 2, BATCH_STREAM), device)
    curves = valid_f.expand(settings.replicates, -1, -1)

    def loss() -> torch.Tensor:
        (f,) = random_batch((train,), settings.batch_size, batches)
        return model.loss(f)

    near = near_kinks(valid_kinks, settings.length, start=1)

    def evaluate() -> torch.Tensor:  # (1 + radii, R): relative error, kink ratio at each radius
        decoded = model.decode(curves)
        return torch.cat([relative_error(decoded, valid_f)[None], kink_error_ratio(decoded, valid_f, near).T])

    log, snaps = train_in_segments(
        loss,
        torch.optim.Adam(model.parameters(), lr=settings.autoencoder_lr, fused=True),
        evaluate,
        lambda: {"shown": model.decode(curves)[0, :SHOWN]},
        settings.autoencoder_snapshots,
        settings.eval_every,
        [model, batches],
        "auto-encoder",
    )
    return {
        "autoencoder_steps": log.steps,
        "autoencoder_error": log.values[:, 0],
        "autoencoder_kink_ratio": log.values[:, 1:].transpose(0, 2, 1),  # (evaluations, R, radii)
        "autoencoder_shown_curves": valid_f[:SHOWN].cpu().numpy(),
        "autoencoder_shown_kinks": valid_kinks[:SHOWN].cpu().numpy(),
        "autoencoder_shown_decoded": stacked(snaps, "shown"),
    }


def value_at(results: Results, name: str, step: int) -> np.ndarray:
    """`results[name]` at evaluation step `step` (of the linear learners, or the auto-encoder's for its arrays)."""
    steps = results["autoencoder_steps" if name.startswith("autoencoder") else "steps"]
    if step not in steps:
        raise ValueError(f"step must be an evaluation step, got {step}")
    return results[name][int(np.flatnonzero(steps == step)[0])]


def filter_distance(results: Results) -> np.ndarray:
    """max_a |w_a − [1, −2, 1]_a| at each snapshot, shape (snapshots, 2 learners (convolution, conditioned), R)."""
    return np.abs(results["filters"] - np.array(SECOND_DIFFERENCE)).max(axis=-1)


def rolling_median(steps: np.ndarray, values: np.ndarray, span: int) -> np.ndarray:
    """Along axis 0, the median of the evaluations of the last `span` iterations, (step − span, step], so that the
    window means the same at any evaluation interval; Adam's isolated spikes (see the chapter) hardly move it."""
    require_int("span", span, minimum=1)
    if len(steps) != len(values):
        raise ValueError(f"values must hold one row per step ({len(steps)}), got {len(values)}")
    starts = np.searchsorted(steps, steps - span, side="right")
    return np.stack([np.median(values[start : i + 1], axis=0) for i, start in enumerate(starts)])
