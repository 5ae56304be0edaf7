"""Speed of the book's vectorised code against straightforward baselines, measured side by side in one run.

    python benchmarks/run.py [--only NAME ...] [--parity-iterations N] [--parity-replicates N]

Each benchmark times the project's code and a plain baseline doing the same work, on the same machine in the same
process, and prints their ratio next to the project's goal. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path

import nbclient
import torch

from gradfail.lines.images import render_lines_loop, sample_line_images, sample_line_parameters
from gradfail.lines.networks import StackedLineScorer, StackedParityHead
from gradfail.lines.snr import orbit_gradients, tuple_losses
from gradfail.notebooks import chapter_notebook, chapter_sources
from gradfail.parity.experiment import run_parity
from gradfail.parity.settings import ParitySettings
from gradfail.seeding import generator
from gradfail.timing import best_seconds

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Comparison:
    """One benchmark's outcome: what was timed, the baseline's and the project's seconds, and the goal."""

    name: str
    work: str
    baseline_s: float
    project_s: float
    goal: str

    @property
    def speedup(self) -> float:
        return self.baseline_s / self.project_s


def parity_batched_vs_one_at_a_time(iterations: int, replicates: int) -> Comparison:
    """Figure 1 at the paper's dimensions, widths and batch: all (d, seed) runs as one stacked model against
    the same runs trained one model at a time, both through `run_parity`, for `iterations` SGD steps."""
    batched = replace(ParitySettings.paper(), iterations=iterations, replicates=replicates, eval_every=100)
    one_at_a_time = [replace(batched, dims=(d,), replicates=1) for d in batched.dims for _ in range(replicates)]
    # best of two: the first run in a process pays a warm-up (allocator, matrix-product kernels) of about a second
    project = best_seconds(lambda: run_parity(batched, device="cpu"), repeats=2)
    baseline = best_seconds(
        lambda: [run_parity(settings, seed=i, device="cpu") for i, settings in enumerate(one_at_a_time)], repeats=2
    )
    runs = len(one_at_a_time)
    return Comparison(
        "Figure 1, stacked runs",
        f"{runs} runs (d = {', '.join(map(str, batched.dims))} × {replicates} seeds), {iterations:,} SGD steps each",
        baseline,
        project,
        "≥ 3×",
    )


def line_images_vectorised_vs_loop(batch: int, batches: int, loop_images: int) -> Comparison:
    """§3.1's image generator: `batches` batched draw-and-render calls of `batch` images (the size training
    asks for: 200 tuples of up to 4 images) against a loop over images and their pixels (the same sampling,
    `render_lines_loop`), timed on `loop_images` images and scaled to the same count."""
    draws = generator(0)

    def batched() -> None:
        for _ in range(batches):  # each batch is used and dropped, as in training (keeping them all would time
            sample_line_images(batch, draws)  # the allocation of fresh memory pages instead)

    project = best_seconds(batched, repeats=10)
    baseline = best_seconds(lambda: render_lines_loop(sample_line_parameters(loop_images, generator(0))), repeats=3)
    images = batch * batches
    return Comparison(
        "line images (Figure 2)",
        f"{images:,} images in batches of {batch:,}; gradfail {images / project:,.0f}/s, "
        f"loop {loop_images / baseline:,.0f}/s",
        baseline * images / loop_images,
        project,
        "≥ 100×",
    )


def snr_gradients_vectorised_vs_loop(k: int, tuples: int, loop_tuples: int) -> Comparison:
    """Figure 5's single-tuple gradients for N1's last layer: features once per image and one backward pass
    through the head for every tuple of every mirror orbit, against one full forward and backward pass per tuple
    (timed on `loop_tuples` tuples, scaled to the same number of gradients)."""
    torch.manual_seed(0)
    scorer, head = StackedLineScorer([generator(1)]), StackedParityHead(k, [generator(2)]).double()
    images, labels = sample_line_images(tuples * k, generator(3))
    images, labels = images.reshape(1, tuples, k, 28, 28), labels.double().reshape(1, tuples, k)

    def vectorised() -> torch.Tensor:
        with torch.no_grad():
            flat = images.reshape(1, tuples * k, 28, 28)
            features = scorer.features(flat).double().reshape(1, tuples, k, -1)
            mirrored = scorer.features(torch.flip(flat, dims=(-1,))).double().reshape(1, tuples, k, -1)
        return orbit_gradients("end-to-end", features, mirrored, labels, scorer, head)

    def loop() -> list[torch.Tensor]:
        gradients = []
        for t in range(loop_tuples):
            scores = scorer(images[:, t]).double().unsqueeze(1)  # (1, 1, k)
            loss = tuple_losses("end-to-end", scores, labels[:, t : t + 1], head).sum()
            gradients.append(torch.autograd.grad(loss, scorer.score_weight)[0])
        return gradients

    count = tuples * 2**k
    project = best_seconds(vectorised, repeats=3)
    baseline = best_seconds(loop) * count / loop_tuples
    return Comparison(
        "Figure 5, per-tuple gradients",
        f"{count:,} single-tuple gradients (k = {k}, {tuples:,} tuples × {2**k} mirror images)",
        baseline,
        project,
        "≥ 10×",
    )


def chapter_times() -> dict[str, float]:
    """Seconds to execute each chapter at quick scale, one after another, as nbval and the build do."""
    times = {}
    for source in chapter_sources(ROOT / "book"):
        notebook = chapter_notebook(source)
        client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {}})
        start = time.perf_counter()
        client.execute(cwd=str(source.parent))
        times[source.stem] = time.perf_counter() - start
    return times


def print_comparisons(comparisons: list[Comparison]) -> None:
    print(f"\n{'benchmark':28s} {'baseline':>10s} {'gradfail':>10s} {'speed-up':>9s}  {'goal':6s} work")
    for c in comparisons:
        print(f"{c.name:28s} {c.baseline_s:9.2f}s {c.project_s:9.2f}s {c.speedup:8.1f}×  {c.goal:6s} {c.work}")


def print_book_times(times: dict[str, float]) -> None:
    print(f"\n{'chapter':14s} {'seconds':>8s}")
    for chapter, elapsed in times.items():
        print(f"{chapter:14s} {elapsed:8.1f}")
    total = sum(times.values())
    print(f"{'whole book':14s} {total:8.1f}   ({total / 60:.1f} min; goal ≤ 5 min)")


BENCHMARKS = ("images", "parity", "snr", "book")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS), help="benchmarks to run")
    parser.add_argument("--parity-iterations", type=int, default=3_000, help="SGD steps per Figure 1 run")
    parser.add_argument("--parity-replicates", type=int, default=3, help="seeds per dimension in Figure 1")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
        f"with {torch.get_num_threads()} threads, Python {platform.python_version()}"
    )
    comparisons = []
    if "images" in args.only:
        comparisons.append(line_images_vectorised_vs_loop(batch=800, batches=250, loop_images=1_000))
    if "snr" in args.only:
        comparisons.append(snr_gradients_vectorised_vs_loop(k=3, tuples=800, loop_tuples=200))
    if "parity" in args.only:
        comparisons.append(parity_batched_vs_one_at_a_time(args.parity_iterations, args.parity_replicates))
    if comparisons:
        print_comparisons(comparisons)
    if "book" in args.only:
        print_book_times(chapter_times())


if __name__ == "__main__":
    main()
