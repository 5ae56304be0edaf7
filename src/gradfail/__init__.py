"""gradfail: tested helpers of the runnable book on "Failures of Gradient-Based Deep Learning" (ICML 2017)."""

__version__ = "0.1.0"
