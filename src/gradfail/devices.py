"""Choosing the torch device: a GPU is used when asked for (or `auto` finds one), never required."""

from __future__ import annotations

import torch

from gradfail.validation import require_choice

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Map `auto` / `cpu` / `cuda` (or a torch.device) to a usable torch.device."""
    name = require_choice("device", device.type if isinstance(device, torch.device) else device, DEVICE_CHOICES)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but torch sees no CUDA GPU; use 'auto' or 'cpu'")
    return torch.device(device) if isinstance(device, torch.device) else torch.device(name)
