"""Checkpoints of long runs: `python -m gradfail run … --resume` continues an interrupted run from its last
checkpoint and gives arrays identical to an uninterrupted run.

A run's training loops are its *phases* (one `train_online` call each, in a fixed order). A checkpoint holds,
for every finished phase, its evaluation log and the state it ended in, and for the phase in progress its
step, its evaluations so far and its state: parameters and buffers, optimiser, every generator and batch
stream, and torch's global generator. On resume the experiment's code runs again from the top; a finished
phase is skipped by restoring its end state, the phase in progress continues from its step.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import hashlib
import importlib.util
import io
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gradfail.files import atomic_write

CHECKPOINT_SUFFIX = ".checkpoint.pt"
FORMAT = 1
_ACTIVE: ContextVar[CheckpointSession | None] = ContextVar("checkpoint_session", default=None)


class RunInterrupted(KeyboardInterrupt):
    """Raised after Ctrl-C (or SIGTERM) once the step in progress has finished and a checkpoint is written."""

    def __init__(self, path: Path, phase: int, step: int) -> None:
        super().__init__(f"interrupted at step {step} of training loop {phase + 1}; checkpoint {path}")
        self.path, self.phase, self.step = path, phase, step


def capture(objects: Sequence[Any]) -> list[Any]:
    """A deep copy of the state of each object: a generator's state, or `state_dict()` (modules, optimisers,
    batch streams)."""
    return [obj.get_state() if isinstance(obj, torch.Generator) else copy.deepcopy(obj.state_dict()) for obj in objects]


def restore(objects: Sequence[Any], states: Sequence[Any]) -> None:
    """Put each object back into a state `capture` took."""
    if len(objects) != len(states):
        raise ValueError(f"states must hold one state per object ({len(objects)}), got {len(states)}")
    for obj, state in zip(objects, states, strict=True):
        if isinstance(obj, torch.Generator):
            obj.set_state(state)
        else:
            obj.load_state_dict(state)


def source_digests(module: str) -> dict[str, str]:
    """SHA-256 of the source of `module` and of every gradfail module it imports, directly or not: the code a
    run depends on, so that a checkpoint is never resumed by different code."""
    digests: dict[str, str] = {}
    pending = [module]
    while pending:
        name = pending.pop()
        if name in digests:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # `from gradfail.x import attribute`
            continue
        if spec is None or not (spec.origin or "").endswith(".py"):
            continue
        source = Path(spec.origin).read_bytes()
        digests[name] = hashlib.sha256(source).hexdigest()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                pending += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                pending += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        pending = [n for n in pending if n.split(".")[0] == "gradfail"]
    return dict(sorted(digests.items()))


def run_identity(experiment: str, module: str, settings: dict[str, Any], seed: int, device: str) -> dict[str, Any]:
    """What must not change between a checkpoint and its resume: experiment, settings, seed, device, torch
    version and the source of every module the experiment's `module` imports."""
    return {
        "experiment": experiment,
        "settings": settings,
        "seed": seed,
        "device": device,
        "torch": str(torch.__version__),
        "code": source_digests(module),
    }


def identity_differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between two `run_identity` results, one phrase each (empty when they agree)."""
    differences = []
    for name in ("experiment", "seed", "device", "torch"):
        if saved.get(name) != current[name]:
            differences.append(f"{name} was {saved.get(name)!r}, is {current[name]!r}")
    old_settings = saved.get("settings", {})
    for name in sorted(set(old_settings) | set(current["settings"])):
        if old_settings.get(name) != current["settings"].get(name):
            differences.append(f"setting {name} was {old_settings.get(name)!r}, is {current['settings'].get(name)!r}")
    old_code = saved.get("code", {})
    changed = sorted(m for m in set(old_code) | set(current["code"]) if old_code.get(m) != current["code"].get(m))
    if changed:
        differences.append(f"code changed in {', '.join(changed)}")
    return differences


@dataclass
class Phase:
    """One training loop as the session sees it: where it starts (`step`, evaluations so far) or, if it had
    finished before the interruption, its log (`finished`)."""

    index: int
    step: int = 0
    values: list[torch.Tensor] = field(default_factory=list)
    finished: tuple[np.ndarray, np.ndarray] | None = None


class CheckpointSession:
    """The checkpoints of one run: what a resumed run restores, and when the running one saves."""

    def __init__(self, path: Path, identity: dict[str, Any], every_seconds: float, saved: dict[str, Any] | None):
        self.path, self.identity, self.every_seconds = path, identity, every_seconds
        self.done: list[dict[str, Any]] = saved["done"] if saved else []
        self.current: dict[str, Any] | None = saved["current"] if saved else None
        self.elapsed_before = float(saved["elapsed_s"]) if saved else 0.0
        self.resumes = saved["resumes"] + 1 if saved else 0
        self.started = time.perf_counter()
        self.last_save = time.monotonic()
        self.stop_requested = False
        self.next_phase = 0
        self.objects: list[Any] = []
        self.in_phase = False

    def enter_phase(self, objects: list[Any]) -> Phase:
        """Start the next training loop over `objects` (its stateful things), restoring it when resuming."""
        index, self.next_phase, self.objects, self.in_phase = self.next_phase, self.next_phase + 1, objects, True
        if index < len(self.done):
            restore(objects, self.done[index]["state"])
            self.in_phase = False
            return Phase(index, finished=(self.done[index]["steps"].numpy(), self.done[index]["values"].numpy()))
        if self.current is not None and self.current["phase"] == index:
            restore(objects, self.current["state"])
            return Phase(index, self.current["step"], list(self.current["values"]))
        return Phase(index)

    def after_step(self, phase: Phase, step: int, values: list[torch.Tensor]) -> None:
        """Save when a checkpoint is due or a stop was asked for; after the stop's save, raise RunInterrupted."""
        if self.stop_requested or time.monotonic() - self.last_save >= self.every_seconds:
            self.current = {"phase": phase.index, "step": step, "values": list(values), "state": capture(self.objects)}
            self.save()
        if self.stop_requested:
            raise RunInterrupted(self.path, phase.index, step)

    def finish_phase(self, steps: np.ndarray, values: np.ndarray) -> None:
        """Keep a finished loop's log and end state for the checkpoints that follow."""
        state = capture(self.objects)
        self.done.append({"steps": torch.from_numpy(steps), "values": torch.from_numpy(values), "state": state})
        self.current, self.in_phase = None, False

    def elapsed(self) -> float:
        """Compute time of the run so far, summed over its sittings (up to each one's last checkpoint)."""
        return self.elapsed_before + time.perf_counter() - self.started

    def save(self) -> None:
        """Write the checkpoint atomically beside the results."""
        content = {
            "format": FORMAT,
            "identity": self.identity,
            "elapsed_s": self.elapsed(),
            "resumes": self.resumes,
            "done": self.done,
            "current": self.current,
        }
        buffer = io.BytesIO()
        torch.save(content, buffer)
        atomic_write(self.path, lambda handle: handle.write(buffer.getvalue()))
        self.last_save = time.monotonic()

    def request_stop(self) -> None:
        """Ctrl-C: finish the step in progress, save, stop. Outside a training loop there is nothing to save."""
        if not self.in_phase:
            raise KeyboardInterrupt
        self.stop_requested = True


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint (tensors and plain values only), or a ValueError naming the file and the problem."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged file
        raise ValueError(f"{path} is not a readable checkpoint ({type(error).__name__}: {error})") from None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError(f"{path} is not a gradfail checkpoint of format {FORMAT}")
    return saved


def active_session() -> CheckpointSession | None:
    """The session of the run in progress, if it is checkpointed (only the command line's runs are)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def checkpointing(
    path: str | Path, identity: dict[str, Any], *, every_minutes: float, resume: bool
) -> Iterator[CheckpointSession]:
    """Checkpoint the run inside the block to `path` every `every_minutes` (0: after every step) and on Ctrl-C
    or SIGTERM; with `resume`, continue from `path` if it exists. The checkpoint is deleted when the block
    finishes without error (the caller has saved the results by then)."""
    path = Path(path)
    if not every_minutes >= 0:
        raise ValueError(f"every_minutes must be >= 0, got {every_minutes!r}")
    saved = None
    if path.exists():
        if not resume:
            raise ValueError(
                f"{path} holds the checkpoint of an unfinished run: add --resume to continue it, or delete it "
                "to start again"
            )
        saved = load_checkpoint(path)
        differences = identity_differences(saved["identity"], identity)
        if differences:
            raise ValueError(f"cannot resume from {path}: {'; '.join(differences)}")
    session = CheckpointSession(path, identity, 60.0 * every_minutes, saved)
    token = _ACTIVE.set(session)
    handlers = _install_stop_handlers(session)
    try:
        yield session
    finally:
        for number, previous in handlers.items():
            signal.signal(number, previous)
        _ACTIVE.reset(token)
    path.unlink(missing_ok=True)


def _install_stop_handlers(session: CheckpointSession) -> dict[int, Any]:
    """SIGINT and SIGTERM ask the session to stop after the step in progress; a second one acts at once."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

    def stop(number: int, frame: object) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        session.request_stop()

    for number in previous:
        signal.signal(number, stop)
    return previous
