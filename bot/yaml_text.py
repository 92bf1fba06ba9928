"""Reading YAML safely, fast: libyaml's safe loader where PyYAML was built with it.

Flows, content and the knowledge base are read at every start; the pure-Python loader
took more than half of a restart (about 1.6 s of the catalog's load on this machine).
Both loaders build only plain data (no Python objects), so the choice changes speed only.
"""

from __future__ import annotations

from typing import Any

import yaml

LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """The plain data a YAML document holds (``yaml.safe_load``, on libyaml if present)."""
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader
