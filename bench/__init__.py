"""Reproducible benchmarks: every figure is measured beside its baseline in the same run.

`python -m bench` runs every `bench/bench_*.py` module's `run()` and rewrites docs/benchmarks.md;
`python -m bench gate` runs only the modules whose name contains "gate". The gate's precision and
recall on public Dapr code is a separate entry point, `python -m bench.realcode`: it needs git
mirrors of those repositories, and `python -m bench` keeps the section it wrote.
"""
