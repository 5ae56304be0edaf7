"""Section 4 of the paper: architecture and conditioning, learning to encode piecewise-linear curves (Figure 6)."""
