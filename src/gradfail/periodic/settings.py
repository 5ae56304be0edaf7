"""Settings of the linear-periodic experiment (paper §2.2, Theorem 2) at the book's two scales.

The paper has no experiment for Theorem 2, so `paper()` is not a reproduction of published settings: it is the
same measurement done more thoroughly (more networks per point, more radii and dimensions, more samples, more
training runs and iterations).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from gradfail.validation import require_int, require_int_tuple, require_positive_float


def require_radii(name: str, radii: object) -> tuple[float, ...]:
    """A non-empty, strictly increasing tuple of positive radii."""
    if not isinstance(radii, tuple | list) or len(radii) == 0:
        raise ValueError(f"{name} must be a non-empty tuple of radii, got {radii!r}")
    checked = tuple(require_positive_float(f"{name}[{i}]", r) for i, r in enumerate(radii))
    if any(b <= a for a, b in pairwise(checked)):
        raise ValueError(f"{name} must be strictly increasing, got {radii!r}")
    return checked


@dataclass(frozen=True)
class PeriodicSettings:
    """Var(H, F, w) for targets cos(v*ᵀx), ‖v*‖ = r, x ~ N(0, I_d), at random one-hidden-layer ReLU networks
    (three sweeps, Monte Carlo over x beside the radius sweep at d = radius_dims[0]), then Adam training on such
    targets with r = √d; optionally the runs of `repeat_dim` again on `repeat_streams` other streams of training
    batches (same networks and targets), and plain SGD (step `sgd_learning_rate`) on the runs of `sgd_dims`."""

    variance_width: int = 8
    networks: int = 1
    radius_dims: tuple[int, ...] = (16, 512)
    radii: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0)
    dimension_radii: tuple[float, ...] = (1.0, 2.0)
    dims: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
    tied_dims: tuple[int, ...] = (2, 4, 6, 8, 12, 16, 24, 32, 48, 64)
    monte_carlo_radii: tuple[float, ...] = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
    monte_carlo_directions: int = 8
    monte_carlo_samples: int = 1_048_576
    train_dims: tuple[int, ...] = (2, 8, 16, 32)
    replicates: int = 1
    train_width: int = 200
    iterations: int = 4000
    batch_size: int = 128
    learning_rate: float = 3e-3
    eval_every: int = 100
    test_samples: int = 8192
    repeat_dim: int = 0  # 0: no repeats
    repeat_streams: int = 0
    sgd_dims: tuple[int, ...] = ()
    sgd_learning_rate: float = 0.1  # below 2/λ_max ≈ 0.12–0.15 of E[g gᵀ] at initialisation

    def __post_init__(self) -> None:
        for name in ("variance_width", "networks", "replicates", "train_width"):
            require_int(name, getattr(self, name), minimum=1)
        for name in ("radius_dims", "dims", "tied_dims"):
            object.__setattr__(self, name, require_int_tuple(name, getattr(self, name), minimum=2))
        for name in ("radii", "dimension_radii", "monte_carlo_radii"):
            object.__setattr__(self, name, require_radii(name, getattr(self, name)))
        object.__setattr__(self, "train_dims", require_int_tuple("train_dims", self.train_dims, minimum=1))
        require_int("monte_carlo_directions", self.monte_carlo_directions, minimum=2)
        require_int("batch_size", self.batch_size, minimum=1)
        require_int("monte_carlo_samples", self.monte_carlo_samples, minimum=self.batch_size)
        if self.monte_carlo_samples % self.batch_size:
            raise ValueError(f"monte_carlo_samples must be a multiple of batch_size, got {self.monte_carlo_samples}")
        require_int("iterations", self.iterations, minimum=1)
        require_positive_float("learning_rate", self.learning_rate)
        require_int("eval_every", self.eval_every, minimum=1, maximum=self.iterations)
        require_int("test_samples", self.test_samples, minimum=1)
        require_int("repeat_streams", self.repeat_streams, minimum=0)
        if require_int("repeat_dim", self.repeat_dim, minimum=0) and self.repeat_dim not in self.train_dims:
            raise ValueError(f"repeat_dim must be 0 or one of train_dims, got {self.repeat_dim}")
        if (self.repeat_dim == 0) != (self.repeat_streams == 0):
            raise ValueError("repeat_dim and repeat_streams must both be 0 or both be positive")
        if self.sgd_dims:
            object.__setattr__(self, "sgd_dims", require_int_tuple("sgd_dims", self.sgd_dims, minimum=1))
        require_positive_float("sgd_learning_rate", self.sgd_learning_rate)

    @classmethod
    def quick(cls) -> PeriodicSettings:
        """Exact variances at one width-8 network per point; Monte Carlo over x with 2^20 samples for each of 8
        directions; training at d = 2, 8, 16, 32 (r = √d), one run each, width 200, Adam lr 3e-3, batch 128,
        4,000 iterations."""
        return cls()

    @classmethod
    def paper(cls) -> PeriodicSettings:
        """The paper gives no settings for Theorem 2; this is the quick measurement done more thoroughly: four
        networks per point, finer sweeps, 32 Monte Carlo directions, training at eight dimensions with four runs
        each for 10,000 iterations; the d = 20 runs again on five other streams of training batches, and plain SGD
        (step 0.1) at d = 12, 16, 20."""
        return cls(
            networks=4,
            radii=tuple(r / 2 for r in range(1, 25)),
            dims=tuple(2**k for k in range(1, 12)),
            tied_dims=(2, 4, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128),
            monte_carlo_radii=(1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0),
            monte_carlo_directions=32,
            train_dims=(2, 4, 8, 12, 16, 20, 24, 32),
            replicates=4,
            iterations=10_000,
            repeat_dim=20,
            repeat_streams=5,
            sgd_dims=(12, 16, 20),
        )
