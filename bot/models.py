"""The small objects adapters and the Coach exchange: who, what came in, what goes out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class UserRef:
    """A founder as a transport knows them."""

    channel: str
    external_id: str
    display_name: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Said:
    """The founder typed a message (a command if it starts with ``/``)."""

    text: str


@dataclass(frozen=True)
class Tapped:
    """The founder pressed a button of the question ``step`` of run ``run_id``.

    ``run_id`` is None for the menu and other questions outside a flow. Options are named
    by id or by their position in the question's options (``indexes``, what compact
    callback data carries). The Coach checks all of it against the database, so an old,
    replayed or forged button changes nothing.
    """

    run_id: int | None
    step: str
    option_ids: tuple[str, ...] = ()
    indexes: tuple[int, ...] = ()
    action: Literal["pick", "back", "skip"] = "pick"


Incoming = Said | Tapped

OutKind = Literal["question", "message", "advice", "assessment", "error", "menu", "review", "file"]


class OutFile(BaseModel):
    """A document to send (an export)."""

    model_config = ConfigDict(frozen=True)

    filename: str
    data: bytes
    mime: str
    caption: str = ""


class Option(BaseModel):
    """One answer the founder can pick."""

    model_config = ConfigDict(frozen=True)

    id: str
    label: str
    selected: bool = False


class OutMessage(BaseModel):
    """One reply, rendered for the Coach's target (plain text or Telegram HTML)."""

    model_config = ConfigDict(frozen=True)

    type: OutKind
    text: str
    options: list[Option] = Field(default_factory=list)
    flow: str | None = None
    step: str | None = None
    kind: str | None = None
    progress: tuple[int, int] | None = None
    progress_open: bool = False  # progress[1] is an upper bound (later answers may cut it)
    hint: str | None = None
    run_id: int | None = None
    can_back: bool = False
    can_skip: bool = False
    keep_label: str | None = None  # the skip button keeps an earlier answer: "Keep: MVP"
    skip_label: str | None = None  # the skip button's own words ("Not now": it declines)
    file: OutFile | None = None
    # a text question that takes several lines (one goal per line): the console then
    # reads lines until an empty one; JSON lines says "multiline": true
    multiline: bool = False
    locale: str | None = None  # the language it is written in, when the Coach knows it
