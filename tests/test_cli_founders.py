"""The operator CLI names founders unambiguously (audit finding 11).

A console founder who calls themselves "1001" used to shadow Telegram founder 1001:
``founder-coach export --user 1001`` returned the console founder's data and
``checkins list --user 1001`` said "no check-ins". Now ``telegram:1001`` and
``console:1001`` name one founder each, and a bare name that matches both is refused.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.catalog import load_checked_catalog
from bot.cli import main
from bot.clock import SystemClock
from bot.coach import Coach
from bot.models import Said, UserRef
from bot.storage import Database
from tests.conftest import CONTENT, FLOWS

ADA = UserRef(channel="telegram", external_id="1001", display_name="Ada")
MALLORY = UserRef(channel="console", external_id="1001", display_name="Mallory")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "coach.db"

    async def seed() -> None:
        db = await Database.open(path)
        try:
            coach = Coach(db, load_checked_catalog(FLOWS, CONTENT), SystemClock())
            for who, name, startup in [(ADA, "Ada", "Acme AI"), (MALLORY, "Mallory", "EvilCorp")]:
                for text in ["/start", "1", name, startup, "Contract review for law firms.",
                             "2", "4", "4", "Berlin", "en", "1"]:  # fmt: skip
                    await coach.handle(who, Said(text))
        finally:
            await db.close()

    asyncio.run(seed())
    return path


def export(db: Path, user: str, out: Path) -> int:
    return main(["export", "--db", str(db), "--user", user, "--format", "json", "-o", str(out)])


def test_channel_and_id_name_one_founder_each(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    assert export(db_path, "telegram:1001", out) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["startup"] == "Acme AI"
    assert export(db_path, "console:1001", out) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["startup"] == "EvilCorp"
    capsys.readouterr()
    assert export(db_path, "telegram:1002", out) == 1
    assert "no founder 'telegram:1002'" in capsys.readouterr().err


def test_a_bare_name_of_two_founders_is_refused_and_says_which(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    assert export(db_path, "1001", out) == 1
    assert not out.exists()
    err = capsys.readouterr().err
    assert "'1001' names more than one founder" in err
    assert "--user console:1001 or --user telegram:1001" in err
    assert main(["checkins", "list", "--db", str(db_path), "--user", "1001"]) == 1
    assert "names more than one founder" in capsys.readouterr().err


def test_an_unknown_name_lists_founders_the_way_to_name_them(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    assert main(["export", "--db", str(db_path), "--user", "Ada", "--format", "json"]) == 1
    err = capsys.readouterr().err
    assert "founders there: " in err
    assert "console:1001" in err
    assert "telegram:1001" in err
    assert main(["checkins", "list", "--db", str(db_path), "--user", "console:1001"]) == 0
    assert export(db_path, "console:1001", out) == 0
