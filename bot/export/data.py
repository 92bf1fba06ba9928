"""The data exports: JSON (the summary model, versioned) and CSV (answers and check-ins).

CSV starts with a UTF-8 byte-order mark so spreadsheet apps show Chinese correctly; its
column names are stable English identifiers, documented in the README.

Every text cell is neutralised against formula injection (the OWASP rule): a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so
a spreadsheet shows it as text instead of evaluating it. A cell that is a plain decimal
number (``-5``, ``-1200.50``) is left as it is: a spreadsheet reads it as that number,
never as a formula, and a founder's negative growth stays a number they can chart.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from datetime import datetime
from pathlib import Path

from bot.export.summary import Summary

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")

CSV_COLUMNS = ("record", "flow", "step", "question", "value", "revision", "date", "status",
               "outcome", "note")  # fmt: skip


def to_json(summary: Summary) -> bytes:
    """The summary as JSON (see docs/export-schema.json)."""
    return summary.model_dump_json(indent=2).encode("utf-8")


def to_csv(summary: Summary) -> bytes:
    """One row per answer (every edit) and per check-in, UTF-8 with BOM."""
    questions = {(f.flow, a.step): a.question for f in summary.flows for a in f.answers}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for answer in summary.answers:
        value = answer.value
        text = "; ".join(str(v) for v in value) if isinstance(value, list) else value
        question = questions.get((answer.flow, answer.step), "")
        value_text = "" if text is None else text
        when = answer.answered_at.isoformat()
        row = ["answer", answer.flow, answer.step, question, value_text, answer.revision, when,
               "", "", ""]  # fmt: skip
        writer.writerow(_cells(row))
    about = {c.id: (m.topic, m.text) for m in summary.commitments for c in m.checkins}
    for checkin in summary.checkins:
        topic, text = about.get(checkin.id, ("update", ""))
        row = ["checkin", topic, checkin.kind, text, "", "", checkin.due_local, checkin.status,
               checkin.outcome or "", checkin.note or ""]  # fmt: skip
        writer.writerow(_cells(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_cell(value: object) -> str:
    """One cell as a spreadsheet will show it and never run it (see the module docstring)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cells(row: list[object]) -> list[str]:
    return [csv_cell(value) for value in row]


def safe_filename(summary: Summary, extension: str) -> str:
    """``founder-coach-acme-ai-2026-03-02.md``: ASCII only, whatever the startup is called."""
    name = unicodedata.normalize("NFKD", summary.startup or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "summary"
    day = (
        summary.generated_at.date().isoformat()
        if isinstance(summary.generated_at, datetime)
        else ""
    )
    return f"founder-coach-{slug}-{day}.{extension}"


def founder_folder(root: Path, channel: str, external_id: str) -> Path:
    """``root/console-ada-f68b03c1``: one founder's own export folder, never another's.

    The readable part is ASCII (a Chinese name leaves only the channel); the hash of the
    exact identity keeps two founders apart even when their names read the same.
    """
    name = unicodedata.normalize("NFKD", external_id).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24].strip("-")
    digest = hashlib.sha256(f"{channel}:{external_id}".encode()).hexdigest()[:8]
    return root / "-".join(part for part in (channel, slug, digest) if part)


def schema() -> str:
    """The JSON schema of the export, as published in docs/export-schema.json."""
    return json.dumps(Summary.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
