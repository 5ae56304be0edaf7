"""The two networks of §3.1, as M independent copies evaluated as one batched model.

N1 scores one image: conv 5×5 (16 channels, 'same') → max-pool 2 → conv 5×5 (16) → max-pool 2 → Linear(784, 50)
→ ReLU → Linear(50, 100) → ReLU → Linear(100, 1), with no ReLU after the convolutions, as in the authors'
scripts. N2 maps the sigmoids of a tuple's k scores to one tuple score: Linear(k, 100) → ReLU → Linear(100, 1).
The M copies share nothing: their linear layers are slices of batched matmuls and their convolutions run one
copy at a time (on CPUs that beats a grouped convolution), so the sum of the M losses gives each copy exactly
its own gradient.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gradfail.layers import stacked_scores
from gradfail.lines.images import IMAGE_SIZE
from gradfail.validation import require_choice, require_int

INITIALISATIONS = ("scripts", "pytorch")
CHANNELS, KERNEL, POOLED = 16, 5, IMAGE_SIZE // 4
FLAT = CHANNELS * POOLED * POOLED  # 784
HIDDEN_1, HIDDEN_2, HEAD_HIDDEN = 50, 100, 100


def initial_layer(
    weight_shape: tuple[int, ...], fan_in: int, scripts_fan: int, initialisation: str, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight, bias) of one layer. `scripts`: the authors' normal with std 1/√scripts_fan truncated at two
    standard deviations (scripts_fan = input channels for a convolution, inputs for a linear layer), zero bias;
    `pytorch`: PyTorch's default, weight and bias uniform in ±1/√fan_in."""
    require_choice("initialisation", initialisation, INITIALISATIONS)
    out_features = weight_shape[0]
    if initialisation == "scripts":
        std = 1 / math.sqrt(scripts_fan)
        weight = nn.init.trunc_normal_(torch.empty(weight_shape), std=std, a=-2 * std, b=2 * std, generator=generator)
        return weight, torch.zeros(out_features)
    bound = 1 / math.sqrt(fan_in)
    weight = torch.empty(weight_shape).uniform_(-bound, bound, generator=generator)
    return weight, torch.empty(out_features).uniform_(-bound, bound, generator=generator)


def linear_layer(
    in_features: int, out_features: int, initialisation: str, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight (in, out), bias (1, out)) of one linear layer, laid out for `torch.baddbmm`."""
    weight, bias = initial_layer((out_features, in_features), in_features, in_features, initialisation, generator)
    return weight.T.contiguous(), bias.unsqueeze(0)


def convolve_and_pool(images: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """max-pool 2×2 of the 'same' 5×5 convolution, computed as the maximum of four stride-2 convolutions (one per
    position in the pooling window): equal to max_pool2d(conv2d(...)) but faster on a CPU (about three times
    without gradients), as the full-resolution output is never stored. Returned channels-last, the fast layout
    for the next layers."""
    padded = F.pad(images, (KERNEL // 2, KERNEL // 2 + 1, KERNEL // 2, KERNEL // 2 + 1))
    size = images.shape[-1] + KERNEL - 2
    phases = [F.conv2d(padded[..., a : a + size, b : b + size], weight, bias, stride=2) for a in (0, 1) for b in (0, 1)]
    if torch.is_grad_enabled() and weight.requires_grad:
        pooled = torch.stack(phases).max(dim=0).values  # its backward, like max_pool2d's, picks one phase per tie
    else:
        pooled = torch.maximum(torch.maximum(phases[0], phases[1]), torch.maximum(phases[2], phases[3]))
    return pooled.contiguous(memory_format=torch.channels_last)


def stacked(tensors: Sequence[torch.Tensor]) -> nn.Parameter:
    """One parameter holding the tensors of the M copies along a new first axis."""
    return nn.Parameter(torch.stack(list(tensors)))


class StackedLineScorer(nn.Module):
    """M copies of N1 (§3.1), copy m initialised from generators[m] on the CPU."""

    def __init__(self, generators: Sequence[torch.Generator], initialisation: str = "scripts") -> None:
        super().__init__()
        if len(generators) == 0:
            raise ValueError("generators must hold one generator per network, got none")
        layers = []
        for g in generators:
            # the scripts' fan of the first convolution is the raw image's last axis (28), not its 1 channel
            conv1 = initial_layer((CHANNELS, 1, KERNEL, KERNEL), KERNEL * KERNEL, IMAGE_SIZE, initialisation, g)
            conv2 = initial_layer(
                (CHANNELS, CHANNELS, KERNEL, KERNEL), CHANNELS * KERNEL**2, CHANNELS, initialisation, g
            )
            layers.append(
                (
                    conv1,
                    conv2,
                    linear_layer(FLAT, HIDDEN_1, initialisation, g),
                    linear_layer(HIDDEN_1, HIDDEN_2, initialisation, g),
                    linear_layer(HIDDEN_2, 1, initialisation, g),
                )
            )
        self.count = len(generators)
        self.conv1_weight, self.conv1_bias = (stacked([layer[0][i] for layer in layers]) for i in range(2))
        self.conv2_weight, self.conv2_bias = (stacked([layer[1][i] for layer in layers]) for i in range(2))
        self.fc1_weight, self.fc1_bias = (stacked([layer[2][i] for layer in layers]) for i in range(2))
        self.fc2_weight, self.fc2_bias = (stacked([layer[3][i] for layer in layers]) for i in range(2))
        self.score_weight, self.score_bias = (stacked([layer[4][i] for layer in layers]) for i in range(2))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The 100 features that feed N1's last layer, shape (M, N, 100), for images of shape (M, N, 28, 28)."""
        if images.dim() != 4 or images.shape[0] != self.count or images.shape[2:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"images must be ({self.count}, N, 28, 28), got {tuple(images.shape)}")
        x = torch.stack([self.convolutions(images[m], m) for m in range(self.count)])  # (M, N, 784)
        x = torch.relu(torch.baddbmm(self.fc1_bias, x, self.fc1_weight))
        return torch.relu(torch.baddbmm(self.fc2_bias, x, self.fc2_weight))

    def convolutions(self, images: torch.Tensor, copy: int) -> torch.Tensor:
        """Copy `copy`'s two convolution + max-pool stages, flattened: (N, 784) for images (N, 28, 28)."""
        x = convolve_and_pool(images.unsqueeze(1), self.conv1_weight[copy], self.conv1_bias[copy])
        x = F.max_pool2d(F.conv2d(x, self.conv2_weight[copy], self.conv2_bias[copy], padding=KERNEL // 2), 2)
        return x.reshape(len(images), FLAT)

    def score(self, features: torch.Tensor) -> torch.Tensor:
        """N1's last layer: scores (M, N) from features (M, N, 100)."""
        return stacked_scores(features, self.score_weight, self.score_bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Image scores (M, N) for images (M, N, 28, 28)."""
        return self.score(self.features(images))


class StackedParityHead(nn.Module):
    """M copies of N2 (§3.1): tuple score = Linear(100, 1)(ReLU(Linear(k, 100)(sigmoid(scores))))."""

    def __init__(self, k: int, generators: Sequence[torch.Generator], initialisation: str = "scripts") -> None:
        super().__init__()
        require_int("k", k, minimum=1)
        if len(generators) == 0:
            raise ValueError("generators must hold one generator per network, got none")
        layers = [
            (linear_layer(k, HEAD_HIDDEN, initialisation, g), linear_layer(HEAD_HIDDEN, 1, initialisation, g))
            for g in generators
        ]
        self.k = k
        self.hidden_weight, self.hidden_bias = (stacked([hidden[i] for hidden, _ in layers]) for i in range(2))
        self.output_weight, self.output_bias = (stacked([output[i] for _, output in layers]) for i in range(2))

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        """Tuple scores (M, B) for image scores (M, B, k)."""
        hidden = torch.relu(torch.baddbmm(self.hidden_bias, torch.sigmoid(scores), self.hidden_weight))
        return stacked_scores(hidden, self.output_weight, self.output_bias)


class StackedTupleNetwork(nn.Module):
    """M copies of the whole §3.1 network N = N2(σ(N1(x_1)), …, σ(N1(x_k))); copy m drawn from generators[m]."""

    def __init__(self, k: int, generators: Sequence[torch.Generator], initialisation: str = "scripts") -> None:
        super().__init__()
        self.scorer = StackedLineScorer(generators, initialisation)
        self.head = StackedParityHead(k, generators, initialisation)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(image scores (M, B, k), tuple scores (M, B)) for tuples of images (M, B, k, 28, 28)."""
        count, batch, k = images.shape[:3]
        if k != self.head.k:
            raise ValueError(f"images must hold tuples of k = {self.head.k} images, got {k}")
        scores = self.scorer(images.reshape(count, batch * k, IMAGE_SIZE, IMAGE_SIZE)).reshape(count, batch, k)
        return scores, self.head(scores)
