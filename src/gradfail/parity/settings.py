"""Settings of the Figure 1 experiment (paper §2.1) at the book's two scales."""

from __future__ import annotations

from dataclasses import dataclass

from gradfail.validation import require_int, require_int_tuple, require_positive_float


@dataclass(frozen=True)
class ParitySettings:
    """Figure 1: a width-(width_factor·d) ReLU network trained by SGD on the hinge loss to learn a random parity."""

    dims: tuple[int, ...] = (5, 10, 30)
    replicates: int = 1
    iterations: int = 50_000
    batch_size: int = 128
    learning_rate: float = 0.01
    width_factor: int = 10
    eval_every: int = 100
    eval_samples: int = 500

    def __post_init__(self) -> None:
        object.__setattr__(self, "dims", require_int_tuple("dims", self.dims, minimum=1))
        require_int("replicates", self.replicates, minimum=1)
        require_int("iterations", self.iterations, minimum=1)
        require_int("batch_size", self.batch_size, minimum=1)
        require_positive_float("learning_rate", self.learning_rate)
        require_int("width_factor", self.width_factor, minimum=1)
        require_int("eval_every", self.eval_every, minimum=1, maximum=self.iterations)
        require_int("eval_samples", self.eval_samples, minimum=1)

    @classmethod
    def paper(cls) -> ParitySettings:
        """The paper, §2.1: d = 5, 10, 30; SGD lr 0.01, batch 128, 50,000 iterations, 500 test samples per 100 steps."""
        return cls()

    @classmethod
    def quick(cls) -> ParitySettings:
        """The paper's network, loss and optimiser, with fewer iterations and two independent runs per d."""
        return cls(iterations=15_000, replicates=2)
