"""Benchmarks (not tests): each prints our time beside the physical limit and the ratio."""
