"""Benchmark scripts for Sequence Embedding Studio (see docs/benchmarks.md)."""
