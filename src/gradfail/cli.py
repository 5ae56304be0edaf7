"""`python -m gradfail list | run EXPERIMENT`: run the paper's experiments outside the book, with provenance."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gradfail.devices import DEVICE_CHOICES
from gradfail.experiments import EXPERIMENTS, describe, get_experiment
from gradfail.scale import SCALES, settings_for
from gradfail.validation import require_int


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gradfail", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the experiments")
    run = commands.add_parser("run", help="run one experiment and save its results file")
    run.add_argument("experiment", help=f"one of: {', '.join(EXPERIMENTS)}")
    run.add_argument("--scale", choices=SCALES, default="quick", help="quick (default) or paper settings")
    run.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help="auto uses a GPU when there is one")
    run.add_argument("--seed", type=int, default=0, help="base seed (default 0): same seed, same numbers")
    run.add_argument("--out", type=Path, default=Path("results"), help="folder for the results file")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        for experiment in EXPERIMENTS.values():
            print(f"{experiment.name:14s} {experiment.description}")
        return 0
    try:
        run_command(args.experiment, args.scale, args.device, args.seed, args.out)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
