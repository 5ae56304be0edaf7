"""Settings of the §3.1 experiments at the book's two scales: Figure 3 (training) and Figure 5 (the SNR)."""

from __future__ import annotations

from dataclasses import dataclass

from gradfail.lines.images import VARIANTS
from gradfail.lines.networks import INITIALISATIONS
from gradfail.validation import (
    require_choice,
    require_int,
    require_int_tuple,
    require_positive_float,
    require_unit_interval,
)


@dataclass(frozen=True)
class LineSettings:
    """Figure 3: N2(σ(N1(x_1)), …, σ(N1(x_k))) trained by Adam on k-tuples of line images, end-to-end and by
    decomposition, with the tuple label's test accuracy recorded every `eval_every` iterations."""

    ks: tuple[int, ...] = (1, 2, 3, 4)
    replicates: int = 1
    batch_size: int = 200
    end_to_end_iterations: int = 20_000
    decomposition_iterations: int = 2_500
    learning_rate: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.99
    adam_eps: float = 1e-5
    eval_every: int = 100
    test_tuples: int = 2_000
    variant: str = "paper"
    initialisation: str = "scripts"

    def __post_init__(self) -> None:
        object.__setattr__(self, "ks", require_int_tuple("ks", self.ks, minimum=1))
        for name in ("replicates", "batch_size", "end_to_end_iterations", "decomposition_iterations", "test_tuples"):
            require_int(name, getattr(self, name), minimum=1)
        for name in ("learning_rate", "adam_eps"):
            require_positive_float(name, getattr(self, name))
        for name in ("beta1", "beta2"):
            require_unit_interval(name, getattr(self, name))
        shortest = min(self.end_to_end_iterations, self.decomposition_iterations)
        require_int("eval_every", self.eval_every, minimum=1, maximum=shortest)
        require_choice("variant", self.variant, VARIANTS)
        require_choice("initialisation", self.initialisation, INITIALISATIONS)

    def iterations(self, approach: str) -> int:
        """The number of Adam steps of `approach` ('end-to-end' or 'decomposition')."""
        require_choice("approach", approach, ("end-to-end", "decomposition"))
        return self.end_to_end_iterations if approach == "end-to-end" else self.decomposition_iterations

    @classmethod
    def paper(cls) -> LineSettings:
        """The paper, §3.1: k = 1..4, batch 200, Adam lr 1e-3, betas (0.9, 0.99), eps 1e-5; 20,000 end-to-end and
        2,500 decomposition iterations; 2,000 held-out test tuples every 100 iterations."""
        return cls()

    @classmethod
    def quick(cls) -> LineSettings:
        """The paper's networks, losses and optimiser with batches of 32 tuples, 1,200 iterations for both
        approaches and 500 test tuples."""
        return cls(batch_size=32, end_to_end_iterations=1_200, decomposition_iterations=1_200, test_tuples=500)


@dataclass(frozen=True)
class SnrSettings:
    """Figure 5: the SNR of single-tuple gradients for the weights of N1's last layer at `initialisations`
    independent random initialisations, each measured on `images` line images of its own (paper variant)."""

    ks: tuple[int, ...] = (1, 2, 3, 4)
    initialisations: int = 32
    images: int = 96_000
    chunk_images: int = 480
    initialisation: str = "scripts"

    def __post_init__(self) -> None:
        object.__setattr__(self, "ks", require_int_tuple("ks", self.ks, minimum=1))
        require_int("initialisations", self.initialisations, minimum=6)  # the fewest for a 95% interval
        require_int("chunk_images", self.chunk_images, minimum=2 * max(self.ks))
        if self.chunk_images % 4 or any((self.chunk_images // k) % 2 for k in self.ks):
            raise ValueError(
                f"chunk_images must be a multiple of 4 that splits into an even number of tuples for every k, "
                f"got {self.chunk_images}"
            )
        require_int("images", self.images, minimum=self.chunk_images)
        if self.images % self.chunk_images:
            raise ValueError(f"images must be a multiple of chunk_images ({self.chunk_images}), got {self.images}")
        require_choice("initialisation", self.initialisation, INITIALISATIONS)

    @classmethod
    def paper(cls) -> SnrSettings:
        """The paper gives no sample sizes; ours: 32 initialisations of 96,000 images each (a GPU job)."""
        return cls()

    @classmethod
    def quick(cls) -> SnrSettings:
        """16 initialisations of 2,400 images each."""
        return cls(initialisations=16, images=2_400)
