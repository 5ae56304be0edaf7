"""Unit tests of the core helpers: validation, scales, devices, seeds, losses, gradients, results, training."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from gradfail.cli import main
from gradfail.devices import resolve_device
from gradfail.experiments import Experiment
from gradfail.gradients import per_example_gradients
from gradfail.layers import stacked_scores
from gradfail.losses import accuracy, hinge_loss
from gradfail.parity.settings import ParitySettings
from gradfail.results import Results, committed_results, finished_run, first_step, provenance, provenance_label
from gradfail.scale import active_scale, scale_of, settings_for
from gradfail.seeding import derived_seed, generator
from gradfail.timing import best_seconds
from gradfail.training import evaluation_steps, progress_enabled, train_online
from gradfail.validation import require_choice, require_int, require_int_tuple, require_positive_float


def test_validation_names_the_argument() -> None:
    assert require_int("n", 3, minimum=1) == 3
    with pytest.raises(ValueError, match="n must be >= 1"):
        require_int("n", 0, minimum=1)
    with pytest.raises(ValueError, match="n must be an integer"):
        require_int("n", 2.0)
    with pytest.raises(ValueError, match="n must be an integer"):
        require_int("n", True)
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        require_positive_float("lr", -0.1)
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        require_positive_float("lr", float("nan"))
    with pytest.raises(ValueError, match="mode must be one of 'a', 'b'"):
        require_choice("mode", "c", ("a", "b"))
    with pytest.raises(ValueError, match="must not repeat"):
        require_int_tuple("dims", (3, 3), minimum=1)
    with pytest.raises(ValueError, match="non-empty tuple"):
        require_int_tuple("dims", (), minimum=1)


def test_scale_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADFAIL_SCALE", raising=False)
    assert active_scale() == "quick"
    assert settings_for(ParitySettings) == ParitySettings.quick()
    monkeypatch.setenv("GRADFAIL_SCALE", "paper")
    assert settings_for(ParitySettings) == ParitySettings.paper()
    assert settings_for(ParitySettings, "quick") == ParitySettings.quick()
    monkeypatch.setenv("GRADFAIL_SCALE", "huge")
    with pytest.raises(ValueError, match="GRADFAIL_SCALE must be one of 'quick', 'paper'"):
        active_scale()
    with pytest.raises(ValueError, match="scale must be one of"):
        settings_for(ParitySettings, "medium")


def test_scale_of_labels_settings() -> None:
    assert scale_of(ParitySettings.paper()) == "paper"
    assert scale_of(ParitySettings.quick()) == "quick"
    assert scale_of(ParitySettings(iterations=7, eval_every=7)) == "custom"


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="device must be one of 'auto', 'cpu', 'cuda'"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_derived_seeds_are_reproducible_and_distinct() -> None:
    assert derived_seed(0, 5, 1) == derived_seed(0, 5, 1)
    seeds = {derived_seed(0, d, r) for d in range(10) for r in range(10)}
    assert len(seeds) == 100 and all(0 <= s < 2**63 for s in seeds)
    with pytest.raises(ValueError, match="non-negative integers"):
        derived_seed(-1)
    a, b = generator(3), generator(3)
    assert torch.equal(torch.rand(5, generator=a), torch.rand(5, generator=b))


def test_hinge_loss_and_accuracy() -> None:
    scores = torch.tensor([[2.0, 0.5, -1.0, 0.0]])
    labels = torch.tensor([[1.0, 1.0, 1.0, -1.0]])
    assert torch.allclose(hinge_loss(scores, labels), torch.tensor([(0 + 0.5 + 2 + 1) / 4]))
    assert torch.allclose(accuracy(scores, labels), torch.tensor([0.5]))  # a zero score counts as wrong
    with pytest.raises(ValueError, match="scores and labels must have one shape"):
        hinge_loss(scores.T, labels[0])


def test_per_example_gradients_match_a_loop() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    inputs = torch.randn(5, 3)
    batched = per_example_gradients(model, inputs)
    for i in range(5):
        model.zero_grad()
        model(inputs[i : i + 1]).sum().backward()
        looped = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        assert torch.allclose(batched[i], looped, atol=1e-6)


def test_results_round_trip(tmp_path) -> None:
    arrays = {"steps": np.arange(3), "accuracy": np.ones((3, 2), np.float32)}
    meta = provenance(scale="quick", seed=4, device="cpu", wall_time_s=1.25)
    results = Results("parity", {"dims": [5, 10]}, arrays, meta)
    loaded = Results.load(results.save(tmp_path / "sub" / "r.npz"))
    assert loaded.experiment == "parity" and loaded.settings == {"dims": [5, 10]}
    assert loaded.provenance == meta and set(meta) >= {"seed", "device", "wall_time_s", "versions", "git_commit"}
    assert meta["versions"]["torch"] is not None
    np.testing.assert_array_equal(loaded["accuracy"], arrays["accuracy"])
    assert "quick scale, seed 4, cpu" in provenance_label(loaded)
    with pytest.raises(ValueError, match=r"must end in \.npz"):
        results.save(tmp_path / "r.json")
    with pytest.raises(ValueError, match="reserved"):
        Results("x", {}, {"__meta__": np.zeros(1)}).save(tmp_path / "bad.npz")
    assert committed_results("no-such-experiment") is None


def test_first_step() -> None:
    reached = np.array([[False, False], [True, False], [True, False]])
    result = first_step(np.array([0, 10, 20]), reached)
    assert result[0] == 10 and np.isnan(result[1])
    with pytest.raises(ValueError, match="reached must be \\(evaluations=2, runs\\)"):
        first_step(np.array([0, 10]), reached)


def test_evaluation_steps() -> None:
    np.testing.assert_array_equal(evaluation_steps(10, 5), [0, 5, 10])
    np.testing.assert_array_equal(evaluation_steps(12, 5), [0, 5, 10, 12])
    with pytest.raises(ValueError, match="iterations must be >= 1"):
        evaluation_steps(-3, 5)
    with pytest.raises(ValueError, match="eval_every must be >= 1"):
        evaluation_steps(10, 0)


def _regression_run(seed: int, **options):
    """Online least squares on y = 3x: a fresh batch per step from a seeded generator."""
    data = generator(seed)
    weight = torch.zeros(1, requires_grad=True)

    def step_loss() -> torch.Tensor:
        x = torch.randn(16, generator=data)
        return ((weight * x - 3 * x) ** 2).mean()

    return train_online(
        step_loss,
        torch.optim.SGD([weight], lr=0.1),
        lambda: weight.detach().clone(),
        iterations=50,
        eval_every=10,
        **options,
    )


def test_train_online_learns_and_is_deterministic() -> None:
    log = _regression_run(seed=1)
    np.testing.assert_array_equal(log.steps, [0, 10, 20, 30, 40, 50])
    assert log.values.shape == (6, 1)
    assert log.values[0, 0] == 0 and abs(log.values[-1, 0] - 3) < 1e-3
    np.testing.assert_array_equal(log.values, _regression_run(seed=1).values)


def test_train_online_can_skip_the_first_evaluation_and_stop_early() -> None:
    full = _regression_run(seed=1)
    stopped = _regression_run(seed=1, evaluate_first=False, stop_when=lambda values: values[-1].item() > 2.9)
    first = int(np.argmax(full.values[:, 0] > 2.9))
    assert 1 < first < len(full.steps) - 1  # the stop comes before the end
    np.testing.assert_array_equal(stopped.steps, full.steps[1 : first + 1])
    np.testing.assert_array_equal(stopped.values, full.values[1 : first + 1])


def test_progress_bars_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADFAIL_PROGRESS", "1")
    assert progress_enabled()
    monkeypatch.setenv("GRADFAIL_PROGRESS", "0")
    assert not progress_enabled()
    monkeypatch.delenv("GRADFAIL_PROGRESS")
    monkeypatch.setenv("CI", "true")
    assert not progress_enabled()


@dataclass(frozen=True)
class _CountSettings:
    """A stand-in experiment's settings for the command-line tests."""

    count: int = 3

    @classmethod
    def quick(cls) -> _CountSettings:
        return cls()

    @classmethod
    def paper(cls) -> _CountSettings:
        return cls(count=5)


def _count_experiment(name: str) -> Experiment:
    def run(settings: _CountSettings, *, seed: int = 0, device: str = "auto") -> Results:
        start = time.perf_counter()
        arrays = {"values": np.arange(settings.count)}
        return finished_run(name, settings, arrays, seed=seed, device=resolve_device(device), started=start)

    return Experiment(name, f"stand-in {name}", _CountSettings, run, lambda r: [f"{len(r['values'])} values"])


def test_run_all_runs_every_experiment_but_the_skipped_and_tabulates_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_ins = {name: _count_experiment(name) for name in ("first", "second", "third")}
    monkeypatch.setattr("gradfail.cli.EXPERIMENTS", stand_ins)
    monkeypatch.setattr("gradfail.experiments.EXPERIMENTS", stand_ins)
    assert main(["run", "all", "--scale", "paper", "--device", "cpu", "--out", str(tmp_path), "--skip", "second"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first-paper.npz", "third-paper.npz"]
    assert len(Results.load(tmp_path / "third-paper.npz")["values"]) == 5
    table = capsys.readouterr().out.split("experiment")[-1]
    assert "first" in table and "third" in table and "second" not in table and "total" in table


def test_run_rejects_unknown_skips_and_skip_without_all(tmp_path: Path) -> None:
    assert main(["run", "all", "--skip", "no-such-experiment", "--out", str(tmp_path)]) == 2
    assert main(["run", "parity", "--skip", "stocks", "--out", str(tmp_path)]) == 2
    assert not any(tmp_path.iterdir())


def test_best_seconds_takes_the_fastest_of_its_repeats() -> None:
    pauses = iter([0.02, 0.0, 0.01])
    assert best_seconds(lambda: time.sleep(next(pauses)), repeats=3) < 0.01
    with pytest.raises(ValueError, match="repeats"):
        best_seconds(lambda: None, repeats=0)


def test_stacked_scores_is_the_one_column_layer() -> None:
    inputs = torch.randn(3, 5, 4, 7, generator=generator(0), requires_grad=True)
    weight = torch.randn(3, 7, 1, generator=generator(1), requires_grad=True)
    bias = torch.randn(3, 1, 1, generator=generator(2), requires_grad=True)
    scores = stacked_scores(inputs, weight, bias)
    expected = torch.baddbmm(bias, inputs.reshape(3, 20, 7), weight).reshape(3, 5, 4)
    torch.testing.assert_close(scores, expected)
    grads = torch.autograd.grad(scores.square().sum(), (inputs, weight, bias))
    expected_grads = torch.autograd.grad(expected.square().sum(), (inputs, weight, bias))
    for grad, expected_grad in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(grad, expected_grad)
    with pytest.raises(ValueError, match=r"weight must have shape \(3, 7, 1\)"):
        stacked_scores(inputs, weight.transpose(1, 2), bias)
