"""Losses shared by several sections of the paper."""

from __future__ import annotations

import torch


def require_same_shape(scores: torch.Tensor, labels: torch.Tensor) -> None:
    """Refuse mismatched shapes, which would silently broadcast (e.g. (B, 1) against (B,) gives (B, B))."""
    if scores.shape != labels.shape:
        raise ValueError(f"scores and labels must have one shape, got {tuple(scores.shape)} and {tuple(labels.shape)}")


def hinge_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean over the last axis of max(0, 1 − y·score), labels in {±1} (§2.1, §3.1); one value per leading index."""
    require_same_shape(scores, labels)
    return torch.relu(1 - labels * scores).mean(dim=-1)


def accuracy(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Share of the last axis where sign(score) equals the ±1 label (a score of exactly 0 counts as wrong)."""
    require_same_shape(scores, labels)
    return (torch.sign(scores) == labels).float().mean(dim=-1)
