"""Schemas of `GET /sla/preview`: the due times of clocks started at a given instant."""

from __future__ import annotations

from pydantic import Field

from helpdesk.schemas.common import NO_NUL, SLUG_MAX, Instant, Priority, Query, Response


class SlaPreviewQuery(Query):
    """Parameters of `GET /sla/preview`."""

    client: str = Field(max_length=SLUG_MAX, pattern=NO_NUL, description="A client's slug.")
    priority: Priority
    start: Instant = Field(
        description="When the clocks start (ISO 8601 with offset), "
        "from 1970-01-01T00:00:00Z to 9000-01-01T00:00:00Z."
    )


class SlaPreview(Response):
    """Due times of clocks started at `start` and never paused."""

    client: str
    priority: Priority
    start: str
    calendar: str = Field(description="The policy's calendar name, or 24x7.")
    first_response_due_at: str
    next_response_due_at: str
    resolution_due_at: str
