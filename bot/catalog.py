"""Load the catalog the coach runs on: flows, content, and every template checked."""

from __future__ import annotations

import hashlib
import logging
import sys
from pathlib import Path

import jinja2

from bot.engine.loader import Catalog, load_catalog
from bot.errors import FlowDefinitionError, Problem
from bot.rendering.check import check_templates


def check_catalog(flows_dir: Path, content_dir: Path) -> tuple[Catalog, list[Problem]]:
    """Load without raising; return the catalog and every problem found."""
    catalog = load_catalog(flows_dir, content_dir, strict=False)
    problems = list(catalog.problems)
    problems.extend(check_templates(catalog, content_dir))
    return catalog, problems


log = logging.getLogger(__name__)

CHECKED_MARK = ".templates-checked-"
_CHECK_CODE = (Path(__file__).parent / "engine", Path(__file__).parent / "rendering")
# Where ``founder-coach flows check --remember`` leaves its mark: beside the installed code,
# so an image built with it starts without checking again (workers on PostgreSQL have no
# database folder to remember in, and a content deploy is a new image).
BUILT_MARKS = Path(__file__).parent


def load_checked_catalog(
    flows_dir: Path, content_dir: Path, *, remember_in: Path | None = None
) -> Catalog:
    """The catalog, or :class:`FlowDefinitionError` listing every problem.

    Start-up renders each template once (``thorough=False``): the exhaustive check over
    reachable states is ``founder-coach flows check``'s, run by CI. Even so it is most of
    a start-up, so with ``remember_in`` (the database's folder) a passed check leaves a
    mark named by a hash of the flows, the content and the checking code, and a restart
    with the same files skips the rendering; any change to them checks again.
    """
    catalog = load_catalog(flows_dir, content_dir, strict=False)
    if catalog.problems:
        raise FlowDefinitionError(list(catalog.problems))
    name = f"{CHECKED_MARK}{_fingerprint(flows_dir, content_dir)}"
    mark = remember_in / name if remember_in is not None else None
    if (mark is not None and mark.exists()) or (BUILT_MARKS / name).exists():
        log.debug("templates unchanged since they were last checked")
        return catalog
    problems = check_templates(catalog, content_dir, thorough=False)
    if problems:
        raise FlowDefinitionError(problems)
    if mark is not None:
        _remember(mark)
    return catalog


def remember_check(flows_dir: Path, content_dir: Path, folder: Path | None = None) -> None:
    """Mark these flows and content as checked (after a passed ``flows check``), in
    ``folder`` (:data:`BUILT_MARKS` by default): a start with the same files then skips
    its template check."""
    where = folder if folder is not None else BUILT_MARKS
    _remember(where / f"{CHECKED_MARK}{_fingerprint(flows_dir, content_dir)}")


def _fingerprint(*folders: Path) -> str:
    digest = hashlib.sha256(f"{sys.version}|{jinja2.__version__}".encode())
    for folder in (*folders, *_CHECK_CODE):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.suffix == ".pyc":
                continue
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _remember(mark: Path) -> None:
    try:
        for stale in mark.parent.glob(f"{CHECKED_MARK}*"):
            stale.unlink(missing_ok=True)
        mark.touch()
    except OSError as exc:  # a read-only folder only costs the check at the next start
        log.debug("cannot remember the template check: %s", exc)
