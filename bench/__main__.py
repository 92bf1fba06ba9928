"""``python -m bench [--quick] [name ...]`` runs the benchmarks (all when no name is given).

``--quick``: benchmarks that support it run short, only to check they work (their figures
are not the ones to quote).

Each benchmark is a module ``bench/<name>_bench.py`` with a ``main()`` that prints its
figures and saves ``bench/results/<name>.json``.
"""

from __future__ import annotations

import importlib
import sys

from bench import common

BENCHMARKS = ("engine", "export", "updates", "workers", "checkins", "cold_start", "ask")


def run(names: list[str]) -> None:
    """Run the named benchmarks in order."""
    for name in names or list(BENCHMARKS):
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}_bench").main()


arguments = sys.argv[1:]
common.QUICK = "--quick" in arguments
run([name for name in arguments if name != "--quick"])
