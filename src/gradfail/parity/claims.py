"""Figure 1's claims (paper §2.1), checked on a parity run: d = 5 and d = 10 are learned, d = 30 stays at chance."""

from __future__ import annotations

import numpy as np

from gradfail.claims import Claim, chance_bound, claim_set, worst
from gradfail.parity.experiment import final_accuracy
from gradfail.results import Results

LAST = 5  # each run is judged by the mean of its last five evaluations
LEARNED = 0.95


@claim_set("parity")
def figure1_claims(results: Results) -> list[Claim]:
    """The d = 5 and d = 10 runs pass 0.95 accuracy; every d = 30 run stays within 4 s.e. of chance."""
    final = final_accuracy(results, last=LAST)
    by_dim = {int(d): final[results["dims"] == d] for d in np.unique(results["dims"])}
    samples = LAST * int(results.settings["eval_samples"])
    bound, why = chance_bound(samples)
    learned_why = (
        f"the book's bar for 'learned' (the paper's curves end near 1); a final accuracy is a mean over "
        f"{samples:,} test examples, s.e. ≤ {0.5 / np.sqrt(samples):.3f}, far inside the margin"
    )
    return [
        *(
            Claim(
                f"fig1_d{d}_learned",
                f"every d = {d} run ends above {LEARNED} accuracy",
                "§2.1, Figure 1",
                worst(by_dim.get(d, []), ">="),
                ">=",
                LEARNED,
                learned_why,
            )
            for d in (5, 10)
        ),
        Claim(
            "fig1_d30_chance",
            "every d = 30 run stays at chance: |accuracy − 0.5| within 4 s.e.",
            "§2.1, Figure 1",
            worst(np.abs(by_dim.get(30, np.array([])) - 0.5), "<="),
            "<=",
            bound,
            why + f" (mean of the last {LAST} evaluations)",
            details={
                "low": float(by_dim[30].min()) if 30 in by_dim else np.nan,
                "high": float(by_dim[30].max()) if 30 in by_dim else np.nan,
            },
        ),
    ]
