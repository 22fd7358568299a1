"""Schemas of `/metrics` and `/export.jsonl` (figures defined in helpdesk.domain.metrics)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from helpdesk.domain.sla import METRICS
from helpdesk.schemas.common import (
    NO_NUL,
    PAGE_MAX,
    PER_PAGE_MAX,
    SLUG_MAX,
    Channel,
    Priority,
    Query,
    Response,
    Status,
)

DATE_DOC = {"format": "date"}
METRICS_INCLUDE = r"^(breakdowns|heatmap|trend)(,(breakdowns|heatmap|trend))*$"
ClientSlug = Annotated[
    str, Field(max_length=SLUG_MAX, pattern=NO_NUL, description="A client's slug.")
]
LocalDate = Annotated[
    str,
    Field(max_length=10, pattern=NO_NUL, json_schema_extra=DATE_DOC),
]


class MetricsQuery(Query):
    """Parameters of `GET /metrics`."""

    client: ClientSlug
    from_: LocalDate = Field(alias="from", description="First day of the period (YYYY-MM-DD).")
    to: LocalDate = Field(description="Last day of the period, included (YYYY-MM-DD).")
    tz: str | None = Field(
        default=None,
        max_length=64,
        pattern=NO_NUL,
        description="IANA zone the dates are read in; default: the caller's, else the client's.",
    )
    include: str | None = Field(
        default=None,
        max_length=40,
        pattern=METRICS_INCLUDE,
        description="Extra sections, comma-separated: breakdowns, heatmap, trend.",
    )


class MetricsTicketsQuery(Query):
    """Parameters of the drill-down and the CSV: a period and the figure behind a number."""

    client: ClientSlug
    from_: LocalDate = Field(alias="from", description="First day of the period (YYYY-MM-DD).")
    to: LocalDate = Field(description="Last day of the period, included (YYYY-MM-DD).")
    tz: str | None = Field(default=None, max_length=64, pattern=NO_NUL)
    figure: Literal["tickets", "solved", "backlog", "responded", "met", "missed"] = Field(
        default="tickets",
        description="tickets, solved, backlog, responded (has a response time), met or "
        "missed (a clock with that outcome; missed without `metric`: the breaches).",
    )
    metric: Literal[METRICS] | None = None
    status: Status | None = None
    priority: Priority | None = None
    channel: Channel | None = None
    locale: str | None = Field(default=None, max_length=35, pattern=NO_NUL)
    site: str | None = Field(
        default=None, max_length=SLUG_MAX, pattern=NO_NUL, description="A site's slug; - for none."
    )
    agent: str | None = Field(
        default=None,
        pattern=r"^([1-9][0-9]{0,9}|-)$",
        description="The assignee's user id; - for unassigned.",
    )
    day: LocalDate | None = Field(default=None, description="A local date of the period.")
    weekday: int | None = Field(default=None, ge=0, le=6, description="Monday 0 .. Sunday 6.")
    hour: int | None = Field(default=None, ge=0, le=23, description="Local hour.")


class MetricsCsvQuery(MetricsTicketsQuery):
    """The CSV's parameters: the drill-down's, and which header row to write."""

    header: Literal["names", "labels"] = Field(
        default="names",
        description="names: the documented column names (the default, for programs); "
        "labels: the columns' titles in the caller's language, for people.",
    )


class MetricsPageQuery(MetricsTicketsQuery):
    """Parameters of `GET /metrics/tickets`: the drill-down with a page."""

    page: int = Field(default=1, ge=1, le=PAGE_MAX)
    per_page: int = Field(default=50, ge=1, le=PER_PAGE_MAX)


class ExportQuery(Query):
    """Parameters of `GET /export.jsonl`."""

    client: ClientSlug


class MetricFigures(Response):
    """One metric: response-time percentiles (policy calendar minutes) and SLA outcomes."""

    median_minutes: float | None
    p90_minutes: float | None
    attainment: float | None = Field(description="met / (met + missed); null when both are 0.")
    count: int = Field(description="Clocks with a response time.")
    met: int
    missed: int


class Backlog(Response):
    """The period's tickets still open, per status."""

    new: int
    open: int
    pending: int


class BreakdownRow(Response):
    """The figures of the period's tickets sharing one value of a dimension."""

    value: str | int | None = Field(description="The drill-down value; null: none.")
    label: str | None
    tickets: int
    solved: int
    breaches: int
    first_response: MetricFigures
    next_response: MetricFigures
    resolution: MetricFigures


class TrendDay(Response):
    """One local day: tickets created, and how many of those are solved now."""

    date: str
    tickets: int
    solved: int


class MetricsReport(Response):
    """Figures of one client and period, read in `tz` (see the definitions in the docs)."""

    client: str
    from_: str = Field(alias="from")
    to: str
    tz: str
    start: str = Field(description="The period's first instant (UTC).")
    end: str = Field(description="The instant after the period (UTC).")
    tickets: int
    solved: int
    first_response: MetricFigures
    next_response: MetricFigures
    resolution: MetricFigures
    breaches: int
    backlog: Backlog
    backlog_by_age: dict[str, int]
    breakdowns: dict[str, list[BreakdownRow]] | None = None
    heatmap: list[list[int]] | None = Field(
        default=None, description="Tickets per local weekday (Monday first) and hour."
    )
    trend: list[TrendDay] | None = None


class DrillAssignee(Response):
    """The assignee of a drilled-down ticket."""

    id: int
    name: str


class DrillTicket(Response):
    """A ticket behind a figure."""

    id: int
    reference: str
    subject: str
    created_at: str
    status: Status
    priority: Priority
    channel: Channel
    locale: str
    site: str | None
    assignee: DrillAssignee | None


class DrillPage(Response):
    """One page of the tickets behind a figure, oldest first."""

    items: list[DrillTicket]
    page: int
    per_page: int
    total: int
