"""Training on linear-periodic targets (§2.2): the network of the variance measurement, Linear(d, m) → ReLU →
Linear(m, 1), fitted by Adam with the square loss to y = cos(v*ᵀx), x ~ N(0, I_d), r = ‖v*‖ = √d."""

from __future__ import annotations

import math

import torch

from gradfail.gradients import per_example_gradients
from gradfail.layers import seeded_mlp
from gradfail.parity.network import StackedTwoLayerReLU
from gradfail.periodic.alignment import best_alignment
from gradfail.periodic.settings import PeriodicSettings
from gradfail.periodic.target import cosine_target, sample_directions, trivial_mse
from gradfail.seeding import derived_seed, generator
from gradfail.streams import BlockBatches
from gradfail.validation import require_int

TARGET_STREAM, INIT_STREAM, TRAIN_STREAM, TEST_STREAM = range(4)


def tied_radius(dim: int) -> float:
    """The book's rule tying the frequency to the dimension: r = √d, so that r² = d."""
    return math.sqrt(require_int("dim", dim, minimum=1))


class PeriodicGroup:
    """The replicates of one dimension d: targets cos(v*ᵀx) with ‖v*‖ = √d, stacked networks, data streams; fresh
    training inputs are drawn `eval_every` steps at a time. `stream` k > 0 draws other training batches for the
    same networks, targets and test inputs."""

    def __init__(
        self, dim: int, settings: PeriodicSettings, seed: int, device: torch.device, *, stream: int = 0
    ) -> None:
        runs = range(settings.replicates)
        batch_keys = (TRAIN_STREAM, require_int("stream", stream, minimum=0)) if stream else (TRAIN_STREAM,)
        self.dim, self.batch_size, self.block = dim, settings.batch_size, settings.eval_every
        radius = tied_radius(dim)
        targets = [generator(derived_seed(seed, dim, r, TARGET_STREAM)) for r in runs]
        self.directions = torch.cat([sample_directions(1, dim, radius, g) for g in targets]).float().to(device)
        networks = [
            seeded_mlp([dim, settings.train_width, 1], generator(derived_seed(seed, dim, r, INIT_STREAM))) for r in runs
        ]
        self.model = StackedTwoLayerReLU(networks).to(device)
        self.generators = [generator(derived_seed(seed, dim, r, *batch_keys), device) for r in runs]
        test_generators = [generator(derived_seed(seed, dim, r, TEST_STREAM)) for r in runs]
        self.test_inputs = torch.stack(
            [torch.randn(settings.test_samples, dim, generator=g) for g in test_generators]
        ).to(device)
        self.test_labels = cosine_target(self.test_inputs, self.directions)
        self.trivial = trivial_mse(radius)
        self.batches = BlockBatches(self._draw, self.block, self.generators)

    def _draw(self, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Fresh (inputs (steps, M, B, d), labels (steps, M, B)) for `steps` steps."""
        shape = (steps, self.batch_size, self.dim)
        inputs = torch.stack([torch.randn(shape, generator=g, device=g.device) for g in self.generators], dim=1)
        return inputs, cosine_target(inputs, self.directions)

    def streams(self) -> list[object]:
        return [self.batches]

    def training_loss(self) -> torch.Tensor:
        """Sum over replicates of the mean square loss ½(p(x) − y)² on a fresh batch."""
        inputs, labels = next(self.batches)
        return 0.5 * (self.model(inputs) - labels).pow(2).mean(dim=-1).sum()

    def evaluate(self) -> torch.Tensor:
        """Per replicate (last axis): test MSE / the trivial predictor's MSE, and the best alignment maxⱼ ρⱼ²."""
        relative_error = (self.model(self.test_inputs) - self.test_labels).pow(2).mean(dim=-1) / self.trivial
        return torch.stack([relative_error, best_alignment(self.model.hidden_weight, self.directions)])


def top_curvature(network: torch.nn.Module, samples: int, generator: torch.Generator) -> float:
    """The largest eigenvalue of E[g gᵀ], g = ∂p(x)/∂w, x ~ N(0, I_d), from `samples` inputs: the square loss's
    curvature in its stiffest direction near a fit, which sets the largest stable step of plain gradient descent."""
    require_int("samples", samples, minimum=2)
    inputs = torch.randn(samples, network[0].in_features, generator=generator)
    gradients = per_example_gradients(network, inputs) / math.sqrt(samples)
    return torch.linalg.svdvals(gradients)[0].item() ** 2
