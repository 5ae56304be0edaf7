"""Results of one experiment run: named arrays plus the provenance needed to trust them, saved as one .npz."""

from __future__ import annotations

import dataclasses
import json
import platform
import subprocess
import time
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from gradfail.checkpoint import active_session
from gradfail.files import atomic_write
from gradfail.scale import scale_of

META_KEY = "__meta__"
PAPER_RESULTS_DIR = Path(__file__).resolve().parent / "paper_results"  # committed runs, shipped with the package
_PACKAGES = ("gradfail", "torch", "numpy")


@dataclass
class Results:
    """Arrays of one run of `experiment`, with its settings and provenance (seed, versions, device, time, commit)."""

    experiment: str
    settings: dict[str, Any]
    arrays: dict[str, np.ndarray]
    provenance: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def save(self, path: str | Path) -> Path:
        """Write everything to one `.npz` (metadata as a JSON string), atomically: a reader sees the previous
        file or the new one, never a partial one. Return the path written."""
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"path must end in .npz, got {str(path)!r}")
        if META_KEY in self.arrays:
            raise ValueError(f"arrays must not use the reserved name {META_KEY!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"experiment": self.experiment, "settings": self.settings, "provenance": self.provenance}
        arrays = {**self.arrays, META_KEY: np.array(json.dumps(meta))}
        return atomic_write(path, lambda handle: np.savez_compressed(handle, **arrays))

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """Read a file written by `save` (no pickle involved); a damaged or foreign file is a ValueError that
        names it and says what is wrong."""
        path = Path(path)
        try:
            data = np.load(path, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not a results archive")
            with data:
                if META_KEY not in data.files:
                    raise ValueError(f"it has no {META_KEY!r} entry, so gradfail did not write it")
                meta = json.loads(str(data[META_KEY]))
                arrays = {name: data[name] for name in data.files if name != META_KEY}
            return cls(meta["experiment"], meta["settings"], arrays, meta["provenance"])
        except FileNotFoundError:
            raise
        except (OSError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path} is damaged or not an .npz archive ({error})") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} has unreadable metadata ({error})") from None
        except KeyError as error:
            raise ValueError(f"{path} lacks the metadata field {error}") from None
        except ValueError as error:
            if "pickle" in str(error):
                error = ValueError("it holds pickled objects, which gradfail never writes")
            raise ValueError(f"{path} is not a gradfail results file: {error}") from None


def finished_run(
    experiment: str, settings: object, arrays: dict[str, np.ndarray], *, seed: int, device: object, started: float
) -> Results:
    """Package a finished run: its arrays, its settings and their scale, and provenance with the wall time
    since `started` (a time.perf_counter() reading), plus earlier sittings' when the run was resumed from a
    checkpoint."""
    session = active_session()
    wall_time = time.perf_counter() - started + (session.elapsed_before if session else 0.0)
    record = provenance(scale=scale_of(settings), seed=seed, device=str(device), wall_time_s=wall_time)
    if session and session.resumes:
        record["resumed"] = session.resumes
    return Results(experiment, settings_dict(settings), arrays, record)


def settings_dict(settings: object) -> dict[str, Any]:
    """A frozen settings dataclass as a JSON-ready dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(settings)))  # type: ignore[call-overload]


def provenance(*, scale: str, seed: int, device: str, wall_time_s: float) -> dict[str, Any]:
    """Where a result came from: scale, seed, device, wall time, package versions, git commit, date."""
    return {
        "scale": scale,
        "seed": seed,
        "device": device,
        "wall_time_s": round(wall_time_s, 3),
        "versions": {"python": platform.python_version(), **{p: _version(p) for p in _PACKAGES}},
        "machine": platform.machine(),
        **git_state(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def git_state() -> dict[str, Any]:
    """The commit of this checkout and whether tracked files differ from it (both None outside git)."""
    commit, status = _git("rev-parse", "HEAD"), _git("status", "--porcelain", "--untracked-files=no")
    return {"git_commit": commit, "git_dirty": None if status is None else status != ""}


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def first_step(steps: np.ndarray, reached: np.ndarray) -> np.ndarray:
    """Per column of the boolean (evaluations, runs) array `reached`, the step of its first True; NaN if none."""
    if reached.ndim != 2 or reached.shape[0] != len(steps):
        raise ValueError(f"reached must be (evaluations={len(steps)}, runs), got shape {reached.shape}")
    return np.where(reached.any(axis=0), steps[reached.argmax(axis=0)], np.nan)


def committed_results(experiment: str, scale: str = "paper") -> Results | None:
    """The committed results file `gradfail/paper_results/{experiment}-{scale}.npz`, or None if absent."""
    path = PAPER_RESULTS_DIR / f"{experiment}-{scale}.npz"
    return Results.load(path) if path.exists() else None


def provenance_label(results: Results) -> str:
    """A short line saying where a result came from, for a figure's legend or caption."""
    p = results.provenance
    commit = (p.get("git_commit") or "unknown")[:7] + (" (modified)" if p.get("git_dirty") else "")
    return (
        f"{p['scale']} scale, seed {p['seed']}, {p['device']}, {p['wall_time_s']:.0f} s, "
        f"torch {p['versions']['torch']}, commit {commit}, {p['created'][:10]}"
    )


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
