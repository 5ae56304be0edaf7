"""Training batches drawn many steps at a time, whose position can be saved and restored (for checkpoints)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from gradfail.validation import require_int


class BlockBatches:
    """Fresh batches for every step: `draw(block)` returns tensors whose first axis is `block` steps, and each
    call of `next` hands out one step of them. `generators` are the ones `draw` uses; `state_dict` holds
    them, the undrawn rest of the block and the position in it, so a restored stream continues exactly."""

    def __init__(
        self, draw: Callable[[int], Sequence[torch.Tensor]], block: int, generators: Sequence[torch.Generator]
    ) -> None:
        self.draw, self.block = draw, require_int("block", block, minimum=1)
        self.generators = list(generators)
        self.pending: tuple[torch.Tensor, ...] = ()
        self.position = 0

    def __iter__(self) -> BlockBatches:
        return self

    def __next__(self) -> tuple[torch.Tensor, ...]:
        if not self.pending or self.position == self.block:
            self.pending, self.position = tuple(self.draw(self.block)), 0
        self.position += 1
        return tuple(tensor[self.position - 1] for tensor in self.pending)

    def state_dict(self) -> dict[str, Any]:
        """The generators' states, the current block and the position in it."""
        return {
            "generators": [g.get_state() for g in self.generators],
            "pending": list(self.pending),
            "position": self.position,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a `state_dict()`."""
        if len(state["generators"]) != len(self.generators):
            raise ValueError(f"state must hold {len(self.generators)} generator states, got {len(state['generators'])}")
        for g, saved in zip(self.generators, state["generators"], strict=True):
            g.set_state(saved)
        self.pending, self.position = tuple(state["pending"]), state["position"]
