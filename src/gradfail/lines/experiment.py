"""Figure 3 (paper §3.1): test accuracy on the tuple label against iterations, end-to-end against decomposition.

The replicates of one (approach, k) train as one stacked network; the k values of one approach train side by
side under one optimiser. Both approaches of a replicate start from the same weights and see the same batches
(a paired comparison), and every run draws its data from generators of its own.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from gradfail.devices import resolve_device
from gradfail.lines.images import TupleBatch, sample_tuples
from gradfail.lines.networks import StackedTupleNetwork
from gradfail.lines.objectives import APPROACHES, approach_loss
from gradfail.lines.settings import LineSettings
from gradfail.losses import accuracy
from gradfail.results import Results, finished_run
from gradfail.seeding import derived_seed, generator
from gradfail.training import train_groups
from gradfail.validation import require_choice, require_int

EXPERIMENT = "end-to-end"
INIT_STREAM, DATA_STREAM, TEST_STREAM = range(3)
EVAL_CHUNK = 500  # test tuples per forward pass, to bound memory


def stacked_tuples(generators: list[torch.Generator], batch: int, k: int, variant: str) -> TupleBatch:
    """One batch of tuples per generator, stacked: images (M, B, k, 28, 28), labels (M, B, k)."""
    batches = [sample_tuples(batch, k, g, variant) for g in generators]
    return TupleBatch(torch.stack([b.images for b in batches]), torch.stack([b.labels for b in batches]))


class TupleGroup:
    """The replicates of one (approach, k): their stacked networks, training streams and fixed test tuples."""

    def __init__(self, approach: str, k: int, settings: LineSettings, seed: int, device: torch.device) -> None:
        self.approach, self.k, self.settings = require_choice("approach", approach, APPROACHES), k, settings
        runs = range(settings.replicates)
        self.model = StackedTupleNetwork(
            k, [generator(derived_seed(seed, k, r, INIT_STREAM)) for r in runs], settings.initialisation
        ).to(device)
        self.generators = [generator(derived_seed(seed, k, r, DATA_STREAM), device) for r in runs]
        test_generators = [generator(derived_seed(seed, k, r, TEST_STREAM), device) for r in runs]
        self.test = stacked_tuples(test_generators, settings.test_tuples, k, settings.variant)

    def streams(self) -> list[object]:
        return list(self.generators)

    def training_loss(self) -> torch.Tensor:
        """Sum over replicates of the approach's loss on a fresh batch."""
        batch = stacked_tuples(self.generators, self.settings.batch_size, self.k, self.settings.variant)
        image_scores, tuple_scores = self.model(batch.images)
        return approach_loss(self.approach, image_scores, tuple_scores, batch.labels).sum()

    def evaluate(self) -> torch.Tensor:
        """Per replicate, on the held-out test tuples: row 0 the accuracy on the tuple label ỹ, row 1 the accuracy
        of the image scores' signs on the image labels, shape (2, R)."""
        chunks = range(0, self.settings.test_tuples, EVAL_CHUNK)
        image_scores, tuple_scores = (
            torch.cat(scores, dim=1)
            for scores in zip(*(self.model(self.test.images[:, i : i + EVAL_CHUNK]) for i in chunks), strict=True)
        )
        return torch.stack(
            [
                accuracy(tuple_scores, self.test.tuple_labels),
                accuracy(image_scores.flatten(1), self.test.labels.flatten(1)),
            ]
        )


def key(approach: str, quantity: str) -> str:
    """The results key of one approach's array, e.g. key('end-to-end', 'accuracy') == 'end_to_end_accuracy'."""
    return f"{require_choice('approach', approach, APPROACHES).replace('-', '_')}_{quantity}"


def run_end_to_end(settings: LineSettings, *, seed: int = 0, device: str | torch.device = "auto") -> Results:
    """Train every (approach, k, replicate) run of `settings`; return the test-accuracy curves with provenance."""
    start = time.perf_counter()
    device = resolve_device(device)
    arrays: dict[str, np.ndarray] = {
        "ks": np.repeat(settings.ks, settings.replicates),
        "replicates": np.tile(np.arange(settings.replicates), len(settings.ks)),
    }
    for approach in APPROACHES:
        groups = [TupleGroup(approach, k, settings, seed, device) for k in settings.ks]
        log = train_groups(
            groups,
            lambda params: torch.optim.Adam(
                params,
                lr=settings.learning_rate,
                betas=(settings.beta1, settings.beta2),
                eps=settings.adam_eps,
                fused=True,
            ),
            iterations=settings.iterations(approach),
            eval_every=settings.eval_every,
            description=approach,
        )
        arrays[key(approach, "steps")] = log.steps
        arrays[key(approach, "accuracy")] = log.values[:, 0]
        arrays[key(approach, "image_accuracy")] = log.values[:, 1]
    return finished_run(EXPERIMENT, settings, arrays, seed=seed, device=device, started=start)


def final_accuracy(results: Results, approach: str, last: int = 4, quantity: str = "accuracy") -> np.ndarray:
    """Each run's mean test accuracy (`accuracy`: tuples, `image_accuracy`: images) over its last `last`
    evaluations (late evaluations jump by a few points)."""
    curves = results[key(approach, require_choice("quantity", quantity, ("accuracy", "image_accuracy")))]
    require_int("last", last, minimum=1, maximum=len(curves))
    return curves[-last:].mean(axis=0)


def parity_accuracy(image_accuracy: np.ndarray | float, k: int) -> np.ndarray:
    """The tuple accuracy of the exact parity of k independent image predictions, each right with probability
    a: P(an even number of mistakes) = (1 + (2a − 1)^k) / 2, the ceiling a perfect N2 reaches on top of N1."""
    require_int("k", k, minimum=1)
    accuracy_ = np.asarray(image_accuracy, dtype=float)
    if np.any((accuracy_ < 0) | (accuracy_ > 1)):
        raise ValueError(f"image_accuracy must lie in [0, 1], got {image_accuracy!r}")
    return (1 + (2 * accuracy_ - 1) ** k) / 2
