"""The exception tree of the coach.

::

    BotError
    ├── ConfigError          settings that cannot work (bad path, bad value)
    ├── FlowDefinitionError  flows/ or content/ is invalid; carries every problem found
    ├── RenderError          a template failed to render (a content bug, not user input)
    └── StorageError         the database cannot be used (locked, read-only, full)

Bad input from a founder is never an exception: the engine returns a reprompt.
"""

from __future__ import annotations

from dataclasses import dataclass


class BotError(Exception):
    """Base class of every error the coach raises on purpose."""


class ConfigError(BotError):
    """The settings cannot work."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a flow or content file, located as precisely as we can."""

    file: str
    where: str
    what: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.where}: {self.what}"
            if self.where
            else f"{self.file}: {self.what}"
        )


class FlowDefinitionError(BotError):
    """Flows or content failed validation; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RenderError(BotError):
    """A template could not be rendered with the facts it was given."""


class StorageError(BotError):
    """The database cannot be read or written right now."""
