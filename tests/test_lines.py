"""Unit tests of the §3.1/§3.3 helpers: line images and tuples, both networks, both objectives, Figure 3's run,
and the SNR estimator of Figure 5."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradfail.cli import main
from gradfail.lines.experiment import final_accuracy, key, parity_accuracy, run_end_to_end
from gradfail.lines.images import (
    IMAGE_SIZE,
    MAX_LENGTH,
    LineParameters,
    mirror,
    render_lines,
    render_lines_loop,
    sample_line_images,
    sample_line_parameters,
    sample_tuples,
    to_pixel,
)
from gradfail.lines.interaction import elementary_mean, hermite_derivative, interaction_kernel, interpolate
from gradfail.lines.intervals import mean_confidence_interval, student_t_quantile
from gradfail.lines.networks import (
    StackedLineScorer,
    StackedParityHead,
    StackedTupleNetwork,
    convolve_and_pool,
    initial_layer,
)
from gradfail.lines.objectives import approach_loss
from gradfail.lines.plots import plot_accuracy_curves, plot_interaction, plot_line_examples, plot_snr
from gradfail.lines.settings import LineSettings, SnrSettings
from gradfail.lines.snr import (
    SNR_LOSSES,
    GradientMoments,
    authors_estimate,
    estimate_snr,
    mirror_patterns,
    orbit_gradients,
    tuple_losses,
)
from gradfail.losses import hinge_loss
from gradfail.results import Results
from gradfail.seeding import generator

TINY = LineSettings(
    ks=(1, 3),
    replicates=2,
    batch_size=8,
    end_to_end_iterations=30,
    decomposition_iterations=20,
    eval_every=10,
    test_tuples=40,
)
TINY_SNR = SnrSettings(ks=(1, 2), initialisations=6, images=96, chunk_images=48)


@pytest.mark.parametrize("variant", ["paper", "scripts"])
def test_vectorised_images_match_the_loop(variant: str) -> None:
    parameters = sample_line_parameters(400, generator(0), variant)
    assert torch.equal(render_lines(parameters, variant), render_lines_loop(parameters, variant))


def test_lines_leaving_the_image_at_every_side() -> None:
    # the first image leaves at the top left (the smallest slots of the batch), the last at the bottom right;
    # the shortest and longest lengths, and angles on the axes and diagonals
    centre_x = torch.tensor([0.0, 27.0, 0.0, 27.0, 13.5], dtype=torch.float64)
    centre_y = torch.tensor([0.0, 27.0, 27.0, 0.0, 13.5], dtype=torch.float64)
    angles = torch.tensor([math.pi / 4, math.pi / 4, 3 * math.pi / 4, 0.0, math.pi / 2], dtype=torch.float64)
    lengths = torch.tensor([MAX_LENGTH, MAX_LENGTH, 5.0, 22.9, MAX_LENGTH], dtype=torch.float64)
    parameters = LineParameters(angles, lengths, centre_x, centre_y)
    for variant in ("paper", "scripts"):
        images = render_lines(parameters, variant)
        assert torch.equal(images, render_lines_loop(parameters, variant))
        assert (images.sum(dim=(1, 2)) >= 2).all()  # each line keeps its centre and a neighbour


def test_images_are_binary_lines_with_balanced_labels() -> None:
    images, labels = sample_line_images(20_000, generator(1))
    assert images.shape == (20_000, IMAGE_SIZE, IMAGE_SIZE) and images.dtype == torch.float32
    assert set(images.unique().tolist()) == {0.0, 1.0} and set(labels.unique().tolist()) == {-1.0, 1.0}
    assert abs(labels.mean().item()) < 0.02  # P(θ < π/2) = ½
    assert torch.equal(images[:50], sample_line_images(50, generator(1))[0])  # same seed, same images
    assert not torch.equal(images[:50], sample_line_images(50, generator(2))[0])


def test_lit_pixels_follow_the_length() -> None:
    parameters = sample_line_parameters(5000, generator(3))
    lit = render_lines(parameters).sum(dim=(1, 2))
    points = 2 * torch.floor(parameters.lengths / 2) - 1  # j = 0, ±1, …, ±(⌊l/2⌋ − 1)
    assert torch.all(lit >= 1) and torch.all(lit <= points)  # the centre is always inside the image
    reach = (torch.floor(parameters.lengths / 2) - 1).unsqueeze(1) * torch.tensor([[-1.0], [1.0]]).T
    ends_x = parameters.centre_x.unsqueeze(1) + reach * torch.cos(parameters.angles).unsqueeze(1)
    ends_y = parameters.centre_y.unsqueeze(1) + reach * torch.sin(parameters.angles).unsqueeze(1)
    inside = ((ends_x > 0) & (ends_x < 27) & (ends_y > 0) & (ends_y < 27)).all(dim=1)
    # consecutive points move ≥ 1/√2 along the main axis, so no three share a pixel: at least half are distinct
    assert inside.sum() > 1000 and torch.all(lit[inside] >= (points[inside] + 1) / 2)
    assert torch.corrcoef(torch.stack([lit[inside], parameters.lengths[inside].float()]))[0, 1] > 0.9


def test_mirror_symmetry_of_the_distribution() -> None:
    parameters = sample_line_parameters(3000, generator(4))
    mirrored = parameters.mirrored()
    assert torch.equal(render_lines(mirrored), mirror(render_lines(parameters)))
    assert torch.equal(mirrored.labels(), -parameters.labels())
    assert mirrored.centre_x.min() >= 0 and mirrored.centre_x.max() <= IMAGE_SIZE - 1  # still a draw of D


def test_variants_differ_as_documented() -> None:
    paper, scripts = (sample_line_parameters(20_000, generator(5), v) for v in ("paper", "scripts"))
    assert paper.centre_x.max() <= 27 < scripts.centre_x.max() < 28
    coordinates = torch.tensor([-0.6, -0.4, 2.5, 2.6, 3.4])
    assert to_pixel(coordinates, "paper").tolist() == [-1.0, -0.0, 2.0, 3.0, 3.0]
    assert to_pixel(coordinates, "scripts").tolist() == [-0.0, -0.0, 2.0, 2.0, 3.0]


def test_tuples() -> None:
    batch = sample_tuples(64, 3, generator(6))
    assert batch.images.shape == (64, 3, IMAGE_SIZE, IMAGE_SIZE) and batch.labels.shape == (64, 3)
    assert torch.equal(batch.tuple_labels, batch.labels[:, 0] * batch.labels[:, 1] * batch.labels[:, 2])
    single = sample_tuples(10, 1, generator(7))
    assert torch.equal(single.tuple_labels, single.labels[:, 0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sample_tuples(8, 0, generator(0)), "k must be >= 1"),
        (lambda: sample_tuples(0, 2, generator(0)), "batch must be >= 1"),
        (lambda: sample_line_images(0, generator(0)), "count must be >= 1"),
        (lambda: sample_line_images(5, generator(0), "exact"), "variant must be one of"),
        (lambda: mirror_patterns(0), "k must be >= 1"),
    ],
)
def test_bad_input_is_refused(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def reference_scorer(scorer: StackedLineScorer, copy: int) -> nn.Sequential:
    """Copy `copy` of a stacked N1 rebuilt from standard PyTorch layers."""
    conv1, conv2 = nn.Conv2d(1, 16, 5, padding=2), nn.Conv2d(16, 16, 5, padding=2)
    fc1, fc2, score = nn.Linear(784, 50), nn.Linear(50, 100), nn.Linear(100, 1)
    with torch.no_grad():
        for conv, weight, bias in (
            (conv1, scorer.conv1_weight, scorer.conv1_bias),
            (conv2, scorer.conv2_weight, scorer.conv2_bias),
        ):
            conv.weight.copy_(weight[copy])
            conv.bias.copy_(bias[copy])
        for linear, weight, bias in (
            (fc1, scorer.fc1_weight, scorer.fc1_bias),
            (fc2, scorer.fc2_weight, scorer.fc2_bias),
            (score, scorer.score_weight, scorer.score_bias),
        ):
            linear.weight.copy_(weight[copy].T)
            linear.bias.copy_(bias[copy, 0])
    return nn.Sequential(
        conv1, nn.MaxPool2d(2), conv2, nn.MaxPool2d(2), nn.Flatten(), fc1, nn.ReLU(), fc2, nn.ReLU(), score
    )


@pytest.mark.parametrize("initialisation", ["scripts", "pytorch"])
def test_stacked_scorer_is_the_papers_network(initialisation: str) -> None:
    scorer = StackedLineScorer([generator(0), generator(1)], initialisation)
    images = torch.stack([sample_line_images(16, generator(10 + m))[0] for m in range(2)])
    scores = scorer(images)
    assert scores.shape == (2, 16)
    for m in range(2):
        expected = reference_scorer(scorer, m)(images[m].unsqueeze(1)).squeeze(1)
        torch.testing.assert_close(scores[m], expected, rtol=1e-4, atol=1e-4)
        alone = StackedLineScorer([generator(m)], initialisation)  # batched against one at a time
        torch.testing.assert_close(alone(images[m : m + 1])[0], scores[m], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="images must be \\(2, N, 28, 28\\)"):
        scorer(images[:1])


def test_pooled_convolution_and_its_gradient() -> None:
    images = (torch.rand(12, 1, 28, 28, generator=generator(2)) < 0.03).float()  # binary: many ties
    weight = torch.randn(16, 1, 5, 5, generator=generator(3)).requires_grad_()
    bias = torch.randn(16, generator=generator(4)).requires_grad_()
    upstream = torch.randn(12, 16, 14, 14, generator=generator(5))
    expected = F.max_pool2d(F.conv2d(images, weight, bias, padding=2), 2)
    expected_grads = torch.autograd.grad((expected * upstream).sum(), (weight, bias))
    pooled = convolve_and_pool(images, weight, bias)
    grads = torch.autograd.grad((pooled * upstream).sum(), (weight, bias))
    torch.testing.assert_close(pooled, expected)
    for g, e in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        torch.testing.assert_close(convolve_and_pool(images, weight, bias), expected)


def test_initialisations() -> None:
    weight, bias = initial_layer((16, 1, 5, 5), 25, 1, "scripts", generator(0))
    assert weight.abs().max() <= 2 and 0.8 < weight.std() < 0.95 and torch.all(bias == 0)  # N(0, 1) cut at ±2
    weight, bias = initial_layer((16, 16, 5, 5), 400, 16, "pytorch", generator(0))
    assert weight.abs().max() <= 0.05 and bias.abs().max() <= 0.05 and bias.abs().max() > 0
    torch.testing.assert_close(
        initial_layer((3, 4), 4, 4, "scripts", generator(1))[0], initial_layer((3, 4), 4, 4, "scripts", generator(1))[0]
    )
    with pytest.raises(ValueError, match="initialisation must be one of"):
        initial_layer((3, 4), 4, 4, "xavier", generator(0))


def test_first_convolution_has_the_scripts_scale() -> None:
    conv1 = StackedLineScorer([generator(s) for s in range(8)]).conv1_weight  # 8 × 400 weights
    std = 1 / math.sqrt(28)  # the scripts read the raw image's width as its channel count
    assert conv1.abs().max() <= 2 * std and 0.8 * std < conv1.std() < 0.95 * std  # truncation at 2σ: 0.88σ


def test_tuple_network_and_objectives() -> None:
    network = StackedTupleNetwork(3, [generator(0)])
    batch = sample_tuples(5, 3, generator(1))
    image_scores, tuple_scores = network(batch.images.unsqueeze(0))
    assert image_scores.shape == (1, 5, 3) and tuple_scores.shape == (1, 5)
    torch.testing.assert_close(tuple_scores, network.head(image_scores))
    with pytest.raises(ValueError, match="tuples of k = 3 images"):
        network(batch.images[:, :2].unsqueeze(0))
    labels = batch.labels.unsqueeze(0)
    primary = hinge_loss(tuple_scores, batch.tuple_labels.unsqueeze(0))
    torch.testing.assert_close(approach_loss("end-to-end", image_scores, tuple_scores, labels), primary)
    secondary = torch.relu(1 - labels * image_scores).mean()
    torch.testing.assert_close(approach_loss("decomposition", image_scores, tuple_scores, labels), primary + secondary)
    with pytest.raises(ValueError, match="approach must be one of"):
        approach_loss("both", image_scores, tuple_scores, labels)


def test_run_end_to_end_is_paired_and_deterministic() -> None:
    results = run_end_to_end(TINY, seed=0, device="cpu")
    again = run_end_to_end(TINY, seed=0, device="cpu")
    for name, array in results.arrays.items():
        np.testing.assert_array_equal(array, again[name])
    assert results[key("end-to-end", "accuracy")].shape == (4, 4)  # steps 0, 10, 20, 30 × (k, replicate)
    assert results[key("decomposition", "image_accuracy")].shape == (3, 4)
    np.testing.assert_array_equal(results["ks"], [1, 1, 3, 3])
    # both approaches start from the same networks and are scored on the same test tuples
    np.testing.assert_array_equal(
        results[key("end-to-end", "accuracy")][0], results[key("decomposition", "accuracy")][0]
    )
    np.testing.assert_allclose(
        final_accuracy(results, "decomposition", last=2), results[key("decomposition", "accuracy")][-2:].mean(0)
    )
    with pytest.raises(ValueError, match="last must be <= 3"):
        final_accuracy(results, "decomposition", last=4)
    assert results.provenance["scale"] == "custom"


@pytest.mark.parametrize("k", [1, 2, 4])
def test_parity_accuracy_counts_even_numbers_of_mistakes(k: int) -> None:
    a = 0.9
    mistakes = np.array(np.meshgrid(*[[0, 1]] * k)).reshape(k, -1).T  # every pattern of right/wrong images
    probability = np.prod(np.where(mistakes == 1, 1 - a, a), axis=1)
    assert parity_accuracy(a, k) == pytest.approx(probability[mistakes.sum(axis=1) % 2 == 0].sum())
    with pytest.raises(ValueError, match="image_accuracy must lie in"):
        parity_accuracy(1.2, k)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ks": (1, 1)}, "ks must not repeat"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
        ({"beta2": 1.0}, "beta2 must be in"),
        ({"eval_every": 3000}, "eval_every must be <= 2500"),
        ({"variant": "exact"}, "variant must be one of"),
    ],
)
def test_bad_settings_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LineSettings(**change)


def test_paper_settings_follow_the_spec() -> None:
    paper = LineSettings.paper()
    assert (paper.ks, paper.batch_size, paper.end_to_end_iterations, paper.decomposition_iterations) == (
        (1, 2, 3, 4),
        200,
        20_000,
        2_500,
    )
    assert (paper.learning_rate, paper.beta1, paper.beta2, paper.adam_eps, paper.test_tuples) == (
        1e-3,
        0.9,
        0.99,
        1e-5,
        2000,
    )
    with pytest.raises(ValueError, match="images must be a multiple of chunk_images"):
        SnrSettings(images=500, chunk_images=480)
    with pytest.raises(ValueError, match="initialisations must be >= 6"):
        SnrSettings(initialisations=3)


def test_mirror_patterns_and_tuple_losses() -> None:
    patterns = mirror_patterns(2)
    assert patterns.tolist() == [[False, False], [True, False], [False, True], [True, True]]
    head = StackedParityHead(2, [generator(0)]).double()
    scores = torch.randn(1, 5, 2, generator=generator(1), dtype=torch.float64)
    labels = torch.tensor([[[1.0, -1], [1, 1], [-1, -1], [-1, 1], [1, 1]]], dtype=torch.float64)
    primary = torch.relu(1 - labels.prod(-1) * head(scores))
    torch.testing.assert_close(tuple_losses("end-to-end", scores, labels, head), primary)
    torch.testing.assert_close(
        tuple_losses("decomposition", scores, labels, head), primary + torch.relu(1 - labels * scores).mean(-1)
    )
    torch.testing.assert_close(
        tuple_losses("first image", scores, labels, head), torch.relu(1 - labels[..., 0] * scores[..., 0])
    )
    with pytest.raises(ValueError, match="loss must be one of"):
        tuple_losses("hinge", scores, labels, head)


@pytest.mark.parametrize("loss", SNR_LOSSES)
def test_orbit_gradients_match_autograd_through_the_whole_network(loss: str) -> None:
    k, tuples = 2, 3
    scorer = StackedLineScorer([generator(0)]).double()
    head = StackedParityHead(k, [generator(1)]).double()
    images, labels = sample_line_images(tuples * k, generator(2))
    images, labels = images.double().view(1, tuples, k, 28, 28), labels.double().view(1, tuples, k)
    with torch.no_grad():
        features = scorer.features(images.view(1, -1, 28, 28)).view(1, tuples, k, -1)
        mirrored = scorer.features(mirror(images).view(1, -1, 28, 28)).view(1, tuples, k, -1)
    gradients = orbit_gradients(loss, features, mirrored, labels, scorer, head)
    assert gradients.shape == (1, tuples, 4, 100)
    for t in range(tuples):
        for p, pattern in enumerate(mirror_patterns(k)):
            tuple_images = torch.where(pattern.view(k, 1, 1), mirror(images[0, t]), images[0, t])
            tuple_labels = labels[0, t] * (1 - 2 * pattern.double())
            scores = scorer(tuple_images.unsqueeze(0)).view(1, 1, k)
            ell = tuple_losses(loss, scores, tuple_labels.view(1, 1, k), head).sum()
            (expected,) = torch.autograd.grad(ell, scorer.score_weight)
            torch.testing.assert_close(gradients[0, t, p], expected.view(-1), rtol=1e-8, atol=1e-10)


def test_gradient_moments_estimate_without_bias() -> None:
    vectors = torch.randn(2, 8, 4, 3, generator=generator(0), dtype=torch.float64)  # (M, T, P, dim)
    moments = GradientMoments.zeros(2, 3, torch.device("cpu"))
    moments.add(vectors[:, :4])
    moments.add(vectors[:, 4:])
    orbit_means = vectors.mean(dim=2)
    halves = orbit_means[:, 0::2].mean(dim=1), orbit_means[:, 1::2].mean(dim=1)
    torch.testing.assert_close(moments.signal(), (halves[0] * halves[1]).sum(-1))
    plain = vectors[:, 0::2, 0].mean(dim=1), vectors[:, 1::2, 0].mean(dim=1)
    torch.testing.assert_close(moments.signal(orbits=False), (plain[0] * plain[1]).sum(-1))
    torch.testing.assert_close(moments.noise(), vectors.pow(2).sum(-1).mean(dim=(1, 2)) - moments.signal())
    with pytest.raises(ValueError, match="even number of tuples"):
        moments.add(vectors[:, :3])
    # with a true mean μ, averaging the estimate over many draws recovers ‖μ‖² (the plain ‖mean‖² would not)
    mean = torch.tensor([0.3, -0.1, 0.0], dtype=torch.float64)
    draws = mean + torch.randn(4000, 1, 6, 1, 3, generator=generator(1), dtype=torch.float64)
    estimates = []
    for draw in draws:
        m = GradientMoments.zeros(1, 3, torch.device("cpu"))
        m.add(draw)
        estimates.append(m.signal().item())
    assert np.mean(estimates) == pytest.approx(mean.pow(2).sum().item(), abs=0.02)


def test_estimate_snr_shapes_and_determinism() -> None:
    estimate = estimate_snr(TINY_SNR, seed=0, device="cpu")
    again = estimate_snr(TINY_SNR, seed=0, device="cpu")
    assert estimate.signal.shape == (len(SNR_LOSSES), 2, 6) and np.all(estimate.noise > 0)
    np.testing.assert_array_equal(estimate.snr, again.snr)
    assert estimate.of("decomposition").shape == (2, 6) and estimate.of("decomposition", plain=True).shape == (2, 6)
    assert estimate.correlation.shape == (6,) and np.all(np.abs(estimate.correlation) < 1)
    assert estimate.predicted_signal.shape == (2, 6) and np.all(np.isfinite(estimate.predicted_signal))
    with pytest.raises(ValueError, match="loss must be one of"):
        estimate.of("hinge")


def test_mean_confidence_interval() -> None:
    assert student_t_quantile(0.975, 15) == pytest.approx(2.1314, abs=1e-3)
    assert student_t_quantile(0.975, 1) == pytest.approx(12.706, abs=1e-2)
    values = np.arange(16.0)
    mean, lower, upper = mean_confidence_interval(np.stack([values, -values]))
    half = student_t_quantile(0.975, 15) * values.std(ddof=1) / 4
    np.testing.assert_allclose(mean, [7.5, -7.5])
    np.testing.assert_allclose(upper - mean, [half, half])
    np.testing.assert_allclose(mean - lower, [half, half])
    with pytest.raises(ValueError, match="at least 2"):
        mean_confidence_interval(np.ones(1))
    with pytest.raises(ValueError, match="level"):
        mean_confidence_interval(values, level=1.0)
    with pytest.raises(ValueError, match="probability"):
        student_t_quantile(0.2, 3)


def test_authors_estimator_matches_a_simulation_of_their_script() -> None:
    """The script: signal ‖mean of N gradients‖², noise B·mean‖g_B‖² − signal², over batch means g_B."""
    assert authors_estimate(0.0) == pytest.approx(2e-6) and authors_estimate(1e9) == pytest.approx(1e-2)
    rng = np.random.default_rng(0)
    samples, batch, dim = 4_000, 10, 20
    for snr in (0.0, 1e-3):
        mean = np.zeros(dim)
        mean[0] = math.sqrt(snr * dim)  # unit variance per coordinate: σ² = dim
        reads = []
        for _ in range(200):
            batches = (mean + rng.standard_normal((samples, dim))).reshape(-1, batch, dim).mean(axis=1)
            signal = np.sum(batches.mean(axis=0) ** 2)
            reads.append(signal / (batch * np.mean(np.sum(batches**2, axis=1)) - signal**2))
        assert np.mean(reads) == pytest.approx(authors_estimate(snr, samples, batch), rel=0.1)
    with pytest.raises(ValueError, match="samples"):
        authors_estimate(0.0, samples=0)


def test_interaction_helpers() -> None:
    x = torch.linspace(-3, 3, 13, dtype=torch.float64, requires_grad=True)
    density = torch.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    (first,) = torch.autograd.grad(density.sum(), x, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), x)
    torch.testing.assert_close(hermite_derivative(x.detach(), 0), density.detach())
    torch.testing.assert_close(hermite_derivative(x.detach(), 1), first.detach())
    torch.testing.assert_close(hermite_derivative(x.detach(), 2), second)
    draws = torch.tensor([[0.5, -1.0, 2.0, 3.0]], dtype=torch.float64)
    sums = torch.stack([draws.pow(p).sum(dim=1) for p in range(1, 7)], dim=1)
    pairs = sum(draws[0, a] * draws[0, b] for a in range(4) for b in range(a + 1, 4)) / 6
    torch.testing.assert_close(elementary_mean(sums, 4, 2)[0], pairs)
    torch.testing.assert_close(elementary_mean(sums, 4, 0)[0], torch.tensor(1.0, dtype=torch.float64))
    grid = torch.linspace(0.0, 1.0, 11, dtype=torch.float64)
    points = torch.tensor([0.25, 2.0], dtype=torch.float64)
    torch.testing.assert_close(interpolate(points, grid, 2 * grid), torch.tensor([0.5, 2.0], dtype=torch.float64))
    # k = 1: κ is Σ_r v_r W_1r 1[W_1r u + b_r > 0], no kernel estimate
    weight, bias = torch.tensor([[1.0, -2.0]], dtype=torch.float64), torch.tensor([-0.5, 0.5], dtype=torch.float64)
    output = torch.tensor([3.0, 5.0], dtype=torch.float64)
    kappa = interaction_kernel(weight, bias, output, grid, grid, generator(0))
    expected = (3.0 * (grid > 0.5) - 10.0 * (grid < 0.25)).double()
    torch.testing.assert_close(kappa, expected)
    # k = 2, one unit: κ(u) = Σ_i v W_i W_j p(−(W_i u + b)) with p the density of W_j u', here u' ~ U(0, 1)
    weight2 = torch.tensor([[1.0], [1.0]], dtype=torch.float64)
    pool = torch.rand(4000, generator=generator(1), dtype=torch.float64)
    kappa2 = interaction_kernel(
        weight2,
        torch.tensor([-1.0], dtype=torch.float64),
        torch.ones(1),
        pool,
        torch.tensor([0.5], dtype=torch.float64),
        generator(2),
    )
    assert kappa2.item() == pytest.approx(2.0, rel=0.1)  # 2 terms × density 1 of u' at 1 − u = 0.5


def test_plots_and_command_line(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr("gradfail.cli.settings_for", lambda cls, scale: TINY)
    assert main(["run", "end-to-end", "--device", "cpu", "--out", str(tmp_path)]) == 0
    assert "decomposition" in capsys.readouterr().out
    results = Results.load(tmp_path / "end-to-end-custom.npz")
    fig, axes = plt.subplots(1, 3)
    plot_accuracy_curves(axes[:2], results)
    assert len(axes[0].get_lines()) == 5  # two runs per approach and the chance line
    with pytest.raises(ValueError, match="one panel per k"):
        plot_accuracy_curves(axes, results)
    estimate = estimate_snr(TINY_SNR, device="cpu")
    plot_snr(axes[2], estimate)
    assert axes[2].get_yscale() == "symlog"
    plt.close(fig)
    fig, axes = plt.subplots(1, 2)
    plot_interaction(axes, estimate)
    assert axes[1].get_yscale() == "symlog" and len(axes[0].get_lines()) == 2
    with pytest.raises(ValueError, match="two panels"):
        plot_interaction(axes[:1], estimate)
    plt.close(fig)
    parameters = sample_line_parameters(4, generator(0))
    fig, axes = plt.subplots(2, 2)
    plot_line_examples(axes, render_lines(parameters), parameters)
    assert axes[0, 0].get_title().startswith("θ = ") and not math.isnan(
        float(axes[0, 0].get_images()[0].get_array().sum())
    )
    with pytest.raises(ValueError, match="one panel per image"):
        plot_line_examples(axes[:1], render_lines(parameters), parameters)
    plt.close(fig)
