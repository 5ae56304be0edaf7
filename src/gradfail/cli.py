"""`python -m gradfail list | run EXPERIMENT|all | notebooks`: the paper's experiments outside the book, with
provenance, and the chapters as stand-alone notebooks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gradfail.devices import DEVICE_CHOICES
from gradfail.experiments import EXPERIMENTS, describe, get_experiment
from gradfail.results import Results
from gradfail.scale import SCALES, settings_for
from gradfail.validation import require_int


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
    notebooks = commands.add_parser("notebooks", help="write every chapter as an .ipynb (for Colab and nbval)")
    notebooks.add_argument("--book", type=Path, default=Path("book"), help="folder of the chapters (default book)")
    notebooks.add_argument("--out", type=Path, default=Path("_build/notebooks"), help="output folder")
    notebooks.add_argument("--no-solutions", action="store_true", help="leave the exercises' solutions out")
    return parser


def run_command(name: str, scale: str, device: str, seed: int, out: Path) -> Path:
    experiment = get_experiment(name)
    require_int("seed", seed, minimum=0)
    settings = settings_for(experiment.settings_class, scale)
    print(f"{name} at {scale} scale: {describe(settings)}")
    results = experiment.run(settings, seed=seed, device=device)
    if results.provenance["scale"] != scale:
        print(f"(the {scale} settings of {name} are its paper settings; the file is labelled so)")
    path = results.save(out / f"{name}-{results.provenance['scale']}.npz")
    print("\n".join(experiment.summarise(results)))
    print(f"wall time {results.provenance['wall_time_s']:.1f} s on {results.provenance['device']}; wrote {path}")
    return path


def run_all(scale: str, device: str, seed: int, out: Path, skip: Sequence[str] = ()) -> list[Path]:
    """Every registered experiment but those in `skip`, in turn, then a table of what each wrote and its time."""
    for name in skip:
        get_experiment(name)  # a misspelt name is an error, not a silent no-op
    rows = []
    for name in (name for name in EXPERIMENTS if name not in skip):
        print(f"\n== {name}")
        path = run_command(name, scale, device, seed, out)
        rows.append((name, Results.load(path).provenance, path))
    print(f"\n{'experiment':14s} {'scale':6s} {'device':8s} {'wall time':>10s}  file")
    for name, provenance, path in rows:
        scale, device, wall = provenance["scale"], provenance["device"], provenance["wall_time_s"]
        print(f"{name:14s} {scale:6s} {device:8s} {wall:9.1f}s  {path}")
    print(f"{'total':30s} {sum(p['wall_time_s'] for _, p, _ in rows):9.1f}s")
    return [path for _, _, path in rows]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            for experiment in EXPERIMENTS.values():
                print(f"{experiment.name:14s} {experiment.description}")
        elif args.command == "notebooks":
            from gradfail.notebooks import write_notebooks  # needs jupytext, which only the book's tools install

            written = write_notebooks(args.book, args.out, solutions=not args.no_solutions)
            print(f"wrote {len(written)} notebooks to {args.out / args.book.resolve().name}")
        elif args.experiment == "all":
            run_all(args.scale, args.device, args.seed, args.out, args.skip)
        else:
            if args.skip:
                raise ValueError("--skip goes with `run all` only")
            run_command(args.experiment, args.scale, args.device, args.seed, args.out)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
