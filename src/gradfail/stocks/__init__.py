"""Section 3.2–3.3 of the paper: the synthetic "stocks" problem, end-to-end against decomposition (Figure 4)."""
