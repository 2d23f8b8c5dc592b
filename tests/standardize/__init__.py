"""Tests of the pure standardization functions (transforms.standardize)."""
