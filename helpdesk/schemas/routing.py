"""Schemas of `GET /routing/preview` and `GET /coverage`: who would get a ticket, who covers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from helpdesk.schemas.common import (
    NO_NUL,
    SLUG_MAX,
    AssigneeRef,
    Priority,
    Query,
    Response,
)

Locale = Annotated[
    str,
    Field(
        min_length=2,
        max_length=35,
        pattern=NO_NUL,
        description="A BCP 47 or POSIX locale, e.g. pt-BR.",
    ),
]
Skill = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", description="A skill.")]


class RoutingPreviewQuery(Query):
    """Parameters of `GET /routing/preview`."""

    client: str = Field(max_length=SLUG_MAX, pattern=NO_NUL, description="A client's slug.")
    locale: Locale
    skill: Skill | None = None
    priority: Priority = "normal"
    at: AwareDatetime | None = Field(
        default=None,
        description="Plan for this instant from shifts alone; without it: now, live.",
    )


class CoverageQuery(Query):
    """Parameters of `GET /coverage`."""

    client: str = Field(max_length=SLUG_MAX, pattern=NO_NUL, description="A client's slug.")
    locale: Locale
    week_of: date = Field(description="A Monday (the week starts there at 00:00 UTC).")


class Candidate(Response):
    """One agent as the routing decision saw them."""

    id: int
    name: str
    site: str | None
    load: int
    capacity: int
    eligible: bool
    language_fit: Literal["exact", "language"] | None
    rejections: list[Literal["client", "off_shift", "offline", "language", "skill", "full"]]


class RoutingPreview(Response):
    """Who would get the ticket and why; `agent` null when nobody qualifies then."""

    agent: AssigneeRef | None
    site: str | None
    expected_pickup_at: str | None
    live: bool
    reason: str
    reason_code: Literal["assigned", "queued_next_shift", "no_coverage"]
    eligible: int
    considered: int
    rejected: dict[str, int]
    candidates: list[Candidate]


class CoverageSlot(Response):
    """One hour of the week: who covers it at its start."""

    start: str
    sites: list[str]
    agents: int


class CoverageGap(Response):
    """Consecutive uncovered hours, [start, end)."""

    start: str
    end: str


class CoverageWeek(Response):
    """168 hourly slots of a client and locale, and the gaps between covered ones."""

    client: str
    locale: str
    week_of: str
    slots: list[CoverageSlot]
    gaps: list[CoverageGap]
