"""Per-example gradients of a network's output, vectorised with torch.func (used for Theorem 1 and SNR checks)."""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, grad, vmap


def per_example_gradients(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Row i is ∂ model(inputs[i]) / ∂w, all parameters flattened in `model.named_parameters()` order.

    `model` must map a batch of shape (n, ...) to n scalar outputs (shape (n,) or (n, 1)).
    """
    params = {name: p.detach() for name, p in model.named_parameters()}

    def output(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return functional_call(model, p, (x.unsqueeze(0),)).reshape(())

    grads = vmap(grad(output), in_dims=(None, 0))(params, inputs)
    return torch.cat([g.reshape(inputs.shape[0], -1) for g in grads.values()], dim=1)
