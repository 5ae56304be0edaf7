"""Two remarks of §2.1 measured: a wider or deeper network stays at chance at d = 30, a network built around a known
full parity learns it, and how the steps SGD needs grow with d (|S| = d/2) against the ≈ 2^d the argument predicts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import torch
from torch import nn

from gradfail.devices import resolve_device
from gradfail.epilogue.sparse import sparse_support
from gradfail.losses import accuracy, hinge_loss
from gradfail.parity.data import parity_labels, random_signs, random_support
from gradfail.parity.experiment import parity_batches, stacked_inputs
from gradfail.parity.network import StackedTwoLayerReLU, paper_network, truncated_normal_
from gradfail.results import Results, finished_run
from gradfail.seeding import derived_seed, generator
from gradfail.training import train_groups, train_online
from gradfail.validation import require_int, require_int_tuple, require_positive_float

EXPERIMENT = "parity-scaling"
VARIANTS = ("wider", "deeper")
SUPPORT_STREAM, INIT_STREAM, TRAIN_STREAM, TEST_STREAM = range(4)
KNOWN_KEY, SCAN_KEY = 1, 2  # stream keys that keep the count network's and the scan's draws apart from the variants'
LEARNED, WINDOW = 0.95, 5  # a run has learned when the mean of WINDOW consecutive evaluations reaches LEARNED


@dataclass(frozen=True)
class ParityScalingSettings:
    """Figure 1's optimiser (SGD lr 0.01, batch 128, hinge loss) for a 10× wider and a 3-hidden-layer network at
    d = 30 and for a network reading the bit count of a known full parity; Figure 1's network, SGD with lr
    `scan_learning_rate`, for the steps to 0.95 accuracy against d with |S| = d/2."""

    dim: int = 30
    width_factor: int = 10  # Figure 1's width: 10d
    wider_factor: int = 100  # the wider variant: 100d, ten times Figure 1's
    deeper_layers: int = 3  # the deeper variant: this many hidden layers of width 10d
    iterations: int = 50_000  # the variants' budget (the paper's)
    known_iterations: int = 50_000  # the count network's budget
    known_span: float = 12.0  # the count network's kinks start uniform on |Σx| ≤ known_span
    batch_size: int = 128
    learning_rate: float = 0.01
    eval_every: int = 100
    eval_samples: int = 500
    scan_dims: tuple[int, ...] = (8, 10, 12, 14, 16, 18, 20)
    scan_replicates: int = 4
    scan_learning_rate: float = 0.1  # ten times Figure 1's, so that d = 20 fits a CPU budget
    scan_max_steps: int = 400_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "scan_dims", require_int_tuple("scan_dims", self.scan_dims, minimum=2))
        for name in ("dim", "width_factor", "wider_factor", "deeper_layers", "iterations", "known_iterations",
                     "batch_size", "eval_samples", "scan_replicates"):  # fmt: skip
            require_int(name, getattr(self, name), minimum=1)
        require_positive_float("known_span", self.known_span)
        require_positive_float("learning_rate", self.learning_rate)
        require_positive_float("scan_learning_rate", self.scan_learning_rate)
        require_int("eval_every", self.eval_every, minimum=1, maximum=min(self.iterations, self.known_iterations))
        require_int("scan_max_steps", self.scan_max_steps, minimum=WINDOW * self.eval_every)

    @classmethod
    def paper(cls) -> ParityScalingSettings:
        """The paper's budget of 50,000 iterations for the variants; the scan over d = 8 … 20, four parities each."""
        return cls()

    @classmethod
    def quick(cls) -> ParityScalingSettings:
        """The variants get 5,000 iterations; the scan stops at d = 18 with two parities per d."""
        return cls(iterations=5_000, scan_dims=(8, 10, 12, 14, 16, 18), scan_replicates=2, scan_max_steps=200_000)


def deep_network(dim: int, width: int, layers: int, generator: torch.Generator) -> nn.Sequential:
    """`layers` hidden ReLU layers of `width` units and a linear output, initialised as §2.1's network."""
    require_int("layers", layers, minimum=1)
    sizes = [require_int("dim", dim, minimum=1), *[require_int("width", width, minimum=1)] * layers, 1]
    modules: list[nn.Module] = []
    for fan_in, fan_out in pairwise(sizes):
        layer = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            truncated_normal_(layer.weight, fan_in, generator)
            layer.bias.zero_()
        modules += [layer, nn.ReLU()]
    return nn.Sequential(*modules[:-1])


class CountNetwork(nn.Module):
    """Lemma 3's architecture with v* built in: unit i computes relu(a_i ⟨v*, x⟩ + b_i), then a linear output.

    Weights as §2.1's network (a_i truncated normal of std 1/√|S|, so a_i⟨v*, x⟩ has unit variance as in Figure 1's
    first layer); the kinks −b_i/a_i start uniform on [−span, span] instead of all at 0."""

    def __init__(self, support: torch.Tensor, width: int, span: float, generator: torch.Generator) -> None:
        super().__init__()
        if support.dtype != torch.bool or support.dim() != 1 or not support.any():
            raise ValueError(f"support must be a non-empty 1-D bool mask, got {support.dtype}, {tuple(support.shape)}")
        require_int("width", width, minimum=1)
        self.register_buffer("support", support.float())
        scale = truncated_normal_(torch.empty(width), int(support.sum()), generator)
        kinks = (2 * torch.rand(width, generator=generator) - 1) * require_positive_float("span", span)
        self.scale, self.bias = nn.Parameter(scale), nn.Parameter(-scale * kinks)
        self.output = nn.Parameter(truncated_normal_(torch.empty(width), width, generator))
        self.output_bias = nn.Parameter(torch.zeros(()))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Scores of shape (B,) for inputs of shape (B, d)."""
        count = (inputs @ self.support).unsqueeze(-1)
        return torch.relu(count * self.scale + self.bias) @ self.output + self.output_bias


class SingleRun:
    """One network learning one parity: its fresh training batches and test examples (a `RunGroup` of one run)."""

    def __init__(
        self,
        model: nn.Module,
        support: torch.Tensor,
        settings: ParityScalingSettings,
        seeds: tuple,
        device: torch.device,
    ) -> None:
        self.model, self.support, self.eval_samples = model.to(device), support.to(device), settings.eval_samples
        self.train = generator(derived_seed(*seeds, TRAIN_STREAM), device)
        self.test = generator(derived_seed(*seeds, TEST_STREAM), device)
        self.batches = parity_batches([self.train], self.support[None], settings.batch_size, settings.eval_every)

    def streams(self) -> list[object]:
        return [self.batches, self.test]

    def training_loss(self) -> torch.Tensor:
        inputs, labels = next(self.batches)
        return hinge_loss(self.model(inputs[0]).reshape(-1), labels[0])

    def evaluate(self) -> torch.Tensor:
        inputs = random_signs((self.eval_samples, self.support.numel()), self.test)
        return accuracy(self.model(inputs).reshape(-1), parity_labels(inputs, self.support)).reshape(1)


def smoothed_first_step(steps: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Per run (last axis), the step at which the mean of WINDOW consecutive evaluations first reaches LEARNED; NaN
    for runs that never do (the definition of `first_step_reaching`)."""
    if accuracy.shape[0] != len(steps) or len(steps) < WINDOW:
        raise ValueError(f"accuracy must be (evaluations={len(steps)} >= {WINDOW}, ...), got {accuracy.shape}")
    windows = np.lib.stride_tricks.sliding_window_view(accuracy, WINDOW, axis=0).mean(axis=-1) >= LEARNED
    return np.where(windows.any(axis=0), steps[WINDOW - 1 :][windows.argmax(axis=0)], np.nan)


class AllLearned:
    """`stop_when` for the scan: whether every run has had WINDOW consecutive evaluations averaging LEARNED (the
    test of `smoothed_first_step`, read one new evaluation at a time)."""

    def __init__(self, runs: int) -> None:
        self.rows: list[np.ndarray] = []
        self.learned = np.zeros(runs, dtype=bool)

    def __call__(self, values: list[torch.Tensor]) -> bool:
        for value in values[len(self.rows) :]:
            self.rows.append(value.cpu().numpy())
            if len(self.rows) >= WINDOW:
                self.learned |= ~np.isnan(smoothed_first_step(np.arange(WINDOW), np.array(self.rows[-WINDOW:])))
        return bool(self.learned.all())


def steps_to_learn(
    dim: int, settings: ParityScalingSettings, seed: int, device: str | torch.device = "cpu"
) -> np.ndarray:
    """SGD steps until each of `scan_replicates` Figure 1 networks learns its parity with |S| = ⌊d/2⌋ (NaN past
    `scan_max_steps`); the replicates train as one stacked model and stop when all have learned."""
    runs = range(settings.scan_replicates)
    keys = [(seed, SCAN_KEY, dim, r) for r in runs]
    supports = torch.stack([sparse_support(dim, dim // 2, generator(derived_seed(*k, SUPPORT_STREAM))) for k in keys])
    supports = supports.to(device)
    model = StackedTwoLayerReLU(
        [paper_network(dim, settings.width_factor * dim, generator(derived_seed(*k, INIT_STREAM))) for k in keys]
    ).to(device)
    batches = parity_batches([generator(derived_seed(*k, TRAIN_STREAM), device) for k in keys], supports,
                             settings.batch_size, settings.eval_every)  # fmt: skip
    tests = [generator(derived_seed(*k, TEST_STREAM), device) for k in keys]

    def loss() -> torch.Tensor:
        inputs, labels = next(batches)
        return hinge_loss(model(inputs), labels).sum()

    def evaluate() -> torch.Tensor:
        inputs = stacked_inputs(tests, (settings.eval_samples, dim))
        return accuracy(model(inputs), parity_labels(inputs, supports.unsqueeze(1)))

    log = train_online(
        loss,
        torch.optim.SGD(model.parameters(), lr=settings.scan_learning_rate),
        evaluate,
        iterations=settings.scan_max_steps,
        eval_every=settings.eval_every,
        state=[model, batches, *tests],
        description=f"steps to learn, d = {dim}",
        evaluate_first=False,
        stop_when=AllLearned(len(runs)),
    )
    return smoothed_first_step(log.steps, log.values)


def run_parity_scaling(
    settings: ParityScalingSettings, *, seed: int = 0, device: str | torch.device = "auto"
) -> Results:
    """The wider and deeper variants and the count network at d = `dim`, then the scan of steps against d."""
    start = time.perf_counter()
    device = resolve_device(device)
    dim = settings.dim
    support = random_support(dim, generator(derived_seed(seed, dim, SUPPORT_STREAM)))
    init = [generator(derived_seed(seed, dim, v, INIT_STREAM)) for v in range(len(VARIANTS))]
    models = (
        paper_network(dim, settings.wider_factor * dim, init[0]),
        deep_network(dim, settings.width_factor * dim, settings.deeper_layers, init[1]),
    )
    variants = [SingleRun(m, support, settings, (seed, dim, v), device) for v, m in enumerate(models)]
    log = train_groups(variants, lambda params: torch.optim.SGD(params, lr=settings.learning_rate),
                       iterations=settings.iterations, eval_every=settings.eval_every,
                       description="parity variants")  # fmt: skip
    full = torch.ones(dim, dtype=torch.bool)
    count_network = CountNetwork(full, settings.width_factor * dim, settings.known_span,
                                 generator(derived_seed(seed, KNOWN_KEY, dim, INIT_STREAM)))  # fmt: skip
    known = train_groups([SingleRun(count_network, full, settings, (seed, KNOWN_KEY, dim), device)],
                         lambda params: torch.optim.SGD(params, lr=settings.learning_rate),
                         iterations=settings.known_iterations, eval_every=settings.eval_every,
                         description="known parity")  # fmt: skip
    scan = np.stack([steps_to_learn(d, settings, seed, device) for d in settings.scan_dims])
    arrays = {
        "steps": log.steps,
        "accuracy": log.values,
        "variants": np.array(VARIANTS),
        "support": support.numpy(),
        "known_steps": known.steps,
        "known_accuracy": known.values[:, 0],
        "scan_dims": np.repeat(settings.scan_dims, settings.scan_replicates),
        "scan_steps": scan.reshape(-1),
    }
    return finished_run(EXPERIMENT, settings, arrays, seed=seed, device=device, started=start)


def class_size(dim: int) -> int:
    """|H| for parities with |S| = ⌊d/2⌋: C(d, ⌊d/2⌋), about 2^d·√(2/(πd))."""
    return math.comb(require_int("dim", dim, minimum=1), dim // 2)


@dataclass(frozen=True)
class GrowthFit:
    """Least-squares fit of ln(steps) = α + β·d + γ·[|S| odd] over every run: α, β, β's standard error, γ."""

    intercept: float
    slope: float
    slope_se: float
    odd_offset: float


def growth_fit(dims: np.ndarray, steps: np.ndarray) -> GrowthFit:
    """The growth rate of steps-to-learn in d (per added bit, natural log), with a separate level for odd |S|."""
    dims, steps = np.asarray(dims, float), np.asarray(steps, float)
    if dims.shape != steps.shape or np.isnan(steps).any() or (steps <= 0).any():
        raise ValueError("dims and steps must have one shape, and every step count must be positive (no NaN)")
    design = np.column_stack([np.ones_like(dims), dims, (dims // 2) % 2])
    if np.linalg.matrix_rank(design) < 3 or len(dims) <= 3:
        raise ValueError("dims must hold at least three distinct d, of both parities of d/2, and more than 3 runs")
    coef, residual, *_ = np.linalg.lstsq(design, np.log(steps), rcond=None)
    sigma2 = float(residual[0]) / (len(dims) - 3)
    covariance = sigma2 * np.linalg.inv(design.T @ design)
    return GrowthFit(float(coef[0]), float(coef[1]), float(np.sqrt(covariance[1, 1])), float(coef[2]))
