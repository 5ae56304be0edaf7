"""Figure 6's fully connected and convolutional learners under gradient descent (step 1/μ₁, appendix A.5), in closed
form, for either curve distribution: their encoding errors against iterations, the iteration where the convolution
overtakes, and how many such iterations an error reached by Adam is worth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gradfail.conditioning.population import (
    PopulationRegression,
    convolution_regression,
    fully_connected_regression,
)
from gradfail.validation import require_int

ADAM_LEARNERS = ("fully connected", "convolution")  # the two learners Figure 6 trains with Adam


def adam_learner_problems(length: int, kinks: int, distribution: str = "paper") -> dict[str, PopulationRegression]:
    """The population objectives of the fully connected layer (§4.1.1) and the convolution (§4.1.2)."""
    return {
        "fully connected": fully_connected_regression(length, kinks, distribution),
        "convolution": convolution_regression(length, kinks, distribution),
    }


def encoding_errors(problems: dict[str, PopulationRegression], steps: Sequence[int]) -> np.ndarray:
    """Relative encoding error after each of `steps` gradient-descent iterations, shape (steps, learners)."""
    return np.array([[problem.error_after(int(t)) for problem in problems.values()] for t in steps])


def overtaking_iteration(problems: dict[str, PopulationRegression], start: int, stop: int) -> int:
    """The first iteration t in (start, stop] where the convolution's encoding error is below the fully connected
    layer's, by bisection: the fully connected layer must be ahead at `start` and behind at `stop`."""
    require_int("start", start, minimum=0)
    require_int("stop", stop, minimum=start + 1)

    def convolution_ahead(t: int) -> bool:
        fc, conv = encoding_errors(problems, [t])[0]
        return bool(conv < fc)

    if convolution_ahead(start) or not convolution_ahead(stop):
        raise ValueError(
            f"start must have the fully connected layer ahead and stop the convolution, got {start}, {stop}"
        )
    while stop - start > 1:
        middle = (start + stop) // 2
        start, stop = (start, middle) if convolution_ahead(middle) else (middle, stop)
    return stop


def equivalent_iterations(problem: PopulationRegression, errors: Sequence[float]) -> np.ndarray:
    """For each error in `errors`, the gradient-descent iterations that reach it (what an optimiser that reaches it
    is worth in gradient-descent steps)."""
    return np.array([problem.iterations_to_reach(float(e)) for e in errors])
