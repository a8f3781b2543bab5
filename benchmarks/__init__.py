"""Benchmarks and the synthetic catalog generator they (and some tests) use."""
