"""Unit tests of the §2 helpers: data, networks, the Figure 1 experiment, Theorem 1, Lemma 3 and GF(2)."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gradfail.cli import main
from gradfail.experiments import get_experiment
from gradfail.parity.construction import lemma3_network, lemma3_printed_errors, lemma3_width, triad_centres
from gradfail.parity.data import all_inputs, all_supports, parity_labels, random_signs, random_support
from gradfail.parity.experiment import final_accuracy, first_step_reaching, run_parity
from gradfail.parity.gf2 import solve_parity_gf2
from gradfail.parity.network import StackedTwoLayerReLU, paper_network
from gradfail.parity.plots import plot_gradient_variance, plot_parity_accuracy
from gradfail.parity.scaling import (
    CountNetwork,
    ParityScalingSettings,
    class_size,
    deep_network,
    growth_fit,
    run_parity_scaling,
    smoothed_first_step,
)
from gradfail.parity.settings import ParitySettings
from gradfail.parity.theory import (
    fitted_log2_slope,
    hinge_chain_rule_check,
    parity_gradient_variance,
    random_network_variances,
    walsh_hadamard,
)
from gradfail.results import Results
from gradfail.seeding import generator

TINY = ParitySettings(dims=(3, 4), replicates=2, iterations=60, eval_every=20, eval_samples=64, batch_size=32)


# --- data -------------------------------------------------------------------------------------------------


def test_parity_labels_closed_form() -> None:
    inputs = torch.tensor([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0]])
    support = torch.tensor([True, True, False])
    torch.testing.assert_close(parity_labels(inputs, support), torch.tensor([-1.0, -1.0]))
    empty = torch.zeros(3, dtype=torch.bool)
    torch.testing.assert_close(parity_labels(inputs, empty), torch.ones(2))
    with pytest.raises(ValueError, match="support must be a bool mask"):
        parity_labels(inputs, torch.ones(3))
    with pytest.raises(ValueError, match="support must be a bool mask"):
        parity_labels(inputs, torch.ones(4, dtype=torch.bool))


def test_enumeration_order_and_orthogonality() -> None:
    x = all_inputs(3)
    assert x.shape == (8, 3) and torch.equal(x[0], torch.ones(3)) and torch.equal(x[5], torch.tensor([-1.0, 1, -1]))
    assert torch.equal(all_supports(3), x < 0)
    labels = parity_labels(all_inputs(5).unsqueeze(0), all_supports(5).unsqueeze(1))
    torch.testing.assert_close(labels @ labels.T / 32, torch.eye(32, dtype=labels.dtype))
    with pytest.raises(ValueError, match="dim must be >= 1"):
        all_inputs(0)


def test_random_data_is_seeded() -> None:
    assert torch.equal(random_support(20, generator(1)), random_support(20, generator(1)))
    signs = random_signs((1000,), generator(2))
    assert set(signs.unique().tolist()) == {-1.0, 1.0} and abs(signs.mean().item()) < 0.1
    with pytest.raises(ValueError, match="dim must be >= 1"):
        random_support(0, generator(0))


# --- networks ---------------------------------------------------------------------------------------------


def test_paper_network_initialisation() -> None:
    net = paper_network(30, 300, generator(0))
    hidden = net[0].weight
    std = 1 / math.sqrt(30)
    assert hidden.shape == (300, 30) and hidden.abs().max() <= 2 * std
    assert 0.8 * std < hidden.std().item() < 0.95 * std  # a normal truncated at 2σ has std ≈ 0.88σ
    assert torch.equal(net[0].bias, torch.zeros(300)) and torch.equal(net[2].bias, torch.zeros(1))
    assert torch.equal(net[0].weight, paper_network(30, 300, generator(0))[0].weight)
    with pytest.raises(ValueError, match="width must be >= 1"):
        paper_network(3, 0, generator(0))


def test_stacked_networks_equal_separate_networks() -> None:
    nets = [paper_network(4, 12, generator(s)) for s in range(3)]
    stacked = StackedTwoLayerReLU(nets)
    inputs = random_signs((3, 16, 4), generator(9))
    labels = random_signs((3, 16), generator(10))
    scores = stacked(inputs)
    for m, net in enumerate(nets):
        torch.testing.assert_close(scores[m], net(inputs[m]).squeeze(-1))
    hinge = torch.relu(1 - labels * scores).mean(dim=1).sum()
    hinge.backward()
    for m, net in enumerate(nets):
        torch.relu(1 - labels[m] * net(inputs[m]).squeeze(-1)).mean().backward()
        torch.testing.assert_close(stacked.hidden_weight.grad[m], net[0].weight.grad.T)
        torch.testing.assert_close(stacked.output_weight.grad[m], net[2].weight.grad.T)
    copy = stacked.network(1)
    torch.testing.assert_close(copy(inputs[1]), nets[1](inputs[1]))
    with pytest.raises(ValueError, match="one \\(input dim, width\\) shape"):
        StackedTwoLayerReLU([paper_network(4, 12, generator(0)), paper_network(5, 12, generator(0))])
    with pytest.raises(ValueError, match="index must be <= 2"):
        stacked.network(3)


# --- the Figure 1 experiment ------------------------------------------------------------------------------


def test_run_parity_shapes_and_determinism() -> None:
    first, second = run_parity(TINY, seed=3, device="cpu"), run_parity(TINY, seed=3, device="cpu")
    assert first["accuracy"].shape == (4, 4)  # evaluations at 0, 20, 40, 60 × (2 dims × 2 replicates)
    np.testing.assert_array_equal(first["steps"], [0, 20, 40, 60])
    np.testing.assert_array_equal(first["dims"], [3, 3, 4, 4])
    np.testing.assert_array_equal(first["replicates"], [0, 1, 0, 1])
    assert first["supports"].shape == (4, 4) and not first["supports"][:2, 3:].any()
    np.testing.assert_array_equal(first["accuracy"], second["accuracy"])
    assert first.provenance["seed"] == 3 and first.provenance["scale"] == "custom"
    other = run_parity(TINY, seed=4, device="cpu")
    assert not np.array_equal(first["accuracy"], other["accuracy"])


def test_a_run_does_not_depend_on_its_batch_mates() -> None:
    together = run_parity(TINY, seed=0, device="cpu")
    alone = run_parity(ParitySettings(**{**vars(TINY), "dims": (4,)}), seed=0, device="cpu")
    np.testing.assert_array_equal(together["accuracy"][:, 2:], alone["accuracy"])
    np.testing.assert_array_equal(together["supports"][2:], alone["supports"])
    one_replicate = run_parity(ParitySettings(**{**vars(TINY), "replicates": 1}), seed=0, device="cpu")
    np.testing.assert_array_equal(together["accuracy"][:, [0, 2]], one_replicate["accuracy"])


def test_run_parity_learns_a_small_parity() -> None:
    settings = ParitySettings(dims=(4,), iterations=1500, eval_every=100, eval_samples=256)
    results = run_parity(settings, seed=0, device="cpu")
    assert final_accuracy(results, last=3)[0] >= 0.95
    assert first_step_reaching(results, 0.95, window=3)[0] <= 1500


def test_summaries_of_results() -> None:
    steps = np.arange(0, 500, 100)
    curves = np.array([[0.5, 0.5], [0.6, 0.5], [1.0, 0.5], [1.0, 0.5], [1.0, 0.5]])
    results = Results("parity", {}, {"steps": steps, "accuracy": curves})
    np.testing.assert_allclose(final_accuracy(results, last=2), [1.0, 0.5])
    reached = first_step_reaching(results, 0.9, window=2)
    assert reached[0] == 300 and np.isnan(reached[1])
    with pytest.raises(ValueError, match="last must be >= 1"):
        final_accuracy(results, last=0)
    with pytest.raises(ValueError, match="threshold must be an accuracy"):
        first_step_reaching(results, 1.5)
    with pytest.raises(ValueError, match="window must be <= 5"):
        first_step_reaching(results, 0.9, window=6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dims": (0, 5)}, "dims\\[0\\] must be >= 1"),
        ({"dims": ()}, "dims must be a non-empty tuple"),
        ({"iterations": -5}, "iterations must be >= 1"),
        ({"learning_rate": 0.0}, "learning_rate must be a positive"),
        ({"eval_every": 200, "iterations": 100}, "eval_every must be <= 100"),
        ({"replicates": 0}, "replicates must be >= 1"),
    ],
)
def test_bad_settings_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ParitySettings(**change)


def test_settings_store_dims_as_a_tuple() -> None:
    assert ParitySettings(dims=[5, 10, 30]) == ParitySettings.paper()


def test_paper_settings_follow_the_spec() -> None:
    paper = ParitySettings.paper()
    assert (paper.dims, paper.iterations, paper.batch_size, paper.learning_rate) == ((5, 10, 30), 50_000, 128, 0.01)
    assert (paper.width_factor, paper.eval_every, paper.eval_samples) == (10, 100, 500)


# --- Theorem 1 --------------------------------------------------------------------------------------------


def test_walsh_hadamard_matches_the_matrix() -> None:
    values = torch.randn(16, 3, dtype=torch.float64)
    signs = parity_labels(all_inputs(4).unsqueeze(0), all_supports(4).unsqueeze(1))  # H[v, x]
    torch.testing.assert_close(walsh_hadamard(values), signs @ values)
    torch.testing.assert_close(walsh_hadamard(walsh_hadamard(values)) / 16, values)
    with pytest.raises(ValueError, match="power of two"):
        walsh_hadamard(torch.zeros(6))


def _brute_force_variance(network: torch.nn.Module, dim: int, loss: str) -> float:
    """Var(H, F, w) from 2^d separate full-batch gradients, one autograd pass per target."""
    network = network.double()
    inputs = all_inputs(dim)
    gradients = []
    for support in all_supports(dim):
        network.zero_grad()
        outputs, labels = network(inputs).squeeze(-1), parity_labels(inputs, support)
        value = 0.5 * (outputs - labels) ** 2 if loss == "square" else torch.relu(1 - labels * outputs)
        value.mean().backward()
        gradients.append(torch.cat([p.grad.reshape(-1) for p in network.parameters()]))
    stacked = torch.stack(gradients)
    return (stacked - stacked.mean(dim=0)).pow(2).sum(dim=1).mean().item()


@pytest.mark.parametrize("dim", [3, 4, 5])
def test_exact_variance_matches_brute_force(dim: int) -> None:
    network = paper_network(dim, 10 * dim, generator(dim))
    with torch.no_grad():
        network[2].weight.mul_(3)  # push some outputs beyond the hinge margin
    result = parity_gradient_variance(network, dim)
    assert result.outside_margin > 0
    assert result.square_variance == pytest.approx(_brute_force_variance(network, dim, "square"), rel=1e-10)
    assert result.hinge_variance == pytest.approx(_brute_force_variance(network, dim, "hinge"), rel=1e-10)
    assert result.hinge_variance != pytest.approx(result.square_variance, rel=1e-6)


def test_theorem1_bound_and_parseval() -> None:
    for result in random_network_variances(range(2, 9), seed=1):
        assert result.square_variance <= result.bound and result.hinge_variance <= result.bound
        assert result.square_variance == pytest.approx(result.parseval_variance, rel=1e-10)
        assert result.bound == pytest.approx(result.g_squared / 2**result.dim)


def test_fitted_slope() -> None:
    dims = [2, 3, 4, 5]
    assert fitted_log2_slope(dims, [2.0**-d for d in dims]) == pytest.approx(-1)
    with pytest.raises(ValueError, match="equal length"):
        fitted_log2_slope(dims, [1.0])
    with pytest.raises(ValueError, match="positive and finite"):
        fitted_log2_slope(dims, [1.0, 0.0, 1.0, 1.0])


# --- Lemma 3 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [1, 2, 3, 4, 5, 6])
def test_lemma3_network_computes_every_parity(dim: int) -> None:
    inputs = all_inputs(dim, torch.float32)
    for support in all_supports(dim):
        for width in (None, 10 * dim + 3):
            network = lemma3_network(support, width)
            assert network[0].out_features == (width or lemma3_width(dim))
            assert torch.equal(network(inputs).squeeze(-1), parity_labels(inputs, support))


def test_lemma3_refuses_bad_input() -> None:
    assert lemma3_width(4) == 9 and lemma3_width(5) == 9
    with pytest.raises(ValueError, match="width must be >= 9"):
        lemma3_network(torch.ones(4, dtype=torch.bool), width=8)
    with pytest.raises(ValueError, match="1-D bool mask"):
        lemma3_network(torch.ones(4))


# --- GF(2) ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [1, 5, 63, 64, 65, 200])
def test_gf2_recovers_the_parity(dim: int) -> None:
    rng = np.random.default_rng(dim)
    v_star = rng.integers(0, 2, dim)
    bits = rng.integers(0, 2, (dim + 30, dim))
    np.testing.assert_array_equal(solve_parity_gf2(bits, bits @ v_star % 2), v_star)


def test_gf2_underdetermined_and_inconsistent() -> None:
    bits = np.array([[1, 0, 0], [0, 1, 0]])
    assert solve_parity_gf2(bits, np.array([1, 0])) is None
    with pytest.raises(ValueError, match="no solution over GF\\(2\\)"):
        solve_parity_gf2(np.array([[1, 0], [1, 0], [0, 1]]), np.array([1, 0, 0]))
    with pytest.raises(ValueError, match="only 0 and 1"):
        solve_parity_gf2(np.array([[2, 0]]), np.array([1]))
    with pytest.raises(ValueError, match="bits must be \\(m, d\\)"):
        solve_parity_gf2(np.zeros(3), np.zeros(3))


# --- plots and command line -------------------------------------------------------------------------------


def test_plots_draw_results() -> None:
    results = run_parity(TINY, seed=0, device="cpu")
    fig, (left, right) = plt.subplots(1, 2)
    plot_parity_accuracy(left, results)
    assert len(left.get_lines()) == 4 + 1  # one per run, plus the chance line
    plot_gradient_variance(right, random_network_variances([2, 3]), "hinge")
    assert len(right.get_lines()) == 2
    with pytest.raises(ValueError, match="loss must be one of 'square', 'hinge'"):
        plot_gradient_variance(right, random_network_variances([2]), "logistic")
    plt.close(fig)


def test_command_line(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    assert main(["list"]) == 0 and "parity" in capsys.readouterr().out
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: TINY)
    assert main(["run", "parity", "--scale", "quick", "--device", "cpu", "--out", str(tmp_path)]) == 0
    results = Results.load(tmp_path / "parity-custom.npz")  # TINY is neither quick nor paper
    assert results.experiment == "parity" and results.provenance["device"] == "cpu"
    fig, ax = plt.subplots()
    plot_parity_accuracy(ax, results)
    plt.close(fig)
    assert main(["run", "no-such-experiment"]) == 2
    assert "experiment must be one of 'parity'" in capsys.readouterr().err
    assert main(["run", "parity", "--seed", "-1", "--out", str(tmp_path)]) == 2
    with pytest.raises(SystemExit):
        main(["run", "parity", "--scale", "huge"])
    with pytest.raises(ValueError, match="experiment must be one of"):
        get_experiment("parties")


# --- appendix A.1, Lemma 3 as printed, and §2.1's remarks (parity-scaling) ----------------------------------


def test_a1_chain_rule_needs_the_factor_h() -> None:
    check = hinge_chain_rule_check(4, seed=1)
    assert check.corrected_error < 1e-12 < 0.5 < check.printed_error
    with pytest.raises(ValueError, match="dim"):
        hinge_chain_rule_check(13)


@pytest.mark.parametrize("dim", [2, 5, 8])
def test_lemma3_variants(dim: int) -> None:
    inputs = all_inputs(dim, torch.float32)
    full = torch.ones(dim, dtype=torch.bool)
    assert torch.equal(lemma3_network(full, triads="odd")(inputs).squeeze(-1), parity_labels(inputs, full))
    printed = lemma3_network(full, triads="printed")(inputs).squeeze(-1)
    assert printed[0].item() == -1.0 and torch.equal(printed[1:], parity_labels(inputs, full)[1:])  # row 0: x = 𝟙
    assert lemma3_width(dim, "odd") == 3 * math.ceil(dim / 2) and lemma3_width(dim, "printed") == 3 * (dim // 2)
    assert triad_centres(dim, "book")[0] == 0 and triad_centres(dim, "printed")[0] == 2
    errors = lemma3_printed_errors([dim], seed=0)
    assert errors[dim][1] == 0 and errors[dim][0] > 0
    with pytest.raises(ValueError, match="triads"):
        triad_centres(dim, "all")


def test_deep_network_and_count_network() -> None:
    net = deep_network(5, 7, 3, generator(0))
    assert [m.out_features for m in net if isinstance(m, torch.nn.Linear)] == [7, 7, 7, 1]
    assert all(m.bias.abs().sum() == 0 for m in net if isinstance(m, torch.nn.Linear))
    count = CountNetwork(torch.tensor([True, False, True]), 4, 2.0, generator(0))
    inputs = all_inputs(3, torch.float32)
    assert count(inputs).shape == (8,)
    assert torch.equal(count(inputs * torch.tensor([1.0, -1.0, 1.0])), count(inputs))  # reads only Σ_S x_j
    with pytest.raises(ValueError, match="support"):
        CountNetwork(torch.zeros(3, dtype=torch.bool), 4, 2.0, generator(0))
    with pytest.raises(ValueError, match="layers"):
        deep_network(5, 7, 0, generator(0))


def test_smoothed_first_step_and_growth_fit() -> None:
    steps = np.arange(1, 9) * 100
    curves = np.array([[0.5, 0.96]] * 2 + [[0.96, 0.96]] * 6)
    assert np.array_equal(smoothed_first_step(steps, curves), [700.0, 500.0])
    assert np.isnan(smoothed_first_step(steps, np.full((8, 1), 0.5)))[0]
    dims = np.repeat(np.arange(8, 20, 2), 2)
    fit = growth_fit(dims, 10 * np.exp(0.3 * dims) * np.where((dims // 2) % 2, 2.0, 1.0) * np.tile([0.9, 1.1], 6))
    assert fit.slope == pytest.approx(0.3, abs=1e-9) and fit.odd_offset == pytest.approx(math.log(2))
    assert fit.slope_se > 0
    assert class_size(18) == math.comb(18, 9)
    with pytest.raises(ValueError, match="positive"):
        growth_fit(dims, np.full(12, np.nan))
    with pytest.raises(ValueError, match="distinct"):
        growth_fit(np.array([8, 8, 12, 12.0]), np.ones(4))


def test_parity_scaling_run_and_settings() -> None:
    tiny = ParityScalingSettings(dim=6, iterations=40, known_iterations=40, eval_every=10, eval_samples=32,
                                 scan_dims=(4, 6), scan_replicates=2, scan_max_steps=60)  # fmt: skip
    results = run_parity_scaling(tiny, seed=0, device="cpu")
    assert results["accuracy"].shape == (5, 2) and results["known_accuracy"].shape == (5,)
    assert results["scan_steps"].shape == (4,) and list(results["scan_dims"]) == [4, 4, 6, 6]
    assert get_experiment("parity-scaling").summarise(results)[0].startswith("  wider network at d = 6")
    paper, quick = ParityScalingSettings.paper(), ParityScalingSettings.quick()
    assert (paper.iterations, paper.learning_rate, paper.batch_size, paper.wider_factor) == (50_000, 0.01, 128, 100)
    assert quick.iterations < paper.iterations and max(quick.scan_dims) == 18
    with pytest.raises(ValueError, match="scan_max_steps"):
        ParityScalingSettings(scan_max_steps=10)
