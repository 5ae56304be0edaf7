"""The stocks problem (paper §3.2): one-hot inputs, a hidden best stock y(x), returns z, softmax allocations.

Input x = e_i is represented by its index i. Given x, z_{y(x)} = 1 and the other k − 1 returns are
independent uniform ±1, so E[z | x] = e_{y(x)}: the primary loss E[−zᵀN(x)] equals −E_x N_{y(x)}(x).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gradfail.parity.network import truncated_normal_
from gradfail.validation import require_choice, require_int

ESTIMATORS = ("end-to-end", "decomposition")
INITIALISATIONS = ("scripts", "zero")


def random_labels(input_dim: int, stocks: int, generator: torch.Generator) -> torch.Tensor:
    """The fixed labelling y: [d] → [k], each input's stock uniform at random (§3.2)."""
    require_int("input_dim", input_dim, minimum=1)
    require_int("stocks", stocks, minimum=2)
    return torch.randint(0, stocks, (input_dim,), generator=generator, device=generator.device)


def sample_returns(best: torch.Tensor, stocks: int, generator: torch.Generator) -> torch.Tensor:
    """Returns z ∈ {±1}^k for each entry of `best` (shape (..., k)): +1 at the best stock, uniform ±1 elsewhere."""
    require_int("stocks", stocks, minimum=2)
    if best.numel() and not 0 <= int(best.min()) <= int(best.max()) < stocks:
        raise ValueError(f"best must hold stock indices in [0, {stocks}), got values in [{best.min()}, {best.max()}]")
    signs = 1 - 2 * torch.randint(0, 2, (*best.shape, stocks), generator=generator, device=generator.device)
    return signs.float().scatter_(-1, best.unsqueeze(-1), 1.0)


class SoftmaxAllocators(nn.Module):
    """M independent models N_w(x) = softmax(W x + b) ∈ Δ^{k−1}, x one-hot in R^d, zero-initialised (uniform)."""

    def __init__(self, count: int, input_dim: int, stocks: int) -> None:
        super().__init__()
        require_int("count", count, minimum=1)
        require_int("input_dim", input_dim, minimum=1)
        self.weight = nn.Parameter(torch.zeros(count, input_dim, require_int("stocks", stocks, minimum=2)))
        self.bias = nn.Parameter(torch.zeros(count, 1, stocks))

    def scripts_init_(self, generators: Sequence[torch.Generator]) -> SoftmaxAllocators:
        """The authors' start: model m's weights normal with std 1/√d truncated at two standard deviations, drawn
        from generators[m]; biases zero."""
        count, input_dim, _ = self.weight.shape
        if len(generators) != count:
            raise ValueError(f"generators must hold one generator per model ({count}), got {len(generators)}")
        with torch.no_grad():
            for weight, rng in zip(self.weight, generators, strict=True):
                truncated_normal_(weight, input_dim, rng)
            self.bias.zero_()
        return self

    def logits(self) -> torch.Tensor:
        """Logits for every input at once, shape (M, d, k): row i is W e_i + b."""
        return self.weight + self.bias

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Allocations N_w(x) of shape (M, B, k) for input indices of shape (M, B)."""
        rows = torch.arange(self.weight.shape[0], device=inputs.device).unsqueeze(1)
        return torch.softmax(self.weight[rows, inputs] + self.bias, dim=-1)


def estimator_loss(
    estimator: str, allocations: torch.Tensor, best: torch.Tensor, returns: torch.Tensor | None
) -> torch.Tensor:
    """The batch loss whose gradient is the estimator (§3.2), mean over the last batch axis.

    end-to-end: −zᵀN(x), the primary objective on the sample; decomposition: −e_{y(x)}ᵀN(x), which ignores z
    and uses the label y(x) instead.
    """
    require_choice("estimator", estimator, ESTIMATORS)
    if estimator == "decomposition":
        gains = allocations.gather(-1, best.unsqueeze(-1)).squeeze(-1)
    elif returns is None:
        raise ValueError("returns must be given for the end-to-end estimator")
    else:
        gains = (returns * allocations).sum(dim=-1)
    return -gains.mean(dim=-1)


def primary_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The exact primary loss L(w) = E_{x,z}[−zᵀN_w(x)] = −E_x N_w(x)_{y(x)}, for logits of shape (..., d, k)."""
    allocations = torch.softmax(logits, dim=-1)
    return -allocations.gather(-1, labels.expand(*allocations.shape[:-1]).unsqueeze(-1)).squeeze(-1).mean(dim=-1)
