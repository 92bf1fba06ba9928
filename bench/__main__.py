"""``python -m bench [name ...]`` runs the benchmarks (all of them when no name is given).

Each benchmark is a module ``bench/<name>_bench.py`` with a ``main()`` that prints its
figures and saves ``bench/results/<name>.json``.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("engine", "export", "updates", "checkins", "cold_start", "ask")


def run(names: list[str]) -> None:
    """Run the named benchmarks in order."""
    for name in names or list(BENCHMARKS):
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}_bench").main()


run(sys.argv[1:])
