"""Unit tests of the §5 helpers: the staircase and its relatives, the four learners, Figure 7's run, A.7."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gradfail.cli import main
from gradfail.flat.convergence import (
    forward_only_descent,
    ramp,
    rate_bound,
    rate_step_size,
    unit_sphere_inputs,
)
from gradfail.flat.experiment import (
    busiest_boundary,
    distance_to_nearest_step,
    exact_step_share,
    final_test_error,
    key,
    run_flat,
    target_of,
)
from gradfail.flat.learners import LEARNERS, ForwardOnlyRegressor, straight_through
from gradfail.flat.plateau import (
    gradient_over_eps,
    is_stuck,
    iterations_to_reach,
    non_flat_spread,
    prediction_spread,
    stuck_share,
)
from gradfail.flat.plots import plot_learner_fit, plot_learning_curves, plot_plateau_gradients, plot_rate
from gradfail.flat.settings import FlatSettings
from gradfail.flat.target import (
    STEP_OFFSETS,
    draw_target,
    sample_inputs,
    smooth_staircase,
    staircase,
    staircase_differentiable,
    step_index,
)
from gradfail.layers import seeded_linear, seeded_mlp
from gradfail.results import Results
from gradfail.seeding import generator

TINY = FlatSettings(
    input_dim=10,
    batch_size=32,
    hidden=16,
    non_flat_iterations=40,
    end_to_end_iterations=40,
    multi_class_iterations=40,
    forward_only_iterations=20,
    eval_every=10,
    test_samples=500,
)


def test_step_offsets_follow_the_scripts() -> None:
    assert len(STEP_OFFSETS) == 52 and list(STEP_OFFSETS) == sorted(set(STEP_OFFSETS))
    assert STEP_OFFSETS[0] == -100 and STEP_OFFSETS[-1] == 95 and 0.175 in STEP_OFFSETS


def test_staircase_rounds_down_to_a_step() -> None:
    steps = torch.tensor([0.0, 1.0, 1.5, 4.0])
    r = torch.tensor([-1.0, 0.0, 0.99, 1.0, 1.2, 3.9, 7.0])
    torch.testing.assert_close(staircase(r, steps), torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0, 1.5, 4.0]))
    torch.testing.assert_close(step_index(r, steps), torch.tensor([0, 0, 0, 1, 1, 2, 3]))
    off_steps = torch.tensor([0.3, 1.2, 2.0, 5.5])
    torch.testing.assert_close(staircase_differentiable(off_steps, steps), staircase(off_steps, steps))


def test_autograd_through_the_staircase_is_zero() -> None:
    r = torch.linspace(-3, 3, 101, dtype=torch.float64).requires_grad_()
    steps = torch.tensor([-2.0, -0.55, 0.45, 2.05], dtype=torch.float64)
    staircase_differentiable(r, steps).sum().backward()
    assert torch.equal(r.grad, torch.zeros_like(r))


def test_smooth_staircase_approaches_the_staircase() -> None:
    steps = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    r = torch.tensor([0.5, 1.5, 2.5], dtype=torch.float64)
    torch.testing.assert_close(smooth_staircase(r, steps, 1e4), staircase(r, steps))
    assert smooth_staircase(torch.tensor([1.0]), steps.float(), 5.0).item() == pytest.approx(
        0.5 + 1 / (1 + math.exp(5))
    )
    with pytest.raises(ValueError, match="sharpness must be a positive"):
        smooth_staircase(r, steps, 0.0)
    with pytest.raises(ValueError, match="steps must be a 1-D strictly increasing"):
        staircase(r, torch.tensor([1.0, 0.0]))


def test_straight_through_passes_the_identity_backwards() -> None:
    steps = torch.tensor([0.0, 1.0, 2.0])
    r = torch.tensor([0.4, 1.7], requires_grad=True)
    out = straight_through(r, steps)
    torch.testing.assert_close(out, torch.tensor([0.0, 1.0]))
    (out * torch.tensor([3.0, 5.0])).sum().backward()
    torch.testing.assert_close(r.grad, torch.tensor([3.0, 5.0]))


def test_forward_only_gradient_is_the_rule_of_equation_5() -> None:
    target = draw_target(6, generator(0))
    learner = ForwardOnlyRegressor(6, target.steps, generator(1))
    inputs = sample_inputs(50, 6, generator(2))
    r = target.pre_activation(inputs)
    learner.loss(inputs, staircase(r, target.steps)).backward()
    residual = learner.predict(inputs) - staircase(r, target.steps)
    torch.testing.assert_close(learner.linear.weight.grad[0], 2 * (residual.unsqueeze(1) * inputs).mean(dim=0))
    torch.testing.assert_close(learner.linear.bias.grad[0], 2 * residual.mean())


def test_target_and_inputs() -> None:
    target = draw_target(100, generator(3))
    inputs = sample_inputs(5000, 100, generator(4))
    r = target.pre_activation(inputs)
    assert abs(r.mean() - target.offset).item() < 0.01 and 0.07 < r.std().item() < 0.14
    assert torch.equal(target.steps, target.offset + torch.tensor(STEP_OFFSETS))
    with pytest.raises(ValueError, match="count must be >= 1"):
        sample_inputs(0, 5, generator(0))


def test_seeded_layers() -> None:
    a, b = seeded_linear(4, 3, generator(0)), seeded_linear(4, 3, generator(0))
    assert torch.equal(a.weight, b.weight) and a.weight.abs().max() <= 0.5
    net = seeded_mlp([4, 8, 8, 2], generator(1))
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    with pytest.raises(ValueError, match="sizes must list"):
        seeded_mlp([4], generator(0))
    scripts = seeded_mlp([400, 300, 1], generator(2), "scripts")
    first = scripts[0]
    assert torch.equal(first.bias, torch.zeros(300)) and first.weight.abs().max() <= 2 / math.sqrt(400)
    assert abs(first.weight.std().item() * math.sqrt(400) - 0.88) < 0.02  # a normal truncated at ±2σ: std 0.88σ
    with pytest.raises(ValueError, match="initialisation"):
        seeded_linear(4, 3, generator(0), "xavier")


def test_run_flat_shapes_and_determinism() -> None:
    first = run_flat(TINY, seed=0, device="cpu")
    assert first["test_label"].shape == (500,) and first["steps_of_u"].shape == (52,)
    for learner in LEARNERS:
        iterations = TINY.schedule(learner)[0]
        np.testing.assert_array_equal(first[key(learner, "steps")], np.arange(0, iterations + 1, 10))
        assert first[key(learner, "prediction")].shape == (500,)
        assert final_test_error(first, learner) >= 0 and 0 <= exact_step_share(first, learner) <= 1
    second = run_flat(TINY, seed=0, device="cpu")
    for learner in LEARNERS:
        np.testing.assert_array_equal(first[key(learner, "mse")], second[key(learner, "mse")])
        assert first[key(learner, "gradient")].shape == first[key(learner, "mse")].shape
        assert (first[key(learner, "gradient")] >= 0).all()
    assert first[key("forward-only", "sgd_mse")].shape == first[key("forward-only", "mse")].shape
    assert 0 <= exact_step_share(first, "forward-only", "sgd_prediction") <= 1
    assert (distance_to_nearest_step(first) >= 0).all()
    target = target_of(first)
    assert target.slope.shape == (10,) and torch.equal(target.steps, torch.as_tensor(first["steps_of_u"]))
    torch.testing.assert_close(target.pre_activation(torch.zeros(1, 10))[0], target.offset)


def test_forward_only_learns_the_staircase() -> None:
    settings = FlatSettings(forward_only_iterations=3000, eval_every=500, test_samples=2000)
    results = run_flat(
        FlatSettings(
            **{
                **vars(settings),
                "non_flat_iterations": 500,
                "end_to_end_iterations": 500,
                "multi_class_iterations": 500,
            }
        ),
        seed=1,
        device="cpu",
    )
    assert exact_step_share(results, "forward-only") > 0.8
    assert busiest_boundary(results, "multi-class") in results["steps_of_u"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"input_dim": 0}, "input_dim must be >= 1"),
        ({"forward_only_iterations": 0}, "forward_only_iterations must be >= 1"),
        ({"sharpness": -1.0}, "sharpness must be a positive"),
        ({"beta1": 1.5}, "beta1 must be in"),
        ({"eval_every": 6000}, "eval_every must be <= 5000"),
        ({"initialisation": "xavier"}, "initialisation must be one of"),
        ({"forward_only_sgd_lr": 0.0}, "forward_only_sgd_lr must be a positive"),
    ],
)
def test_bad_settings_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FlatSettings(**change)


def test_key_and_learner_names() -> None:
    assert key("forward-only", "mse") == "forward_only_mse"
    with pytest.raises(ValueError, match="learner must be one of"):
        key("perceptron", "mse")


def test_forward_only_descent_follows_the_proof() -> None:
    inputs = unit_sphere_inputs(400, 5, generator(0))
    assert torch.allclose(inputs.norm(dim=1), torch.ones(400, dtype=torch.float64))
    v_star = torch.tensor([1.0, -2.0, 0.5, 0.0, 1.0], dtype=torch.float64)
    distance = float(v_star.pow(2).sum())
    means = []
    for horizon in (20, 200):
        trajectory = forward_only_descent(inputs, v_star, ramp, rate_step_size(distance, 2.0, horizon), horizon)
        assert trajectory.errors.shape == (horizon + 1,) and trajectory.update_norms.shape == (horizon,)
        assert trajectory.inequality_slack(1.0).min() >= -1e-12
        assert trajectory.distances[0] == pytest.approx(distance)
        means.append(trajectory.errors[:-1].mean().item())
        assert means[-1] <= rate_bound(distance, 2.0, 1.0, horizon)
    assert means[1] < means[0]
    assert rate_bound(4.0, 2.0, 1.0, 100) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="step_size must be a positive"):
        forward_only_descent(inputs, v_star, ramp, 0.0, 10)
    with pytest.raises(ValueError, match="inputs must be \\(n, d\\)"):
        forward_only_descent(inputs, v_star.float(), ramp, 0.1, 10)
    with pytest.raises(ValueError, match="gradient_bound must be a positive"):
        rate_step_size(1.0, 0.0, 10)
    with pytest.raises(ValueError, match="lipschitz must be a positive"):
        trajectory.inequality_slack(0.0)


def test_plots_and_command_line(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: TINY)
    assert main(["run", "flat", "--device", "cpu", "--out", str(tmp_path)]) == 0
    assert "forward-only" in capsys.readouterr().out
    results = Results.load(tmp_path / "flat-custom.npz")
    fig, (left, right) = plt.subplots(1, 2)
    r = results["test_pre_activation"]
    plot_learner_fit(left, results, "non-flat", (r.min(), r.max()))
    assert len(left.get_lines()) == 3
    with pytest.raises(ValueError, match="window must be"):
        plot_learner_fit(left, results, "end-to-end", (1.0, 0.0))
    plot_rate(right, [10, 100], [0.5, 0.2], [1.0, 0.3])
    plot_learning_curves(right, results)
    assert len(right.get_lines()) == 2 + len(LEARNERS) + 1
    fig2, ax = plt.subplots()
    plot_plateau_gradients(ax, [results, results])
    assert len(ax.get_lines()) == 4
    with pytest.raises(ValueError, match="runs must"):
        plot_plateau_gradients(ax, [])
    plt.close(fig)
    plt.close(fig2)


def test_plateau_measures() -> None:
    steps = np.array([0, 250, 500])
    arrays = {
        "test_label": np.array([0.0, 1.0, 2.0, 3.0]),
        "non_flat_prediction": np.full(4, 1.5),
        "non_flat_gradient": np.array([1.0, 1e-4, 1e-9]),
        "non_flat_steps": steps,
        "non_flat_mse": np.array([1.0, 0.3, 0.1]),
    }
    stuck = Results("flat", {"adam_eps": 1e-5}, arrays)
    assert prediction_spread(stuck) == 0.0 and is_stuck(stuck)
    np.testing.assert_allclose(gradient_over_eps(stuck), [1e5, 10.0, 1e-4])
    assert iterations_to_reach(stuck, "non-flat", 0.3) == 250 and iterations_to_reach(stuck, "non-flat", 0.01) == np.inf
    learning = Results("flat", {"adam_eps": 1e-5}, arrays | {"non_flat_prediction": arrays["test_label"]})
    assert not is_stuck(learning) and stuck_share([stuck, learning, stuck]) == pytest.approx(2 / 3)
    assert np.isnan(stuck_share([]))
    assert non_flat_spread(TINY, seed=0, iterations=20) >= 0
    with pytest.raises(ValueError, match="iterations"):
        non_flat_spread(TINY, seed=0, iterations=0)
