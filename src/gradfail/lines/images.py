"""The line images of §3.1 (Figure 2) and their k-tuples: a whole batch drawn and rendered at once.

One image is a 28×28 binary picture of a straight line: angle θ ~ U[0, π], length l ~ U[5, 23], centre
(c_x, c_y) uniform; its pixels are the points c + j (cos θ, sin θ), |j| < ⌊l/2⌋ (the scripts' rule: the paper
says only "a line of length l"; it gives about l − 2 points), mapped to integer coordinates (column from the
first coordinate, row from the second). Its label is +1 if θ < π/2 else −1.
Two variants: `paper` (the paper's text: rounded to the nearest pixel, centre ~ U([0, 27]²)) and `scripts`
(the authors' scripts: coordinates truncated towards zero, centre ~ U([0, 28)²)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from gradfail.validation import require_choice, require_int

IMAGE_SIZE = 28
MIN_LENGTH, MAX_LENGTH = 5.0, 23.0
MAX_HALF_LENGTH = int(MAX_LENGTH // 2)  # ⌊l/2⌋ ≤ 11, so |j| ≤ 10
VARIANTS = ("paper", "scripts")
CENTRE_SPAN = {"paper": IMAGE_SIZE - 1.0, "scripts": float(IMAGE_SIZE)}


@dataclass(frozen=True)
class LineParameters:
    """The random parameters of a batch of line images (float64, shape (n,) each)."""

    angles: torch.Tensor
    lengths: torch.Tensor
    centre_x: torch.Tensor
    centre_y: torch.Tensor

    def labels(self) -> torch.Tensor:
        """y = +1 if θ < π/2 else −1 (float32), the image label of §3.1."""
        return torch.where(self.angles < math.pi / 2, 1.0, -1.0).float()

    def mirrored(self) -> LineParameters:
        """The parameters of the mirror images under x ↦ 27 − x: θ ↦ π − θ, c_x ↦ 27 − c_x (labels flip)."""
        return LineParameters(math.pi - self.angles, self.lengths, IMAGE_SIZE - 1 - self.centre_x, self.centre_y)


def sample_line_parameters(count: int, generator: torch.Generator, variant: str = "paper") -> LineParameters:
    """Draw θ ~ U[0, π], l ~ U[5, 23] and the centre (uniform over the variant's span) for `count` images."""
    require_int("count", count, minimum=1)
    require_choice("variant", variant, VARIANTS)
    uniform = torch.rand(count, 4, generator=generator, device=generator.device, dtype=torch.float64)
    span = CENTRE_SPAN[variant]
    scale = torch.tensor([math.pi, MAX_LENGTH - MIN_LENGTH, span, span], dtype=torch.float64, device=uniform.device)
    offset = torch.tensor([0.0, MIN_LENGTH, 0.0, 0.0], dtype=torch.float64, device=uniform.device)
    return LineParameters(*torch.addcmul(offset, uniform, scale).unbind(1))  # θ, l, c_x, c_y in one operation


def to_pixel(coordinates: torch.Tensor, variant: str) -> torch.Tensor:
    """Integer pixel coordinates: nearest integer (`paper`) or truncation towards zero (`scripts`)."""
    require_choice("variant", variant, VARIANTS)
    return torch.round(coordinates) if variant == "paper" else torch.trunc(coordinates)


def render_lines(parameters: LineParameters, variant: str = "paper") -> torch.Tensor:
    """The binary images (n, 28, 28), float32, of `parameters`: every point of every line placed at once."""
    angles, count = parameters.angles, len(parameters.angles)
    steps = torch.arange(1 - MAX_HALF_LENGTH, MAX_HALF_LENGTH, device=angles.device, dtype=torch.float64)
    last = torch.floor(parameters.lengths / 2).unsqueeze(1) - 1  # the line's points are j = -last, ..., last
    steps = torch.minimum(steps.abs(), last) * steps.sign()  # (n, 21); a j past an end becomes that end: a repeat
    columns = to_pixel(parameters.centre_x.unsqueeze(1) + steps * torch.cos(angles).unsqueeze(1), variant)
    rows = to_pixel(parameters.centre_y.unsqueeze(1) + steps * torch.sin(angles).unsqueeze(1), variant)
    # pixels from the image's middle, beyond 13.5: 0 for points inside the image, ≥ 1 outside (arithmetic is
    # cheaper than the four comparisons and their conjunction)
    middle = (IMAGE_SIZE - 1) / 2
    outside = torch.maximum((columns - middle).abs(), (rows - middle).abs()).sub_(middle).clamp_(min=0)
    pixels = IMAGE_SIZE * IMAGE_SIZE
    discarded = count * pixels  # points off the image are sent past this slot and then clamped onto it
    first_slot = torch.arange(0, discarded, pixels, device=angles.device, dtype=torch.float64).unsqueeze(1)
    slots = (rows * IMAGE_SIZE).add_(columns).add_(first_slot).add_(outside, alpha=2 * discarded)
    canvas = torch.zeros(discarded + 1, device=angles.device)
    canvas.index_fill_(0, slots.clamp_(max=discarded).long().view(-1), 1.0)
    return canvas[:discarded].view(count, IMAGE_SIZE, IMAGE_SIZE)


def render_lines_loop(parameters: LineParameters, variant: str = "paper") -> torch.Tensor:
    """Reference for `render_lines`: the same drawing, one image and one point at a time (tests, benchmarks)."""
    require_choice("variant", variant, VARIANTS)
    pixel = round if variant == "paper" else math.trunc
    images = torch.zeros(len(parameters.angles), IMAGE_SIZE, IMAGE_SIZE)
    columns = (parameters.angles, parameters.lengths, parameters.centre_x, parameters.centre_y)
    for i, (angle, length, cx, cy) in enumerate(zip(*(c.tolist() for c in columns), strict=True)):
        for j in range(int(length // 2)):
            for sign in (-1, 1):
                column, row = pixel(cx + sign * j * math.cos(angle)), pixel(cy + sign * j * math.sin(angle))
                if 0 <= column < IMAGE_SIZE and 0 <= row < IMAGE_SIZE:
                    images[i, row, column] = 1.0
    return images


def sample_line_images(
    count: int, generator: torch.Generator, variant: str = "paper"
) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` images (n, 28, 28) of distribution D (§3.1) and their ±1 labels (n,)."""
    parameters = sample_line_parameters(count, generator, variant)
    return render_lines(parameters, variant), parameters.labels()


@dataclass(frozen=True)
class TupleBatch:
    """k-tuples of i.i.d. line images: images (B, k, 28, 28), image labels (B, k), tuple labels (B,)."""

    images: torch.Tensor
    labels: torch.Tensor

    @property
    def tuple_labels(self) -> torch.Tensor:
        """ỹ = the product (parity) of the k image labels (§3.1)."""
        return self.labels.prod(dim=-1)


def sample_tuples(batch: int, k: int, generator: torch.Generator, variant: str = "paper") -> TupleBatch:
    """`batch` tuples of `k` independent line images each, drawn in one call."""
    require_int("batch", batch, minimum=1)
    require_int("k", k, minimum=1)
    images, labels = sample_line_images(batch * k, generator, variant)
    return TupleBatch(images.reshape(batch, k, IMAGE_SIZE, IMAGE_SIZE), labels.reshape(batch, k))


def mirror(images: torch.Tensor) -> torch.Tensor:
    """Reflect images left–right (x ↦ 27 − x): under D this maps an image of angle θ to one of angle π − θ."""
    return torch.flip(images, dims=(-1,))
