"""The two training objectives of §3.1: end-to-end (the tuple loss only) and decomposition (plus the image loss)."""

from __future__ import annotations

import torch

from gradfail.losses import hinge_loss
from gradfail.validation import require_choice

APPROACHES = ("end-to-end", "decomposition")


def approach_loss(
    approach: str, image_scores: torch.Tensor, tuple_scores: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """Per-network loss (M,) for scores of shapes (M, B, k) and (M, B) and image labels (M, B, k).

    end-to-end: the hinge loss of the tuple score against the parity ỹ = Π y_i (the primary loss L̃);
    decomposition: that plus the hinge loss of every image score against its own label, averaged over the
    B·k images of the batch (the secondary loss L, averaged as in the authors' scripts).
    """
    require_choice("approach", approach, APPROACHES)
    primary = hinge_loss(tuple_scores, labels.prod(dim=-1))
    if approach == "end-to-end":
        return primary
    return primary + hinge_loss(image_scores.flatten(-2), labels.flatten(-2))
