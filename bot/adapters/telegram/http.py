"""python-telegram-bot's HTTP calls on aiohttp: HTTPXRequest's errors for less CPU per call.

httpx/httpcore took about a fifth of the CPU of an update (issue #14); aiohttp does the
same calls for less. PTB's :class:`~telegram.request.BaseRequest` already turns an HTTP
answer into its errors (403 Forbidden, 429 RetryAfter, 5xx NetworkError, 400 BadRequest),
so this class only has to send the request and map what the client itself raises, as
HTTPXRequest does:

- no answer in time -> :class:`~telegram.error.TimedOut`; when the connection was never
  made or no pooled connection was free, the request did not leave, and the error's
  ``__cause__`` is an :class:`aiohttp.ConnectionTimeoutError` (:func:`never_sent`);
- any other client failure (refused, reset, a broken answer) -> ``NetworkError`` raised
  *from* the client's exception (a ``__cause__``, as with httpx).

Timeouts keep PTB's meaning: ``read_timeout`` is the longest silence while reading the
answer (PTB adds the long-poll time for ``getUpdates``), ``connect_timeout`` the TCP
connect, ``pool_timeout`` the wait for a free connection. aiohttp has no write timeout:
the sum of all four bounds the whole call instead, so a stuck upload still ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.request import getproxies

import aiohttp
from telegram._utils.defaultvalue import DefaultValue  # the type of PTB's "not given"
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULTS = {"read": 5.0, "write": 5.0, "connect": 5.0, "pool": 1.0}


def never_sent(exc: BaseException) -> bool:
    """Whether a TimedOut happened before the request left (connect or pool wait)."""
    return isinstance(exc.__cause__, aiohttp.ConnectionTimeoutError)


def _sum(*parts: float | None) -> float | None:
    return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)


class AiohttpRequest(BaseRequest):
    """A :class:`BaseRequest` on one :class:`aiohttp.ClientSession` (created on initialize)."""

    __slots__ = (
        "_defaults",
        "_media_write_timeout",
        "_pool_size",
        "_session",
        "_stopped",
        "on_updates",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = DEFAULTS["read"],
        write_timeout: float | None = DEFAULTS["write"],
        connect_timeout: float | None = DEFAULTS["connect"],
        pool_timeout: float | None = DEFAULTS["pool"],
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._defaults = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._stopped = False
        # told getUpdates' result as Telegram sent it (the ledger stores that JSON); what
        # it returns is what PTB parses (a flood past a founder's backlog is left out)
        self.on_updates: Callable[[list[Any]], list[Any]] | None = None

    @property
    def read_timeout(self) -> float | None:
        """See :attr:`BaseRequest.read_timeout`: the default read time-out."""
        return self._defaults["read"]

    async def initialize(self) -> None:
        """Nothing yet: the session opens with the first call (a start that fails before
        any call, or the getUpdates client of a bot whose ``getMe`` failed, leaves nothing
        open behind it)."""
        self._stopped = False

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self.USER_AGENT},
                raise_for_status=False,
                # HTTPS_PROXY and friends, as httpx honoured them; looked up per call only
                # when one is set
                trust_env=bool(getproxies()),
            )
        return self._session

    async def shutdown(self) -> None:
        """Close the session and its connections; calls fail until :meth:`initialize`."""
        self._stopped = True
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(
        self, read: object, write: object, connect: object, pool: object, files: bool
    ) -> aiohttp.ClientTimeout:
        """PTB's four time-outs as aiohttp's (a DefaultValue means: this instance's default)."""
        read_s = self._defaults["read"] if isinstance(read, DefaultValue) else read
        connect_s = self._defaults["connect"] if isinstance(connect, DefaultValue) else connect
        pool_s = self._defaults["pool"] if isinstance(pool, DefaultValue) else pool
        if isinstance(write, DefaultValue):
            write = self._media_write_timeout if files else self._defaults["write"]
        values = (read_s, write, connect_s, pool_s)
        read_f, write_f, connect_f, pool_f = (
            None if v is None else float(v)  # type: ignore[arg-type]
            for v in values
        )
        return aiohttp.ClientTimeout(
            total=_sum(pool_f, connect_f, write_f, read_f),
            connect=_sum(pool_f, connect_f),  # a free connection, then the TCP connect
            sock_connect=connect_f,
            sock_read=read_f,
        )

    async def post(
        self,
        url: str,
        request_data: RequestData | None = None,
        read_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
    ) -> Any:
        """See :meth:`BaseRequest.post`; getUpdates' result goes through :attr:`on_updates`."""
        result = await super().post(
            url, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
            connect_timeout=connect_timeout, pool_timeout=pool_timeout,
        )  # fmt: skip
        if (
            self.on_updates is not None
            and url.endswith("/getUpdates")
            and isinstance(result, list)
        ):
            return self.on_updates(result)
        return result

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`BaseRequest.do_request`: the status and body, or PTB's error."""
        session = self._session
        if session is None or session.closed:
            if self._stopped:
                raise RuntimeError("This AiohttpRequest is shut down; initialize it first.")
            session = self._open()
        files = bool(request_data and request_data.multipart_data)
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout, files)
        try:
            async with session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's time-outs are TimeoutErrors too
            if isinstance(exc, aiohttp.ConnectionTimeoutError):
                raise TimedOut(
                    "Connect or pool timeout: the request was *not* sent to Telegram."
                ) from exc
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


class JsonBody(aiohttp.BytesPayload):
    """The parameters as one JSON object (the Bot API takes ``application/json`` for every
    call without a file); ASCII-escaped as PTB's own ``json_payload``, so any text goes."""

    def __init__(self, payload: bytes) -> None:
        super().__init__(payload, content_type="application/json")


def _body(request_data: RequestData | None) -> aiohttp.FormData | JsonBody | None:
    """A JSON body (one C-encoded pass, no per-field URL quoting: lighter than the form
    PTB's httpx sends); multipart only when a file goes with the fields."""
    if request_data is None:
        return None
    uploads = request_data.multipart_data
    if not uploads:
        parameters = request_data.parameters
        return JsonBody(json.dumps(parameters).encode()) if parameters else None
    fields = request_data.json_parameters
    form = aiohttp.FormData(quote_fields=False)  # a Chinese file name stays readable
    for name, value in fields.items():
        form.add_field(name, value)
    for name, upload in uploads.items():
        filename, content, mime = upload
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
