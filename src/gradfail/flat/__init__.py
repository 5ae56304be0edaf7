"""Section 5 of the paper: learning through a piecewise-flat activation, and the forward-only update (Figure 7)."""
