"""Sparse parities (Barak et al., NeurIPS 2022): y = Π_{i∈S} x_i with |S| = k ≪ n, learned by SGD on the §2.1
network; steps to solve them against n, and two measures of progress hidden behind the accuracy plateau.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from gradfail.devices import resolve_device
from gradfail.losses import accuracy, hinge_loss
from gradfail.parity.data import parity_labels
from gradfail.parity.experiment import parity_batches, stacked_inputs
from gradfail.parity.network import StackedTwoLayerReLU, paper_network
from gradfail.results import Results, finished_run, first_step
from gradfail.seeding import derived_seed, generator
from gradfail.training import train_groups
from gradfail.validation import require_int, require_int_tuple, require_positive_float

EXPERIMENT = "sparse-parity"
SUPPORT_STREAM, INIT_STREAM, TRAIN_STREAM, TEST_STREAM, NULL_STREAM = range(5)
FULL = 0  # the k recorded for a full parity (k = n)
SOLVED = 0.99  # test accuracy that counts as learned
LIFT_OFF = 0.55  # test accuracy that marks the end of the plateau
Z_SIGNAL = 3.0  # |z| of the degree-k coefficient that counts as a signal
METRICS = ("accuracy", "support_share", "coefficient_z")


def sparse_support(dim: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """A uniformly random k-subset S of [n] as a bool mask (k = `size`)."""
    require_int("dim", dim, minimum=1)
    require_int("size", size, minimum=1, maximum=dim)
    mask = torch.zeros(dim, dtype=torch.bool)
    mask[torch.randperm(dim, generator=generator)[:size]] = True
    return mask


@dataclass(frozen=True)
class SparseParitySettings:
    """Width-256 ReLU network, hinge loss, SGD lr 0.1, batch 32 (Barak et al.'s setting), for several n and k."""

    dims: tuple[int, ...] = (10, 20, 40, 60)
    sizes: tuple[int, ...] = (2, 3)
    replicates: int = 2
    width: int = 256
    iterations: int = 10_000
    batch_size: int = 32
    learning_rate: float = 0.1
    eval_every: int = 50
    eval_samples: int = 2000
    null_sets: int = 200
    full_parity: bool = True  # also train full parities (k = n) at the largest n

    def __post_init__(self) -> None:
        object.__setattr__(self, "dims", require_int_tuple("dims", self.dims, minimum=2))
        object.__setattr__(self, "sizes", require_int_tuple("sizes", self.sizes, minimum=1))
        if max(self.sizes) >= min(self.dims):
            raise ValueError(f"sizes must be below the smallest n ({min(self.dims)}), got {self.sizes}")
        for name in ("replicates", "width", "iterations", "batch_size", "eval_samples", "null_sets"):
            require_int(name, getattr(self, name), minimum=1)
        require_positive_float("learning_rate", self.learning_rate)
        require_int("eval_every", self.eval_every, minimum=1, maximum=self.iterations)

    @classmethod
    def quick(cls) -> SparseParitySettings:
        """n = 10 … 60, k = 2, 3, two seeds each, plus full parities at the largest n."""
        return cls()

    @classmethod
    def paper(cls) -> SparseParitySettings:
        """Not in the paper: a wider sweep (n up to 100, four seeds) with a larger budget."""
        return cls(dims=(10, 20, 40, 60, 100), replicates=4, iterations=30_000)


class SparseGroup:
    """All runs of one n: (k, replicate) for every k, plus full parities (k = n) when `with_full`."""

    def __init__(self, dim: int, settings: SparseParitySettings, seed: int, device: torch.device, with_full: bool):
        self.dim, self.eval_samples = dim, settings.eval_samples
        sizes = [*settings.sizes, *([dim] if with_full else [])]
        self.runs = [(k, r) for k in sizes for r in range(settings.replicates)]
        self.sizes = [FULL if k == dim and with_full else k for k, _ in self.runs]
        self.supports = torch.stack(
            [sparse_support(dim, k, generator(derived_seed(seed, dim, k, r, SUPPORT_STREAM))) for k, r in self.runs]
        ).to(device)
        self.model = StackedTwoLayerReLU(
            [
                paper_network(dim, settings.width, generator(derived_seed(seed, dim, k, r, INIT_STREAM)))
                for k, r in self.runs
            ]
        ).to(device)
        train = [generator(derived_seed(seed, dim, k, r, TRAIN_STREAM), device) for k, r in self.runs]
        self.batches = parity_batches(train, self.supports, settings.batch_size, settings.eval_every)
        self.test = [generator(derived_seed(seed, dim, k, r, TEST_STREAM), device) for k, r in self.runs]
        self.null_supports = [
            null_supports(support, settings.null_sets, generator(derived_seed(seed, dim, k, r, NULL_STREAM))).to(device)
            for support, (k, r) in zip(self.supports.cpu(), self.runs, strict=True)
        ]

    def streams(self) -> list[object]:
        return [self.batches, *self.test]

    def _inputs(self, generators: list[torch.Generator], count: int) -> tuple[torch.Tensor, torch.Tensor]:
        inputs = stacked_inputs(generators, (count, self.dim))
        return inputs, parity_labels(inputs, self.supports.unsqueeze(1))

    def training_loss(self) -> torch.Tensor:
        inputs, labels = next(self.batches)
        return hinge_loss(self.model(inputs), labels).sum()

    def evaluate(self) -> torch.Tensor:
        """(3, runs): test accuracy, support share over chance, |z| of the degree-k coefficient."""
        inputs, labels = self._inputs(self.test, self.eval_samples)
        share = torch.stack([support_share(self.model, m, s) for m, s in enumerate(self.supports)])
        z = torch.stack([coefficient_z(self.model, m, s, self.null_supports[m]) for m, s in enumerate(self.supports)])
        return torch.stack([accuracy(self.model(inputs), labels), share, z])


def support_share(model: StackedTwoLayerReLU, index: int, support: torch.Tensor) -> torch.Tensor:
    """Share of network `index`'s first-layer weight magnitude on the coordinates of S, divided by |S|/n
    (1 = no preference for S)."""
    magnitude = model.hidden_weight[index].abs()  # (n, width)
    return magnitude[support].sum() / magnitude.sum() / (support.sum() / support.numel())


def null_supports(support: torch.Tensor, count: int, generator: torch.Generator) -> torch.Tensor:
    """`count` random sets of |S| coordinates, each different from S (the reference for `coefficient_z`);
    empty when S is every coordinate (a full parity has no other set of its size)."""
    require_int("count", count, minimum=1)
    dim, size = support.numel(), int(support.sum())
    draws = [sparse_support(dim, size, generator) for _ in range(count)] if size < dim else []
    kept = [d for d in draws if not torch.equal(d, support)]
    return torch.stack(kept) if kept else torch.zeros(0, dim, dtype=torch.bool)


def degree_coefficient(model: StackedTwoLayerReLU, index: int, supports: torch.Tensor) -> torch.Tensor:
    """m(S) = Σ_j a_j Π_{i∈S} W_ji for each row S of `supports` (network `index`). A proxy for the network's
    alignment with x_S: up to a factor k!, the coefficient of x_S in Σ_j a_j (w_jᵀx)^k (not a Fourier
    coefficient of the ReLU network itself)."""
    weights = model.hidden_weight[index].T  # (width, n)
    products = torch.where(supports.unsqueeze(1), weights.unsqueeze(0), torch.ones_like(weights)).prod(dim=-1)
    return products @ model.output_weight[index, :, 0]


def coefficient_z(model: StackedTwoLayerReLU, index: int, support: torch.Tensor, null: torch.Tensor) -> torch.Tensor:
    """|m(S) − mean m(S')| / std m(S') over random k-sets S' ≠ S: how unusual S's coefficient is (NaN with
    fewer than two reference sets, e.g. for a full parity)."""
    if len(null) < 2:
        return torch.tensor(float("nan"), device=support.device)
    observed = degree_coefficient(model, index, support.unsqueeze(0))[0]
    reference = degree_coefficient(model, index, null)
    return (observed - reference.mean()).abs() / reference.std()


def run_sparse_parity(settings: SparseParitySettings, *, seed: int = 0, device: str | torch.device = "auto") -> Results:
    """Train every (n, k, replicate) run (and full parities at the largest n); record the three metrics."""
    start = time.perf_counter()
    device = resolve_device(device)
    largest = max(settings.dims)
    groups = [
        SparseGroup(n, settings, seed, device, with_full=settings.full_parity and n == largest) for n in settings.dims
    ]
    log = train_groups(
        groups,
        lambda params: torch.optim.SGD(params, lr=settings.learning_rate, fused=True),
        iterations=settings.iterations,
        eval_every=settings.eval_every,
        description="sparse parity",
    )
    arrays = {
        "steps": log.steps,
        **{name: log.values[:, i] for i, name in enumerate(METRICS)},
        "dims": np.array([g.dim for g in groups for _ in g.runs]),
        "sizes": np.array([k for g in groups for k in g.sizes]),
        "replicates": np.array([r for g in groups for _, r in g.runs]),
    }
    return finished_run(EXPERIMENT, settings, arrays, seed=seed, device=device, started=start)


def steps_to_solve(results: Results, threshold: float = SOLVED) -> np.ndarray:
    """Per run, the first evaluation step with test accuracy ≥ `threshold`; NaN if never."""
    return first_step(results["steps"], results["accuracy"] >= threshold)


def fitted_exponent(results: Results, size: int) -> float:
    """Least-squares slope of log(steps to solve) against log n over the runs with |S| = `size`."""
    runs = results["sizes"] == size
    steps = steps_to_solve(results)[runs]
    if len(np.unique(results["dims"][runs])) < 2 or np.isnan(steps).any():
        raise ValueError(f"size {size} must have runs at two or more n that all reached the threshold")
    return float(np.polyfit(np.log(results["dims"][runs]), np.log(steps), 1)[0])


@dataclass(frozen=True)
class Precursor:
    """One run's plateau: the step from which |z| stays above `z_threshold` until the accuracy first passes
    `lift_off` (NaN if |z| is not above it just before), that lift-off step, and the support share halfway to it."""

    dim: int
    signal_step: float
    lift_off_step: float
    mid_share: float


def sustained_signal(steps: np.ndarray, above: np.ndarray, end: int) -> float:
    """The first step of the unbroken run of True in `above[:end]` that ends at `end − 1`; NaN if `above[end − 1]`
    is False (a lone earlier crossing is not a sustained signal)."""
    if end < 1 or not above[end - 1]:
        return float("nan")
    below = np.flatnonzero(~above[:end])
    return float(steps[below[-1] + 1 if below.size else 0])


def plateau_precursors(
    results: Results, size: int, *, min_dim: int, lift_off: float = LIFT_OFF, z_threshold: float = Z_SIGNAL
) -> list[Precursor]:
    """The `Precursor` of every run with |S| = `size` and n ≥ `min_dim` that did lift off."""
    steps = results["steps"]
    lifted = first_step(steps, results["accuracy"] > lift_off)
    above = results["coefficient_z"] > z_threshold
    found = []
    for run in np.flatnonzero((results["sizes"] == size) & (results["dims"] >= min_dim) & ~np.isnan(lifted)):
        end = int(np.searchsorted(steps, lifted[run]))  # the lift-off evaluation
        midway = int(np.searchsorted(steps, lifted[run] / 2))
        found.append(
            Precursor(
                int(results["dims"][run]),
                sustained_signal(steps, above[:, run], end),
                float(lifted[run]),
                float(results["support_share"][midway, run]),
            )
        )
    return found
