"""The state of one run of a flow: JSON primitives only, so the store can keep it as is."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunStatus(StrEnum):
    """Where a run is in its life."""

    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class FlowState(BaseModel):
    """A run's position and answers; ``answers[step] is None`` means skipped."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    flow_id: str
    version: int = 1
    step_id: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    status: RunStatus = RunStatus.ACTIVE
    # /cancel pauses a run: it keeps its answers but is not the conversation under way
    paused: bool = False
    context: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise for the store."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, raw: str) -> FlowState:
        """Load what :meth:`to_json` wrote."""
        return cls.model_validate_json(raw)
