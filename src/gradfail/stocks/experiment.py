"""Figure 4 (paper §3.2): the primary loss against Adam iterations, end-to-end against decomposition.

The runs of one k and one initialisation (both estimators, all replicates) train as one stacked model under one
optimiser; each run draws its data from generators of its own. Both estimators of a replicate share its labelling
y and its initial weights; a zero-initialised control of a replicate also shares its batches, so it differs from
the main run in the initialisation only.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from gradfail.devices import resolve_device
from gradfail.results import Results, finished_run, first_step
from gradfail.seeding import derived_seed, generator
from gradfail.stocks.problem import (
    ESTIMATORS,
    INITIALISATIONS,
    SoftmaxAllocators,
    estimator_loss,
    primary_loss,
    random_labels,
    sample_returns,
)
from gradfail.stocks.settings import StocksSettings
from gradfail.training import train_groups
from gradfail.validation import require_choice

EXPERIMENT = "stocks"
LABEL_STREAM, DATA_STREAM, INIT_STREAM = range(3)


class StocksGroup:
    """All runs of one k from one initialisation ("scripts": the authors' truncated normal, or "zero"): model
    m = e·R + r is estimator ESTIMATORS[e] on replicate r's labelling."""

    def __init__(
        self, stocks: int, settings: StocksSettings, seed: int, device: torch.device, initialisation: str = "scripts"
    ) -> None:
        require_choice("initialisation", initialisation, INITIALISATIONS)
        replicates = settings.replicates
        self.stocks, self.batch_size, self.replicates = stocks, settings.batch_size, replicates
        labels = [
            random_labels(settings.input_dim, stocks, generator(derived_seed(seed, stocks, r, LABEL_STREAM), device))
            for r in range(replicates)
        ]
        self.labels = torch.stack(labels * len(ESTIMATORS))  # (M, d)
        self.generators = [
            generator(derived_seed(seed, stocks, r, DATA_STREAM, e), device)
            for e in range(len(ESTIMATORS))
            for r in range(replicates)
        ]
        self.model = SoftmaxAllocators(len(self.generators), settings.input_dim, stocks).to(device)
        if initialisation == "scripts":
            seeds = [derived_seed(seed, stocks, r, INIT_STREAM) for _ in ESTIMATORS for r in range(replicates)]
            self.model.scripts_init_([generator(s, device) for s in seeds])

    def streams(self) -> list[object]:
        return list(self.generators)

    def training_loss(self) -> torch.Tensor:
        """Sum over runs of each run's estimator loss on a fresh batch."""
        inputs = torch.stack(
            [
                torch.randint(0, self.labels.shape[1], (self.batch_size,), generator=g, device=g.device)
                for g in self.generators
            ]
        )
        best = self.labels.gather(1, inputs)
        allocations = self.model(inputs)
        end_to_end = slice(0, self.replicates)
        returns = torch.stack(
            [sample_returns(best[m], self.stocks, self.generators[m]) for m in range(self.replicates)]
        )
        loss = estimator_loss("end-to-end", allocations[end_to_end], best[end_to_end], returns).sum()
        decomposition = slice(self.replicates, None)
        return loss + estimator_loss("decomposition", allocations[decomposition], best[decomposition], None).sum()

    def evaluate(self) -> torch.Tensor:
        """Each run's exact primary loss E[−zᵀN(x)] over all inputs."""
        return primary_loss(self.model.logits(), self.labels)


def run_stocks(settings: StocksSettings, *, seed: int = 0, device: str | torch.device = "auto") -> Results:
    """Train every (k, estimator, replicate) run of `settings`; return the primary-loss curves with provenance."""
    start = time.perf_counter()
    device = resolve_device(device)
    starts = [(k, "scripts") for k in settings.stocks] + [(k, "zero") for k in settings.zero_init_stocks]
    groups = [StocksGroup(k, settings, seed, device, initialisation) for k, initialisation in starts]
    log = train_groups(
        groups,
        lambda params: torch.optim.Adam(
            params,
            lr=settings.learning_rate,
            betas=(settings.beta1, settings.beta2),
            eps=settings.adam_eps,
            fused=True,  # one pass per step over the 1000 × k weights: the same update up to rounding, ~3× faster
        ),
        iterations=settings.iterations,
        eval_every=settings.eval_every,
        description="stocks",
    )
    runs = [(k, i, e, r) for k, i in starts for e in ESTIMATORS for r in range(settings.replicates)]
    arrays = {
        "steps": log.steps,
        "loss": log.values,
        "stocks": np.array([k for k, _, _, _ in runs]),
        "initialisations": np.array([i for _, i, _, _ in runs]),
        "estimators": np.array([e for _, _, e, _ in runs]),
        "replicates": np.array([r for _, _, _, r in runs]),
    }
    return finished_run(EXPERIMENT, settings, arrays, seed=seed, device=device, started=start)


def first_step_below(results: Results, threshold: float) -> np.ndarray:
    """Per run, the first evaluation step at which the primary loss is at or below `threshold`; NaN if never."""
    if not -1 <= threshold <= 1:
        raise ValueError(f"threshold must be a primary loss in [-1, 1], got {threshold!r}")
    return first_step(results["steps"], results["loss"] <= threshold)
