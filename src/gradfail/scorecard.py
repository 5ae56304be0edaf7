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

from gradfail.claims import CLAIM_INPUTS, CLAIM_SETS, Claim, ClaimFunction
from gradfail.devices import resolve_device
from gradfail.experiments import EXPERIMENTS, get_experiment
from gradfail.files import require_writable_folder
from gradfail.results import PAPER_RESULTS_DIR, Results, committed_results, provenance, settings_dict
from gradfail.scale import SCALES, settings_for
from gradfail.training import progress_enabled
from gradfail.validation import require_choice, require_int

# The page that holds each claim set's evidence, and the label of its section.
CHAPTERS = {
    "parity": ("parities", "parity-figure1"),
    "theorem-1": ("parities", "parity-theorem1"),
    "lemma-3": ("parities", "parity-lemma3"),
    "gf2": ("parities", "parity-gf2"),
    "parity-scaling": ("parities-scaling", "parity-wider"),
    "periodic": ("periodic-training", "periodic-training"),
    "periodic-threshold": ("periodic-training", "periodic-transition"),
    "end-to-end": ("line-images", "lines-figure3"),
    "figure-3-k2": ("line-images", "lines-figure3"),
    "figure-5": ("line-images-snr", "lines-figure5"),
    "line-interaction": ("line-images-snr", "lines-interaction"),
    "stocks": ("stocks", "stocks-figure4"),
    "stocks-estimators": ("stocks", "stocks-estimators"),
    "conditioning": ("conditioning-figure6", "conditioning-figure6"),
    "lemmas-1-2": ("conditioning", "conditioning-lemmas"),
    "theorem-3": ("conditioning", "conditioning-theorem3"),
    "figure-6-gd": ("conditioning-figure6", "conditioning-optimiser"),
    "flat": ("flat", "flat-figure7"),
    "flat-gradient": ("flat", "flat-gradient"),
    "appendix-a7": ("flat", "flat-a7"),
    "flat-seeds": ("flat", "flat-plateau"),
    "sparse-parity": ("epilogue", "epilogue-sparse"),
    "intermediate": ("epilogue", "epilogue-intermediate"),
    "intermediate-seeds": ("epilogue", "epilogue-intermediate"),
    "sparse-class-size": ("epilogue", "epilogue-exercises"),
}
# Claim functions whose evidence sits in another section (or page) than their claim set's: (page, label).
FUNCTION_SECTIONS = {
    "steps_growth_claims": ("parities-scaling", "parity-steps"),
    "radius_claims": ("periodic-laws", "periodic-radius"),
    "monte_carlo_claims": ("periodic-laws", "periodic-monte-carlo"),
    "dimension_claims": ("periodic-laws", "periodic-dimension"),
    "dimension_fit_claims": ("periodic-laws", "periodic-dimension"),
    "plateau_claims": ("flat", "flat-plateau"),
    "training_time_claims": ("flat", "flat-curves"),
    "plain_sgd_claims": ("flat", "flat-curves"),
    "transition_claims": ("periodic-training", "periodic-transition"),
    "optimiser_claims": ("conditioning-figure6", "conditioning-optimiser"),
}
CLAIM_MODULES = tuple(
    f"gradfail.{module}"
    for module in (
        "parity.claims",
        "periodic.claims",
        "periodic.law_claims",
        "periodic.method_claims",
        "periodic.outcome_claims",
        "lines.claims",
        "lines.snr_claims",
        "stocks.claims",
        "conditioning.claims",
        "conditioning.theory_claims",
        "flat.claims",
        "epilogue.claims",
    )
)
THEORY = "theory"  # the sweeps' name for the claim sets checked on computed inputs rather than on a run
METHOD_SETS = frozenset({"periodic-method"})  # checks of the book's own method: in their chapter only


def registered() -> dict[str, list[ClaimFunction]]:
    """Every claim set (importing the section modules registers them)."""
    for module in CLAIM_MODULES:
        importlib.import_module(module)
    return CLAIM_SETS


def claim_sets() -> dict[str, list[ClaimFunction]]:
    """Every experiment's claim functions, which take its results."""
    sets = registered()
    return {name: sets[name] for name in EXPERIMENTS if name in sets}


def theory_sets(scale: str = "quick") -> dict[str, list[ClaimFunction]]:
    """The claim sets checked on inputs they compute: at quick scale, one per seed; at paper scale, on committed
    runs, once."""
    require_choice("scale", scale, SCALES)
    return {
        name: functions
        for name, functions in registered().items()
        if name not in EXPERIMENTS and name not in METHOD_SETS and CLAIM_INPUTS[functions[0]].scale == scale
    }


def evaluate(results: Results) -> list[Claim]:
    """All claims of the experiment that produced `results`."""
    return [claim for function in claim_sets()[results.experiment] for claim in function(results)]


def evaluate_theory(seed: int, scale: str = "quick") -> list[tuple[str, Claim]]:
    """Every claim of the theory sets at `scale`, with its set's name, their inputs computed at `seed`."""
    return [
        (name, claim)
        for name, functions in theory_sets(scale).items()
        for function in functions
        for claim in function(*CLAIM_INPUTS[function].compute(seed))
    ]


CLAIM_FIELDS = ("statement", "paper", "relation", "bound", "why", "finding")


def theory_run(seed: int) -> Results:
    """The theory sets' claims at `seed`, saved like a run: one row per claim."""
    started = time.perf_counter()
    claims = evaluate_theory(seed)
    arrays = {
        "sets": np.array([name for name, _ in claims]),
        "names": np.array([c.name for _, c in claims]),
        "values": np.array([c.value for _, c in claims], dtype=float),
        **{f"{f}s": np.array([getattr(c, f) for _, c in claims]) for f in CLAIM_FIELDS},
    }
    record = provenance(scale="quick", seed=seed, device="cpu", wall_time_s=time.perf_counter() - started)
    return Results(THEORY, {"sets": sorted(set(arrays["sets"].tolist()))}, arrays, record)


def claims_of(results: Results) -> list[tuple[str, Claim]]:
    """(claim set, claim) of every claim of a run: evaluated afresh on an experiment's results, as recorded for
    the theory sets."""
    if results.experiment != THEORY:
        return [(results.experiment, claim) for claim in evaluate(results)]
    return [
        (str(name), stored_claim(results, row, float(results["values"][row])))
        for row, name in enumerate(results["sets"])
    ]


def stored_claim(table: Results, row: int, value: float) -> Claim:
    """The claim saved in row `row` of a theory run or a sweep table (arrays `names` and CLAIM_FIELDS), with
    `value` as its measured value."""
    fields = {f: str(table[f"{f}s"][row]) for f in CLAIM_FIELDS if f != "bound"}
    return Claim(str(table["names"][row]), value=value, bound=float(table["bounds"][row]), **fields)


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
    """One experiment (or the theory sets) at one seed."""

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
    if run.experiment == THEORY:
        return done.experiment == THEORY and done.provenance["seed"] == run.seed
    settings = settings_dict(settings_for(get_experiment(run.experiment).settings_class, scale))
    same = done.experiment == run.experiment and done.settings == settings and done.provenance["seed"] == run.seed
    return same and done.provenance["device"] == str(resolve_device(device))


def require_sweepable(name: str) -> str:
    """An experiment's name, or THEORY (the theory sets); ValueError otherwise."""
    return name if name == THEORY else get_experiment(name).name


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
    results kept in `runs_folder` (THEORY: the theory sets, in this process); the table of every run there."""
    require_choice("scale", scale, SCALES)
    require_int("jobs", jobs, minimum=1)
    for name in experiments:
        require_sweepable(name)
    if THEORY in experiments and scale != "quick":
        raise ValueError(f"the theory sets are checked at quick scale only, got scale={scale!r}")
    folder = require_writable_folder("--out", runs_folder)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    runs = [SweepRun(name, seed) for name in experiments for seed in seeds]
    to_run = [run for run in runs if not kept_run(folder / run.filename, run, scale, device)]
    started = time.perf_counter()
    in_processes = [run for run in to_run if run.experiment != THEORY]
    with ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(run_in_process, run, scale, device, threads, folder) for run in in_processes]
        for future in tqdm(futures, desc="claims", disable=not progress_enabled()):
            future.result()
    theory = [run for run in to_run if run.experiment == THEORY]
    for run in tqdm(theory, desc="theory claims", disable=not (theory and progress_enabled())):
        theory_run(run.seed).save(folder / run.filename)
    record = provenance(scale=scale, seed=int(seeds[0]), device=device, wall_time_s=time.perf_counter() - started)
    record["kept_runs"] = len(runs) - len(to_run)
    return folder_table(folder, record)


def folder_table(folder: Path, record: dict) -> Results:
    """Every claim of every run kept in `folder`, by claim and seed (the claims as the code states them now)."""
    runs = [Results.load(path) for path in sorted(folder.glob("*-seed*.npz"))]
    seeds = sorted({int(r.provenance["seed"]) for r in runs})
    rows: dict[str, dict] = {}
    for results in runs:
        seed = int(results.provenance["seed"])
        for name, claim in claims_of(results):
            row = rows.setdefault(claim.name, {"claim": claim, "set": name, "values": {}, "holds": {}})
            row["values"][seed], row["holds"][seed] = claim.value, claim.holds
    names = list(rows)
    arrays = {
        "names": np.array(names),
        "experiments": np.array([rows[n]["set"] for n in names]),
        **{f"{field}s": np.array([getattr(rows[n]["claim"], field) for n in names]) for field in CLAIM_FIELDS},
        "seeds": np.array(seeds),
        "values": np.array([[rows[n]["values"].get(s, np.nan) for s in seeds] for n in names]),
        "holds": np.array([[rows[n]["holds"].get(s, False) for s in seeds] for n in names]),
        "present": np.array([[s in rows[n]["holds"] for s in seeds] for n in names]),  # a run of that seed exists
        "run_seconds": np.array([r.provenance["wall_time_s"] for r in runs]),
    }
    by_experiment: dict[str, list[int]] = {}
    for r in runs:
        by_experiment.setdefault(r.experiment, []).append(int(r.provenance["seed"]))
    settings = {
        "experiments": sorted(by_experiment),
        "scale": record["scale"],
        "seeds": seeds,
        "seeds_by_experiment": {name: sorted(found) for name, found in sorted(by_experiment.items())},
    }
    return Results(f"claims-{record['scale']}", settings, arrays, record)


def sweep_lines(table: Results) -> list[str]:
    """The sweep as text: claim, value per seed, passes over seeds."""
    seeds = table["seeds"]
    lines = [f"{'claim':42s} " + " ".join(f"{'seed ' + str(s):>10s}" for s in seeds) + "  passes"]
    for name, values, holds, present in zip(
        table["names"], table["values"], table["holds"], table["present"], strict=True
    ):
        cells = " ".join(
            f"{v:9.4g}{' ' if h else '✗'}" if p else f"{'—':>10s}"
            for v, h, p in zip(values, holds, present, strict=True)
        )
        lines.append(f"{name:42s} {cells}  {int(holds[present].sum())}/{int(present.sum())}")
    return lines


def write_sweep(table: Results, out: str | Path) -> Path:
    """Save a sweep as `claims-{scale}.npz` in `out` (its runs are in the folder `claims-{scale}` beside it)."""
    return table.save(require_writable_folder("--out", out) / f"{table.experiment}.npz")


def runs_folder(out: str | Path, scale: str) -> Path:
    """Where a sweep at `scale` written to `out` keeps its runs' results files."""
    return Path(out) / f"claims-{require_choice('scale', scale, SCALES)}"


def committed_sweep(scale: str) -> Results | None:
    """The committed sweep at `scale`: its claims evaluated afresh on the committed runs (so a claim stated more
    sharply since needs no new run), with the provenance of the command that wrote it; None if there is none."""
    recorded = committed_results("claims", require_choice("scale", scale, SCALES))
    if recorded is None:
        return None
    return folder_table(runs_folder(PAPER_RESULTS_DIR, scale), recorded.provenance)


@dataclass(frozen=True)
class ScorecardRow:
    """One claim on the scorecard: the claim (as evaluated on the paper-scale run if there is one, else on the
    quick sweep's first seed), its values at both scales and its passes over the committed seeds."""

    claim: Claim
    experiment: str
    section: tuple[str, str]  # (page, label) of the section with the evidence
    quick_value: float | None
    quick_passes: tuple[int, int] | None
    paper_value: float | None
    paper_passes: tuple[int, int] | None


def sweep_entry(table: Results | None, name: str) -> tuple[float, tuple[int, int]] | None:
    """(first seed's value, (passes, seeds)) of claim `name` in a sweep table, or None if it is not there."""
    if table is None or name not in table["names"]:
        return None
    row = int(np.flatnonzero(table["names"] == name)[0])
    present = table["present"][row]
    first = float(table["values"][row][present][0])
    return first, (int(table["holds"][row][present].sum()), int(present.sum()))


def scorecard_rows() -> list[ScorecardRow]:
    """Every claim the book tests, with its quick and paper evidence from the committed files: the experiments'
    claims, the theory sets' (quick sweep) and those checked on committed paper-scale runs."""
    quick, paper = committed_sweep("quick"), committed_sweep("paper")
    rows = []
    for experiment, functions in claim_sets().items():
        paper_run = committed_results(experiment, "paper")
        on_paper, sections = {}, {}
        for function in functions if paper_run else ():
            for claim in function(paper_run):
                on_paper[claim.name] = claim
                sections[claim.name] = FUNCTION_SECTIONS.get(function.__name__, CHAPTERS[experiment])
        for name in list(on_paper) or _names_in(quick, experiment):
            claim, paper_sweep = on_paper.get(name) or _claim_from_sweep(quick, name), sweep_entry(paper, name)
            paper_entry = paper_sweep
            if name in on_paper:  # the committed run's value; passes over the paper sweep, or that run alone
                paper_entry = (claim.value, paper_sweep[1] if paper_sweep else (int(claim.holds), 1))
            section = sections.get(name, CHAPTERS[experiment])
            rows.append(_row(claim, experiment, section, sweep_entry(quick, name), paper_entry))
    for name in theory_sets("quick"):
        rows += [
            _row(_claim_from_sweep(quick, n), name, CHAPTERS[name], sweep_entry(quick, n), None)
            for n in _names_in(quick, name)
        ]
    for name, claim in evaluate_theory(0, "paper"):
        rows.append(_row(claim, name, CHAPTERS[name], None, (claim.value, (int(claim.holds), 1))))
    return rows


def _names_in(table: Results | None, claim_set: str) -> list[str]:
    return [] if table is None else [str(n) for n in table["names"][table["experiments"] == claim_set]]


def _row(
    claim: Claim, claim_set: str, section: tuple[str, str], quick: tuple | None, paper: tuple | None
) -> ScorecardRow:
    return ScorecardRow(
        claim,
        claim_set,
        section,
        quick[0] if quick else None,
        quick[1] if quick else None,
        paper[0] if paper else None,
        paper[1] if paper else None,
    )


def _claim_from_sweep(table: Results | None, name: str) -> Claim:
    """Claim `name` as a sweep recorded it at its first seed."""
    assert table is not None
    row = int(np.flatnonzero(table["names"] == name)[0])
    return stored_claim(table, row, float(table["values"][row, 0]))


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
        chapter, label = row.section
        c = row.claim
        cells = [cell.replace("|", "\\|") for cell in (c.statement, c.paper)]
        mark = " **finding**" if c.finding else ""
        lines.append(
            f"| {cells[0]}{mark} | {cells[1]} | {c.relation} {c.bound:.3g} | {value(row.quick_value)} | "
            f"{passes(row.quick_passes)} | {value(row.paper_value)} | {passes(row.paper_passes)} | "
            f"{{ref}}`{chapter} <{label}>` |"
        )
    return "\n".join(lines)


def sweep_numbers(name: str, scale: str = "quick") -> dict[str, str]:
    """What the committed sweep at `scale` says of claim `name`, for a chapter's prose: `{scale}_{name}_passes`
    ("4 of 5 seeds"), `{scale}_{name}_failing` (each failing seed with its value, or "none") and
    `{scale}_{name}_spread` (the standard deviation of the value over the seeds)."""
    key = f"{scale}_{name}"
    table = committed_sweep(scale)
    if table is None or name not in table["names"]:
        return {f"{key}_passes": "no committed sweep", f"{key}_failing": "none", f"{key}_spread": "—"}
    row = int(np.flatnonzero(table["names"] == name)[0])
    present = table["present"][row]
    holds, values, seeds = table["holds"][row][present], table["values"][row][present], table["seeds"][present]
    failing = [f"seed {s} ({v:.4g})" for s, v, h in zip(seeds, values, holds, strict=True) if not h]
    return {
        f"{key}_passes": f"{int(holds.sum())} of {len(seeds)} seeds",
        f"{key}_failing": ", ".join(failing) or "none",
        f"{key}_spread": f"{np.std(values, ddof=1):.2g}" if len(values) > 1 else "—",
    }


def committed_runs(experiment: str, scale: str) -> list[Results]:
    """The committed sweep's results files of one experiment at `scale`, by seed."""
    folder = runs_folder(PAPER_RESULTS_DIR, scale)
    return [Results.load(path) for path in sorted(folder.glob(f"{require_sweepable(experiment)}-seed*.npz"))]


def sweep_summary(table: Results) -> str:
    """Which seeds the sweep ran for which experiments, e.g. "seeds 0–4: parity, flat; seeds 0–2: conditioning"."""
    groups: dict[tuple[int, ...], list[str]] = {}
    for name, seeds in table.settings["seeds_by_experiment"].items():
        groups.setdefault(tuple(seeds), []).append(name)
    return "; ".join(f"seeds {', '.join(map(str, seeds))}: {', '.join(names)}" for seeds, names in groups.items())
