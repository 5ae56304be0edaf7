"""Figure 5 (paper §3.3) made measurable: the signal-to-noise ratio of single-tuple gradients at initialisation.

For the weights w of N1's last layer (not its bias, as in the authors' script), SNR = ‖E ĝ‖² / E‖ĝ − E ĝ‖², where ĝ
is the gradient of one tuple's loss. The loss depends on w only through the k image scores s_i = wᵀh_i + b, so
ĝ = Σ_i (∂ℓ/∂s_i) h_i: N1's features h are computed once per image and only the cheap head is differentiated.

The signal is tiny next to the noise, so it is estimated without bias and with variance reduction:
- mirror orbits: D is symmetric under x ↦ 27 − x with the image label flipped, so each of the 2^k tuples
  obtained by mirroring any subset of a tuple's images is again a draw of the tuple distribution. The average
  ḡ of ĝ over this orbit has the same expectation as ĝ and (usually) a far smaller variance;
- two independent means: the T tuples split into halves A and B, ⟨ḡ_A, ḡ_B⟩ is an unbiased estimate of ‖E ĝ‖²
  (the plain ‖mean‖² is biased up by the variance over T), symmetric about zero when the signal vanishes.
The noise is E‖ĝ‖² − ‖E ĝ‖², with E‖ĝ‖² averaged over every tuple of every orbit. The same pass records the
plain Monte Carlo estimate (the tuples as drawn, no orbits) and the pieces of the k-way interaction's prediction
(`gradfail.lines.interaction`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from gradfail.devices import resolve_device
from gradfail.lines.images import mirror, sample_line_images
from gradfail.lines.interaction import GRID, InteractionMoments, interaction_kernel
from gradfail.lines.networks import StackedLineScorer, StackedParityHead
from gradfail.lines.settings import SnrSettings
from gradfail.seeding import derived_seed, generator
from gradfail.training import progress_enabled
from gradfail.validation import require_choice, require_int

SNR_LOSSES = ("end-to-end", "decomposition", "first image")
INIT_STREAM, HEAD_STREAM, IMAGE_STREAM, KERNEL_STREAM = range(4)
AUTHORS_SAMPLES, AUTHORS_BATCH = 500_000, 100  # the authors' SNR script: one pass over its 500,000 tuples, batch 100


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
    """Running sums, per network, over T tuples split alternately into halves A and B: Σ ḡ_t and Σ ĝ_t (the
    tuple as drawn, no orbit) over each half, and Σ (orbit mean of ‖ĝ‖²) over all (float64)."""

    orbit_sums: torch.Tensor  # (2, M, dim)
    plain_sums: torch.Tensor  # (2, M, dim)
    squared_norms: torch.Tensor
    tuples: int = 0

    @classmethod
    def zeros(cls, count: int, dim: int, device: torch.device) -> GradientMoments:
        """Empty sums for `count` networks with gradients of dimension `dim`."""
        sums = torch.zeros(2, count, dim, dtype=torch.float64, device=device)
        return cls(sums, sums.clone(), torch.zeros(count, dtype=torch.float64, device=device))

    def add(self, gradients: torch.Tensor) -> None:
        """Add single-tuple gradients of shape (M, T, 2^k, dim), T even: every tuple of T mirror orbits."""
        if gradients.shape[1] % 2:
            raise ValueError(f"gradients must hold an even number of tuples, got {gradients.shape[1]}")
        orbit_means = gradients.mean(dim=2)
        for half in range(2):
            self.orbit_sums[half] += orbit_means[:, half::2].sum(dim=1)
            self.plain_sums[half] += gradients[:, half::2, 0].sum(dim=1)
        self.squared_norms += gradients.pow(2).sum(dim=-1).mean(dim=2).sum(dim=1)
        self.tuples += gradients.shape[1]

    def signal(self, orbits: bool = True) -> torch.Tensor:
        """Unbiased ‖E ĝ‖² per network: ⟨mean of half A, mean of half B⟩, from the orbit means ḡ or, with
        `orbits=False`, from the single tuples ĝ (plain Monte Carlo). Its scatter is symmetric about zero when
        the signal vanishes, unlike the mean over all pairs, whose own squares skew it."""
        if self.tuples < 2:
            raise ValueError(f"the signal needs at least 2 tuples, got {self.tuples}")
        first, second = (self.orbit_sums if orbits else self.plain_sums) / (self.tuples / 2)
        return (first * second).sum(dim=-1)

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
    """Per (loss, k, initialisation): the estimated signal ‖E ĝ‖² (orbits, and plain Monte Carlo), the noise
    E‖ĝ − E ĝ‖²; per initialisation corr(y, σ(s)); per (k, initialisation) end-to-end's predicted signal."""

    losses: tuple[str, ...]
    ks: tuple[int, ...]
    signal: np.ndarray  # (losses, ks, initialisations)
    noise: np.ndarray
    plain_signal: np.ndarray
    correlation: np.ndarray  # (initialisations,)
    predicted_signal: np.ndarray  # (ks, initialisations), end-to-end

    @property
    def snr(self) -> np.ndarray:
        """signal / noise, shape (losses, ks, initialisations)."""
        return self.signal / self.noise

    @property
    def plain_snr(self) -> np.ndarray:
        """The plain Monte Carlo signal / noise, shape (losses, ks, initialisations)."""
        return self.plain_signal / self.noise

    def of(self, loss: str, plain: bool = False) -> np.ndarray:
        """The SNR of `loss` (plain Monte Carlo with `plain`), shape (ks, initialisations)."""
        return (self.plain_snr if plain else self.snr)[self.losses.index(require_choice("loss", loss, self.losses))]

    def signal_of(self, loss: str) -> np.ndarray:
        """The orbit estimate of ‖E ĝ‖² for `loss`, shape (ks, initialisations)."""
        return self.signal[self.losses.index(require_choice("loss", loss, self.losses))]


def head_kernels(
    head: StackedParityHead, pool: torch.Tensor, generators: list[torch.Generator]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(grid (G,), κ_k (M, G)) of every copy of `head`, on a grid spanning the pooled u values (M, P)."""
    low, high = pool.min(), pool.max()
    margin = (high - low) / 10
    grid = torch.linspace(low - margin, high + margin, GRID, dtype=torch.float64, device=pool.device)
    kappas = [
        interaction_kernel(
            head.hidden_weight[m].detach().double(),
            head.hidden_bias[m, 0].detach().double(),
            head.output_weight[m, :, 0].detach().double(),
            pool[m],
            grid,
            generators[m],
        )
        for m in range(len(pool))
    ]
    return grid, torch.stack(kappas)


def estimate_snr(settings: SnrSettings, *, seed: int = 0, device: str | torch.device = "auto") -> SnrEstimate:
    """Figure 5: the SNR of every loss in SNR_LOSSES for every k, at `settings.initialisations` random networks,
    and the pieces of the k-way interaction's prediction of end-to-end's signal.

    Network i draws its own images; the tuples of every k are formed from the same images (k at a time), so
    each k's estimate is unbiased, though the k values are not independent of one another. The kernels κ_k of
    the prediction are tabulated from the first chunk's u values.
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
    kernel_streams = [generator(derived_seed(seed, i, KERNEL_STREAM), device) for i in runs]
    dim = scorer.score_weight.shape[1]
    moments = {(loss, k): GradientMoments.zeros(len(runs), dim, device) for loss in SNR_LOSSES for k in settings.ks}
    interaction = InteractionMoments.zeros(len(runs), len(settings.ks), dim, device)
    kernels = None
    chunk = settings.chunk_images
    with torch.no_grad():
        chunks = range(settings.images // chunk)
        for _ in tqdm(chunks, desc="SNR", disable=not progress_enabled(), leave=False):
            drawn = [sample_line_images(chunk, g, "paper") for g in streams]
            images, labels = torch.stack([d[0] for d in drawn]), torch.stack([d[1] for d in drawn]).double()
            features = scorer.features(images).double()
            mirrored = scorer.features(mirror(images)).double()
            scores, mirrored_scores = (scorer.score(x.float()).double() for x in (features, mirrored))
            if kernels is None:
                pool = torch.sigmoid(torch.cat([scores, mirrored_scores], dim=1))
                kernels = [head_kernels(heads[k], pool, kernel_streams) for k in settings.ks]
            interaction.add(scores, mirrored_scores, features, mirrored, labels, kernels)
            for k in settings.ks:
                tuples = chunk // k
                shape = (len(runs), tuples, k)
                as_tuples = [x[:, : tuples * k].reshape(*shape, -1) for x in (features, mirrored)]
                for loss in SNR_LOSSES:
                    gradients = orbit_gradients(
                        loss, *as_tuples, labels[:, : tuples * k].reshape(shape), scorer, heads[k]
                    )
                    moments[loss, k].add(gradients)

    def table(quantity: str) -> np.ndarray:
        return np.array(
            [[getattr(moments[loss, k], quantity)().cpu().numpy() for k in settings.ks] for loss in SNR_LOSSES]
        )

    plain = np.array(
        [[moments[loss, k].signal(orbits=False).cpu().numpy() for k in settings.ks] for loss in SNR_LOSSES]
    )
    return SnrEstimate(
        SNR_LOSSES,
        settings.ks,
        table("signal"),
        table("noise"),
        plain,
        interaction.correlation().cpu().numpy(),
        interaction.predicted_signal(settings.ks).cpu().numpy(),
    )


def authors_estimate(snr: np.ndarray, samples: int = AUTHORS_SAMPLES, batch: int = AUTHORS_BATCH) -> np.ndarray:
    """What the authors' SNR script reports, in expectation, for a true SNR: its signal ‖mean of `samples`
    gradients‖² is biased up by σ²/samples and its noise B·E‖g_B‖² − (signal)² ≈ σ² + B‖E ĝ‖², so it reads
    (SNR + 1/samples) / (1 + batch · SNR)."""
    require_int("samples", samples, minimum=1)
    require_int("batch", batch, minimum=1)
    snr = np.asarray(snr, dtype=float)
    return (snr + 1 / samples) / (1 + batch * snr)
