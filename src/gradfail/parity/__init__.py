"""Section 2 of the paper: random parities, Figure 1, Theorem 1, Lemma 3, and a non-gradient solver."""
