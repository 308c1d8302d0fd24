"""Benchmarks: cold start, warm path and throughput, each against the bare MCP SDK.

Run `python -m bench` (full, writes docs/performance.md) or `python -m bench --smoke`.
Kept import-free on purpose: the cold-start children import `bench.bare_app` and
must pay for nothing but what they measure.
"""
