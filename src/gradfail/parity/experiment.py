"""Figure 1 (paper §2.1): test accuracy against SGD iterations for random parities in several dimensions.

The runs of one dimension (its replicates) train as one stacked model, all dimensions under one optimiser.
Each run draws its parity, initial weights and data from generators of its own, so a run's numbers do not
depend on which other runs share the batch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from gradfail.devices import resolve_device
from gradfail.losses import accuracy, hinge_loss
from gradfail.parity.data import parity_labels, random_signs, random_support
from gradfail.parity.network import StackedTwoLayerReLU, paper_network
from gradfail.parity.settings import ParitySettings
from gradfail.results import Results, finished_run, first_step
from gradfail.seeding import derived_seed, generator
from gradfail.streams import BlockBatches
from gradfail.training import train_groups
from gradfail.validation import require_int

EXPERIMENT = "parity"
SUPPORT_STREAM, INIT_STREAM, TRAIN_STREAM, TEST_STREAM = range(4)


def stacked_inputs(generators: Sequence[torch.Generator], shape: tuple[int, ...]) -> torch.Tensor:
    """±1 inputs of shape (M, *shape), slice m drawn from generators[m]."""
    return torch.stack([random_signs(shape, g) for g in generators])


def parity_batches(
    generators: Sequence[torch.Generator], supports: torch.Tensor, batch_size: int, block: int
) -> BlockBatches:
    """Fresh (inputs (M, B, d), labels (M, B)) for every step, run m's from generators[m] and supports[m].

    Drawn `block` steps at a time (the same numbers as drawing step by step, with a few operations per block
    instead of a few per run and step)."""

    def draw(steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        inputs = stacked_inputs(generators, (steps, batch_size, supports.shape[-1])).transpose(0, 1)
        return inputs, parity_labels(inputs, supports.unsqueeze(1))

    return BlockBatches(draw, block, generators)


class ParityGroup:
    """The replicates of one dimension: their parities, their stacked networks and their data streams."""

    def __init__(self, dim: int, settings: ParitySettings, seed: int, device: torch.device) -> None:
        runs = range(settings.replicates)
        self.dim = dim
        self.supports = torch.stack(
            [random_support(dim, generator(derived_seed(seed, dim, r, SUPPORT_STREAM))) for r in runs]
        ).to(device)
        self.model = StackedTwoLayerReLU(
            [
                paper_network(dim, settings.width_factor * dim, generator(derived_seed(seed, dim, r, INIT_STREAM)))
                for r in runs
            ]
        ).to(device)
        self.train_generators = [generator(derived_seed(seed, dim, r, TRAIN_STREAM), device) for r in runs]
        self.test_generators = [generator(derived_seed(seed, dim, r, TEST_STREAM), device) for r in runs]
        self.batches = parity_batches(self.train_generators, self.supports, settings.batch_size, settings.eval_every)
        self.eval_samples = settings.eval_samples

    def streams(self) -> list[object]:
        return [self.batches, *self.test_generators]

    def training_loss(self) -> torch.Tensor:
        """Sum over replicates of the hinge loss on a fresh batch (§2.1)."""
        inputs, labels = next(self.batches)
        return hinge_loss(self.model(inputs), labels).sum()

    def evaluate(self) -> torch.Tensor:
        """Each replicate's accuracy on `eval_samples` fresh inputs."""
        inputs = stacked_inputs(self.test_generators, (self.eval_samples, self.dim))
        return accuracy(self.model(inputs), parity_labels(inputs, self.supports.unsqueeze(1)))


def run_parity(settings: ParitySettings, *, seed: int = 0, device: str | torch.device = "auto") -> Results:
    """Train every (d, replicate) run of `settings` and return its accuracy curves with provenance."""
    start = time.perf_counter()
    device = resolve_device(device)
    groups = [ParityGroup(d, settings, seed, device) for d in settings.dims]
    log = train_groups(
        groups,
        lambda params: torch.optim.SGD(params, lr=settings.learning_rate, fused=True),
        iterations=settings.iterations,
        eval_every=settings.eval_every,
        description="parity",
    )
    largest_dim = max(settings.dims)
    arrays = {
        "steps": log.steps,
        "accuracy": log.values,
        "dims": np.repeat(settings.dims, settings.replicates),
        "replicates": np.tile(np.arange(settings.replicates), len(settings.dims)),
        "supports": np.concatenate(
            [torch.nn.functional.pad(g.supports, (0, largest_dim - g.dim)).cpu().numpy() for g in groups]
        ),
    }
    return finished_run(EXPERIMENT, settings, arrays, seed=seed, device=device, started=start)


def final_accuracy(results: Results, last: int = 5) -> np.ndarray:
    """Each run's mean test accuracy over its last `last` evaluations (a single one, on 500 samples, is noisy)."""
    require_int("last", last, minimum=1, maximum=len(results["steps"]))
    return results["accuracy"][-last:].mean(axis=0)


def first_step_reaching(results: Results, threshold: float, window: int = 5) -> np.ndarray:
    """Per run, the first evaluation step at which the mean of `window` consecutive evaluations reaches
    `threshold` (the step of the window's last evaluation); NaN for runs that never do."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be an accuracy in (0, 1], got {threshold!r}")
    require_int("window", window, minimum=1, maximum=len(results["steps"]))
    kernel = np.ones(window) / window
    smoothed = np.stack([np.convolve(curve, kernel, mode="valid") for curve in results["accuracy"].T])
    return first_step(results["steps"][window - 1 :], np.greater_equal(smoothed, threshold).T)
