"""The linear-periodic experiment (§2.2, Theorem 2): three exact sweeps of Var(H, F, w)/G(w)², Monte Carlo over x
beside them, and Adam training on targets cos(v*ᵀx) with r = √d (with repeats on other batch streams and a plain-SGD
control where the settings ask for them), packaged as one results file."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from gradfail.devices import resolve_device
from gradfail.layers import seeded_mlp
from gradfail.periodic.fits import LineFit, fit_line
from gradfail.periodic.laws import aligned_unit_law, crossover_law, typical_unit_law
from gradfail.periodic.monte_carlo import monte_carlo_measurement
from gradfail.periodic.settings import PeriodicSettings
from gradfail.periodic.signal import HiddenUnits, exact_variance, gradient_norm_squared
from gradfail.periodic.target import sample_directions
from gradfail.periodic.training import PeriodicGroup, tied_radius
from gradfail.results import Results, finished_run
from gradfail.seeding import derived_seed, generator
from gradfail.training import train_groups
from gradfail.validation import require_int

EXPERIMENT = "periodic"
NETWORK_STREAM, MONTE_CARLO_STREAM = 10, 11  # apart from the training streams of `training.py`


def variance_network(dim: int, width: int, index: int, seed: int) -> HiddenUnits:
    """Random network number `index` of the variance sweeps in dimension d ≥ 2 (the same one in every sweep)."""
    require_int("dim", dim, minimum=2)
    require_int("width", width, minimum=1)
    require_int("index", index, minimum=0)
    return HiddenUnits.of(seeded_mlp([dim, width, 1], generator(derived_seed(seed, dim, index, NETWORK_STREAM))))


MEASURES: dict[str, Callable[[HiddenUnits, float], float]] = {
    "variance": exact_variance,
    "typical_law": typical_unit_law,
    "aligned_law": aligned_unit_law,
    "crossover_law": crossover_law,
}


def relative_sweep(
    settings: PeriodicSettings, seed: int, points: Sequence[tuple[int, float]], measure: Callable[..., float]
) -> np.ndarray:
    """measure(units, r) / G² at each (d, r) of `points` (Var or one of its laws), for each network: shape
    (networks, points)."""
    values = np.empty((settings.networks, len(points)))
    for n in range(settings.networks):
        for i, (d, r) in enumerate(points):
            units = variance_network(d, settings.variance_width, n, seed)
            values[n, i] = measure(units, r) / gradient_norm_squared(units)
    return values


def run_periodic(
    settings: PeriodicSettings, *, seed: int = 0, device: str | torch.device = "auto", training: bool = True
) -> Results:
    """All measurements of the chapter: the exact sweeps and Monte Carlo on the CPU in float64, training on
    `device` (skipped with `training=False`: the periodic-laws page needs only Theorem 2's measurements)."""
    start = time.perf_counter()
    device = resolve_device(device)
    arrays: dict[str, np.ndarray] = {}
    sweeps = {  # name: (points (d, r), their shape, the quantities measured)
        "radius": (
            [(d, r) for d in settings.radius_dims for r in settings.radii],
            (len(settings.radius_dims), len(settings.radii)),
            ("variance", "typical_law", "aligned_law", "crossover_law"),
        ),
        "dimension": (
            [(d, r) for r in settings.dimension_radii for d in settings.dims],
            (len(settings.dimension_radii), len(settings.dims)),
            ("variance", "typical_law"),
        ),
        "tied": ([(d, tied_radius(d)) for d in settings.tied_dims], (len(settings.tied_dims),), ("variance",)),
    }
    for name, (points, shape, quantities) in sweeps.items():
        for quantity in quantities:
            values = relative_sweep(settings, seed, points, MEASURES[quantity])
            arrays[f"{name}_{quantity}"] = values.reshape(settings.networks, *shape)
    arrays.update(monte_carlo_arrays(settings, seed))
    if training:
        arrays.update(training_arrays(settings, seed, device))
    return finished_run(EXPERIMENT, settings, arrays, seed=seed, device=device, started=start)


def monte_carlo_arrays(settings: PeriodicSettings, seed: int) -> dict[str, np.ndarray]:
    """Monte Carlo over x at radius_dims[0] (network 0 of the radius sweep, whose panel it joins), relative to G², per
    radius."""
    units = variance_network(settings.radius_dims[0], settings.variance_width, 0, seed)
    rng = generator(derived_seed(seed, MONTE_CARLO_STREAM))
    directions = sample_directions(settings.monte_carlo_directions, units.dim, 1.0, rng)
    radii = torch.tensor(settings.monte_carlo_radii, dtype=torch.float64)
    measured = monte_carlo_measurement(units, directions, radii, settings.monte_carlo_samples, settings.batch_size, rng)
    g_squared = gradient_norm_squared(units)
    arrays = {f"monte_carlo_{name}": (value / g_squared).numpy() for name, value in measured._asdict().items()}
    arrays["monte_carlo_variance"] = (
        np.array([exact_variance(units, r) for r in settings.monte_carlo_radii]) / g_squared
    )
    return arrays


def training_arrays(settings: PeriodicSettings, seed: int, device: torch.device) -> dict[str, np.ndarray]:
    """Adam on the square loss for every (d, replicate) of `settings`, r = √d: relative test error and best
    alignment maxⱼ ρⱼ² at every evaluation, shape (evaluations, runs); the same for the repeats of `repeat_dim`
    on other batch streams (`repeat_*`) and for plain SGD on `sgd_dims` (`sgd_*`)."""
    groups = [PeriodicGroup(d, settings, seed, device) for d in settings.train_dims]
    streams = range(1, settings.repeat_streams + 1)
    repeats = [PeriodicGroup(settings.repeat_dim, settings, seed, device, stream=k) for k in streams]
    log = train_groups(
        groups + repeats,
        lambda params: torch.optim.Adam(params, lr=settings.learning_rate, fused=True),
        iterations=settings.iterations,
        eval_every=settings.eval_every,
        description=EXPERIMENT,
    )
    runs = len(settings.train_dims) * settings.replicates
    arrays = {
        "steps": log.steps,
        "relative_error": log.values[:, 0, :runs],
        "best_alignment": log.values[:, 1, :runs],
        "train_dims": np.repeat(settings.train_dims, settings.replicates),
        "replicates": np.tile(np.arange(settings.replicates), len(settings.train_dims)),
    }
    if repeats:
        arrays |= {
            "repeat_relative_error": log.values[:, 0, runs:],
            "repeat_best_alignment": log.values[:, 1, runs:],
            "repeat_streams": np.repeat(np.asarray(streams), settings.replicates),
            "repeat_replicates": np.tile(np.arange(settings.replicates), len(streams)),
        }
    if settings.sgd_dims:
        sgd = train_groups(
            [PeriodicGroup(d, settings, seed, device) for d in settings.sgd_dims],
            lambda params: torch.optim.SGD(params, lr=settings.sgd_learning_rate),
            iterations=settings.iterations,
            eval_every=settings.eval_every,
            description=f"{EXPERIMENT} (SGD)",
        )
        arrays |= {
            "sgd_relative_error": sgd.values[:, 0],
            "sgd_best_alignment": sgd.values[:, 1],
            "sgd_train_dims": np.repeat(settings.sgd_dims, settings.replicates),
        }
    return arrays


def tied_fit(results: Results) -> LineFit:
    """Least-squares line of log(Var/G²) (geometric mean over networks) against d over the r = √d sweep: its slope
    is −c in Var/G² ≈ A e^(−c d)."""
    curve = np.log(results["tied_variance"]).mean(axis=0)
    return fit_line(np.asarray(results.settings["tied_dims"], dtype=float), curve)
