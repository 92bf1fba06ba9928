"""The command line: every command has help, appears in the README, and checks flows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.config import Settings
from tests.conftest import REPO, copy_flows

README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--help"],
        ["chat", "--help"],
        ["flows", "check", "--help"],
        ["flows", "graph", "--help"],
    ],
)
def test_every_command_has_help_with_an_example(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`--help` works and shows an example for each command."""
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 0
    assert "Example: founder-coach" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [
        "founder-coach run",
        "founder-coach chat",
        "founder-coach flows check",
        "founder-coach flows graph",
    ],
)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert command in README


def test_readme_lists_every_setting() -> None:
    """The configuration table names exactly the settings the code reads."""
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.MULTILINE))
    expected = {name.upper() for name in Settings.model_fields}
    assert documented == expected


def test_flows_check_passes_on_the_real_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "check"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_flows_check_names_file_and_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken flow makes `flows check` exit 1 and print where the problem is."""
    flows, content = copy_flows(tmp_path, ["onboarding"])
    text = (flows / "onboarding.yaml").read_text(encoding="utf-8")
    (flows / "onboarding.yaml").write_text(
        text.replace("  - id: sector\n", "  - id: sector\n    colour: blue\n"), encoding="utf-8"
    )
    monkeypatch.setenv("FOUNDER_COACH_FLOWS_DIR", str(flows))
    monkeypatch.setenv("FOUNDER_COACH_CONTENT_DIR", str(content))
    assert main(["flows", "check"]) == 1
    out = capsys.readouterr().out
    assert (
        f"{flows / 'onboarding.yaml'}: step 'sector': colour: Extra inputs are not permitted"
        in out
    )


def test_flows_check_reports_a_missing_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    flows, content = copy_flows(tmp_path, ["onboarding"])
    zh = content / "zh" / "onboarding.yaml"
    zh.write_text(
        zh.read_text(encoding="utf-8").replace('      ai_hardware: "AI 硬件 / 端侧设备"\n', ""),
        encoding="utf-8",
    )
    monkeypatch.setenv("FOUNDER_COACH_FLOWS_DIR", str(flows))
    monkeypatch.setenv("FOUNDER_COACH_CONTENT_DIR", str(content))
    assert main(["flows", "check"]) == 1
    assert "step 'sector': label missing for option 'ai_hardware'" in capsys.readouterr().out


def test_coach_refuses_to_start_on_broken_flows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`chat` exits 1 with the problems instead of starting."""
    flows, content = copy_flows(tmp_path, ["onboarding"])
    shutil.copy(flows / "onboarding.yaml", flows / "copy.yaml")
    monkeypatch.setenv("FOUNDER_COACH_FLOWS_DIR", str(flows))
    monkeypatch.setenv("FOUNDER_COACH_CONTENT_DIR", str(content))
    assert main(["chat", "--db", str(tmp_path / "c.db")]) == 1
    assert "flow id 'onboarding' must match the file name" in capsys.readouterr().err


def test_flows_graph_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "graph", "onboarding"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD\n")
    assert "    stage --> sector" in out


def test_flows_graph_unknown_flow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "graph", "nope"]) == 1
    assert "no flow 'nope'" in capsys.readouterr().err


def test_flows_graph_draws_the_funding_flow(capsys: pytest.CaptureFixture[str]) -> None:
    """The funding graph shows its conditional steps with their conditions."""
    assert main(["flows", "graph", "funding"]) == 0
    out = capsys.readouterr().out
    assert '|"when funding.raise_amount > 0"| instrument' in out
    assert "review --> done" in out


def test_export_command_writes_the_founders_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`founder-coach export` for an unknown founder fails; for a real one writes the file."""
    import asyncio
    import json

    from bot.clock import SystemClock
    from bot.coach import Coach
    from bot.storage import Database
    from tests.checkins.test_checkins_dispatch import onboard

    db_path = tmp_path / "coach.db"

    async def seed() -> None:
        from bot.catalog import load_checked_catalog

        db = await Database.open(db_path)
        try:
            await onboard(
                Coach(db, load_checked_catalog(REPO / "flows", REPO / "content"), SystemClock())
            )
        finally:
            await db.close()

    asyncio.run(seed())
    assert main(["export", "--db", str(db_path), "--user", "nobody", "--format", "json"]) == 1
    out = tmp_path / "ada.json"
    assert (
        main(["export", "--db", str(db_path), "--user", "ada", "--format", "json", "-o", str(out)])
        == 0
    )
    assert json.loads(out.read_text(encoding="utf-8"))["startup"] == "Acme AI"
    assert f"wrote {out}" in capsys.readouterr().err


def test_export_command_writes_the_investor_drafts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--format investor` warns about private notes; `investor_public` leaves them out."""
    import asyncio

    from bot.clock import SystemClock
    from bot.coach import Coach
    from bot.storage import Database
    from tests.checkins.test_checkins_dispatch import onboard
    from tests.checkins.test_checkins_weekly import answer_update

    db_path = tmp_path / "coach.db"

    async def seed() -> None:
        from bot.catalog import load_checked_catalog

        db = await Database.open(db_path)
        try:
            coach = Coach(
                db, load_checked_catalog(REPO / "flows", REPO / "content"), SystemClock()
            )
            await onboard(coach)
            await answer_update(coach, {"metric_name": "Paying firms", "metric_value": "3",
                                        "morale": "3", "obstacle": "cofounder fight ongoing",
                                        "obstacle_kind": "people",
                                        "goals_next": "Close one pilot", "weekday": "mon",
                                        "hour": "h09"})  # fmt: skip
        finally:
            await db.close()

    asyncio.run(seed())
    base = ["export", "--db", str(db_path), "--user", "ada", "--format"]
    assert main([*base, "investor"]) == 0
    out, err = capsys.readouterr()
    assert "cofounder fight ongoing" in out
    assert "private weekly obstacles" in err
    assert main([*base, "investor_public"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Investor update: Acme AI")
    assert "cofounder fight ongoing" not in out
    assert "private" not in err
    # only what the draft still lacks (no funding, business-model or product numbers yet)
    assert err == "note: nothing in the draft from funding, business_model, product_tech yet\n"
