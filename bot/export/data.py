"""The data exports: JSON (the summary model, versioned) and CSV (answers and check-ins).

CSV is for the founder's own spreadsheet: its header and every cell are in the founder's
language (the topic and question by name, the answer by its option labels, a check-in's
status and outcome in words), never internal ids; the JSON export keeps the ids. It starts
with a UTF-8 byte-order mark so spreadsheet apps show Chinese correctly.

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
from bot.export.words import CHECKIN_STATUSES, Words, local_time, topic_label

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")

CSV_COLUMNS = ("record", "topic", "question", "answer", "revision", "date", "status", "outcome",
               "note")  # fmt: skip
"""The columns, in order; each one's header is the UI string ``export.csv.<column>``."""


def to_json(summary: Summary) -> bytes:
    """The summary as JSON (see docs/export-schema.json)."""
    return summary.model_dump_json(indent=2).encode("utf-8")


def to_csv(summary: Summary, words: Words) -> bytes:
    """One row per answer (every edit) and per check-in, in the founder's words, with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_cells([words(f"csv.{column}") for column in CSV_COLUMNS]))
    for answer in summary.answers:
        row = [words("csv.answer_row"), answer.topic or answer.flow,
               answer.question or answer.step, answer.answer or _value(answer.value),
               answer.revision, local_time(answer.answered_at, summary), "", "", ""]  # fmt: skip
        writer.writerow(_cells(row))
    about = {c.id: m for m in summary.commitments for c in m.checkins}
    for checkin in summary.checkins:
        commitment = about.get(checkin.id)
        if commitment is None:
            topic, text = words("csv.weekly_update"), ""
        else:
            topic, text = topic_label(commitment, summary, words), commitment.text
        status = (
            words(f"checkin_status.{checkin.status}")
            if checkin.status in CHECKIN_STATUSES
            else checkin.status
        )
        row = [words("csv.checkin_row"), topic, text, "", "", checkin.due_local, status,
               checkin.outcome_label or checkin.outcome or "", checkin.note or ""]  # fmt: skip
        writer.writerow(_cells(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _value(value: object) -> str:
    """A stored value with no words for it (a flow since removed): as it is."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


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
