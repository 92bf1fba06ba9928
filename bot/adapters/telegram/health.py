"""What the load balancer sees of a worker: ``/healthz``, and the drain on SIGTERM.

A worker is healthy when its database answers a trivial read and it is not draining. On
SIGTERM it starts draining: ``/healthz`` and new webhook POSTs answer 503 (the balancer
stops sending it traffic; Telegram retries the update, reaching another worker), while
the POSTs already past that check finish storing their update. Nothing of the database,
the settings or any founder is in the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from http import HTTPStatus

import tornado.web

from bot.storage import Database
from bot.storage.probe import answers

HEALTH_PATH = "/healthz"


class Worker:
    """This process as the balancer sees it: draining or not, and the POSTs in progress."""

    def __init__(self, db: Database | None) -> None:
        self.db = db
        self.draining = False
        self._accepting = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @contextlib.contextmanager
    def accepting(self) -> Iterator[None]:
        """Around a webhook POST that was let in: the drain waits for it to be stored."""
        self._accepting += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._accepting -= 1
            if not self._accepting:
                self._quiet.set()

    def drain(self) -> None:
        """Turn new POSTs and health checks away from now on."""
        self.draining = True

    async def accepted(self) -> None:
        """Wait until every POST let in before the drain has stored its update."""
        await self._quiet.wait()

    async def healthy(self) -> tuple[bool, dict[str, str]]:
        """Whether to send this worker traffic, and a small body saying why."""
        if self.draining:
            return False, {"status": "draining"}
        if self.db is None or not await answers(self.db):
            return False, {"status": "database unreachable"}
        return True, {"status": "ok"}


class HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 when the worker should get traffic, 503 otherwise."""

    SUPPORTED_METHODS = ("GET", "HEAD")  # type: ignore[assignment]

    def initialize(self, worker: Worker) -> None:  # type: ignore[override]
        """Tornado's per-request set-up."""
        self.worker = worker

    def compute_etag(self) -> None:
        """No ETag: a probe must never be answered 304 from a cache."""
        return

    async def get(self) -> None:
        """Answer with the status code and a one-field JSON body."""
        ok, body = await self.worker.healthy()
        self.set_status(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body).encode("utf-8"))

    async def head(self) -> None:
        """As GET, without the body (some balancers probe with HEAD)."""
        ok, _ = await self.worker.healthy()
        self.set_status(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE)
        self.finish()
