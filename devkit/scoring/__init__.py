"""Scoring the pipeline's results against what is known to be right (tests and benchmarks): linkage pairs and
clusters, the diagnostics page's truth section, and the payment-class backtest."""
