"""What a newcomer meets: `make run`, the README's commands, git, and the Docker image."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
ONBOARDING = "1\nAda\nAcme AI\n/skip\n2\n4\n4\nShanghai\nEnglish\n1\n"


def environment(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FOUNDER_"))}
    environ.update(PYTHONIOENCODING="utf-8", **extra)
    return environ


def founder_coach(
    args: list[str], cwd: Path, stdin: str | None = "", **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True, text=True, env=environment(**extra), cwd=cwd, timeout=60,
        check=False,
    )  # fmt: skip


# ------------------------------------------------------------ make run


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_installs_the_working_tree_editable(tmp_path: Path) -> None:
    """`make run` runs what is in the checkout (edits to flows/ and content/ show at the
    next run, and `flows check` checks them), and passes ARGS on (`--user ada`).

    A stand-in virtualenv records what make asks of pip and of founder-coach.
    """
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / "calls.log"
    for tool in ("python", "pip", "founder-coach"):
        stub = venv / "bin" / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $@" >> "{log}"\n', encoding="utf-8")
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "run", f"VENV={venv}",
         "ARGS=--user ada"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert log.read_text(encoding="utf-8").splitlines() == [
        "pip install --quiet -e .",
        "founder-coach run --user ada",
    ]


def test_an_editable_install_reads_flows_and_content_from_the_checkout() -> None:
    """What `make run` installs reads the working tree's flows/ and content/ (what the test
    suite runs on is that same editable install)."""
    from bot.config import Settings

    settings = Settings()
    assert settings.founder_coach_flows_dir.resolve() == (REPO / "flows").resolve()
    assert settings.founder_coach_content_dir.resolve() == (REPO / "content").resolve()


# ------------------------------------------------------------ the README's commands


def test_the_readme_says_where_the_command_is() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "source .venv/bin/activate" in quick_start
    assert ".venv/bin/founder-coach" in quick_start
    assert "make run ARGS='--user ada'" in quick_start
    assert "OS user" in quick_start


def test_the_console_founder_and_the_operator_cli_agree(tmp_path: Path) -> None:
    """`chat --user ada` then `export --user ada` (the README's pair) find the same founder;
    without --user both mean the OS user; an unknown name lists who is there."""
    ada = founder_coach(["chat", "--user", "ada"], tmp_path, ONBOARDING)
    assert ada.returncode == 0, ada.stderr
    exported = founder_coach(["export", "--user", "ada", "--format", "json"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["startup"] == "Acme AI"

    me = founder_coach(["run"], tmp_path, ONBOARDING.replace("Acme AI", "Mine AI"))
    assert me.returncode == 0, me.stderr
    mine = founder_coach(["export", "--format", "json"], tmp_path)
    assert mine.returncode == 0, mine.stderr
    assert json.loads(mine.stdout)["startup"] == "Mine AI"

    nobody = founder_coach(["export", "--user", "nobody", "--format", "md"], tmp_path)
    assert nobody.returncode == 1
    assert nobody.stderr.startswith("no founder 'nobody' in data/founder-coach.db; founders")
    assert "console:ada" in nobody.stderr
    assert f"console:{getpass.getuser()}" in nobody.stderr
    elsewhere = founder_coach(["checkins", "list", "--db", "other.db"], tmp_path)
    assert elsewhere.returncode == 1
    assert elsewhere.stderr.startswith("no database at other.db")
    assert not (tmp_path / "other.db").exists()  # reading never creates an empty database


def test_run_takes_user_and_lang_for_the_console(tmp_path: Path) -> None:
    done = founder_coach(["run", "--user", "ada", "--lang", "zh"], tmp_path, "1\n")
    assert done.returncode == 0, done.stderr
    assert "（1/8）" in done.stdout
    with_token = founder_coach(
        ["run", "--user", "ada"], tmp_path, "", TELEGRAM_BOT_TOKEN="123:ABC"
    )
    assert with_token.returncode == 2
    assert "--user and --lang are for the console coach" in with_token.stderr


def test_exports_and_data_are_ignored_by_git() -> None:
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    for entry in ("exports/", "data/", "*.db", "*.db-wal", "*.db-shm"):
        assert entry in ignored
    if shutil.which("git") and (REPO / ".git").exists():
        done = subprocess.run(
            ["git", "-C", str(REPO), "check-ignore", "--no-index",
             "exports/founder-coach-acme-2026-12-01.html", "data/founder-coach.db"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert len(done.stdout.splitlines()) == 2, done.stdout


# ------------------------------------------------------------ Docker: no token, no terminal


@pytest.mark.parametrize("stdin", [None, ""], ids=["dev-null", "empty-pipe"])
def test_run_without_token_or_terminal_refuses_to_start(tmp_path: Path, stdin: str | None) -> None:
    """`docker run` without a token and without -it: one line, status 2, nobody greeted
    (it used to greet no one and exit 0, in a loop under --restart=always)."""
    done = founder_coach(["run", "--db", str(tmp_path / "c.db")], tmp_path, stdin)
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert "no TELEGRAM_BOT_TOKEN, and no terminal" in line
    assert "docker run -it" in line


def test_the_docker_image_keeps_exports_on_the_volume_and_documents_the_port() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "FOUNDER_COACH_EXPORTS=/data/exports" in dockerfile
    assert "EXPOSE 8443" in dockerfile
    assert 'VOLUME ["/data"]' in dockerfile
