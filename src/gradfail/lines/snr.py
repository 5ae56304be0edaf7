"""Figure 5 (paper §3.3) made measurable: the signal-to-noise ratio of single-tuple gradients at initialisation.

For the weights w of N1's last layer (not its bias, as in the authors' script), SNR = ‖E ĝ‖² / E‖ĝ − E ĝ‖², where ĝ
is the gradient of one tuple's loss. The loss depends on w only through the k image scores s_i = wᵀh_i + b, so
ĝ = Σ_i (∂ℓ/∂s_i) h_i: N1's features h are computed once per image and only the cheap head is differentiated.

The signal is tiny next to the noise, so it is estimated without bias and with variance reduction:
- mirror orbits: D is symmetric under x ↦ 27 − x with the image label flipped, so each of the 2^k tuples
  obtained by mirroring any subset of a tuple's images is again a draw of the tuple distribution. The average
  ḡ of ĝ over this orbit has the same expectation as ĝ and (usually) a far smaller variance;
- pairs of independent means: over T independent tuples, (‖Σ_t ḡ_t‖² − Σ_t ‖ḡ_t‖²) / (T(T − 1)) is the
  average of ⟨ḡ_s, ḡ_t⟩ over pairs s ≠ t, an unbiased estimate of ‖E ĝ‖² (the plain ‖mean‖² is biased up
  by the variance over T).
The noise is E‖ĝ‖² − ‖E ĝ‖², with E‖ĝ‖² averaged over every tuple of every orbit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from gradfail.devices import resolve_device
from gradfail.lines.images import mirror, sample_line_images
from gradfail.lines.networks import StackedLineScorer, StackedParityHead
from gradfail.lines.settings import SnrSettings
from gradfail.seeding import derived_seed, generator
from gradfail.training import progress_enabled
from gradfail.validation import require_choice, require_int

SNR_LOSSES = ("end-to-end", "decomposition", "first image")
INIT_STREAM, HEAD_STREAM, IMAGE_STREAM = range(3)


def mirror_patterns(k: int) -> torch.Tensor:
    """All 2^k subsets of the k images as a bool tensor (2^k, k): row p mirrors image i iff bit i of p is set."""
    require_int("k", k, minimum=1)
    return (torch.arange(2**k).unsqueeze(1) >> torch.arange(k)) & 1 == 1


def tuple_losses(loss: str, scores: torch.Tensor, labels: torch.Tensor, head: StackedParityHead) -> torch.Tensor:
    """The single-tuple loss ℓ of every tuple, shape (M, ...), for scores and ±1 labels of shape (M, ..., k).

    end-to-end: hinge of the tuple score against ỹ (L̃); decomposition: that plus the mean over the k images of
    the hinge of each score against its label (L̃ + L, the objective of Figure 3's decomposition runs);
    first image: the image loss of the tuple's first image only (what the authors' SNR script measured).
    """
    require_choice("loss", loss, SNR_LOSSES)
    image_hinge = torch.relu(1 - labels * scores)
    if loss == "first image":
        return image_hinge[..., 0]
    shape = scores.shape
    tuple_scores = head(scores.reshape(shape[0], -1, shape[-1])).reshape(shape[:-1])
    primary = torch.relu(1 - labels.prod(dim=-1) * tuple_scores)
    return primary if loss == "end-to-end" else primary + image_hinge.mean(dim=-1)


@dataclass
class GradientMoments:
    """Running sums, per network, over T tuples: Σ ḡ_t, Σ ‖ḡ_t‖² and Σ (orbit mean of ‖ĝ‖²) (float64)."""

    orbit_mean_sum: torch.Tensor
    orbit_mean_squares: torch.Tensor
    squared_norms: torch.Tensor
    tuples: int = 0

    @classmethod
    def zeros(cls, count: int, dim: int, device: torch.device) -> GradientMoments:
        """Empty sums for `count` networks with gradients of dimension `dim`."""
        z = torch.zeros(count, dtype=torch.float64, device=device)
        return cls(torch.zeros(count, dim, dtype=torch.float64, device=device), z, z.clone())

    def add(self, gradients: torch.Tensor) -> None:
        """Add single-tuple gradients of shape (M, T, 2^k, dim): every tuple of T mirror orbits."""
        orbit_means = gradients.mean(dim=2)
        self.orbit_mean_sum += orbit_means.sum(dim=1)
        self.orbit_mean_squares += orbit_means.pow(2).sum(dim=(1, 2))
        self.squared_norms += gradients.pow(2).sum(dim=-1).mean(dim=2).sum(dim=1)
        self.tuples += gradients.shape[1]

    def signal(self) -> torch.Tensor:
        """Unbiased ‖E ĝ‖² per network: the mean of ⟨ḡ_s, ḡ_t⟩ over pairs s ≠ t."""
        t = self.tuples
        if t < 2:
            raise ValueError(f"the signal needs at least 2 tuples, got {t}")
        return (self.orbit_mean_sum.pow(2).sum(dim=-1) - self.orbit_mean_squares) / (t * (t - 1))

    def noise(self) -> torch.Tensor:
        """E‖ĝ − E ĝ‖² = E‖ĝ‖² − ‖E ĝ‖² per network."""
        return self.squared_norms / self.tuples - self.signal()


def orbit_gradients(
    loss: str,
    features: torch.Tensor,
    mirrored_features: torch.Tensor,
    labels: torch.Tensor,
    scorer: StackedLineScorer,
    head: StackedParityHead,
) -> torch.Tensor:
    """ĝ = ∂ℓ/∂w for every tuple of every mirror orbit: shape (M, T, 2^k, 100), in float64.

    features, mirrored_features: (M, T, k, 100), N1's features of each image and of its mirror image;
    labels: (M, T, k). Mirroring image i swaps its features and flips its label.
    """
    patterns = mirror_patterns(features.shape[2]).to(features.device)  # (P, k)
    weight = scorer.score_weight.detach().to(features.dtype).unsqueeze(1)  # (M, 1, 100, 1)
    bias = scorer.score_bias.detach().to(features.dtype)  # (M, 1, 1)
    scores, mirrored_scores = ((x @ weight).squeeze(-1) + bias for x in (features, mirrored_features))
    orbit_scores = torch.where(patterns, mirrored_scores.unsqueeze(2), scores.unsqueeze(2)).requires_grad_()
    orbit_labels = labels.unsqueeze(2) * (1 - 2 * patterns.to(labels.dtype))  # (M, T, P, k)
    with torch.enable_grad():
        (slopes,) = torch.autograd.grad(tuple_losses(loss, orbit_scores, orbit_labels, head).sum(), orbit_scores)
    kept, swapped = slopes * ~patterns, slopes * patterns
    return torch.einsum("mtpk,mtkd->mtpd", kept, features) + torch.einsum("mtpk,mtkd->mtpd", swapped, mirrored_features)


@dataclass(frozen=True)
class SnrEstimate:
    """Per (loss, k, initialisation): the estimated signal ‖E ĝ‖², noise E‖ĝ − E ĝ‖² and their ratio."""

    losses: tuple[str, ...]
    ks: tuple[int, ...]
    signal: np.ndarray  # (losses, ks, initialisations)
    noise: np.ndarray

    @property
    def snr(self) -> np.ndarray:
        """signal / noise, shape (losses, ks, initialisations)."""
        return self.signal / self.noise

    def of(self, loss: str) -> np.ndarray:
        """The SNR of `loss`, shape (ks, initialisations)."""
        return self.snr[self.losses.index(require_choice("loss", loss, self.losses))]


def estimate_snr(settings: SnrSettings, *, seed: int = 0, device: str | torch.device = "auto") -> SnrEstimate:
    """Figure 5: the SNR of every loss in SNR_LOSSES for every k, at `settings.initialisations` random networks.

    Network i draws its own images; the tuples of every k are formed from the same images (k at a time), so
    each k's estimate is unbiased, though the k values are not independent of one another.
    """
    device = resolve_device(device)
    runs = range(settings.initialisations)
    scorer = StackedLineScorer(
        [generator(derived_seed(seed, i, INIT_STREAM)) for i in runs], settings.initialisation
    ).to(device)
    heads = {
        k: StackedParityHead(
            k, [generator(derived_seed(seed, i, k, HEAD_STREAM)) for i in runs], settings.initialisation
        ).to(device, torch.float64)
        for k in settings.ks
    }
    streams = [generator(derived_seed(seed, i, IMAGE_STREAM), device) for i in runs]
    moments = {
        (loss, k): GradientMoments.zeros(len(runs), scorer.score_weight.shape[1], device)
        for loss in SNR_LOSSES
        for k in settings.ks
    }
    chunk = settings.chunk_images
    with torch.no_grad():
        chunks = range(settings.images // chunk)
        for _ in tqdm(chunks, desc="SNR", disable=not progress_enabled(), leave=False):
            drawn = [sample_line_images(chunk, g, "paper") for g in streams]
            images, labels = torch.stack([d[0] for d in drawn]), torch.stack([d[1] for d in drawn]).double()
            features = scorer.features(images).double()
            mirrored = scorer.features(mirror(images)).double()
            for k in settings.ks:
                tuples = chunk // k
                shape = (len(runs), tuples, k)
                as_tuples = [x[:, : tuples * k].reshape(*shape, -1) for x in (features, mirrored)]
                for loss in SNR_LOSSES:
                    gradients = orbit_gradients(
                        loss, *as_tuples, labels[:, : tuples * k].reshape(shape), scorer, heads[k]
                    )
                    moments[loss, k].add(gradients)
    signal = np.array([[moments[loss, k].signal().cpu().numpy() for k in settings.ks] for loss in SNR_LOSSES])
    noise = np.array([[moments[loss, k].noise().cpu().numpy() for k in settings.ks] for loss in SNR_LOSSES])
    return SnrEstimate(SNR_LOSSES, settings.ks, signal, noise)


def median_confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median, lower, upper) over the last axis, with the distribution-free interval of order statistics
    [x_(j), x_(n+1−j)], j the largest rank with P(Binomial(n, ½) < j) ≤ (1 − level)/2."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    ordered = np.sort(np.asarray(values, dtype=float), axis=-1)
    count = ordered.shape[-1]
    below = np.cumsum([math.comb(count, i) for i in range(count + 1)]) / 2**count  # below[j] = P(B ≤ j)
    rank = int(np.searchsorted(below, (1 - level) / 2, side="right"))  # P(B ≤ rank − 1) ≤ (1 − level)/2
    if rank < 1:
        raise ValueError(f"{count} values are too few for a {level:.0%} interval for the median")
    return np.median(ordered, axis=-1), ordered[..., rank - 1], ordered[..., count - rank]


def resolved_upper_bound(values: np.ndarray, level: float = 0.95) -> np.ndarray:
    """The upper end of the median's interval over the last axis, raised to the estimates' median absolute value:
    an upper end below the estimator's own scatter (even a negative one) says only that nothing was resolved."""
    return np.maximum(median_confidence_interval(values, level)[2], np.median(np.abs(values), axis=-1))
