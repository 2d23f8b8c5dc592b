"""Benchmarks of the nightly stages: wall time and peak memory, median of repeated runs, one process per stage."""
