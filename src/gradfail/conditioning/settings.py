"""Settings of the Figure 6 experiment (paper §4.1) at the book's two scales."""

from __future__ import annotations

from dataclasses import dataclass

from gradfail.conditioning.curves import DISTRIBUTIONS, require_curve_shape
from gradfail.validation import require_choice, require_int, require_int_tuple, require_positive_float


@dataclass(frozen=True)
class ConditioningSettings:
    """Figure 6: four learners of the encoding of piecewise-linear curves, with snapshots of two validation curves.

    The linear learners (fully connected, convolution, conditioned convolution) train on `distribution`
    curves and are shown after each of `snapshots` iterations; the auto-encoder trains on curves with
    continuous kinks and is shown after each of `autoencoder_snapshots`.
    """

    length: int = 100
    kinks: int = 3
    distribution: str = "paper"
    train_curves: int = 10_000
    validation_curves: int = 1_000
    replicates: int = 2
    snapshots: tuple[int, ...] = (500, 10_000, 50_000)
    autoencoder_snapshots: tuple[int, ...] = (500, 10_000, 50_000)
    eval_every: int = 500
    batch_size: int = 100
    fully_connected_lr: float = 1e-4
    convolution_lr: float = 0.05
    conditioned_batch_size: int = 10
    conditioned_lr: float = 0.25
    autoencoder_lr: float = 1e-3

    def __post_init__(self) -> None:
        require_curve_shape(self.length, self.kinks)
        require_choice("distribution", self.distribution, DISTRIBUTIONS)
        for name in ("train_curves", "validation_curves", "replicates", "batch_size", "conditioned_batch_size"):
            require_int(name, getattr(self, name), minimum=1)
        require_int("validation_curves", self.validation_curves, minimum=2)  # two of them are shown
        for name in ("snapshots", "autoencoder_snapshots"):
            values = require_int_tuple(name, getattr(self, name), minimum=1)
            if list(values) != sorted(values):
                raise ValueError(f"{name} must increase, got {values!r}")
            object.__setattr__(self, name, values)
        require_int("eval_every", self.eval_every, minimum=1, maximum=min(self.snapshots + self.autoencoder_snapshots))
        for name in ("fully_connected_lr", "convolution_lr", "conditioned_lr", "autoencoder_lr"):
            require_positive_float(name, getattr(self, name))

    @classmethod
    def paper(cls) -> ConditioningSettings:
        """The paper, §4: n = 100, k = 3, the paper's curves; 10,000 training and 1,000 validation curves; Adam
        at lr 1e-4 (fully connected), 0.05 (convolution), 1e-3 (auto-encoder), batch 100; Figure 6's columns
        after 500, 10,000 and 50,000 iterations. The conditioned learner uses plain SGD (lr 0.25, batch 10)."""
        return cls()

    @classmethod
    def quick(cls) -> ConditioningSettings:
        """The paper's problem and optimisers, shown after 500, 2,000 and 15,000 iterations (the auto-encoder,
        several times costlier per step, after 500, 1,000 and 2,500), evaluated every 250."""
        return cls(snapshots=(500, 2_000, 15_000), autoencoder_snapshots=(500, 1_000, 2_500), eval_every=250)
