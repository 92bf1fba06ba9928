"""The console and JSON lines as a founder meets them: /checkins by number, consent in
their own words, an honest goodbye, and what /delete_my_data says about exported files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.export.data import founder_folder
from tests.adapters.terminal import seed_checkins, seed_founder

TORONTO = ZoneInfo("America/Toronto")


@pytest.fixture
def full_env() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(PYTHONIOENCODING="utf-8")
    return environ


def chat(args: list[str], stdin: str, env: dict[str, str], cwd: Path) -> str:
    """A piped session of the real entry point; its output (it must exit 0)."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def label(due: datetime) -> str:
    """How the console names a due time: ``Wed 16 Dec, 09:00`` (the year if not this one)."""
    local = due.astimezone(TORONTO)
    year = "" if local.year == datetime.now(TORONTO).year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M}"  # C locale: English


def due_of(db: Path, checkin_id: int) -> tuple[datetime, str]:
    with sqlite3.connect(db) as conn:
        due, status = conn.execute(
            "SELECT due_at, status FROM checkins WHERE id = ?", (checkin_id,)
        ).fetchone()
    return datetime.fromisoformat(due).astimezone(UTC), status


def test_checkins_are_numbered_and_managed_by_their_place_in_the_list(
    tmp_path: Path, full_env: dict[str, str]
) -> None:
    db = tmp_path / "c.db"
    seed_founder(db)
    # created first but due last: its place in the list (2) is not its id (1)
    investor, pilots = seed_checkins(
        db, [("Send the investor update", 10), ("Call three pilot customers", 3)]
    )
    investor_due, _ = due_of(db, investor)
    pilots_due, _ = due_of(db, pilots)
    out = chat(
        ["--db", str(db), "--user", "ada"],
        "/checkins\n/checkins later 2\n/checkins\n2\n3\n/checkins pause 1\n/help\n",
        full_env,
        tmp_path,
    )
    listing = out.split("> /checkins\n", 1)[1].split("> /checkins later 2", 1)[0]
    assert f"1. {label(pilots_due)}: Call three pilot customers" in listing
    assert f"2. {label(investor_due)}: Send the investor update" in listing
    assert "A day later" not in listing  # no numbered options that would mean something else
    assert "type its number (1 to 2)" in listing
    moved = investor_due + timedelta(days=1)
    assert f"Moved “Send the investor update” to {label(moved)}." in out
    assan = out.split("> 2\n", 1)[1]
    assert assan.startswith(f"“Send the investor update”, {label(moved)}. What should I do")
    assert "  1. A day later\n  2. Pause\n  3. Cancel" in assan
    assert "Cancelled “Send the investor update”." in out
    assert f"The list is now:\n\n1. {label(pilots_due)}: Call three pilot customers" in out
    assert "Paused “Call three pilot customers”. Nothing will be sent" in out
    assert due_of(db, investor) == (moved, "cancelled")
    assert due_of(db, pilots) == (pilots_due, "paused")
    help_text = out.split("> /help\n", 1)[1]
    assert "/checkins later 2 moves number 2 a day later" in help_text
    assert "/quit: leave" in help_text


def test_json_lines_checkins_take_their_option_ids_back(
    tmp_path: Path, full_env: dict[str, str]
) -> None:
    """An option id of a listed check-in, sent back, applies it (as the README says)."""
    db = tmp_path / "c.db"
    seed_founder(db)
    investor, pilots = seed_checkins(
        db, [("Send the investor update", 10), ("Call three pilot customers", 3)]
    )
    out = chat(
        ["--jsonl", "--db", str(db), "--user", "ada"],
        f"/checkins\npause:{pilots}\n/checkins cancel 2\n",
        full_env,
        tmp_path,
    )
    replies = [json.loads(line) for line in out.splitlines()]
    entries = [r for r in replies if r.get("step") == "checkins" and r["type"] == "message"]
    assert [e["text"].split(":", 2)[-1].strip() for e in entries[:2]] == [
        "Call three pilot customers",
        "Send the investor update",
    ]
    assert entries[0]["text"].startswith("1. ")
    assert {"id": f"pause:{pilots}", "label": "Pause"} in entries[0]["options"]
    texts = [r["text"] for r in replies]
    assert (
        "Paused “Call three pilot customers”. Nothing will be sent until you resume it." in texts
    )
    assert "Cancelled “Send the investor update”." in texts
    assert due_of(db, pilots)[1] == "paused"
    assert due_of(db, investor)[1] == "cancelled"


@pytest.mark.parametrize(
    ("word", "lang"),
    [("ok", "en"), ("Yes!", "en"), ("agree", "en"), ("同意", "en"), ("可以", "zh"),
     ("好", "zh"), ("好的", "zh")],
)  # fmt: skip
def test_consent_takes_the_words_founders_type(
    tmp_path: Path, env: dict[str, str], word: str, lang: str
) -> None:
    db = tmp_path / "c.db"
    out = chat(["--db", str(db), "--user", "ada", "--lang", lang], word + "\n", env, tmp_path)
    assert ("(1/8)" if lang == "en" else "（1/8）") in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT consented_at IS NOT NULL FROM users").fetchone() == (1,)


@pytest.mark.parametrize(
    ("word", "lang", "declined", "goodbye"),
    [
        (
            "no",
            "en",
            "nothing you said has been kept",
            "Nothing about you is stored. Bye for now.",
        ),
        ("2", "en", "nothing you said has been kept", "Nothing about you is stored. Bye for now."),
        ("不同意", "zh", "你说的内容都没有保存", "没有保存任何关于你的内容。下次见。"),
        ("不", "zh", "你说的内容都没有保存", "没有保存任何关于你的内容。下次见。"),
    ],
)
def test_declining_is_answered_honestly_to_the_end(
    tmp_path: Path, env: dict[str, str], word: str, lang: str, declined: str, goodbye: str
) -> None:
    """After "Not now" nothing is stored, and the last line does not say "Saved"."""
    db = tmp_path / "c.db"
    out = chat(["--db", str(db), "--user", "ada", "--lang", lang], word + "\n", env, tmp_path)
    assert declined in out
    assert out.rstrip().endswith(goodbye)
    assert "Saved" not in out
    assert "已保存" not in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users").fetchone() == (0,)


def test_leaving_before_answering_says_nothing_was_kept(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = chat(["--db", str(tmp_path / "c.db"), "--user", "ada"], "/quit\n", env, tmp_path)
    assert out.rstrip().endswith("Nothing you said was kept, only that I asked. Bye for now.")


def test_a_command_before_consent_asks_for_the_answer_first(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """/team before consent: "please agree first", not "not one of the options"; /lang
    switches the question's language."""
    db = tmp_path / "c.db"
    out = chat(["--db", str(db), "--user", "ada"], "/team\n/lang zh\n", env, tmp_path)
    after_team = out.split("> /team\n", 1)[1]
    assert after_team.startswith("Please answer this first: agree, or “Not now”")
    assert "Is that all right?" in after_team
    assert "not one of the options" not in out
    assert "开始之前说明一下" in out.split("> /lang zh\n", 1)[1]
    jsonl = chat(["--jsonl", "--db", str(db), "--user", "bo"], "/team\n", env, tmp_path)
    error, question = [json.loads(line) for line in jsonl.splitlines()][-2:]
    assert error["type"] == "error"
    assert error["step"] == "consent"
    assert error["text"].startswith("Please answer this first")
    assert question["step"] == "consent"


def test_delete_my_data_names_the_exported_files_and_suggests_exporting(
    tmp_path: Path, full_env: dict[str, str]
) -> None:
    """Exports go to the founder's own folder in FOUNDER_COACH_EXPORTS; /delete_my_data says
    they stay there."""
    db = tmp_path / "c.db"
    seed_founder(db)
    exports = tmp_path / "volume" / "exports"
    environ = {**full_env, "FOUNDER_COACH_EXPORTS": str(exports)}
    out = chat(
        ["--db", str(db), "--user", "ada"], "/export\n1\n/delete_my_data\n", environ, tmp_path
    )
    mine = founder_folder(exports, "console", "ada")
    [written] = list(mine.iterdir())
    assert f"→ {written}" in out
    asked = out.split("> /delete_my_data\n", 1)[1]
    assert f"Files you already exported are not part of this: they stay in {mine}/" in asked
    assert "to keep a copy, send /export first" in asked
    zh = chat(["--db", str(db), "--user", "ada", "--lang", "zh"], "/delete_my_data\n", environ,
              tmp_path)  # fmt: skip
    assert f"它们留在这台电脑的 {mine}/ 里" in zh
