"""What came after the paper: sparse parities (hidden progress) and intermediate supervision."""
