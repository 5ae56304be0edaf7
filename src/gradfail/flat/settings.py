"""Settings of the flat-activation experiments (paper §5, Figure 7) at the book's two scales."""

from __future__ import annotations

from dataclasses import dataclass

from gradfail.layers import INITIALISATIONS
from gradfail.validation import require_choice, require_int, require_positive_float, require_unit_interval


@dataclass(frozen=True)
class FlatSettings:
    """Figure 7: four learners of y = u(v*ᵀx + b*), each trained online with Adam (authors' scripts' settings)."""

    input_dim: int = 100
    batch_size: int = 256
    hidden: int = 100
    sharpness: float = 100.0
    non_flat_iterations: int = 10_000
    non_flat_lr: float = 0.01
    end_to_end_iterations: int = 10_000
    end_to_end_lr: float = 1e-3
    multi_class_iterations: int = 10_000
    multi_class_lr: float = 1e-3
    forward_only_iterations: int = 5_000
    forward_only_lr: float = 1e-3
    forward_only_sgd_lr: float = 0.3  # the same rule with plain SGD, as eq. 5 writes it (the bias diverges at 1)
    beta1: float = 0.9
    beta2: float = 0.99
    adam_eps: float = 1e-5
    eval_every: int = 250
    test_samples: int = 20_000
    initialisation: str = "scripts"  # the scripts': truncated-normal weights, zero biases; or "pytorch"

    def __post_init__(self) -> None:
        for name in ("input_dim", "batch_size", "hidden", "test_samples"):
            require_int(name, getattr(self, name), minimum=1)
        rates = ("non_flat_lr", "end_to_end_lr", "multi_class_lr", "forward_only_lr", "forward_only_sgd_lr")
        for name in ("sharpness", *rates, "adam_eps"):
            require_positive_float(name, getattr(self, name))
        require_choice("initialisation", self.initialisation, INITIALISATIONS)
        for name in ("beta1", "beta2"):
            require_unit_interval(name, getattr(self, name))
        shortest = min(
            self.schedule(learner)[0] for learner in ("non-flat", "end-to-end", "multi-class", "forward-only")
        )
        require_int("eval_every", self.eval_every, minimum=1, maximum=shortest)

    def schedule(self, learner: str) -> tuple[int, float]:
        """(iterations, learning rate) of one learner."""
        prefix = learner.replace("-", "_")
        iterations = require_int(f"{prefix}_iterations", getattr(self, f"{prefix}_iterations"), minimum=1)
        return iterations, getattr(self, f"{prefix}_lr")

    @classmethod
    def paper(cls) -> FlatSettings:
        """The authors' scripts: d = 100, batch 256, Adam (0.9, 0.99, 1e-5); 10,000 iterations at lr 0.01
        (non-flat) and 1e-3 (MLPs), 5,000 at lr 1e-3 (forward-only); their initialisation. The sharpness c is not
        given; we use 100."""
        return cls()

    @classmethod
    def quick(cls) -> FlatSettings:
        """The paper's settings: four small models, cheap enough for a 2-core CPU (the two scales coincide)."""
        return cls()
