"""Seeds for independent runs: one base seed fans out into a reproducible seed per (run, purpose)."""

from __future__ import annotations

import numpy as np
import torch


def derived_seed(*keys: int) -> int:
    """A 63-bit seed determined by `keys` (e.g. base seed, d, replicate, stream), via numpy's SeedSequence."""
    if any(isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0 for k in keys):
        raise ValueError(f"keys must be non-negative integers, got {keys!r}")
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(2, dtype=np.uint64)[0] >> 1)


def generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch.Generator on `device` seeded with `seed`."""
    return torch.Generator(device=device).manual_seed(seed)
