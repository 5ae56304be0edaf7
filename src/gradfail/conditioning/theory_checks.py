"""The measurements behind §4.1's theory claims: Lemma 1 in integer arithmetic, Lemma 2 against many SGD runs,
the condition numbers of Theorem 3 and A.6 against n, the gradient-descent iteration counts they imply, and
the stability of the fully connected iteration."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from gradfail.conditioning.claims import EARLY
from gradfail.conditioning.curves import (
    SECOND_DIFFERENCE,
    double_integration_matrix,
    integrate_twice,
    sample_encodings,
    second_difference,
    second_difference_matrix,
)
from gradfail.conditioning.descent import adam_learner_problems, encoding_errors, overtaking_iteration
from gradfail.conditioning.learners import LEARNERS
from gradfail.conditioning.population import (
    PopulationRegression,
    convolution_regression,
    expected_sgd_weights,
    fully_connected_regression,
    kink_variance,
    linear_learner_regressions,
    sgd_weight_runs,
)
from gradfail.conditioning.settings import ConditioningSettings
from gradfail.conditioning.spectrum import (
    double_integration_bounds,
    double_integration_spectrum,
    fitted_exponent,
    singular_values,
)
from gradfail.seeding import derived_seed, generator

LEMMA1_SIZES = (3, 4, 7, 10, 51, 100, 301)  # odd and even n
LEMMA2_N, LEMMA2_STEPS, LEMMA2_RUNS, LEMMA2_STEP = 8, 50, 20_000, 0.25  # LEMMA2_STEP is ηλS²₁₁
SIZES = (25, 50, 100, 200, 400, 800)
TOLERANCE = 0.01  # "reached": relative population error below 1%
CHECK_SIZES = (8, 12)  # where gradient descent is also run literally
LINEAR = LEARNERS[:3]  # fully connected, convolution, conditioned convolution


def lemma1_errors(length: int, kinks: int, seed: int) -> tuple[int, float]:
    """Largest |entry| of UW − I and WU − I over LEMMA1_SIZES (integers), and the largest difference between
    the encoding and each way of recovering it from 1,000 integer-slope curves of length `length`."""
    inverse_error = 0
    for size in LEMMA1_SIZES:
        w, u = double_integration_matrix(size, torch.int64), second_difference_matrix(size, torch.int64)
        identity = torch.eye(size, dtype=torch.int64)
        inverse_error = max(inverse_error, (u @ w - identity).abs().max().item(), (w @ u - identity).abs().max().item())
    codes = sample_encodings(1000, length, kinks, generator(derived_seed(seed, 0)), "scripts").double()
    curves = integrate_twice(codes)
    recovery = max(
        (curves - codes @ double_integration_matrix(length).T).abs().max(),
        (second_difference(curves) - codes).abs().max(),
        (curves @ second_difference_matrix(length).T - codes).abs().max(),
    )
    return inverse_error, float(recovery)


@dataclass(frozen=True)
class Lemma2Check:
    """The mean of LEMMA2_RUNS SGD runs against Lemma 2's closed form, entry by entry, in standard errors."""

    z_scores: torch.Tensor
    off_by_one: torch.Tensor  # the same with t + 1 terms: shows the check can tell them apart
    relative_gap: float


def lemma2_check(kinks: int, seed: int) -> Lemma2Check:
    """Lemma 2 at n = LEMMA2_N, ηλS²₁₁ = LEMMA2_STEP, after LEMMA2_STEPS steps."""
    top = kink_variance(LEMMA2_N, kinks) * float(singular_values(double_integration_matrix(LEMMA2_N))[0] ** 2)
    lr = LEMMA2_STEP / top
    runs = sgd_weight_runs(LEMMA2_N, kinks, lr, LEMMA2_STEPS, LEMMA2_RUNS, generator(derived_seed(seed, 1)))
    mean, standard_error = runs.mean(dim=0), runs.std(dim=0) / LEMMA2_RUNS**0.5
    predicted = expected_sgd_weights(LEMMA2_N, kinks, lr, LEMMA2_STEPS)
    off_by_one = expected_sgd_weights(LEMMA2_N, kinks, lr, LEMMA2_STEPS + 1)
    return Lemma2Check(
        ((mean - predicted) / standard_error).abs(),
        ((mean - off_by_one) / standard_error).abs(),
        float((mean - predicted).norm() / predicted.norm()),
    )


@dataclass(frozen=True)
class ConditionStudy:
    """Condition numbers against n (Theorem 3, A.6, §4.1.3) and the population problems behind them."""

    spectrum: dict[str, np.ndarray]
    regressions: dict[int, dict[str, PopulationRegression]]
    kappa: dict[str, np.ndarray]
    bounds: np.ndarray  # (sizes, 2): the closed-form lower and upper bounds on κ(W)

    def exponents(self) -> dict[str, float]:
        return {learner: fitted_exponent(SIZES, values) for learner, values in self.kappa.items()}

    def local_exponent(self, values: np.ndarray) -> float:
        """The slope of log κ against log n between the two largest sizes."""
        return float(np.log(values[-1] / values[-2]) / np.log(SIZES[-1] / SIZES[-2]))

    def claim_inputs(self, curves: int) -> tuple[float, float, int, float, float, int]:
        outside = (self.bounds[:, 0] > self.spectrum["condition"]) | (self.spectrum["condition"] > self.bounds[:, 1])
        return (
            self.exponents()["fully connected"],
            self.local_exponent(self.spectrum["condition"]),
            int(outside.sum()),
            self.local_exponent(self.kappa["convolution"]),
            float(self.kappa["conditioned"].max()),
            curves,
        )


def condition_study(kinks: int, curves: int, seed: int) -> ConditionStudy:
    """The spectrum of W and the three linear learners' population problems at every n of SIZES (the whitening
    estimated from `curves` sampled curves)."""
    spectrum = double_integration_spectrum(SIZES)
    regressions = {
        size: linear_learner_regressions(size, kinks, curves, generator(derived_seed(seed, 2, size))) for size in SIZES
    }
    kappa = {learner: np.array([regressions[s][learner].condition_number for s in SIZES]) for learner in LINEAR}
    bounds = np.array([double_integration_bounds(s) for s in SIZES])
    return ConditionStudy(spectrum, regressions, kappa, bounds)


@dataclass(frozen=True)
class IterationStudy:
    """Gradient-descent iterations (step 1/μ₁) to TOLERANCE, on the encoding and on the decoded curve."""

    iterations: dict[str, dict[str, np.ndarray]]  # metric → learner → count per size
    literal: dict[tuple[int, str, str], tuple[int, int]]  # (n, learner, metric) → (closed form, literal run)
    slow_alignment: float  # smallest |cos| between C's slowest eigenvector and [1, −2, 1] over the sizes

    @property
    def mismatches(self) -> dict[tuple[int, str, str], tuple[int, int]]:
        return {key: value for key, value in self.literal.items() if value[0] != value[1]}

    def exponents(self, metric: str) -> dict[str, float]:
        return {learner: fitted_exponent(SIZES, counts) for learner, counts in self.iterations[metric].items()}

    def claim_inputs(self) -> tuple[int, bool, float, float, int, bool, float, float]:
        fc, conv, cond = (self.iterations["encoding"][learner] for learner in LINEAR)
        decoded = self.iterations["decoded"]
        encoding_exponents = self.exponents("encoding")
        return (
            len(self.mismatches),
            bool(np.all((fc > conv) & (conv > cond))),
            encoding_exponents["fully connected"],
            encoding_exponents["convolution"],
            int(cond.max()),
            bool(np.all(decoded["fully connected"] < decoded["convolution"])),
            self.exponents("decoded")["convolution"],
            self.slow_alignment,
        )


def iteration_study(study: ConditionStudy, kinks: int, curves: int, seed: int) -> IterationStudy:
    """Iteration counts from the closed form at every n, checked against literal gradient descent at
    CHECK_SIZES."""
    iterations = {
        metric: {
            learner: np.array(
                [study.regressions[s][learner].iterations_to_reach(TOLERANCE, metric=metric) for s in SIZES]
            )
            for learner in LINEAR
        }
        for metric in ("encoding", "decoded")
    }
    literal = {}
    for size in CHECK_SIZES:
        problems = linear_learner_regressions(size, kinks, curves, generator(derived_seed(seed, 3, size)))
        for learner, problem in problems.items():
            for metric in ("encoding", "decoded"):
                predicted = problem.iterations_to_reach(TOLERANCE, metric=metric)
                errors = problem.gradient_descent(predicted, metric=metric)
                literal[size, learner, metric] = (predicted, int(np.argmax(errors <= TOLERANCE)))
    direction = torch.tensor(SECOND_DIFFERENCE, dtype=torch.float64) / 6**0.5
    slowest = [torch.linalg.eigh(study.regressions[s]["convolution"].second_moment)[1][:, 0] for s in SIZES]
    return IterationStudy(iterations, literal, min(abs(float(v @ direction)) for v in slowest))


@dataclass(frozen=True)
class StabilityCheck:
    """Theorem 3's iteration at n = LEMMA2_N: the gap after S₁₁²/(2S²ₙₙ) steps at ηλS₁₁² = 1, and the error
    after many steps at a stable and an unstable step."""

    theorem_steps: int
    theorem_gap: float
    smallest: float  # S_nn
    errors: dict[float, float]  # ηλS₁₁² → error after its number of steps


STABLE_STEP, UNSTABLE_STEP = 1.5, 2.05  # ηλS₁₁²: past the paper's limit 1, and past the true limit 2


def stability_check(kinks: int) -> StabilityCheck:
    """Theorem 3's first part and its stability condition, from the closed forms (no sampling)."""
    stable = fully_connected_regression(LEMMA2_N, kinks)
    steps = int(stable.condition_number // 2)  # t + 1 ≤ S₁₁²/(2 S²ₙₙ), at ηλS₁₁² = 1
    gap = float(
        torch.linalg.matrix_norm(
            expected_sgd_weights(LEMMA2_N, kinks, stable.default_lr, steps) - second_difference_matrix(LEMMA2_N), ord=2
        )
    )
    smallest = float(singular_values(double_integration_matrix(LEMMA2_N))[-1])
    errors = {
        ratio: stable.error_after(count, lr=ratio * stable.default_lr)
        for ratio, count in ((STABLE_STEP, 10**6), (UNSTABLE_STEP, 10**3))
    }
    return StabilityCheck(steps, gap, smallest, errors)


@cache
def quick_theory(seed: int) -> tuple[ConditionStudy, IterationStudy]:
    """The condition and iteration studies at the quick settings (shared by the claim sets' inputs)."""
    settings = ConditioningSettings.quick()
    study = condition_study(settings.kinks, settings.train_curves, seed)
    return study, iteration_study(study, settings.kinks, settings.train_curves, seed)


def lemma2_inputs(seed: int) -> tuple[float, float]:
    """`lemma2_claims`' arguments at the quick settings."""
    found = lemma2_check(ConditioningSettings.quick().kinks, seed)
    return found.z_scores.max().item(), found.off_by_one.max().item()


def stability_inputs(check: StabilityCheck) -> tuple[float, float, float]:
    """`stability_claims`' arguments."""
    return check.theorem_gap * check.smallest, check.errors[STABLE_STEP], check.errors[UNSTABLE_STEP]


KINK_COUNTS = (1, 3, 10)  # κ(C) = (3/2) n³ (1 + O(1/n)) whatever k: C is λ times a matrix that does not involve k
GD_STEPS = (EARLY, ConditioningSettings.paper().snapshots[-1])  # Figure 6's early window and its last snapshot
GD_HORIZON = 10**7  # iterations by which the convolution is ahead under either distribution


def kappa_c_inputs(study: ConditionStudy, length: int) -> tuple[float, float, float]:
    """`kappa_c_claims`' arguments: the largest n·|κ(C)/((3/2)n³) − 1| over SIZES, the relative spread of κ(C) over
    KINK_COUNTS at `length`, and κ(C) under the paper's curves over κ(C) under the scripts' at `length` (k = 3)."""
    kappa = study.kappa["convolution"]
    sizes = np.array(SIZES, dtype=np.float64)
    scaled_gap = float(np.max(sizes * np.abs(kappa / (1.5 * sizes**3) - 1)))
    over_k = [convolution_regression(length, kinks).condition_number for kinks in KINK_COUNTS]
    paper, scripts = (convolution_regression(length, 3, d).condition_number for d in ("paper", "scripts"))
    return scaled_gap, max(over_k) / min(over_k) - 1, paper / scripts


def gd_order_inputs(length: int, kinks: int) -> tuple[np.ndarray, int, np.ndarray, int]:
    """`gd_order_claims`' arguments: per curve distribution (paper's, then scripts'), the encoding errors of the
    fully connected layer and the convolution after each of GD_STEPS iterations of gradient descent (steps ×
    learners) and the iteration where the convolution overtakes."""
    found = []
    for distribution in ("paper", "scripts"):
        problems = adam_learner_problems(length, kinks, distribution)
        found += [encoding_errors(problems, GD_STEPS), overtaking_iteration(problems, GD_STEPS[0], GD_HORIZON)]
    return tuple(found)
