"""Settings of the stocks experiment (paper §3.2, Figure 4) at the book's two scales."""

from __future__ import annotations

from dataclasses import dataclass

from gradfail.validation import require_int, require_int_tuple, require_positive_float, require_unit_interval


@dataclass(frozen=True)
class StocksSettings:
    """Figure 4: softmax(Linear(d, k)) trained by Adam with the end-to-end or the decomposition estimator, from
    the authors' initialisation; at each k of `zero_init_stocks` both estimators also train from zero weights."""

    input_dim: int = 1000
    stocks: tuple[int, ...] = (10, 1000, 2000)
    replicates: int = 1
    iterations: int = 2500
    batch_size: int = 100
    learning_rate: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.99
    adam_eps: float = 1e-5
    eval_every: int = 100
    zero_init_stocks: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        require_int("input_dim", self.input_dim, minimum=1)
        object.__setattr__(self, "stocks", require_int_tuple("stocks", self.stocks, minimum=2))
        require_int("replicates", self.replicates, minimum=1)
        require_int("iterations", self.iterations, minimum=1)
        require_int("batch_size", self.batch_size, minimum=1)
        for name in ("learning_rate", "adam_eps"):
            require_positive_float(name, getattr(self, name))
        for name in ("beta1", "beta2"):
            require_unit_interval(name, getattr(self, name))
        require_int("eval_every", self.eval_every, minimum=1, maximum=self.iterations)
        if not isinstance(self.zero_init_stocks, tuple | list) or not set(self.zero_init_stocks) <= set(self.stocks):
            raise ValueError(f"zero_init_stocks must be a tuple of values of stocks, got {self.zero_init_stocks!r}")
        object.__setattr__(self, "zero_init_stocks", tuple(sorted(set(self.zero_init_stocks))))

    @classmethod
    def paper(cls) -> StocksSettings:
        """The paper, §3.2: d = 1000, k = 10, 1000, 2000; Adam lr 0.1, betas (0.9, 0.99), eps 1e-5; batch 100;
        the zero-initialisation control at k = 1000."""
        return cls(zero_init_stocks=(1000,))

    @classmethod
    def quick(cls) -> StocksSettings:
        """The paper's settings: they are cheap enough for a 2-core CPU."""
        return cls.paper()
