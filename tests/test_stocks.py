"""Unit tests of the §3.2–3.3 helpers: the stocks problem, both estimators, their moments, Figure 4's runs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gradfail.cli import main
from gradfail.results import Results
from gradfail.seeding import generator
from gradfail.stocks.analysis import (
    all_returns,
    enumerated_moments,
    estimator_second_moments,
    expected_estimator,
    initial_logits,
    return_probabilities,
    sampled_second_moments,
    second_moment_sweep,
    true_gradient,
    weight_variances,
)
from gradfail.stocks.claims import iterations_to_solve
from gradfail.stocks.estimator_checks import measure_estimators, predicted_variance_ratio
from gradfail.stocks.experiment import first_step_below, run_stocks
from gradfail.stocks.plots import plot_second_moment_ratio, plot_stocks_losses
from gradfail.stocks.problem import (
    ESTIMATORS,
    SoftmaxAllocators,
    estimator_loss,
    primary_loss,
    random_labels,
    sample_returns,
)
from gradfail.stocks.settings import StocksSettings

TINY = StocksSettings(input_dim=12, stocks=(3, 5), replicates=2, iterations=40, batch_size=8, eval_every=20)


def random_model(input_dim: int, stocks: int, seed: int) -> SoftmaxAllocators:
    model = SoftmaxAllocators(1, input_dim, stocks)
    with torch.no_grad():
        model.weight.normal_(generator=generator(seed))
        model.bias.normal_(generator=generator(seed + 1))
    return model


def test_labels_and_returns() -> None:
    labels = random_labels(50, 7, generator(0))
    assert labels.shape == (50,) and labels.min() >= 0 and labels.max() < 7
    assert torch.equal(labels, random_labels(50, 7, generator(0)))
    returns = sample_returns(labels, 7, generator(1))
    assert returns.shape == (50, 7) and torch.all(returns[torch.arange(50), labels] == 1)
    assert set(returns.unique().tolist()) == {-1.0, 1.0}
    with pytest.raises(ValueError, match="stocks must be >= 2"):
        random_labels(5, 1, generator(0))
    with pytest.raises(ValueError, match="best must hold stock indices in \\[0, 7\\)"):
        sample_returns(torch.tensor([7]), 7, generator(0))
    with pytest.raises(ValueError, match="input_dim must be >= 1"):
        SoftmaxAllocators(1, 0, 5)


def test_returns_are_fair_coins_off_the_best_stock() -> None:
    best = torch.full((20_000,), 2)
    returns = sample_returns(best, 5, generator(4))
    expected_mean = torch.tensor([0.0, 0, 1, 0, 0])
    torch.testing.assert_close(returns.mean(dim=0), expected_mean, atol=0.03, rtol=0)
    torch.testing.assert_close(returns.T @ returns / len(best), torch.eye(5), atol=0.03, rtol=0)  # E[z zᵀ | x] = I


def test_all_returns_enumerates_the_support() -> None:
    z = all_returns(best=1, stocks=4)
    assert z.shape == (8, 4) and torch.all(z[:, 1] == 1) and len({tuple(r.tolist()) for r in z}) == 8
    with pytest.raises(ValueError, match="best must be <= 3"):
        all_returns(best=4, stocks=4)


def test_model_is_a_softmax_of_a_linear_layer() -> None:
    model = random_model(6, 4, seed=0)
    inputs = torch.tensor([[0, 3, 5]])
    dense = torch.softmax(torch.eye(6)[inputs[0]] @ model.weight[0] + model.bias[0], dim=-1)
    torch.testing.assert_close(model(inputs)[0], dense)
    torch.testing.assert_close(SoftmaxAllocators(2, 6, 4)(inputs.repeat(2, 1)), torch.full((2, 3, 4), 0.25))


def test_estimator_losses() -> None:
    allocations = torch.tensor([[[0.5, 0.25, 0.25]]])
    best = torch.tensor([[0]])
    returns = torch.tensor([[[1.0, -1.0, 1.0]]])
    assert estimator_loss("end-to-end", allocations, best, returns).item() == pytest.approx(-0.5)
    assert estimator_loss("decomposition", allocations, best, None).item() == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="estimator must be one of 'end-to-end', 'decomposition'"):
        estimator_loss("both", allocations, best, returns)
    with pytest.raises(ValueError, match="returns must be given"):
        estimator_loss("end-to-end", allocations, best, None)


def test_primary_loss_is_the_average_over_every_return() -> None:
    model = random_model(5, 4, seed=2)
    labels = random_labels(5, 4, generator(3))
    enumerated = torch.stack(
        [-(all_returns(int(y), 4) @ model(torch.tensor([[i]]))[0, 0]).mean() for i, y in enumerate(labels)]
    ).mean()
    torch.testing.assert_close(primary_loss(model.logits(), labels)[0], enumerated)


def test_biased_returns_shrink_the_gradient() -> None:
    model = random_model(5, 4, seed=9).double()
    labels = random_labels(5, 4, generator(10))
    z = all_returns(best=2, stocks=4)
    probabilities = return_probabilities(z, 2, 0.6)
    assert probabilities.sum().item() == pytest.approx(1.0) and probabilities.max().item() == pytest.approx(0.6**3)
    shrunk = expected_estimator(model, labels, "end-to-end", up=0.6)  # E[z] = e_y + 0.2 (1 − e_y): ∇(0.8 L)
    torch.testing.assert_close(shrunk, 0.8 * true_gradient(model, labels), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="up must be a probability"):
        return_probabilities(z, 2, 1.0)


def test_variances_differ_by_the_second_moments_and_match_the_uniform_ratio() -> None:
    model = random_model(4, 3, seed=11).double()
    labels = random_labels(4, 3, generator(12))
    (m_e2e, v_e2e), (m_dec, v_dec) = (enumerated_moments(model, labels, e) for e in ESTIMATORS)
    assert v_e2e - v_dec == pytest.approx(m_e2e - m_dec, rel=1e-12) and v_dec < m_dec
    closed = estimator_second_moments(model.logits()[0].detach(), labels)
    assert (m_e2e, m_dec) == pytest.approx((closed.end_to_end, closed.decomposition), rel=1e-12)
    d, k = 30, 7
    variances = weight_variances(torch.zeros(d, k), random_labels(d, k, generator(13)))
    assert variances.ratio == pytest.approx(predicted_variance_ratio(np.array(k), d), rel=1e-12)
    assert variances.ratio > k


def test_levelling_off_is_read_from_the_last_thousand_iterations() -> None:
    steps = np.arange(26) * 100
    flat = np.where(steps < 500, -0.4 * steps / 500, -0.4)
    descending = -0.5 * steps / 2500  # 0.2 per 1,000 iterations, 0.4 still to go to −0.9
    solved = np.full(26, -0.95)
    results = Results("stocks", {}, {"steps": steps, "loss": np.stack([flat, descending, solved], axis=1)})
    np.testing.assert_allclose(iterations_to_solve(results), [np.inf, 2000.0, 0.0])


def test_estimator_measurements_feed_their_claims() -> None:
    measured = measure_estimators(input_dim=50, seed=0)
    bias, ratio_zero, ratio_scripts, sampled, samples, gap, variance_gap, excess = measured.claim_inputs()
    assert bias < 1e-12 and ratio_zero < 1e-9 and ratio_scripts < 0.15 and gap < 1e-9 and variance_gap < 1e-9
    assert excess == pytest.approx((2000 - 1) / (50 - 1)) and samples == 4000 and sampled < 0.2


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_both_estimators_are_unbiased(estimator: str) -> None:
    model = random_model(6, 5, seed=4).double()
    labels = random_labels(6, 5, generator(5))
    exact = true_gradient(model, labels)
    torch.testing.assert_close(expected_estimator(model, labels, estimator), exact, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="need a one-model allocator and 6 labels"):
        expected_estimator(SoftmaxAllocators(2, 6, 5), labels, estimator)


def test_second_moments_match_enumerated_autograd() -> None:
    model = random_model(4, 4, seed=6)
    labels = random_labels(4, 4, generator(7))
    closed = estimator_second_moments(model.logits()[0].detach(), labels)
    totals = dict.fromkeys(ESTIMATORS, 0.0)
    for x, y in enumerate(labels):
        for z in all_returns(int(y), 4):
            for estimator in ESTIMATORS:
                model.zero_grad()
                loss = estimator_loss(estimator, model(torch.tensor([[x]])), y.view(1, 1), z.view(1, 1, 4))
                loss.sum().backward()
                totals[estimator] += (model.weight.grad.pow(2).sum() + model.bias.grad.pow(2).sum()).item() / (4 * 8)
    assert closed.end_to_end == pytest.approx(totals["end-to-end"], rel=1e-5)
    assert closed.decomposition == pytest.approx(totals["decomposition"], rel=1e-5)
    sampled = sampled_second_moments(model, labels, 4000, generator(8))
    assert sampled.end_to_end == pytest.approx(closed.end_to_end, rel=0.1)
    assert sampled.decomposition == pytest.approx(closed.decomposition, rel=0.1)


@pytest.mark.parametrize("stocks", [2, 7, 300])
def test_ratio_is_k_at_the_uniform_allocation(stocks: int) -> None:
    moments = estimator_second_moments(torch.zeros(20, stocks), random_labels(20, stocks, generator(0)))
    assert moments.ratio == pytest.approx(stocks, rel=1e-12)
    with pytest.raises(ValueError, match="logits must be \\(d, k\\)"):
        estimator_second_moments(torch.zeros(20, stocks), torch.zeros(3, dtype=torch.long))


@pytest.mark.parametrize("initialisation", ["zero", "scripts", "peaked"])
def test_second_moment_sweep(initialisation: str) -> None:
    moments = second_moment_sweep([2, 10, 50], 200, initialisation, generator(0))
    assert [m.stocks for m in moments] == [2, 10, 50]
    ratios = np.array([m.ratio for m in moments]) / np.array([2, 10, 50])
    if initialisation != "peaked":
        np.testing.assert_allclose(ratios, 1, rtol=0.02 if initialisation == "scripts" else 1e-9)
    logits = initial_logits(initialisation, 200, 10, generator(1))
    assert logits.shape == (200, 10)
    if initialisation == "scripts":  # the authors' truncated normal: std 1/√d, cut at two standard deviations
        assert logits.abs().max() <= 2 / 200**0.5 and 0.8 < logits.std() * 200**0.5 < 0.95
    with pytest.raises(ValueError, match="initialisation must be one of"):
        initial_logits("xavier", 200, 10, generator(1))


def test_run_stocks_shapes_determinism_and_independence() -> None:
    first = run_stocks(TINY, seed=1, device="cpu")
    assert first["loss"].shape == (3, 8)  # evaluations at 0, 20, 40 × (2 k × 2 estimators × 2 replicates)
    np.testing.assert_array_equal(first["stocks"], [3] * 4 + [5] * 4)
    assert list(first["estimators"][:4]) == ["end-to-end", "end-to-end", "decomposition", "decomposition"]
    np.testing.assert_allclose(first["loss"][0], -1 / np.repeat([3, 5], 4), rtol=0.15)  # near-uniform (std 1/√12)
    np.testing.assert_array_equal(first["loss"][0, :2], first["loss"][0, 2:4])  # both estimators start alike
    np.testing.assert_array_equal(first["loss"], run_stocks(TINY, seed=1, device="cpu")["loss"])
    alone = run_stocks(StocksSettings(**{**vars(TINY), "stocks": (5,)}), seed=1, device="cpu")
    np.testing.assert_array_equal(first["loss"][:, 4:], alone["loss"])
    assert first.provenance["scale"] == "custom" and set(first["initialisations"]) == {"scripts"}


def test_zero_initialised_control_changes_the_start_only() -> None:
    controlled = run_stocks(StocksSettings(**{**vars(TINY), "zero_init_stocks": (5,)}), seed=1, device="cpu")
    assert controlled["loss"].shape == (3, 12) and list(controlled["initialisations"][8:]) == ["zero"] * 4
    np.testing.assert_array_equal(controlled["stocks"][8:], 5)
    np.testing.assert_allclose(controlled["loss"][0, 8:], -1 / 5, rtol=1e-6)  # the uniform allocation
    np.testing.assert_array_equal(controlled["loss"][:, :8], run_stocks(TINY, seed=1, device="cpu")["loss"])
    assert not np.array_equal(controlled["loss"][:, 8:], controlled["loss"][:, 4:8])
    with pytest.raises(ValueError, match="zero_init_stocks must be a tuple of values of stocks"):
        StocksSettings(**{**vars(TINY), "zero_init_stocks": (7,)})


def test_scripts_initialisation_of_stacked_models() -> None:
    model = SoftmaxAllocators(2, 400, 3).scripts_init_([generator(0), generator(1)])
    assert torch.all(model.bias == 0) and model.weight.abs().max() <= 2 / 20
    assert not torch.equal(model.weight[0], model.weight[1])
    with pytest.raises(ValueError, match="one generator per model"):
        SoftmaxAllocators(2, 4, 3).scripts_init_([generator(0)])


def test_decomposition_learns_a_small_problem() -> None:
    settings = StocksSettings(input_dim=20, stocks=(4,), iterations=200, batch_size=20, eval_every=50)
    results = run_stocks(settings, seed=0, device="cpu")
    assert results["loss"][-1].max() <= -0.9
    steps = first_step_below(results, -0.9)
    assert np.all(steps <= 200)
    with pytest.raises(ValueError, match="threshold must be a primary loss"):
        first_step_below(results, -2.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stocks": (1, 10)}, "stocks\\[0\\] must be >= 2"),
        ({"input_dim": 0}, "input_dim must be >= 1"),
        ({"beta2": 1.0}, "beta2 must be in \\[0, 1\\)"),
        ({"adam_eps": -1e-5}, "adam_eps must be a positive"),
        ({"iterations": -1}, "iterations must be >= 1"),
    ],
)
def test_bad_settings_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StocksSettings(**change)


def test_paper_settings_follow_the_spec() -> None:
    paper = StocksSettings.paper()
    assert (paper.input_dim, paper.stocks, paper.iterations, paper.batch_size) == (1000, (10, 1000, 2000), 2500, 100)
    assert paper.zero_init_stocks == (1000,) and StocksSettings.quick() == paper
    assert (paper.learning_rate, paper.beta1, paper.beta2, paper.adam_eps) == (0.1, 0.9, 0.99, 1e-5)


def test_plots_and_command_line(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: TINY)
    assert main(["run", "stocks", "--device", "cpu", "--out", str(tmp_path)]) == 0
    assert "decomposition" in capsys.readouterr().out
    results = Results.load(tmp_path / "stocks-custom.npz")
    fig, axes = plt.subplots(1, 3)
    plot_stocks_losses(axes[:2], results)
    assert len(axes[0].get_lines()) == 4
    with pytest.raises(ValueError, match="one panel per k"):
        plot_stocks_losses(axes, results)
    moments = [estimator_second_moments(torch.zeros(5, k), random_labels(5, k, generator(0))) for k in (2, 4)]
    plot_second_moment_ratio(axes[2], {"zero": moments})
    assert len(axes[2].get_lines()) == 2
    plt.close(fig)
