"""The one online-training loop every experiment uses: a fresh batch each step, an evaluation every N steps."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from tqdm import tqdm

from gradfail.checkpoint import Phase, active_session
from gradfail.validation import require_int

PROGRESS_ENV_VAR = "GRADFAIL_PROGRESS"


class _GlobalGenerator:
    """torch's global generator, for code that draws without a generator of its own."""

    def state_dict(self) -> torch.Tensor:
        return torch.get_rng_state()

    def load_state_dict(self, state: torch.Tensor) -> None:
        torch.set_rng_state(state)


GLOBAL_GENERATOR = _GlobalGenerator()


@dataclass(frozen=True)
class EvalLog:
    """Evaluations of one training run: `values[i]` was measured after `steps[i]` optimiser steps."""

    steps: np.ndarray
    values: np.ndarray


def progress_enabled() -> bool:
    """Show progress bars in a terminal or an interactive Jupyter session, not in CI or a book build.

    `GRADFAIL_PROGRESS=1` / `0` forces them on / off.
    """
    forced = os.environ.get(PROGRESS_ENV_VAR)
    if forced is not None:
        return forced not in ("", "0", "false", "no")
    if os.environ.get("CI"):
        return False
    # A Jupyter server sets JPY_SESSION_NAME for kernels a person opened; nbclient (book build, nbval) does not.
    return sys.stderr.isatty() or "JPY_SESSION_NAME" in os.environ


def evaluation_steps(iterations: int, eval_every: int) -> np.ndarray:
    """The steps at which the loop evaluates: 0, eval_every, 2·eval_every, ... and always the last step."""
    require_int("iterations", iterations, minimum=1)
    require_int("eval_every", eval_every, minimum=1)
    return np.unique(np.append(np.arange(0, iterations + 1, eval_every), iterations))


def train_online(
    step_loss: Callable[[], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    evaluate: Callable[[], torch.Tensor | float],
    *,
    iterations: int,
    eval_every: int,
    state: Sequence[object] = (),
    description: str = "training",
    evaluate_first: bool = True,
    stop_when: Callable[[list[torch.Tensor]], bool] | None = None,
) -> EvalLog:
    """Minimise `step_loss` (which draws a fresh batch on every call) for `iterations` steps of `optimizer`.

    `evaluate` runs without gradients at `evaluation_steps(iterations, eval_every)` (without step 0 unless
    `evaluate_first`); its results are kept on the device and copied to the host once, at the end. Training
    stops early at the first evaluation after which `stop_when(evaluations so far)` holds; the log then ends
    there. `state` lists what else changes as training goes (modules, generators, batch streams): a
    checkpointed run (`gradfail.checkpoint`) saves and restores it together with the optimiser and torch's
    global generator.
    """
    steps = evaluation_steps(iterations, eval_every)[0 if evaluate_first else 1 :]
    session = active_session()
    phase = session.enter_phase([optimizer, *state, GLOBAL_GENERATOR]) if session else Phase(0)
    if phase.finished is not None:
        return EvalLog(*phase.finished)
    values = phase.values

    def record() -> None:
        with torch.no_grad():
            values.append(torch.as_tensor(evaluate()).detach())

    def stopping() -> bool:
        return stop_when is not None and bool(values) and stop_when(values)

    if phase.step == 0 and evaluate_first:
        record()
    next_eval = int(np.searchsorted(steps, phase.step, side="right"))
    stopped = stopping()  # a run resumed from the step at which it stopped does not train on
    with tqdm(
        total=iterations, initial=phase.step, desc=description, disable=not progress_enabled(), leave=False
    ) as bar:
        for step in range(phase.step + 1, iterations + 1):
            if stopped:
                break
            optimizer.zero_grad(set_to_none=True)
            step_loss().backward()
            optimizer.step()
            if step == steps[next_eval]:
                record()
                next_eval += 1
                stopped = stopping()
                if not bar.disable:
                    bar.set_postfix(eval=f"{values[-1].float().mean().item():.3f}")
            bar.update()
            if session:
                session.after_step(phase, step, values)
    log = EvalLog(steps=steps[: len(values)], values=torch.stack([v.cpu() for v in values]).numpy())
    if session:
        session.finish_phase(log.steps, log.values)
    return log


class RunGroup(Protocol):
    """Runs of one shape trained as one stacked model: a loss on a fresh batch, and per-run evaluations
    (last axis = runs)."""

    model: torch.nn.Module

    def streams(self) -> list[object]:
        """The generators and batch streams that advance during training or evaluation (for checkpoints)."""
        ...

    def training_loss(self) -> torch.Tensor: ...

    def evaluate(self) -> torch.Tensor: ...


def train_groups(
    groups: Sequence[RunGroup],
    make_optimiser: Callable[[Iterable[torch.nn.Parameter]], torch.optim.Optimizer],
    *,
    iterations: int,
    eval_every: int,
    description: str,
) -> EvalLog:
    """`train_online` for several groups under one optimiser: their losses summed (each run gets exactly its
    own gradient), their evaluations concatenated along the runs axis."""
    return train_online(
        lambda: sum(group.training_loss() for group in groups),
        make_optimiser([p for group in groups for p in group.model.parameters()]),
        lambda: torch.cat([group.evaluate() for group in groups], dim=-1),
        iterations=iterations,
        eval_every=eval_every,
        state=[obj for group in groups for obj in (group.model, *group.streams())],
        description=description,
    )
