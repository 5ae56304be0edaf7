"""The §2.1 network, Linear(d, 10d) → ReLU → Linear(10d, 1), alone or many independent copies trained as one."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gradfail.layers import stacked_scores, truncated_normal_
from gradfail.validation import require_int


def paper_network(dim: int, width: int, generator: torch.Generator) -> nn.Sequential:
    """One randomly initialised network of §2.1's shape (weights truncated-normal, biases zero), on the CPU."""
    require_int("dim", dim, minimum=1)
    require_int("width", width, minimum=1)
    hidden, output = nn.Linear(dim, width), nn.Linear(width, 1)
    with torch.no_grad():
        for layer, fan_in in ((hidden, dim), (output, width)):
            truncated_normal_(layer.weight, fan_in, generator)
            layer.bias.zero_()
    return nn.Sequential(hidden, nn.ReLU(), output)


class StackedTwoLayerReLU(nn.Module):
    """M independent networks of one shape, x ↦ w₂ᵀ relu(W₁x + b₁) + b₂, evaluated as one batched model.

    The loss of the stack is the sum of the M losses, so each network gets exactly its own gradient: training
    the stack equals training each network alone (up to floating-point rounding).
    """

    def __init__(self, networks: Sequence[nn.Sequential]) -> None:
        super().__init__()
        if len(networks) == 0:
            raise ValueError("networks must hold at least one network")
        shapes = {(net[0].in_features, net[0].out_features) for net in networks}
        if len(shapes) != 1:
            raise ValueError(f"networks must all have one (input dim, width) shape, got {sorted(shapes)}")
        ((self.dim, self.width),) = shapes
        self.hidden_weight = nn.Parameter(torch.stack([net[0].weight.detach().T for net in networks]))
        self.hidden_bias = nn.Parameter(torch.stack([net[0].bias.detach().unsqueeze(0) for net in networks]))
        self.output_weight = nn.Parameter(torch.stack([net[2].weight.detach().T for net in networks]))
        self.output_bias = nn.Parameter(torch.stack([net[2].bias.detach().unsqueeze(0) for net in networks]))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Scores of shape (M, B) for inputs of shape (M, B, dim): network m scores inputs[m]."""
        hidden = torch.relu(torch.baddbmm(self.hidden_bias, inputs, self.hidden_weight))
        return stacked_scores(hidden, self.output_weight, self.output_bias)

    def network(self, index: int) -> nn.Sequential:
        """A standalone copy of network `index` (e.g. to analyse one trained model)."""
        require_int("index", index, minimum=0, maximum=self.hidden_weight.shape[0] - 1)
        hidden, output = nn.Linear(self.dim, self.width), nn.Linear(self.width, 1)
        with torch.no_grad():
            hidden.weight.copy_(self.hidden_weight[index].T)
            hidden.bias.copy_(self.hidden_bias[index, 0])
            output.weight.copy_(self.output_weight[index].T)
            output.bias.copy_(self.output_bias[index, 0])
        return nn.Sequential(hidden, nn.ReLU(), output).to(self.hidden_weight.device)
