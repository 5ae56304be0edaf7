"""`python -m gradfail list | run EXPERIMENT|all | claims | notebooks`: the paper's experiments outside the book, with
provenance and checkpoints (Ctrl-C saves one; `--resume` continues), and the chapters as stand-alone notebooks."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gradfail.checkpoint import CHECKPOINT_SUFFIX, RunInterrupted, checkpointing, run_identity
from gradfail.devices import DEVICE_CHOICES, resolve_device
from gradfail.experiments import EXPERIMENTS, describe, get_experiment
from gradfail.files import require_writable_folder
from gradfail.results import Results, settings_dict
from gradfail.scale import SCALES, scale_of, settings_for
from gradfail.validation import require_choice, require_int

DEFAULT_CHECKPOINT_MINUTES = 5.0
NOTEBOOKS_OUT = Path("_build/notebooks")  # the readable notebooks: Colab's branch and the pages' downloads
ASSIGNMENTS_OUT = Path("_build/assignments")  # the same without solutions, kept apart so neither overwrites the other


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gradfail", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the experiments")
    run = commands.add_parser("run", help="run one experiment and save its results file")
    run.add_argument("experiment", help=f"one of: {', '.join(EXPERIMENTS)}, or all (every one in turn)")
    run.add_argument("--scale", choices=SCALES, default="quick", help="quick (default) or paper settings")
    run.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help="auto uses a GPU when there is one")
    run.add_argument("--seed", type=int, default=0, help="base seed (default 0): same seed, same numbers")
    run.add_argument("--out", type=Path, default=Path("results"), help="folder for the results file")
    run.add_argument("--skip", nargs="+", default=[], metavar="NAME", help="with all: experiments to leave out")
    run.add_argument(
        "--checkpoint-every",
        type=float,
        default=DEFAULT_CHECKPOINT_MINUTES,
        metavar="MINUTES",
        help=f"save a checkpoint beside the results this often (default {DEFAULT_CHECKPOINT_MINUTES:g}; 0: every step)",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue from the checkpoint in --out; with all, also keep results already there for these settings",
    )
    claims = commands.add_parser("claims", help="every claim of the experiments, at several seeds")
    claims.add_argument(
        "experiment",
        nargs="?",
        default="all",
        help=f"one of: {', '.join(EXPERIMENTS)}, theory (the theorems' checks), or all",
    )
    claims.add_argument("--scale", choices=SCALES, default="quick", help="quick (default) or paper settings")
    claims.add_argument("--seeds", default="0-4", help="seeds to run, e.g. 0-4 (default) or 0,3")
    claims.add_argument("--jobs", type=int, default=1, help="experiments run at once (torch threads are shared out)")
    claims.add_argument("--device", choices=DEVICE_CHOICES, default="cpu", help="cpu (default), cuda or auto")
    claims.add_argument("--out", type=Path, default=Path("results"), help="folder for claims-SCALE.npz and its runs")
    claims.add_argument("--skip", nargs="+", default=[], metavar="NAME", help="with all: experiments to leave out")
    notebooks = commands.add_parser(
        "notebooks", help="write every chapter as a readable .ipynb with its outputs, from the built book (Colab)"
    )
    notebooks.add_argument("--book", type=Path, default=Path("book"), help="folder of the chapters (default book)")
    notebooks.add_argument("--build", type=Path, default=Path("_build"), help="the built book (default _build)")
    notebooks.add_argument(
        "--out",
        type=Path,
        help=f"output folder (default {NOTEBOOKS_OUT}, or {ASSIGNMENTS_OUT} with --no-solutions)",
    )
    notebooks.add_argument(
        "--no-solutions",
        action="store_true",
        help="leave the exercises' solutions out (an assignment; not copied into the HTML)",
    )
    return parser


@dataclass(frozen=True)
class RunOptions:
    """How `run` runs: scale, device, seed, output folder and checkpointing."""

    scale: str
    device: str
    seed: int
    out: Path
    checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES
    resume: bool = False

    def __post_init__(self) -> None:
        require_choice("--scale", self.scale, SCALES)
        require_int("--seed", self.seed, minimum=0)
        if not self.checkpoint_minutes >= 0:
            raise ValueError(f"--checkpoint-every must be >= 0 minutes, got {self.checkpoint_minutes!r}")
        require_writable_folder("--out", self.out)


def run_command(name: str, options: RunOptions) -> Path:
    """Run experiment `name`, checkpointed beside its results file; write the results; return their path."""
    experiment = get_experiment(name)
    settings = settings_for(experiment.settings_class, options.scale)
    label = scale_of(settings)
    device = resolve_device(options.device)
    print(f"{name} at {options.scale} scale: {describe(settings)}")
    identity = run_identity(name, experiment.run.__module__, settings_dict(settings), options.seed, str(device))
    checkpoint = options.out / f"{name}-{label}{CHECKPOINT_SUFFIX}"
    if options.resume and checkpoint.exists():
        print(f"resuming from {checkpoint}")
    with checkpointing(checkpoint, identity, every_minutes=options.checkpoint_minutes, resume=options.resume):
        results = experiment.run(settings, seed=options.seed, device=device)
        path = results.save(options.out / f"{name}-{label}.npz")
    if label != options.scale:
        print(f"(the {options.scale} settings of {name} are its {label} settings; the file is labelled so)")
    print("\n".join(experiment.summarise(results)))
    print(f"wall time {results.provenance['wall_time_s']:.1f} s on {results.provenance['device']}; wrote {path}")
    return path


def finished_before(name: str, options: RunOptions) -> Path | None:
    """With --resume under `run all`: the results file in --out of this experiment at these settings, seed and
    device, if one is there (an experiment that finished before the interruption)."""
    experiment = get_experiment(name)
    settings = settings_for(experiment.settings_class, options.scale)
    path = options.out / f"{name}-{scale_of(settings)}.npz"
    if not options.resume or not path.exists():
        return None
    done = Results.load(path)
    same_run = done.settings == settings_dict(settings) and done.provenance["seed"] == options.seed
    return path if same_run and done.provenance["device"] == str(resolve_device(options.device)) else None


def run_all(options: RunOptions, skip: Sequence[str] = ()) -> list[Path]:
    """Every registered experiment but those in `skip`, in turn, then a table of what each wrote and its time."""
    for name in skip:
        get_experiment(name)  # a misspelt name is an error, not a silent no-op
    rows = []
    for name in (name for name in EXPERIMENTS if name not in skip):
        print(f"\n== {name}")
        path = finished_before(name, options)
        if path is not None:
            print(f"kept {path}, written before the interruption")
        else:
            path = run_command(name, options)
        rows.append((name, Results.load(path).provenance, path))
    print(f"\n{'experiment':14s} {'scale':6s} {'device':8s} {'wall time':>10s}  file")
    for name, provenance, path in rows:
        scale, device, wall = provenance["scale"], provenance["device"], provenance["wall_time_s"]
        print(f"{name:14s} {scale:6s} {device:8s} {wall:9.1f}s  {path}")
    print(f"{'total':30s} {sum(p['wall_time_s'] for _, p, _ in rows):9.1f}s")
    return [path for _, _, path in rows]


def claims_command(args: argparse.Namespace) -> Path:
    """`claims`: run the sweep, print its table, save it."""
    from gradfail.scorecard import THEORY, parse_seeds, require_sweepable, runs_folder, sweep, sweep_lines, write_sweep

    every = [*EXPERIMENTS, *([THEORY] if args.scale == "quick" else [])]
    names = every if args.experiment == "all" else [require_sweepable(args.experiment)]
    for name in args.skip:
        require_sweepable(name)
    require_writable_folder("--out", args.out)
    require_int("--jobs", args.jobs, minimum=1)
    seeds = parse_seeds(args.seeds)
    experiments = [n for n in names if n not in args.skip]
    runs = runs_folder(args.out, args.scale)
    table = sweep(experiments, args.scale, seeds, runs, jobs=args.jobs, device=args.device)
    print("\n".join(sweep_lines(table)))
    path = write_sweep(table, args.out)
    kept = table.provenance["kept_runs"]
    print(f"wall time {table.provenance['wall_time_s']:.0f} s ({kept} runs kept from before); wrote {path}")
    return path


def resume_command(argv: Sequence[str]) -> str:
    """The command line that continues an interrupted `run`."""
    return shlex.join(["python", "-m", "gradfail", *argv, *([] if "--resume" in argv else ["--resume"])])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            for experiment in EXPERIMENTS.values():
                print(f"{experiment.name:14s} {experiment.description}")
        elif args.command == "notebooks":
            # needs the book's tools (jupytext, Sphinx), which the plain package does not install
            from gradfail.notebooks import PUBLISHED_FOLDER, write_readable_notebooks

            solutions = not args.no_solutions
            out = args.out or (NOTEBOOKS_OUT if solutions else ASSIGNMENTS_OUT)
            written = write_readable_notebooks(args.book, args.build, out, solutions=solutions)
            print(f"wrote {len(written)} notebooks to {out / args.book.resolve().name}")
            if solutions:
                print(f"and copied them into {args.build / 'html' / PUBLISHED_FOLDER} for the pages' download buttons")
        elif args.command == "claims":
            claims_command(args)
        else:
            if args.experiment != "all":
                get_experiment(args.experiment)
                if args.skip:
                    raise ValueError("--skip goes with `run all` only")
            options = RunOptions(args.scale, args.device, args.seed, args.out, args.checkpoint_every, args.resume)
            if args.experiment == "all":
                run_all(options, args.skip)
            else:
                run_command(args.experiment, options)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RunInterrupted as stop:
        print(f"\n{stop}\nresume with: {resume_command(argv)}", file=sys.stderr)
        return 130
    return 0
