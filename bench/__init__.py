"""Benchmarks: each prints its figures and exits. See bench/RESULTS.md."""
