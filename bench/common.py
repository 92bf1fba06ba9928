"""What every benchmark shares: the machine's description and saving the figures."""

from __future__ import annotations

import json
import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
QUICK = False  # ``python -m bench --quick``: short runs that only check the benchmarks work


def median(values: list[Any]) -> float | None:
    """The median of the values present (None: a round that measured nothing), rounded."""
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def machine() -> dict[str, Any]:
    """Enough about the machine to compare figures between runs."""
    memory = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = round(pages / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        load = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        load = None
    return {
        "load_average_at_end": load,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": memory,
    }


def save(name: str, result: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` (with the machine and the time) and return it."""
    document = {
        "benchmark": name,
        **result,
        "machine": machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    out = RESULTS / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"saved {out.relative_to(ROOT.parent)}")
    return out
