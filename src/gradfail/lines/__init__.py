"""Section 3.1 and 3.3 of the paper: decomposition against end-to-end training on k-tuples of line images."""
