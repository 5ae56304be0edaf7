"""Unit tests of the §2.2 (Theorem 2) helpers: quadrature, the exact gradient signal, its laws, Monte Carlo over x,
training on linear-periodic targets and the experiment's results file."""

from __future__ import annotations

import math
from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gradfail.cli import main
from gradfail.gradients import per_example_gradients
from gradfail.layers import seeded_mlp
from gradfail.periodic.alignment import best_alignment, initial_best_alignment, median_best_alignment
from gradfail.periodic.experiment import run_periodic, tied_fit, variance_network
from gradfail.periodic.fits import first_below, fit_line
from gradfail.periodic.laws import (
    aligned_unit_law,
    crossover_law,
    dawson_profile,
    law_windows,
    typical_unit_law,
)
from gradfail.periodic.monte_carlo import monte_carlo_measurement, per_input_gradient_norms, weighted_gradient_sum
from gradfail.periodic.outcome_claims import (
    escape_steps,
    fitted_threshold,
    initial_factor,
    noise_level,
    repeat_outcomes,
    transition_numbers,
)
from gradfail.periodic.plots import (
    plot_dimension_sweep,
    plot_floor,
    plot_initial_alignment,
    plot_initial_factors,
    plot_monte_carlo,
    plot_optimisers,
    plot_radius_sweep,
    plot_repeats,
    plot_tied_sweep,
    plot_training,
)
from gradfail.periodic.quadrature import (
    alignment_rule,
    alignment_tail,
    gauss_legendre,
    gaussian_density,
    gaussian_tail,
    half_line_moments,
    nodes_for_frequency,
)
from gradfail.periodic.settings import PeriodicSettings
from gradfail.periodic.signal import (
    AlignmentProfile,
    HiddenUnits,
    exact_variance,
    gradient_norm_squared,
    half_variance_alignment,
    sampled_variance,
    target_gradient,
    variance_profile,
)
from gradfail.periodic.target import cosine_target, sample_directions, trivial_mse
from gradfail.periodic.training import PeriodicGroup, tied_radius, top_curvature
from gradfail.results import Results
from gradfail.seeding import generator

TINY = PeriodicSettings(
    radius_dims=(6,),
    radii=(0.5, 1.0, 2.0, 3.0, 4.0),
    dimension_radii=(1.0,),
    dims=(4, 8, 16),
    tied_dims=(2, 4, 8),
    monte_carlo_radii=(1.0, 2.0),
    monte_carlo_directions=3,
    monte_carlo_samples=4096,
    train_dims=(1, 3),
    replicates=2,
    train_width=16,
    iterations=30,
    batch_size=32,
    eval_every=10,
    test_samples=256,
)


def small_network(dim: int = 5, width: int = 4, seed: int = 0) -> torch.nn.Sequential:
    return seeded_mlp([dim, width, 1], generator(seed)).double()


def test_gauss_legendre_integrates_polynomials_and_checks_its_nodes() -> None:
    points, weights = gauss_legendre(64, -1.0, 2.0)
    assert points.shape == weights.shape == (64,)
    assert torch.isclose((weights * points**5).sum(), torch.tensor((2.0**6 - 1) / 6, dtype=torch.float64))
    with pytest.raises(ValueError, match="nodes must be a multiple of 32"):
        gauss_legendre(40, 0.0, 1.0)
    with pytest.raises(ValueError, match="nodes must be >= 32"):
        gauss_legendre(16, 0.0, 1.0)


def test_half_line_moments_match_closed_forms() -> None:
    alpha = torch.linspace(0, 12, 13, dtype=torch.float64)
    t = torch.linspace(-1.5, 1.5, 13, dtype=torch.float64)
    m = half_line_moments(alpha, t)
    # α = 0: Gaussian tail moments; t = 0: E[cos(αz) 1{z > 0}] = e^(−α²/2)/2 (cos is even)
    torch.testing.assert_close(m.cos[0], gaussian_tail(t[0]), rtol=0, atol=1e-15)
    torch.testing.assert_close(m.z_cos[0], gaussian_density(t[0]), rtol=0, atol=1e-15)
    centred = half_line_moments(alpha, torch.zeros_like(alpha)).cos
    torch.testing.assert_close(centred, torch.exp(-(alpha**2) / 2) / 2, rtol=0, atol=1e-15)
    # integration by parts: E[z e^{iαz} 1{z > t}] = φ(t) e^{iαt} + iα E[e^{iαz} 1{z > t}]
    torch.testing.assert_close(m.z_cos, gaussian_density(t) * torch.cos(alpha * t) - alpha * m.sin, rtol=0, atol=1e-14)
    torch.testing.assert_close(m.z_sin, gaussian_density(t) * torch.sin(alpha * t) + alpha * m.cos, rtol=0, atol=1e-14)


def test_half_line_moments_converge_up_to_high_frequencies() -> None:
    alpha = torch.linspace(0, 40, 41, dtype=torch.float64)
    t = torch.linspace(-2, 2, 41, dtype=torch.float64)
    default, doubled = half_line_moments(alpha, t), half_line_moments(alpha, t, nodes=2 * nodes_for_frequency(40))
    assert max((a - b).abs().max().item() for a, b in zip(default, doubled, strict=True)) < 1e-14


def test_alignment_rule_is_the_law_of_one_coordinate_of_a_random_unit_vector() -> None:
    for d in (2, 3, 7, 100):
        rule = alignment_rule(d)
        weight = torch.exp(rule.log_weight)
        assert abs(weight.sum().item() - 1) < 1e-12
        assert abs((weight * rule.alignment**2).sum().item() - 1 / d) < 1e-12  # E[ρ²] = 1/d
    samples = sample_directions(200_000, 7, 1.0, generator(0))[:, 0] ** 2
    assert abs(alignment_tail(7, 0.3) - (samples >= 0.3).double().mean().item()) < 0.003
    with pytest.raises(ValueError, match="dim must be >= 2"):
        alignment_rule(1)
    with pytest.raises(ValueError, match="alignment_squared must be in"):
        alignment_tail(5, 1.0)


def test_targets_and_trivial_error() -> None:
    v = sample_directions(5, 3, 2.5, generator(1))
    assert v.shape == (5, 3) and torch.allclose(v.norm(dim=1), torch.full((5,), 2.5, dtype=torch.float64))
    assert torch.equal(v, sample_directions(5, 3, 2.5, generator(1)))
    x = torch.randn(400_000, 3, generator=generator(2), dtype=torch.float64)
    y = cosine_target(x, v[0])
    assert abs(y.mean().item() - math.exp(-(2.5**2) / 2)) < 0.005  # E[cos(vᵀx)] = e^(−r²/2)
    assert abs(y.var().item() - trivial_mse(2.5)) < 0.005
    with pytest.raises(ValueError, match="radius must be a positive finite number"):
        sample_directions(2, 3, 0.0, generator(0))
    with pytest.raises(ValueError, match="dim must be >= 1"):
        sample_directions(2, 0, 1.0, generator(0))
    with pytest.raises(ValueError, match="inputs and directions must share the last axis"):
        cosine_target(x, torch.ones(4))


def test_hidden_units_and_input_checks() -> None:
    network = small_network()
    units = HiddenUnits.of(network)
    assert units.dim == 5 and units.width == 4 and units.directions.shape == (4, 5)
    torch.testing.assert_close(units.directions.norm(dim=1), torch.ones(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="network must be Sequential"):
        HiddenUnits.of(seeded_mlp([5, 4, 2], generator(0)))
    with pytest.raises(ValueError, match="radius must be a positive finite number"):
        exact_variance(units, -1.0)
    with pytest.raises(ValueError, match="directions must have shape"):
        target_gradient(units, torch.ones(2, 4))
    with pytest.raises(ValueError, match="width must be >= 1"):
        median_best_alignment(4, 0)
    with pytest.raises(ValueError, match="dim must be >= 2"):
        variance_network(0, 8, 0, seed=0)
    with pytest.raises(ValueError, match="width must be >= 1"):
        variance_network(16, 0, 0, seed=0)
    with pytest.raises(ValueError, match="dim must be >= 1"):
        initial_best_alignment(0, 8, 4, generator(0))
    with pytest.raises(ValueError, match="width must be >= 1"):
        initial_best_alignment(16, 0, 4, generator(0))
    for law in (exact_variance, crossover_law, typical_unit_law, aligned_unit_law):
        for radius in (0.0, -1.0):
            with pytest.raises(ValueError, match="radius must be a positive finite number"):
                law(units, radius)


def test_exact_gradient_signal_matches_autograd_monte_carlo() -> None:
    network = small_network()
    units = HiddenUnits.of(network)
    inputs = torch.randn(100_000, 5, generator=generator(3), dtype=torch.float64)
    gradients = per_example_gradients(network, inputs)
    norms = gradients.pow(2).sum(dim=1)
    assert abs(norms.mean().item() - gradient_norm_squared(units)) < 4 * norms.std().item() / math.sqrt(len(inputs))
    targets = sample_directions(2, 5, 1.3, generator(4))
    per_input = torch.cos(inputs @ targets.T).T.unsqueeze(2) * gradients
    errors = (per_input.mean(dim=1) - target_gradient(units, targets)) / (per_input.std(dim=1) / math.sqrt(len(inputs)))
    assert errors.abs().max() < 4.5


def test_exact_variance_matches_sampled_targets_and_is_converged() -> None:
    units = HiddenUnits.of(small_network(dim=6, width=5))
    for r in (0.7, 1.5):
        exact = exact_variance(units, r)
        finer = exact_variance(units, r, alignment_nodes=1024, half_line_nodes=256)
        assert abs(finer / exact - 1) < 1e-12
        estimate, error = sampled_variance(units, r, 8192, generator(5))
        assert abs(estimate - exact) < 4 * error


def test_half_variance_alignment_on_a_synthetic_profile() -> None:
    alignment = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
    probability = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64)
    # the most aligned node carries half of the total: the band starts there
    band, p = half_variance_alignment(AlignmentProfile(alignment, probability, torch.tensor([1.0, 1.0, 2.0])))
    assert band == pytest.approx(0.81) and p == pytest.approx(0.2)
    # it carries less than half: the band reaches down to the next node, and its probability adds up
    band, p = half_variance_alignment(AlignmentProfile(alignment, probability, torch.tensor([3.0, 2.0, 1.0])))
    assert band == pytest.approx(0.25) and p == pytest.approx(0.5)
    # a real profile: the band is more aligned at high frequency, where aligned targets carry the variance
    units = variance_network(16, 8, 0, seed=0)
    low, high = (half_variance_alignment(variance_profile(units, r)) for r in (1.0, 6.0))
    assert low[0] < 0.5 < high[0] and high[1] < 1e-3 < low[1]


def test_sampled_variance_is_deterministic() -> None:
    units = HiddenUnits.of(small_network())
    assert sampled_variance(units, 1.0, 64, generator(7)) == sampled_variance(units, 1.0, 64, generator(7))
    with pytest.raises(ValueError, match="count must be >= 2"):
        sampled_variance(units, 1.0, 1, generator(7))


def test_laws_agree_with_the_exact_variance_in_their_regimes() -> None:
    wide = variance_network(256, 8, 0, seed=0)
    for r in (1.0, 2.0, 4.0):
        assert 0.7 < typical_unit_law(wide, r) / exact_variance(wide, r) < 1.4
    narrow = variance_network(16, 8, 0, seed=0)
    for r in (8.0, 12.0):
        assert 0.5 < aligned_unit_law(narrow, r) / exact_variance(narrow, r) < 2
    assert math.isnan(typical_unit_law(narrow, 3.0)) and math.isnan(aligned_unit_law(narrow, 2.0))
    typical, aligned = law_windows(16, np.array([0.5, 1.0, 2.0, 7.9, 8.0]))
    assert typical.tolist() == [True, True, False, False, False] and aligned.tolist() == [False] * 4 + [True]


def test_dawson_profile_matches_dawsons_integral_and_its_limits() -> None:
    # D(α) = √2 F(α/√2), with Dawson's integral F(1) = 0.5380795069127684
    value = dawson_profile(torch.tensor([math.sqrt(2)], dtype=torch.float64)).item()
    assert abs(value - math.sqrt(2) * 0.5380795069127684) < 1e-14
    small, large = torch.tensor([1e-3], dtype=torch.float64), torch.tensor([60.0], dtype=torch.float64)
    assert abs(dawson_profile(small).item() / 1e-3 - 1) < 1e-6 and abs(dawson_profile(large).item() * 60 - 1) < 1e-3


def test_crossover_law_holds_across_the_crossover_and_meets_both_limits() -> None:
    for d in (16, 32, 256):
        units = variance_network(d, 8, 0, seed=0)
        ratios = [crossover_law(units, r) / exact_variance(units, r) for r in (0.5, 1.5, 2.5, 3.0, 4.0, 6.0, 10.0)]
        assert all(0.5 < ratio < 2 for ratio in ratios), (d, ratios)
    wide = variance_network(1024, 8, 0, seed=0)
    assert abs(crossover_law(wide, 1.0) / typical_unit_law(wide, 1.0) - 1) < 0.01
    narrow = variance_network(16, 8, 0, seed=0)
    # the aligned-unit law is the r → ∞ limit: the ratio creeps towards 1
    ratios = [aligned_unit_law(narrow, r) / crossover_law(narrow, r) for r in (10.0, 20.0, 40.0)]
    assert ratios[0] < ratios[1] < ratios[2] < 1.05 and ratios[2] > 0.9, ratios


def test_monte_carlo_helpers_match_per_example_gradients() -> None:
    network = small_network()
    units = HiddenUnits.of(network)
    inputs = torch.randn(300, 5, generator=generator(8), dtype=torch.float64)
    weights = torch.randn(300, 3, generator=generator(9), dtype=torch.float64)
    gradients = per_example_gradients(network, inputs)
    torch.testing.assert_close(weighted_gradient_sum(units, inputs, weights), weights.T @ gradients)
    torch.testing.assert_close(per_input_gradient_norms(units, inputs), gradients.pow(2).sum(dim=1))


def test_monte_carlo_measurement_noise_follows_one_over_n() -> None:
    units = HiddenUnits.of(small_network())
    directions = sample_directions(4, 5, 1.0, generator(10))
    radii = torch.tensor([1.0, 3.0])
    measured = monte_carlo_measurement(units, directions, radii, 1 << 14, 64, generator(11))
    assert all(v.shape == (2,) for v in measured)
    floor = measured.noise_per_sample / (1 << 14)
    assert torch.all((measured.noise_full / floor - 1).abs() < 0.5)
    again = monte_carlo_measurement(units, directions, radii, 1 << 14, 64, generator(11))
    assert all(torch.equal(a, b) for a, b in zip(measured, again, strict=True))
    with pytest.raises(ValueError, match="unit_directions must hold at least two rows"):
        monte_carlo_measurement(units, directions[:1], radii, 128, 64, generator(0))


def test_alignment_helpers() -> None:
    weights = torch.eye(3).unsqueeze(0)  # units along the axes
    target = torch.tensor([[3.0, 4.0, 0.0]])
    torch.testing.assert_close(best_alignment(weights, target), torch.tensor([16 / 25]))
    measured = initial_best_alignment(8, 50, 64, generator(12))
    assert measured.shape == (64,) and abs(measured.median().item() - median_best_alignment(8, 50)) < 0.06
    assert median_best_alignment(8, 1000) > median_best_alignment(8, 10) > 1 / 8


def test_fit_line() -> None:
    fit = fit_line(np.arange(5.0), 3 - 2 * np.arange(5.0))
    assert abs(fit.slope + 2) < 1e-12 and abs(fit.intercept - 3) < 1e-12 and abs(fit.r_squared - 1) < 1e-12
    with pytest.raises(ValueError, match="length >= 3"):
        fit_line(np.arange(2.0), np.arange(2.0))


def test_first_below_interpolates_exponentials_exactly_and_refuses_no_crossing() -> None:
    x = np.arange(6.0)
    assert first_below(x, np.exp(-x), math.exp(-2.5)) == pytest.approx(2.5, abs=1e-12)
    assert first_below(x, np.array([5.0, 4.0, 1.0, 0.5, 2.0, 0.1]), 1.5) == pytest.approx(
        1 + math.log(4 / 1.5) / math.log(4)
    )
    with pytest.raises(ValueError, match="fall below it"):
        first_below(x, np.exp(-x), 1e-9)  # never below
    with pytest.raises(ValueError, match="fall below it"):
        first_below(x, np.exp(-x), 2.0)  # below from the first point on
    with pytest.raises(ValueError, match="level must be a positive finite number"):
        first_below(x, np.exp(-x), 0.0)


def test_settings_reject_bad_input() -> None:
    assert PeriodicSettings.quick() != PeriodicSettings.paper()
    with pytest.raises(ValueError, match="variance_width must be >= 1"):
        PeriodicSettings(variance_width=0)
    with pytest.raises(ValueError, match=r"radii\[0\] must be a positive finite number"):
        PeriodicSettings(radii=(0.0, 1.0))
    with pytest.raises(ValueError, match="radii must be strictly increasing"):
        PeriodicSettings(radii=(2.0, 1.0))
    with pytest.raises(ValueError, match=r"dims\[0\] must be >= 2"):
        PeriodicSettings(dims=(1, 4))
    with pytest.raises(ValueError, match=r"train_dims\[0\] must be >= 1"):
        PeriodicSettings(train_dims=(0,))
    with pytest.raises(ValueError, match="monte_carlo_directions must be >= 2"):
        PeriodicSettings(monte_carlo_directions=1)
    with pytest.raises(ValueError, match="monte_carlo_samples must be a multiple of batch_size"):
        PeriodicSettings(monte_carlo_samples=1000)
    with pytest.raises(ValueError, match="repeat_dim must be 0 or one of train_dims"):
        PeriodicSettings(repeat_dim=5, repeat_streams=1)
    with pytest.raises(ValueError, match="both be 0 or both be positive"):
        PeriodicSettings(repeat_dim=8)
    with pytest.raises(ValueError, match=r"sgd_dims\[0\] must be >= 1"):
        PeriodicSettings(sgd_dims=(0,))
    with pytest.raises(ValueError, match="sgd_learning_rate must be a positive"):
        PeriodicSettings(sgd_learning_rate=0.0)
    with pytest.raises(ValueError, match="dim must be >= 1"):
        tied_radius(0)


def test_training_group_shapes_and_determinism() -> None:
    group = PeriodicGroup(3, TINY, seed=0, device=torch.device("cpu"))
    assert group.directions.shape == (2, 3) and torch.allclose(group.directions.norm(dim=1), torch.full((2,), 3**0.5))
    evaluation = group.evaluate()
    assert evaluation.shape == (2, 2) and torch.all(evaluation[1] <= 1)
    assert group.training_loss().shape == ()
    again = PeriodicGroup(3, TINY, seed=0, device=torch.device("cpu"))
    assert torch.equal(again.evaluate(), evaluation)


def test_repeats_and_the_sgd_control_train_the_same_networks_on_their_own() -> None:
    settings = replace(TINY, repeat_dim=3, repeat_streams=2, sgd_dims=(3,))
    results, plain = run_periodic(settings, seed=0, device="cpu"), run_periodic(TINY, seed=0, device="cpu")
    np.testing.assert_array_equal(results["relative_error"], plain["relative_error"])  # the main runs are unchanged
    assert results["repeat_relative_error"].shape == (4, 4) and list(results["repeat_streams"]) == [1, 1, 2, 2]
    assert results["sgd_relative_error"].shape == (4, 2) and list(results["sgd_train_dims"]) == [3, 3]
    at_3 = results["train_dims"] == 3  # same networks and targets: the same alignment before training
    np.testing.assert_array_equal(results["repeat_best_alignment"][0], np.tile(results["best_alignment"][0, at_3], 2))
    np.testing.assert_array_equal(results["sgd_best_alignment"][0], results["best_alignment"][0, at_3])
    assert not np.array_equal(results["repeat_relative_error"][-1, :2], results["relative_error"][-1, at_3])
    assert repeat_outcomes(results).shape == (2, 3)  # (pairs, streams), the main run first
    expected = np.exp(-results["train_dims"] * (1 - results["best_alignment"][0]) / 2)
    np.testing.assert_allclose(initial_factor(results), expected)
    assert noise_level(results) == pytest.approx(1 / math.sqrt(TINY.batch_size * TINY.iterations))
    with pytest.raises(ValueError, match="stream must be >= 0"):
        PeriodicGroup(3, TINY, seed=0, device=torch.device("cpu"), stream=-1)
    fig, axes = plt.subplots(1, 3)
    learned = np.array([True, True, False, False])
    plot_initial_factors(axes[0], [(results["train_dims"], initial_factor(results), learned)], {"noise": 1e-2})
    plot_repeats(axes[1], results)
    plot_optimisers(axes[2], results)
    plt.close(fig)


def test_top_curvature_is_the_largest_eigenvalue_of_the_gradient_second_moment() -> None:
    network = seeded_mlp([4, 8, 1], generator(0))
    inputs = torch.randn(300, 4, generator=generator(1))
    gradients = per_example_gradients(network, inputs)
    expected = torch.linalg.eigvalsh(gradients.T @ gradients / 300).max().item()
    assert top_curvature(network, 300, generator(1)) == pytest.approx(expected, rel=1e-4)
    with pytest.raises(ValueError, match="samples must be >= 2"):
        top_curvature(network, 1, generator(1))


def test_fitted_threshold_and_escape_steps() -> None:
    assert fitted_threshold(np.array([1e-2, 1e-4]), np.array([True, False])) == pytest.approx(1e-3)
    assert math.isnan(fitted_threshold(np.array([1e-2, 1e-1]), np.array([True, False])))
    alignment = np.array([[0.2, 0.2], [0.95, 0.3], [1.0, 0.5]])
    np.testing.assert_array_equal(escape_steps(np.array([0, 100, 200]), alignment), [100, np.nan])
    table = [(np.array([20, 20, 24]), np.array([1e-2, 1e-3, 1e-4]), np.array([False, True, False]))]
    numbers = transition_numbers(table, {20: 0.5, 24: 0.5})  # the band at d = 20 starts at factor e^(−5) ≈ 6.7e-3
    assert numbers["in_band_d20"] == 1 and numbers["in_band_learned_d20"] == 0 and numbers["learned_d20"] == 1
    assert numbers["runs_d24"] == 1 and numbers["gap_low"] == 1e-2 and numbers["gap_high"] == 1e-3


def test_run_periodic_without_training_measures_the_same_variances() -> None:
    whole = run_periodic(TINY, seed=0, device="cpu")
    variances = run_periodic(TINY, seed=0, device="cpu", training=False)
    assert "relative_error" not in variances.arrays and "train_dims" not in variances.arrays
    assert set(variances.arrays) < set(whole.arrays)
    for name, array in variances.arrays.items():
        np.testing.assert_array_equal(array, whole[name], err_msg=name)


def test_run_periodic_is_deterministic_and_plots(tmp_path) -> None:
    results = run_periodic(TINY, seed=0, device="cpu")
    assert results["radius_variance"].shape == results["radius_crossover_law"].shape == (1, 1, 5)
    assert results["dimension_variance"].shape == (1, 1, 3) and results["tied_variance"].shape == (1, 3)
    assert results["relative_error"].shape == (4, 4) and results["best_alignment"].shape == (4, 4)
    assert list(results["train_dims"]) == [1, 1, 3, 3]
    assert np.all(results["best_alignment"][:, :2] > 0.999)  # in one dimension every unit is aligned
    again = run_periodic(TINY, seed=0, device="cpu")
    for name, array in results.arrays.items():
        np.testing.assert_array_equal(array, again[name], err_msg=name)
    loaded = Results.load(results.save(tmp_path / "periodic.npz"))
    fig, axes = plt.subplots(2, 4)
    plot_radius_sweep(axes[0, 0], loaded, 0, "C0")
    plot_monte_carlo(axes[0, 0], loaded, (TINY.monte_carlo_samples, TINY.batch_size))
    plot_floor(axes[0, 0], 1e-10, "floor")
    plot_dimension_sweep(axes[0, 1], loaded)
    plot_tied_sweep(axes[0, 2], loaded, 1.0, 0.0)
    plot_training(axes[0, 3], loaded, "relative_error")
    plot_training(axes[1, 0], loaded, "best_alignment")
    plot_initial_alignment(axes[1, 1], [2, 4], [8], np.ones((1, 2)), np.ones((1, 2)), [0.5, 0.5])
    with pytest.raises(ValueError, match="quantity must be"):
        plot_training(axes[1, 2], loaded, "loss")
    with pytest.raises(ValueError, match="index must be <= 0"):
        plot_radius_sweep(axes[1, 2], loaded, 1, "C0")
    plt.close(fig)


def test_command_line_runs_periodic(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: TINY)
    assert main(["run", "periodic", "--device", "cpu", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "relative test error" in out and "falls like exp(-" in out
    results = Results.load(tmp_path / "periodic-custom.npz")
    assert tied_fit(results).slope < 0
