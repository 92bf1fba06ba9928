"""The data exports: JSON (the summary model, versioned) and CSV (answers and check-ins).

CSV starts with a UTF-8 byte-order mark so spreadsheet apps show Chinese correctly; its
column names are stable English identifiers, documented in the README.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import datetime

from bot.export.summary import Summary

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
        writer.writerow(["answer", answer.flow, answer.step, question, value_text, answer.revision,
                         when, "", "", ""])  # fmt: skip
    about = {c.id: (m.topic, m.text) for m in summary.commitments for c in m.checkins}
    for checkin in summary.checkins:
        topic, text = about.get(checkin.id, ("update", ""))
        writer.writerow(["checkin", topic, checkin.kind, text, "", "", checkin.due_local,
                         checkin.status, checkin.outcome or "", checkin.note or ""])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")


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


def schema() -> str:
    """The JSON schema of the export, as published in docs/export-schema.json."""
    return json.dumps(Summary.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
