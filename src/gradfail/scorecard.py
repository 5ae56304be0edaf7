"""Every claim the book tests, across seeds: `python -m gradfail claims` runs each experiment at each seed in its
own process, evaluates its claims and saves the table; the scorecard page reads these tables back."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gradfail.claims import CLAIM_SETS, Claim
from gradfail.devices import resolve_device
from gradfail.experiments import EXPERIMENTS, get_experiment
from gradfail.files import require_writable_folder
from gradfail.results import PAPER_RESULTS_DIR, Results, committed_results, provenance, settings_dict
from gradfail.scale import SCALES, scale_of, settings_for
from gradfail.training import progress_enabled
from gradfail.validation import require_choice, require_int

# The chapter that holds each experiment's evidence, and the label of its section.
CHAPTERS = {
    "parity": ("parities", "parity-figure1"),
    "periodic": ("periodic", "periodic-training"),
    "end-to-end": ("line-images", "lines-figure3"),
    "stocks": ("stocks", "stocks-figure4"),
    "conditioning": ("conditioning", "conditioning-figure6"),
    "flat": ("flat", "flat-figure7"),
    "sparse-parity": ("epilogue", "epilogue-sparse"),
    "intermediate": ("epilogue", "epilogue-intermediate"),
}
CLAIM_MODULES = tuple(
    f"gradfail.{package}.claims"
    for package in ("parity", "periodic", "lines", "stocks", "conditioning", "flat", "epilogue")
)


def claim_sets() -> dict[str, list]:
    """Every experiment's claim functions (importing the section modules registers them)."""
    for module in CLAIM_MODULES:
        importlib.import_module(module)
    return {name: CLAIM_SETS[name] for name in EXPERIMENTS if name in CLAIM_SETS}


def evaluate(results: Results) -> list[Claim]:
    """All claims of the experiment that produced `results`."""
    return [claim for function in claim_sets()[results.experiment] for claim in function(results)]


def parse_seeds(text: str) -> list[int]:
    """'0-4' → [0, 1, 2, 3, 4]; '0,2,7' → [0, 2, 7]."""
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-"))
            seeds = list(range(first, last + 1))
        else:
            seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"--seeds must be a range such as 0-4 or a list such as 0,2,7; got {text!r}") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds must name distinct non-negative seeds, got {text!r}")
    return seeds


@dataclass(frozen=True)
class SweepRun:
    """One experiment at one seed, run by the command line in a process of its own."""

    experiment: str
    seed: int

    @property
    def filename(self) -> str:
        return f"{self.experiment}-seed{self.seed}.npz"


def run_in_process(run: SweepRun, scale: str, device: str, threads: int, folder: Path) -> Path:
    """`python -m gradfail run` for one (experiment, seed) with `threads` torch threads; its results file, moved
    to `folder/{experiment}-seed{seed}.npz`."""
    out = folder / f"{run.experiment}-seed{run.seed}"
    command = [sys.executable, "-m", "gradfail", "run", run.experiment, "--scale", scale, "--device", device]
    command += ["--seed", str(run.seed), "--out", str(out)]
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    environment["GRADFAIL_PROGRESS"] = "0"
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{finished.stderr[-2000:]}")
    (path,) = out.glob(f"{run.experiment}-*.npz")
    kept = path.replace(folder / run.filename)
    out.rmdir()
    return kept


def kept_run(path: Path, run: SweepRun, scale: str, device: str) -> bool:
    """Whether `path` already holds this run (same experiment, settings, seed, device and unmodified commit): an
    interrupted sweep started again keeps the runs it finished."""
    if not path.exists():
        return False
    done, now = Results.load(path), provenance(scale=scale, seed=run.seed, device=device, wall_time_s=0.0)
    if done.provenance["git_dirty"] or done.provenance["git_commit"] != now["git_commit"]:
        return False
    settings = settings_dict(settings_for(get_experiment(run.experiment).settings_class, scale))
    same = done.experiment == run.experiment and done.settings == settings and done.provenance["seed"] == run.seed
    return same and done.provenance["device"] == str(resolve_device(device))


def sweep(
    experiments: Sequence[str],
    scale: str,
    seeds: Sequence[int],
    runs_folder: str | Path,
    *,
    jobs: int = 1,
    device: str = "cpu",
) -> Results:
    """Each experiment at each seed, `jobs` processes at a time (torch threads split between them), each run's
    results kept in `runs_folder`; every claim's value and verdict per seed, as one results table."""
    require_choice("scale", scale, SCALES)
    require_int("jobs", jobs, minimum=1)
    for name in experiments:
        get_experiment(name)
    folder = require_writable_folder("--out", runs_folder)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    runs = [SweepRun(name, seed) for name in experiments for seed in seeds]
    to_run = [run for run in runs if not kept_run(folder / run.filename, run, scale, device)]
    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(run_in_process, run, scale, device, threads, folder) for run in to_run]
        for future in tqdm(futures, desc="claims", disable=not progress_enabled()):
            future.result()
    settings = {"experiments": list(experiments), "scale": scale, "seeds": list(seeds), "jobs": jobs}
    labels = {scale_of(settings_for(get_experiment(n).settings_class, scale)) for n in experiments}
    record = provenance(
        scale="+".join(sorted(labels)), seed=int(seeds[0]), device=device, wall_time_s=time.perf_counter() - started
    )
    record["kept_runs"] = len(runs) - len(to_run)
    return sweep_table([Results.load(folder / run.filename) for run in runs], settings, record)


def sweep_table(runs: Sequence[Results], settings: dict, record: dict) -> Results:
    """Every claim of every run, by claim and seed (the claims as the code states them now), as a results table."""
    seeds = sorted({int(r.provenance["seed"]) for r in runs})
    rows: dict[str, dict] = {}
    for results in runs:
        seed = int(results.provenance["seed"])
        for claim in evaluate(results):
            row = rows.setdefault(claim.name, {"claim": claim, "experiment": results.experiment, "values": {}})
            row["values"][seed] = claim.value
            row.setdefault("holds", {})[seed] = claim.holds
    names = list(rows)
    arrays = {
        "names": np.array(names),
        "experiments": np.array([rows[n]["experiment"] for n in names]),
        **{
            f"{field}s": np.array([getattr(rows[n]["claim"], field) for n in names])
            for field in ("statement", "paper", "relation", "bound", "why", "finding")
        },
        "seeds": np.array(seeds),
        "values": np.array([[rows[n]["values"].get(s, np.nan) for s in seeds] for n in names]),
        "holds": np.array([[rows[n]["holds"].get(s, False) for s in seeds] for n in names]),
        "run_seconds": np.array([r.provenance["wall_time_s"] for r in runs]),
    }
    return Results(f"claims-{settings['scale']}", settings, arrays, record)


def sweep_lines(table: Results) -> list[str]:
    """The sweep as text: claim, value per seed, passes over seeds."""
    seeds = table["seeds"]
    lines = [f"{'claim':42s} " + " ".join(f"{'seed ' + str(s):>10s}" for s in seeds) + "  passes"]
    for name, values, holds in zip(table["names"], table["values"], table["holds"], strict=True):
        cells = " ".join(f"{v:9.4g}{' ' if h else '✗'}" for v, h in zip(values, holds, strict=True))
        lines.append(f"{name:42s} {cells}  {int(holds.sum())}/{len(seeds)}")
    return lines


def write_sweep(table: Results, out: str | Path) -> Path:
    """Save a sweep as `claims-{scale}.npz` in `out` (its runs are in the folder `claims-{scale}` beside it)."""
    return table.save(require_writable_folder("--out", out) / f"{table.experiment}.npz")


def runs_folder(out: str | Path, scale: str) -> Path:
    """Where a sweep at `scale` written to `out` keeps its runs' results files."""
    return Path(out) / f"claims-{require_choice('scale', scale, SCALES)}"


def committed_sweep(scale: str) -> Results | None:
    """The committed sweep at `scale`, its claims evaluated afresh on the committed runs (so a claim stated more
    sharply since needs no new run), with the sweep's own provenance; None if there is none."""
    recorded = committed_results("claims", require_choice("scale", scale, SCALES))
    if recorded is None:
        return None
    folder = runs_folder(PAPER_RESULTS_DIR, scale)
    runs = [
        Results.load(folder / SweepRun(str(e), int(s)).filename)
        for e in recorded.settings["experiments"]
        for s in recorded.settings["seeds"]
    ]
    return sweep_table(runs, recorded.settings, recorded.provenance)


@dataclass(frozen=True)
class ScorecardRow:
    """One claim on the scorecard: the claim (as evaluated on the paper-scale run if there is one, else on the
    quick sweep's first seed), its values at both scales and its passes over the committed seeds."""

    claim: Claim
    experiment: str
    quick_value: float | None
    quick_passes: tuple[int, int] | None
    paper_value: float | None
    paper_passes: tuple[int, int] | None


def sweep_entry(table: Results | None, name: str) -> tuple[float, tuple[int, int]] | None:
    """(first seed's value, (passes, seeds)) of claim `name` in a sweep table, or None if it is not there."""
    if table is None or name not in table["names"]:
        return None
    row = int(np.flatnonzero(table["names"] == name)[0])
    holds = table["holds"][row]
    return float(table["values"][row, 0]), (int(holds.sum()), len(holds))


def scorecard_rows() -> list[ScorecardRow]:
    """Every claim of every experiment with its quick and paper evidence, from the committed files."""
    quick, paper = committed_sweep("quick"), committed_sweep("paper")
    rows = []
    for experiment in claim_sets():
        paper_run = committed_results(experiment, "paper")
        on_paper = {c.name: c for c in evaluate(paper_run)} if paper_run else {}
        in_quick = [] if quick is None else [str(n) for n in quick["names"][quick["experiments"] == experiment]]
        names = list(on_paper) or in_quick
        for name in names:
            quick_entry, paper_entry = sweep_entry(quick, name), sweep_entry(paper, name)
            claim = on_paper.get(name)
            paper_value = claim.value if claim else None
            if claim and paper_entry is None:
                paper_entry = (claim.value, (int(claim.holds), 1))  # the committed run alone: one seed
            rows.append(
                ScorecardRow(
                    claim or _claim_from_sweep(quick, name),  # type: ignore[arg-type]
                    experiment,
                    quick_entry[0] if quick_entry else None,
                    quick_entry[1] if quick_entry else None,
                    paper_value,
                    paper_entry[1] if paper_entry else None,
                )
            )
    return rows


def _claim_from_sweep(table: Results, name: str) -> Claim:
    """Claim `name` as a sweep recorded it at its first seed."""
    row = int(np.flatnonzero(table["names"] == name)[0])
    fields = {f: str(table[f"{f}s"][row]) for f in ("statement", "paper", "relation", "why", "finding")}
    return Claim(name, value=float(table["values"][row, 0]), bound=float(table["bounds"][row]), **fields)


def scorecard_markdown(rows: Sequence[ScorecardRow]) -> str:
    """The scorecard as a MyST table: claim, paper, quick value and passes, paper value and passes, evidence."""

    def value(v: float | None) -> str:
        return "—" if v is None else f"{v:.3g}"

    def passes(p: tuple[int, int] | None) -> str:
        return "—" if p is None else f"{p[0]}/{p[1]}" + ("" if p[0] == p[1] else " ✗")

    lines = [
        "| claim | paper | bound | quick, seed 0 | quick seeds | paper scale | paper seeds | evidence |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        chapter, label = CHAPTERS[row.experiment]
        c = row.claim
        cells = [cell.replace("|", "\\|") for cell in (c.statement, c.paper)]
        mark = " **finding**" if c.finding else ""
        lines.append(
            f"| {cells[0]}{mark} | {cells[1]} | {c.relation} {c.bound:.3g} | {value(row.quick_value)} | "
            f"{passes(row.quick_passes)} | {value(row.paper_value)} | {passes(row.paper_passes)} | "
            f"{{ref}}`{chapter} <{label}>` |"
        )
    return "\n".join(lines)
