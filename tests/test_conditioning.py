"""Unit tests of the §4 helpers: curves and W, the population objectives (Lemma 2, Theorem 3, A.5–A.6), the four
learners, and Figure 6's runs."""

from __future__ import annotations

from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gradfail.cli import main
from gradfail.conditioning.curves import (
    SCRIPTS_SLOPES,
    apply_filter,
    double_integration_matrix,
    integrate_twice,
    sample_continuous_curves,
    sample_encodings,
    second_difference,
    second_difference_matrix,
)
from gradfail.conditioning.descent import (
    adam_learner_problems,
    encoding_errors,
    equivalent_iterations,
    overtaking_iteration,
)
from gradfail.conditioning.experiment import (
    KINK_RADII,
    adam_encoding_errors,
    filter_distance,
    kink_error_ratio,
    near_kinks,
    relative_error,
    rolling_median,
    run_conditioning,
    value_at,
)
from gradfail.conditioning.learners import (
    ConditionedConvolutionEncoder,
    ConvolutionEncoder,
    CurveAutoEncoder,
    FullyConnectedEncoder,
    StackedMLP,
)
from gradfail.conditioning.moments import encoding_moment, scripts_encoding_moment
from gradfail.conditioning.plots import (
    plot_adam_against_gd,
    plot_against_size,
    plot_encodings,
    plot_error_curves,
    plot_figure6,
)
from gradfail.conditioning.population import (
    convolution_regression,
    expected_sgd_weights,
    fully_connected_regression,
    inverse_square_root,
    kink_variance,
    linear_learner_regressions,
    sampled_window_correlation,
    sgd_weight_runs,
    whitened,
)
from gradfail.conditioning.settings import ConditioningSettings
from gradfail.conditioning.spectrum import (
    beam_constant,
    double_integration_bounds,
    double_integration_spectrum,
    eigenvalue_condition_number,
    fitted_exponent,
)
from gradfail.results import Results
from gradfail.seeding import generator

TINY = ConditioningSettings(
    length=12,
    train_curves=200,
    validation_curves=20,
    snapshots=(10, 30),
    autoencoder_snapshots=(10, 20),
    eval_every=10,
    batch_size=8,
    conditioned_batch_size=4,
)


@pytest.mark.parametrize("length", [3, 4, 7, 10, 51])
def test_lemma_1_holds_exactly(length: int) -> None:
    w = double_integration_matrix(length, torch.int64)
    u = second_difference_matrix(length, torch.int64)
    assert torch.equal(u @ w, torch.eye(length, dtype=torch.int64))
    assert torch.equal(w, torch.tril(torch.ones(length, length, dtype=torch.int64)).matrix_power(2))  # W = D⁻²


def test_integration_and_second_difference_are_w_and_u() -> None:
    codes = sample_encodings(50, 20, 3, generator(0), "scripts").double()  # integer coefficients: exact
    curves = integrate_twice(codes)
    assert torch.equal(curves, codes @ double_integration_matrix(20).T)
    assert torch.equal(second_difference(curves), codes)
    taps = torch.randn(2, 3, generator=generator(1))
    batch = torch.randn(2, 5, 20, generator=generator(2))
    padded = torch.nn.functional.pad(batch, (2, 0))
    expected = sum(taps[:, a, None, None] * padded[..., a : a + 20] for a in range(3))
    torch.testing.assert_close(apply_filter(batch, taps), expected)


def test_paper_curves_follow_the_paper() -> None:
    codes = sample_encodings(4000, 10, 3, generator(3))
    assert codes.shape == (4000, 10)
    assert torch.all((codes != 0).sum(dim=-1) == 3) and codes.abs().max() <= 1
    assert torch.equal(codes, sample_encodings(4000, 10, 3, generator(3)))
    second_moment = codes.T @ codes / len(codes)  # E[p pᵀ] = λ I, λ = k / 3n
    torch.testing.assert_close(second_moment, kink_variance(10, 3) * torch.eye(10), atol=0.01, rtol=0)


def test_scripts_curves_follow_the_scripts() -> None:
    codes = sample_encodings(500, 20, 3, generator(4), "scripts")
    assert torch.all((codes != 0).sum(dim=-1) == 3)
    positions = codes.nonzero()[:, 1]
    assert positions.min() >= 3 and positions.max() <= 20 - 4
    slopes = codes[codes != 0].reshape(500, 3).cumsum(dim=-1)  # the slope after each kink, in kink order
    assert {tuple(row) for row in slopes.tolist()} == set(SCRIPTS_SLOPES)


def test_continuous_curves_are_piecewise_linear() -> None:
    curves, kinks = sample_continuous_curves(30, 15, 3, generator(5))
    assert curves.shape == (30, 15) and kinks.shape == (30, 3) and kinks.min() >= 0 and kinks.max() < 15
    bends = second_difference(curves)[:, 2:].abs() > 1e-5  # a bend shows only next to a kink
    grid = torch.arange(1, 16).float()
    near = ((grid[None, None, 1:-1] - kinks[..., None]).abs() < 1).any(dim=1)
    assert torch.all(near[bends])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sample_encodings(5, 10, 10, generator(0)), "kinks must be <= 9"),
        (lambda: sample_encodings(5, 2, 1, generator(0)), "length must be >= 3"),
        (lambda: sample_encodings(5, 10, 3, generator(0), "uniform"), "distribution must be one of"),
        (lambda: sample_encodings(5, 10, 2, generator(0), "scripts"), "kinks must be >= 3"),
        (lambda: sample_continuous_curves(5, 10, 0, generator(0)), "kinks must be >= 1"),
        (lambda: ConditioningSettings(length=3, kinks=3), "kinks must be <= 2"),
        (lambda: ConditioningSettings(length=2), "length must be >= 3"),
        (lambda: ConditioningSettings(snapshots=(500, 100)), "snapshots must increase"),
        (lambda: ConditioningSettings(eval_every=600), "eval_every must be <= 500"),
        (lambda: ConditioningSettings(convolution_lr=0.0), "convolution_lr must be a positive"),
    ],
)
def test_bad_input_is_refused(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_condition_number_of_w_is_of_order_n4() -> None:
    sizes = [16, 32, 64, 128]
    spectrum = double_integration_spectrum(sizes)
    for size, condition in zip(sizes, spectrum["condition"], strict=True):
        low, high = double_integration_bounds(size)
        assert low <= condition <= high
        singular = torch.linalg.svdvals(double_integration_matrix(size))
        assert condition == pytest.approx(float(singular[0] / singular[-1]) ** 2)
        assert condition == pytest.approx(fully_connected_regression(size, 3).condition_number, rel=1e-6)
    assert 3.8 < fitted_exponent(sizes, spectrum["condition"]) < 4
    assert spectrum["smallest"][-1] == pytest.approx(0.25, abs=1e-3)
    assert beam_constant() == pytest.approx(0.284413, abs=1e-6)
    assert spectrum["largest"][-1] / 128**2 == pytest.approx(beam_constant(), rel=0.02)


def test_fitted_exponent_and_positive_definiteness() -> None:
    assert fitted_exponent([1, 2, 4], [3.0, 24.0, 192.0]) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="at least two"):
        fitted_exponent([1], [1.0])
    assert eigenvalue_condition_number(torch.diag(torch.tensor([1.0, 4.0]))) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="positive definite"):
        eigenvalue_condition_number(torch.diag(torch.tensor([1.0, 0.0])))
    with pytest.raises(ValueError, match="positive definite"):
        inverse_square_root(torch.diag(torch.tensor([1.0, -1.0])))


@pytest.mark.parametrize("length", [3, 8, 31])
def test_population_optima_are_lemma_1(length: int) -> None:
    torch.testing.assert_close(
        fully_connected_regression(length, 2).optimum, second_difference_matrix(length).T, rtol=0, atol=1e-9
    )
    torch.testing.assert_close(
        convolution_regression(length, 2).optimum, torch.tensor([[1.0], [-2.0], [1.0]], dtype=torch.float64)
    )


@pytest.mark.parametrize("length", [3, 4, 17])
def test_window_moments_against_shift_matrices(length: int) -> None:
    variance, w = kink_variance(length, 2), double_integration_matrix(length)
    curves = variance * w @ w.T  # E[f fᵀ]
    shifts = [torch.diag(torch.ones(length - lag, dtype=torch.float64), -lag) for lag in (2, 1, 0)]  # r_t = S^lag f
    problem = convolution_regression(length, 2)
    expected = torch.stack([torch.stack([torch.trace(a @ curves @ b.T) for b in shifts]) for a in shifts]) / length
    torch.testing.assert_close(problem.second_moment, expected, rtol=1e-12, atol=0)
    cross = torch.stack([torch.trace(a @ (variance * w)) for a in shifts]) / length  # mean_t E[r_t p_t]
    torch.testing.assert_close(problem.cross_moment[:, 0], cross, rtol=1e-12, atol=0)
    decoded = [w @ a for a in shifts]
    gram = torch.stack([torch.stack([torch.trace(a @ curves @ b.T) for b in decoded]) for a in decoded])
    torch.testing.assert_close(problem.metrics["decoded"].input_metric, gram, rtol=1e-12, atol=0)


def test_window_correlation_exact_against_sampled() -> None:
    exact = convolution_regression(10, 3).second_moment
    curves = integrate_twice(sample_encodings(200_000, 10, 3, generator(6)).double())
    torch.testing.assert_close(sampled_window_correlation(curves), exact, rtol=0.03, atol=0.0)
    whitening = inverse_square_root(exact)
    assert whitened(convolution_regression(10, 3), whitening).condition_number == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("metric", ["encoding", "decoded"])
def test_metrics_exact_against_sampled(metric: str) -> None:
    size, rng = 9, generator(7)
    codes = sample_encodings(100_000, size, 3, rng).double()
    curves = integrate_twice(codes)
    fc, conv = fully_connected_regression(size, 3), convolution_regression(size, 3)
    u_hat = second_difference_matrix(size) + 0.1 * torch.randn(size, size, generator=rng, dtype=torch.float64)
    taps = torch.tensor([0.5, -1.0, 0.4], dtype=torch.float64)
    predictions = {"fc": curves @ u_hat.T, "conv": apply_filter(curves, taps)}
    if metric == "decoded":
        predictions = {name: integrate_twice(p) for name, p in predictions.items()}
    target = codes if metric == "encoding" else curves
    sampled = {name: float(relative_error(p, target)) for name, p in predictions.items()}
    assert fc.error(u_hat.T, metric) == pytest.approx(sampled["fc"], rel=0.03)
    assert conv.error(taps[:, None], metric) == pytest.approx(sampled["conv"], rel=0.03)


@pytest.mark.parametrize("metric", ["encoding", "decoded"])
def test_closed_form_matches_literal_gradient_descent(metric: str) -> None:
    for problem in linear_learner_regressions(6, 2, 500, generator(8)).values():
        steps = min(problem.iterations_to_reach(0.05, metric=metric), 3000)
        literal = problem.gradient_descent(steps, metric=metric)
        closed = [problem.error_after(t, metric=metric) for t in range(steps + 1)]
        np.testing.assert_allclose(literal, closed, rtol=1e-7, atol=1e-12)
    problem = fully_connected_regression(6, 2)
    count = problem.iterations_to_reach(0.05)
    assert problem.error_after(count) <= 0.05 < problem.error_after(count - 1)
    with pytest.raises(ValueError, match="lr must lie in"):
        problem.iterations_to_reach(0.05, lr=1.5 * problem.default_lr)
    with pytest.raises(ValueError, match="metric must be one of"):
        problem.error_after(3, metric="loss")


def test_lemma_2_closed_form_and_sgd_mean() -> None:
    size, kinks = 5, 2
    variance, w = kink_variance(size, kinks), double_integration_matrix(size)
    lr = 0.3 / (variance * float(torch.linalg.svdvals(w)[0] ** 2))
    recursion = torch.zeros(size, size, dtype=torch.float64)
    for _ in range(12):  # E U_{t+1} = E U_t (I − ηλWWᵀ) + ηλWᵀ
        recursion = recursion @ (torch.eye(size, dtype=torch.float64) - lr * variance * w @ w.T) + lr * variance * w.T
    torch.testing.assert_close(expected_sgd_weights(size, kinks, lr, 12), recursion)
    runs = sgd_weight_runs(size, kinks, lr, 12, 8000, generator(9))
    assert runs.shape == (8000, size, size)
    z = (runs.mean(0) - recursion) / (runs.std(0) / 8000**0.5)
    assert z.abs().max() < 5
    torch.testing.assert_close(
        sgd_weight_runs(size, kinks, lr, 3, 4, generator(1)), sgd_weight_runs(size, kinks, lr, 3, 4, generator(1))
    )


def test_learners_realise_the_encoding() -> None:
    codes = sample_encodings(6, 10, 3, generator(10)).double()
    curves = integrate_twice(codes).expand(2, -1, -1)
    fc, conv = FullyConnectedEncoder(2, 10).double(), ConvolutionEncoder(2).double()
    with torch.no_grad():
        fc.weight.copy_(second_difference_matrix(10))
        conv.weight.copy_(torch.tensor([1.0, -2.0, 1.0]))
    torch.testing.assert_close(fc(curves), codes.expand(2, -1, -1))
    torch.testing.assert_close(conv(curves), codes.expand(2, -1, -1))
    torch.testing.assert_close(fc.decode(curves), curves)
    assert fc.loss(curves, codes).item() == pytest.approx(0.0, abs=1e-20)
    whitening = torch.diag(torch.tensor([2.0, 3.0, 4.0])).expand(2, 3, 3)
    conditioned = ConditionedConvolutionEncoder(whitening)
    with torch.no_grad():
        conditioned.weight.copy_(torch.tensor([0.5, -2 / 3, 0.25]))
    torch.testing.assert_close(conditioned.filter, torch.tensor([[1.0, -2.0, 1.0]] * 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="whitening must have shape"):
        ConditionedConvolutionEncoder(torch.eye(3))


def test_stacked_mlp_equals_its_networks_one_at_a_time() -> None:
    sizes, inputs = [7, 11, 5, 3], torch.randn(2, 4, 7, generator=generator(11))
    stacked = StackedMLP(sizes, [generator(12), generator(13)])
    for copy, seed in enumerate((12, 13)):
        alone = StackedMLP(sizes, [generator(seed)])
        for mine, its in zip(alone.weights, stacked.weights, strict=True):
            torch.testing.assert_close(mine[0], its[copy])
        hidden = inputs[copy]
        for i, weight in enumerate(alone.weights):
            hidden = hidden @ weight[0]
            hidden = torch.relu(hidden) if i < 2 else hidden
        torch.testing.assert_close(stacked(inputs)[copy], hidden)
    weight = stacked.weights[0]
    assert weight.abs().max() <= 2 / 7**0.5 and abs(weight.std().item() - 0.88 / 7**0.5) < 0.1
    autoencoder = CurveAutoEncoder(12, 3, [generator(14)])
    assert autoencoder.decode(torch.zeros(1, 5, 12)).shape == (1, 5, 12)
    with pytest.raises(ValueError, match="one generator per copy"):
        StackedMLP(sizes, [])


def test_error_helpers() -> None:
    target = torch.tensor([[[1.0, 2.0], [0.0, 2.0]]])
    assert relative_error(torch.zeros_like(target), target).item() == pytest.approx(1.0)
    assert KINK_RADII == (2.0, 8.0)
    length, theta = 20, torch.tensor([[1.0], [15.0]])  # one kink per curve
    near = near_kinks(theta, length, start=1)  # curve entry i is x = i + 1
    assert near.shape == (2, 2, length)
    assert near[0, 0].nonzero().flatten().tolist() == [0, 1, 2]  # x = 1, 2, 3 lie within 2 of θ = 1
    assert near[1, 1].nonzero().flatten().tolist() == list(range(6, 20))  # x = 7 … 20 lie within 8 of θ = 15
    assert near_kinks(theta, length, start=0)[0, 0].nonzero().flatten().tolist() == [0, 1, 2, 3]  # θ = 0 … 3
    prediction = torch.ones(3, 2, length)  # 3 copies, the same error everywhere: ratio 1
    torch.testing.assert_close(kink_error_ratio(prediction, torch.zeros(2, length), near), torch.ones(3, 2))
    prediction[:, 0, :3] = 3.0  # error 9 at curve 0's kink, 1 elsewhere
    ratio = kink_error_ratio(prediction, torch.zeros(2, length), near)
    # radius 2: near are curve 0's x = 1, 2, 3 (error 9) and curve 1's x = 13 … 17 (error 1): mean 32 / 8 = 4;
    # radius 8: curve 0's x = 1 … 9 and curve 1's x = 7 … 20, mean (27 + 6 + 14) / 23; elsewhere the error is 1
    torch.testing.assert_close(ratio, torch.tensor([4.0, 47 / 23]).expand(3, 2))
    steps, values = np.array([0, 10, 20, 30, 60]), np.array([[1.0], [100.0], [1.0], [1.0], [5.0]])
    np.testing.assert_array_equal(rolling_median(steps, values, 25)[:, 0], [1.0, 50.5, 1.0, 1.0, 5.0])
    with pytest.raises(ValueError, match="values must hold one row per step"):
        rolling_median(steps[1:], values, 25)


def test_run_conditioning_shapes_determinism_and_claims() -> None:
    results = run_conditioning(TINY, seed=3, device="cpu")
    assert results["steps"].tolist() == [0, 10, 20, 30] and results["autoencoder_steps"].tolist() == [0, 10, 20]
    assert results["encoding_error"].shape == (4, 3, 2) and results["autoencoder_error"].shape == (3, 2)
    assert results["shown_encoding"].shape == (2, 3, 2, 12) and results["autoencoder_shown_decoded"].shape == (2, 2, 12)
    radii = len(KINK_RADII)
    assert results["encoding_kink_ratio"].shape == results["decoded_kink_ratio"].shape == (4, 3, 2, radii)
    assert results["autoencoder_kink_ratio"].shape == (3, 2, radii)
    assert np.all(results["encoding_kink_ratio"][1:, :2, :, 0] > 1)  # p is zero away from its kinks
    assert np.isnan(results["decoded_kink_ratio"][..., 1]).all()  # at n = 12 no entry lies 8 points from every kink
    np.testing.assert_allclose(results["encoding_error"][0], 1.0)  # zero initialisation predicts zero
    assert filter_distance(results)[-1, 1].max() < 1e-3  # the conditioned filter is exact within 30 SGD steps
    assert value_at(results, "autoencoder_error", 20).shape == (2,)
    with pytest.raises(ValueError, match="step must be an evaluation step"):
        value_at(results, "encoding_error", 15)
    again = run_conditioning(TINY, seed=3, device="cpu")
    for name in ("encoding_error", "decoded_error", "autoencoder_error", "filters"):
        np.testing.assert_array_equal(results[name], again[name])
    assert results.provenance["scale"] == "custom"


def test_paper_settings_follow_the_spec() -> None:
    paper = ConditioningSettings.paper()
    assert (paper.length, paper.kinks, paper.distribution, paper.train_curves, paper.validation_curves) == (
        100,
        3,
        "paper",
        10_000,
        1_000,
    )
    assert paper.snapshots == paper.autoencoder_snapshots == (500, 10_000, 50_000)
    assert (paper.fully_connected_lr, paper.convolution_lr, paper.autoencoder_lr, paper.batch_size) == (
        1e-4,
        0.05,
        1e-3,
        100,
    )
    quick = ConditioningSettings.quick()
    assert len(quick.snapshots) == len(quick.autoencoder_snapshots) == 3 and quick.length == 100


def test_plots_and_command_line(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: TINY)
    assert main(["run", "conditioning", "--device", "cpu", "--out", str(tmp_path)]) == 0
    assert "auto-encoder" in capsys.readouterr().out
    results = Results.load(tmp_path / "conditioning-custom.npz")
    fig, axes = plt.subplots(4, 2)
    plot_figure6(axes, results)
    assert len(axes[0, 0].get_lines()) == 4
    with pytest.raises(ValueError, match="axes must be 4 × 2"):
        plot_figure6(axes[:3], results)
    mismatched = Results(
        results.experiment, results.settings | {"autoencoder_snapshots": [10]}, results.arrays, results.provenance
    )
    with pytest.raises(ValueError, match="as many autoencoder_snapshots as snapshots"):
        plot_figure6(axes, mismatched)
    fig2, (left, right, third) = plt.subplots(1, 3)
    plot_error_curves([left, right], results, span=20)
    assert len(left.get_lines()) == 9  # 3 learners × (2 replicates + 1 median)
    plot_against_size(third, [4, 8], {"x, $n^{{{exponent:.1f}}}$": [1.0, 8.0]}, "y")
    assert third.get_legend().get_texts()[0].get_text() == "x, $n^{3.0}$"
    fig3, ax = plt.subplots()
    plot_encodings(ax, results, curve=1)
    assert len(ax.get_lines()) == 4  # three learners and the zero line
    with pytest.raises(ValueError, match="curve must index a shown curve"):
        plot_encodings(ax, results, curve=2)
    plt.close(fig3)
    plt.close(fig)
    plt.close(fig2)


def test_scripts_encoding_moment_is_exact() -> None:
    length = 15
    moment = encoding_moment(length, 3, "scripts")
    codes = sample_encodings(400_000, length, 3, generator(40), "scripts").double()
    sampled = codes.T @ codes / len(codes)
    torch.testing.assert_close(moment, sampled, rtol=0, atol=0.02)
    changes = np.diff(np.array(SCRIPTS_SLOPES), axis=1, prepend=0.0)
    assert float(moment.trace()) == pytest.approx(float((changes**2).sum(axis=1).mean()))  # E‖p‖² = E Σ a²
    assert moment[:3].abs().max() == 0 and moment[-3:].abs().max() == 0  # kinks avoid the ends
    torch.testing.assert_close(encoding_moment(10, 2), kink_variance(10, 2) * torch.eye(10, dtype=torch.float64))
    with pytest.raises(ValueError, match="distribution must be one of"):
        encoding_moment(10, 3, "uniform")
    with pytest.raises(ValueError, match="kinks"):
        encoding_moment(10, 2, "scripts")
    with pytest.raises(ValueError, match="length"):
        scripts_encoding_moment(8)


@pytest.mark.parametrize("metric", ["encoding", "decoded"])
def test_scripts_regressions_against_sampled_and_literal(metric: str) -> None:
    size, rng = 11, generator(41)
    codes = sample_encodings(100_000, size, 3, rng, "scripts").double()
    curves = integrate_twice(codes)
    fc, conv = fully_connected_regression(size, 3, "scripts"), convolution_regression(size, 3, "scripts")
    assert fc.error_after(0, metric=metric) == pytest.approx(1.0) and conv.error(torch.zeros(3, 1)) == pytest.approx(1)
    torch.testing.assert_close(conv.optimum, torch.tensor([[1.0], [-2.0], [1.0]], dtype=torch.float64))
    taps = torch.tensor([0.5, -1.0, 0.4], dtype=torch.float64)
    predicted = apply_filter(curves, taps)
    target = codes
    if metric == "decoded":
        predicted, target = integrate_twice(predicted), curves
    assert conv.error(taps[:, None], metric) == pytest.approx(float(relative_error(predicted, target)), rel=0.03)
    for problem in (fc, conv):
        literal = problem.gradient_descent(200, metric=metric)
        np.testing.assert_allclose(literal, [problem.error_after(t, metric=metric) for t in range(201)], rtol=1e-7)


def test_descent_orders_and_prices_the_two_learners() -> None:
    problems = adam_learner_problems(30, 3)
    errors = encoding_errors(problems, [0, 10, 1000])
    assert errors.shape == (3, 2) and np.allclose(errors[0], 1.0) and np.all(np.diff(errors, axis=0) < 0)
    overtakes = overtaking_iteration(problems, 10, 10**7)
    fc, conv = encoding_errors(problems, [overtakes - 1, overtakes])
    assert conv[1] < conv[0] and fc[1] >= fc[0]
    with pytest.raises(ValueError, match="start must have"):
        overtaking_iteration(problems, 10**7 - 1, 10**7)
    with pytest.raises(ValueError, match="stop"):
        overtaking_iteration(problems, 10, 10)
    worth = equivalent_iterations(problems["convolution"], errors[1:, 1])
    np.testing.assert_array_equal(worth, [10, 1000])


def test_adam_encoding_errors_are_run_conditioning_s() -> None:
    steps, errors = adam_encoding_errors(TINY, seed=3, device="cpu")
    full = run_conditioning(TINY, seed=3, device="cpu")
    np.testing.assert_array_equal(steps, full["steps"])
    np.testing.assert_array_equal(errors, full["encoding_error"][:, :2])
    _, scripts = adam_encoding_errors(replace(TINY, distribution="scripts"), seed=3, device="cpu")
    assert scripts.shape == (4, 2, 2) and not np.array_equal(scripts, errors)
    fig, ax = plt.subplots()
    gd = encoding_errors(adam_learner_problems(12, 3), [1, 10, 30])
    plot_adam_against_gd(ax, steps, errors, np.array([1, 10, 30]), gd, 20, "paper curves")
    assert len(ax.lines) == 2 * (2 + 1 + 1)  # per learner: 2 replicates' evaluations, the median, gradient descent
    with pytest.raises(ValueError, match="adam and gd must hold"):
        plot_adam_against_gd(ax, steps, full["encoding_error"], np.array([1, 10, 30]), gd, 20, "x")
    plt.close(fig)
