"""Section 3.3 made exact: both gradient estimators are unbiased, and their second moments differ by about k.

For one-hot x the gradient of a loss ℓ(u) of the logits u = W x + b has squared norm 2‖∂ℓ/∂u‖² (W's row
and b). With J = diag(N) − N Nᵀ the softmax Jacobian and E[z zᵀ | x] = I, the paper's equations (2)–(3) read
E‖∇̂_e2e‖² = 2 E_x ‖J‖_F² and E‖∇̂_dec‖² = 2 E_x ‖J e_y‖², both closed forms in the allocation N.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.func import functional_call, grad, vmap

from gradfail.parity.network import truncated_normal_
from gradfail.stocks.problem import SoftmaxAllocators, estimator_loss, primary_loss, random_labels, sample_returns
from gradfail.validation import require_choice, require_int

MAX_ENUMERATED_STOCKS = 16
PEAKED_STD = 3.0


@dataclass(frozen=True)
class SecondMoments:
    """E‖∇̂‖² of the two estimators over x and z (or, from `weight_variances`, their variances), exact, at one w."""

    stocks: int
    end_to_end: float
    decomposition: float

    @property
    def ratio(self) -> float:
        """E‖∇̂_e2e‖² / E‖∇̂_dec‖²: k at the uniform allocation, about k near it (§3.3)."""
        return self.end_to_end / self.decomposition


def estimator_second_moments(logits: torch.Tensor, labels: torch.Tensor) -> SecondMoments:
    """Both second moments at logits of shape (d, k), averaged exactly over the d inputs and over z.

    ‖J‖_F² = Σ N_i² − 2 Σ N_i³ + (Σ N_i²)² and ‖J e_y‖² = N_y² (1 − 2 N_y + Σ N_i²), in float64.
    """
    if logits.dim() != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"logits must be (d, k) and labels (d,), got {tuple(logits.shape)} and {tuple(labels.shape)}")
    allocations = torch.softmax(logits.double(), dim=-1)
    squares = allocations.pow(2).sum(dim=-1)
    frobenius = squares - 2 * allocations.pow(3).sum(dim=-1) + squares.pow(2)
    best = allocations.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    column = best.pow(2) * (1 - 2 * best + squares)
    return SecondMoments(logits.shape[1], 2 * frobenius.mean().item(), 2 * column.mean().item())


def all_returns(best: int, stocks: int) -> torch.Tensor:
    """Every z ∈ {±1}^k with z_best = 1, shape (2^(k−1), k): the support of z given x, each equally likely."""
    require_int("stocks", stocks, minimum=2, maximum=MAX_ENUMERATED_STOCKS)
    require_int("best", best, minimum=0, maximum=stocks - 1)
    others = torch.tensor(list(itertools.product((1.0, -1.0), repeat=stocks - 1)))
    return torch.cat([others[:, :best], torch.ones(len(others), 1), others[:, best:]], dim=1)


def require_single_model(model: SoftmaxAllocators, labels: torch.Tensor) -> tuple[int, int]:
    """(d, k) of a one-model `model` whose labelling `labels` covers its d inputs; ValueError otherwise."""
    count, input_dim, stocks = model.weight.shape
    if count != 1 or labels.shape != (input_dim,):
        raise ValueError(
            f"need a one-model allocator and {input_dim} labels, got {count} models and {tuple(labels.shape)}"
        )
    return input_dim, stocks


def return_probabilities(returns: torch.Tensor, best: int, up: float) -> torch.Tensor:
    """Probability of each row of `all_returns(best, k)` when every return but the best one is +1 with
    probability `up` (1/2 in the paper; Exercise 3 asks about 0.6), independently."""
    if not 0 < up < 1:
        raise ValueError(f"up must be a probability in (0, 1), got {up!r}")
    others = torch.cat([returns[:, :best], returns[:, best + 1 :]], dim=1)
    up_or_down = torch.tensor([up, 1 - up], dtype=torch.float64)
    return torch.where(others > 0, up_or_down[0], up_or_down[1]).prod(dim=1)


def per_pair_gradients(
    model: SoftmaxAllocators, labels: torch.Tensor, estimator: str, up: float = 0.5
) -> tuple[torch.Tensor, torch.Tensor]:
    """The estimator ∇̂ at every (x, z) pair of a one-model `model` (rows, flattened as (∇W, ∇b)) and each pair's
    probability, x uniform and z enumerated with `return_probabilities`."""
    input_dim, stocks = require_single_model(model, labels)
    returns = [all_returns(int(y), stocks) for y in labels]
    weights = torch.cat([return_probabilities(z, int(y), up) for z, y in zip(returns, labels, strict=True)])
    inputs = torch.arange(input_dim).repeat_interleave(len(returns[0]))
    allocations = model(inputs.unsqueeze(0)).transpose(0, 1)  # (pairs, 1, k): one "batch" per pair
    losses = estimator_loss(estimator, allocations, labels[inputs].unsqueeze(1), torch.cat(returns).unsqueeze(1))
    eye = torch.eye(len(losses), dtype=losses.dtype)
    weight, bias = torch.autograd.grad(losses, (model.weight, model.bias), eye, is_grads_batched=True)
    return torch.cat([weight.flatten(1), bias.flatten(1)], dim=1), weights.to(losses.dtype) / input_dim


def expected_estimator(model: SoftmaxAllocators, labels: torch.Tensor, estimator: str, up: float = 0.5) -> torch.Tensor:
    """E_{x,z}[∇̂] for a one-model `model`, exactly: the estimator at every input and every return vector
    (enumerated), averaged with each pair's probability; flattened as (∇W, ∇b)."""
    gradients, probabilities = per_pair_gradients(model, labels, estimator, up)
    return probabilities @ gradients


def enumerated_moments(model: SoftmaxAllocators, labels: torch.Tensor, estimator: str) -> tuple[float, float]:
    """(E‖∇̂‖², E‖∇̂ − E∇̂‖²): the estimator's second moment and variance, by enumerating every (x, z) pair."""
    gradients, probabilities = per_pair_gradients(model, labels, estimator)
    mean = probabilities @ gradients
    second = (probabilities * gradients.pow(2).sum(dim=1)).sum().item()
    return second, (probabilities * (gradients - mean).pow(2).sum(dim=1)).sum().item()


def weight_variances(logits: torch.Tensor, labels: torch.Tensor) -> SecondMoments:
    """E‖∇̂_W − ∇_W L‖² of both estimators' weight gradients (the bias's left out) at logits (d, k): W's half of
    the closed-form second moments less ‖∇_W L‖², with ∇_W L = ∂L/∂logits from autograd on the exact loss."""
    moments = estimator_second_moments(logits, labels)
    logits = logits.detach().double().requires_grad_(True)
    (exact,) = torch.autograd.grad(primary_loss(logits, labels), logits)
    signal = exact.pow(2).sum().item()
    return SecondMoments(moments.stocks, moments.end_to_end / 2 - signal, moments.decomposition / 2 - signal)


def true_gradient(model: SoftmaxAllocators, labels: torch.Tensor) -> torch.Tensor:
    """∇L(w) of the exact primary loss, flattened as (∇W, ∇b)."""
    require_single_model(model, labels)
    return _flat_gradient(model, primary_loss(model.logits(), labels).sum())


def _flat_gradient(model: SoftmaxAllocators, loss: torch.Tensor) -> torch.Tensor:
    weight, bias = torch.autograd.grad(loss, (model.weight, model.bias))
    return torch.cat([weight.reshape(-1), bias.reshape(-1)])


def sampled_second_moments(
    model: SoftmaxAllocators, labels: torch.Tensor, samples: int, generator: torch.Generator, chunk: int = 500
) -> SecondMoments:
    """Monte Carlo estimate of both second moments from per-sample autograd gradients (vectorised with
    torch.func) of a one-model `model` on `samples` draws of (x, z): a check of `estimator_second_moments`."""
    require_int("samples", samples, minimum=1)
    require_int("chunk", chunk, minimum=1)
    input_dim, stocks = require_single_model(model, labels)
    params = {name: p.detach() for name, p in model.named_parameters()}

    def squared_norms(estimator: str, inputs: torch.Tensor, returns: torch.Tensor) -> torch.Tensor:
        def loss(p: dict[str, torch.Tensor], x: torch.Tensor, best: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
            allocation = functional_call(model, p, (x.view(1, 1),))
            return estimator_loss(estimator, allocation, best.view(1, 1), z.view(1, 1, -1)).sum()

        grads = vmap(grad(loss), in_dims=(None, 0, 0, 0))(params, inputs, labels[inputs], returns)
        return sum(g.pow(2).flatten(1).sum(dim=1) for g in grads.values())

    totals = {"end-to-end": 0.0, "decomposition": 0.0}
    for start in range(0, samples, chunk):
        size = min(chunk, samples - start)
        inputs = torch.randint(0, input_dim, (size,), generator=generator)
        returns = sample_returns(labels[inputs], stocks, generator)
        for estimator in totals:
            totals[estimator] += squared_norms(estimator, inputs, returns).sum().item()
    return SecondMoments(stocks, totals["end-to-end"] / samples, totals["decomposition"] / samples)


INITIALISATIONS = ("zero", "scripts", "peaked")


def initial_logits(initialisation: str, input_dim: int, stocks: int, generator: torch.Generator) -> torch.Tensor:
    """Logits W e_i + b of every input (shape (d, k)) at a label-independent initialisation: `zero` (the uniform
    allocation), `scripts` (the authors': W normal with std 1/√d truncated at 2 std, b = 0) or `peaked` (N(0, 3²))."""
    require_choice("initialisation", initialisation, INITIALISATIONS)
    if initialisation == "zero":
        return torch.zeros(input_dim, stocks)
    if initialisation == "peaked":
        return PEAKED_STD * torch.randn(input_dim, stocks, generator=generator)
    return truncated_normal_(torch.empty(input_dim, stocks), input_dim, generator)


def second_moment_sweep(
    stocks: Sequence[int], input_dim: int, initialisation: str, generator: torch.Generator
) -> list[SecondMoments]:
    """`estimator_second_moments` for each k, with a fresh labelling and fresh initial logits per k."""
    require_int("input_dim", input_dim, minimum=1)
    moments = []
    for k in stocks:
        labels = random_labels(input_dim, int(k), generator)
        moments.append(estimator_second_moments(initial_logits(initialisation, input_dim, int(k), generator), labels))
    return moments
