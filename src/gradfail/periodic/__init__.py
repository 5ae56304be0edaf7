"""Theorem 2 of the paper (§2.2, after Shamir 2016) measured: how little the gradient knows about a target
cos(v*ᵀx), computed exactly for a one-hidden-layer ReLU network, and what training on such targets does."""
