"""deploy/: the compose file, the proxy and the env example agree with each other and with
the code (docker is not available here, so this is what can be checked without it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.adapters.telegram.health import HEALTH_PATH
from bot.cli import build_parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
WORKERS = ("worker-1", "worker-2", "worker-3")


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def _services() -> dict[str, Any]:
    return _compose()["services"]


def _commands() -> set[str]:
    parser = build_parser()
    [subcommands] = [a for a in parser._actions if a.dest == "command"]
    return set(subcommands.choices or ())


def _has_command(*words: str) -> bool:
    parser = build_parser()
    try:
        parser.parse_args(list(words))
    except SystemExit:
        return False
    return True


def test_the_services_are_there_and_the_workers_identical() -> None:
    services = _services()
    assert set(services) == {"postgres", "migrate", "webhook", *WORKERS, "proxy"}
    first = services[WORKERS[0]]
    assert all(services[name] == first for name in WORKERS)
    assert first["command"] == ["founder-coach", "run"]
    assert services["postgres"]["image"] == "postgres:16"
    assert "pgdata" in _compose()["volumes"]
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    assert services["webhook"]["restart"] == services["migrate"]["restart"] == "no"
    deps = first["depends_on"]
    assert deps["migrate"]["condition"] == "service_completed_successfully"
    assert deps["postgres"]["condition"] == "service_healthy"
    assert set(services["webhook"]["depends_on"]) == set(WORKERS)


@pytest.mark.parametrize("service", ["migrate", "webhook", *WORKERS])
def test_each_service_runs_a_command_that_exists(service: str) -> None:
    program, *words = _services()[service]["command"]
    assert program == "founder-coach"
    if words[0] == "db" and "db" not in _commands():
        pytest.skip("`founder-coach db` comes with the PostgreSQL backend (issue #15)")
    assert _has_command(*words), words


def test_workers_are_webhook_workers_on_postgresql_that_never_register() -> None:
    env = _services()[WORKERS[0]]["environment"]
    values = {k: re.sub(r"\$\{[^}]*\}", "x", str(v)) for k, v in env.items()}
    assert {name.lower() for name in values} <= set(Settings.model_fields)  # real settings
    settings = Settings(**{name.lower(): value for name, value in values.items()})
    assert settings.shared_database
    assert settings.telegram_webhook_url
    assert not settings.registers_webhook


def test_the_health_check_probes_healthz_on_the_webhook_port() -> None:
    worker = _services()[WORKERS[0]]
    port = worker["environment"]["TELEGRAM_WEBHOOK_PORT"]
    probe = " ".join(worker["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}{HEALTH_PATH}" in probe
    assert worker["expose"] == [port]
    assert int(worker["stop_grace_period"].rstrip("s")) >= 30  # time to drain


def test_the_proxy_balances_over_every_worker_with_health_checks() -> None:
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    env = _services()[WORKERS[0]]["environment"]
    port, path = env["TELEGRAM_WEBHOOK_PORT"], env["TELEGRAM_WEBHOOK_PATH"]
    assert f"handle /{path} {{" in caddy
    assert env["TELEGRAM_WEBHOOK_URL"].endswith(f"/{path}")
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddy)
    assert upstreams is not None
    assert upstreams[1].split() == [f"{name}:{port}" for name in WORKERS]
    assert "lb_policy round_robin" in caddy
    assert f"health_uri {HEALTH_PATH}" in caddy
    proxy = _services()["proxy"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]


def test_postgresql_accepts_every_connection_the_workers_may_open() -> None:
    """A worker's pools may hold POOL_SIZE + LOCK_POOL_SIZE connections; with too few
    allowed, the last founder lock or the migrate command is refused under load."""
    from bot.storage.postgres import LOCK_POOL_SIZE, POOL_SIZE

    command = _services()["postgres"]["command"]
    [setting] = [value for value in command if value.startswith("max_connections=")]
    allowed = int(setting.split("=", 1)[1])
    needed = len(WORKERS) * (POOL_SIZE + LOCK_POOL_SIZE) + 2  # + migrate and webhook set
    assert allowed >= needed + 3  # PostgreSQL keeps 3 for superusers


def test_every_variable_the_compose_file_needs_is_in_the_env_example() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    needed = set(re.findall(r"\$\{([A-Z_]+)", text)) | {"TELEGRAM_BOT_TOKEN",
                                                          "TELEGRAM_WEBHOOK_SECRET"}  # fmt: skip
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    given = dict(
        line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#")
    )
    assert needed <= set(given)
    assert "replace" in given["TELEGRAM_BOT_TOKEN"]  # a placeholder, never a real token
    assert not re.fullmatch(r"\d+:[A-Za-z0-9_-]{35}", given["TELEGRAM_BOT_TOKEN"])
    assert _compose()["services"][WORKERS[0]]["env_file"] == ".env"


def test_the_image_builds_from_the_checkout_and_serves_the_webhook_port() -> None:
    worker = _services()[WORKERS[0]]
    assert (DEPLOY / worker["build"] / "Dockerfile").is_file()
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"EXPOSE {worker['environment']['TELEGRAM_WEBHOOK_PORT']}" in dockerfile
    assert 'CMD ["founder-coach", "run"]' in dockerfile
    assert "python" in worker["healthcheck"]["test"]  # the probe needs no curl in the image
