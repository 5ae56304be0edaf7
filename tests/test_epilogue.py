"""Unit tests of the epilogue helpers: sparse-parity data and measures, the recurrent cell and its two losses."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gradfail.cli import main
from gradfail.epilogue.class_size import class_variances
from gradfail.epilogue.intermediate import (
    IntermediateSettings,
    StackedRecurrentCell,
    run_intermediate,
    running_parities,
    supervised_loss,
)
from gradfail.epilogue.plots import plot_hidden_progress, plot_intermediate, plot_steps_to_solve
from gradfail.epilogue.sparse import (
    FULL,
    SparseParitySettings,
    coefficient_z,
    degree_coefficient,
    fitted_exponent,
    null_supports,
    plateau_precursors,
    run_sparse_parity,
    sparse_support,
    steps_to_solve,
    support_share,
    sustained_signal,
)
from gradfail.parity.data import parity_labels, random_signs
from gradfail.parity.experiment import stacked_inputs
from gradfail.parity.network import StackedTwoLayerReLU, paper_network
from gradfail.results import Results
from gradfail.seeding import generator

SPARSE = SparseParitySettings(
    dims=(6, 8), sizes=(2,), replicates=2, width=32, iterations=400, eval_every=50, eval_samples=500, null_sets=30
)
INTERMEDIATE = IntermediateSettings(lengths=(3, 5), replicates=1, state=8, hidden=8, iterations=60, eval_every=20)


def test_sparse_support_and_labels() -> None:
    support = sparse_support(20, 3, generator(0))
    assert support.dtype == torch.bool and support.sum() == 3
    assert torch.equal(support, sparse_support(20, 3, generator(0)))
    inputs = random_signs((50, 20), generator(1))
    direct = inputs[:, support].prod(dim=1)
    torch.testing.assert_close(parity_labels(inputs, support), direct)
    with pytest.raises(ValueError, match="size must be <= 20"):
        sparse_support(20, 21, generator(0))
    with pytest.raises(ValueError, match="size must be >= 1"):
        sparse_support(20, 0, generator(0))
    supports = torch.stack([sparse_support(20, 3, generator(s)) for s in range(4)])
    batched = stacked_inputs([generator(10 + s) for s in range(4)], (50, 20))
    labels = parity_labels(batched, supports.unsqueeze(1))
    for m in range(4):
        torch.testing.assert_close(labels[m], batched[m][:, supports[m]].prod(dim=1))


def test_null_supports_and_z() -> None:
    support = sparse_support(6, 2, generator(0))
    null = null_supports(support, 100, generator(1))
    assert null.shape[1] == 6 and (null.sum(dim=1) == 2).all()
    assert not any(torch.equal(row, support) for row in null)
    assert null_supports(torch.ones(6, dtype=torch.bool), 10, generator(1)).shape == (0, 6)
    stacked = StackedTwoLayerReLU([paper_network(6, 8, generator(2))])
    assert torch.isfinite(coefficient_z(stacked, 0, support, null))
    assert torch.isnan(coefficient_z(stacked, 0, torch.ones(6, dtype=torch.bool), null[:0]))


def test_plateau_precursors() -> None:
    steps = np.arange(0, 500, 100)
    accuracy = np.array([[0.5], [0.5], [0.5], [0.9], [1.0]])
    z = np.array([[0.1], [1.0], [4.0], [9.0], [9.0]])
    share = np.array([[1.0], [1.0], [1.2], [1.5], [1.6]])
    results = Results(
        "sparse-parity",
        {},
        {
            "steps": steps,
            "accuracy": accuracy,
            "coefficient_z": z,
            "support_share": share,
            "sizes": np.array([3]),
            "dims": np.array([20]),
        },
    )
    (found,) = plateau_precursors(results, 3, min_dim=20)
    assert (found.signal_step, found.lift_off_step, found.mid_share) == (200, 300, 1.2)
    assert plateau_precursors(results, 3, min_dim=30) == []


def test_class_variances_respect_theorem_1_and_refuse_bad_input() -> None:
    variances = class_variances(6, 3, seed=0, width_factor=2)
    assert variances.sizes.tolist() == [1, 2, 3] and (variances.variances <= variances.bounds).all()
    assert variances.variance(2) == variances.variances[1] and variances.everything > 0
    with pytest.raises(ValueError, match="size"):
        variances.variance(4)
    with pytest.raises(ValueError, match="max_size"):
        class_variances(6, 7, seed=0)


def test_sustained_signal_ignores_a_lone_earlier_crossing() -> None:
    steps = np.arange(0, 500, 100)
    assert sustained_signal(steps, np.array([True, False, True, True, True]), 4) == 200
    assert sustained_signal(steps, np.array([True, True, True, True, False]), 3) == 0
    assert np.isnan(sustained_signal(steps, np.array([True, True, False, True, True]), 3))
    assert np.isnan(sustained_signal(steps, np.array([True, True]), 0))


def test_support_share_and_degree_coefficient() -> None:
    network = paper_network(4, 5, generator(2))
    stacked = StackedTwoLayerReLU([network])
    support = torch.tensor([True, True, False, False])
    w, a = network[0].weight.detach(), network[2].weight.detach()[0]
    expected_share = w[:, :2].abs().sum() / w.abs().sum() / 0.5
    torch.testing.assert_close(support_share(stacked, 0, support), expected_share)
    expected_m = (a * w[:, 0] * w[:, 1]).sum()
    torch.testing.assert_close(degree_coefficient(stacked, 0, support.unsqueeze(0))[0], expected_m)


def test_run_sparse_parity() -> None:
    results = run_sparse_parity(SPARSE, seed=0, device="cpu")
    assert results["accuracy"].shape == (9, 6)  # 9 evaluations × (n=6: 2 runs; n=8: 2 sparse + 2 full)
    np.testing.assert_array_equal(results["sizes"], [2, 2, 2, 2, FULL, FULL])
    np.testing.assert_array_equal(results["dims"], [6, 6, 8, 8, 8, 8])
    again = run_sparse_parity(SPARSE, seed=0, device="cpu")
    np.testing.assert_array_equal(results["accuracy"], again["accuracy"])
    solved = steps_to_solve(results)
    assert not np.isnan(solved[:4]).any()
    assert np.isfinite(fitted_exponent(results, 2))
    with pytest.raises(ValueError, match="size 5 must have runs at two or more n"):
        fitted_exponent(results, 5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sizes": (6,), "dims": (6, 8)}, "sizes must be below the smallest n"),
        ({"sizes": (0,)}, "sizes\\[0\\] must be >= 1"),
        ({"width": 0}, "width must be >= 1"),
        ({"learning_rate": -1.0}, "learning_rate must be a positive"),
    ],
)
def test_bad_sparse_settings(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SparseParitySettings(**change)


def test_running_parities_and_losses() -> None:
    inputs = torch.tensor([[[1.0, -1.0, -1.0, 1.0]]])
    torch.testing.assert_close(running_parities(inputs), torch.tensor([[[1.0, -1.0, 1.0, 1.0]]]))
    scores = torch.tensor([[[1.0, -1.0, 0.0, 2.0]]])
    torch.testing.assert_close(supervised_loss("end-to-end", scores, inputs), torch.tensor([0.0]))
    torch.testing.assert_close(supervised_loss("decomposition", scores, inputs), torch.tensor([1.0 / 4]))
    with pytest.raises(ValueError, match="approach must be one of"):
        supervised_loss("curriculum", scores, inputs)


def test_recurrent_cell_runs_left_to_right() -> None:
    cell = StackedRecurrentCell(2, 4, 6, [generator(0), generator(1)])
    inputs = random_signs((2, 5, 7), generator(2))
    scores = cell(inputs)
    assert scores.shape == (2, 5, 7)
    changed = inputs.clone()
    changed[..., -1] *= -1  # the last bit cannot change earlier scores
    torch.testing.assert_close(cell(changed)[..., :-1], scores[..., :-1])
    with pytest.raises(ValueError, match="one generator per cell"):
        StackedRecurrentCell(2, 4, 6, [generator(0)])


def test_recurrent_cell_is_the_recurrence() -> None:
    cell = StackedRecurrentCell(3, 4, 6, [generator(0), generator(1), generator(2)])
    inputs = random_signs((3, 5, 7), generator(3))
    naive = []
    for m in range(3):  # copy m, one step at a time: h_t = W₂ relu(W₁ [h_{t−1}; x_t] + b₁) + b₂, s_t = uᵀh_t + c
        state, scores = torch.zeros(5, 4), []
        for t in range(7):
            hidden = torch.relu(torch.cat([state, inputs[m, :, t : t + 1]], dim=1) @ cell.w1[m] + cell.b1[m])
            state = hidden @ cell.w2[m] + cell.b2[m]
            scores.append((state @ cell.readout[m] + cell.readout_bias[m]).squeeze(-1))
        naive.append(torch.stack(scores, dim=-1))
    expected = torch.stack(naive)
    weights = torch.randn(3, 5, 7, generator=generator(4))
    folded = torch.autograd.grad((cell(inputs) * weights).sum(), list(cell.parameters()))
    unfolded = torch.autograd.grad((expected * weights).sum(), list(cell.parameters()))
    torch.testing.assert_close(cell(inputs), expected)
    for fast, plain in zip(folded, unfolded, strict=True):  # same function, so the same gradients
        torch.testing.assert_close(fast, plain)
    torch.testing.assert_close(cell(inputs[..., :1]), expected[..., :1])  # a single bit: no recurrence


def test_run_intermediate() -> None:
    results = run_intermediate(INTERMEDIATE, seed=0, device="cpu")
    assert results["accuracy"].shape == (4, 4)
    assert list(results["approaches"]) == ["end-to-end", "decomposition"] * 2
    np.testing.assert_array_equal(results["accuracy"], run_intermediate(INTERMEDIATE, seed=0, device="cpu")["accuracy"])
    with pytest.raises(ValueError, match="lengths\\[0\\] must be >= 1"):
        IntermediateSettings(lengths=(0,))


def test_plots_and_command_line(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    settings = {"sparse-parity": SPARSE, "intermediate": INTERMEDIATE}
    for name, tiny in settings.items():
        monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale, tiny=tiny: tiny)
        assert main(["run", name, "--device", "cpu", "--out", str(tmp_path)]) == 0
    assert "final accuracy" in capsys.readouterr().out
    sparse = Results.load(tmp_path / "sparse-parity-custom.npz")
    intermediate = Results.load(tmp_path / "intermediate-custom.npz")
    fig, axes = plt.subplots(3, 2)
    plot_steps_to_solve(axes[0, 0], sparse)
    plot_hidden_progress(axes[:, 1], sparse, 8, 2)
    plot_intermediate(axes[1:, 0], intermediate)
    with pytest.raises(ValueError, match="one panel per n"):
        plot_intermediate(axes[:, 0], intermediate)
    plt.close(fig)
