"""Pydantic models of the API's requests and responses; the OpenAPI document is built from them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic_core import PydanticCustomError

from helpdesk.domain.sla import METRICS
from helpdesk.models import CHANNELS, CLOCK_STATES, PRESENCE, PRIORITIES, ROLES, STATUSES
from helpdesk.models.tickets import MESSAGE_KINDS
from helpdesk.services.addresses import BadAddress, normalize_email
from helpdesk.services.tickets import (
    BODY_MAX,
    CATEGORY_RE,
    CLIENT_MSG_ID_MAX,
    SUBJECT_MAX,
)

# Literal[tuple] spells one member per tuple item, so the enums follow the models.
Status = Literal[STATUSES]
Priority = Literal[PRIORITIES]
Channel = Literal[CHANNELS]
Presence = Literal[PRESENCE]
Role = Literal[ROLES]

# JSON Schema patterns are unanchored searches, like pydantic's: these say "no NUL anywhere"
# (PostgreSQL text refuses it) and "no NUL, and something besides white space".
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
VISIBLE_ASCII = r"^[\x21-\x7e]+$"
# Ids are INTEGER columns: PostgreSQL refuses to compare them with anything larger.
ID_MAX = 2**31 - 1
PAGE_MAX = 1_000_000
PER_PAGE_MAX = 200
EMAIL_MAX = 254
NAME_MAX = 120
SLUG_MAX = 40


def _email(value: str) -> str:
    # The e-mail is the customer's identity per client: one spelling, lower case.
    try:
        return normalize_email(value)
    except BadAddress as exc:
        raise PydanticCustomError("email", "{reason}", {"reason": str(exc)}) from None


def _whole(value: object) -> object:
    # JSON Schema counts 1.0 as the integer 1; so do we, and nothing else that is not an int.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Instants the SLA calendar can count from: business time is walked day by day, and the years
# 1 and 9999 (the ends of Python's datetime) leave no room to walk.
INSTANT_MIN = datetime(1970, 1, 1, tzinfo=UTC)
INSTANT_MAX = datetime(9000, 1, 1, tzinfo=UTC)


def _within_range(value: datetime) -> datetime:
    if value < INSTANT_MIN:
        raise PydanticCustomError("greater_than_equal", "too early", {"ge": "1970-01-01T00:00:00Z"})
    if value > INSTANT_MAX:
        raise PydanticCustomError("less_than_equal", "too late", {"le": "9000-01-01T00:00:00Z"})
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_within_range)]

# Constraints inside the Annotated: outside it, pydantic misspells them in the JSON schema.
AgentId = Annotated[int, Field(ge=1, le=ID_MAX), BeforeValidator(_whole)]

Email = Annotated[
    str,
    Field(max_length=EMAIL_MAX, json_schema_extra={"format": "email"}),
    AfterValidator(_email),
]


class Request(BaseModel):
    """Base of request bodies: unknown keys and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Base of query strings: values arrive as text, so numbers are parsed from it."""

    model_config = ConfigDict(extra="forbid", strict=False)


class Response(BaseModel):
    """Base of response bodies: exactly the documented keys."""

    model_config = ConfigDict(extra="forbid")


# Requests


class TokenRequest(Request):
    """Credentials exchanged for a user API token."""

    email: str = Field(min_length=1, max_length=EMAIL_MAX, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=1024, pattern=NO_NUL)
    client: str | None = Field(
        default=None,
        max_length=SLUG_MAX,
        pattern=NO_NUL,
        description="A client's slug: sign in as that client's customer only.",
    )


class Requester(Request):
    """The customer an intake token files for; found by e-mail or created."""

    email: Email
    name: str | None = Field(
        default=None,
        max_length=NAME_MAX,
        pattern=NO_NUL,
        description="Used only when the customer is new; default: the e-mail's local part.",
    )


class TicketCreate(Request):
    """A new ticket."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": (
                "With an intake token `requester` is required; with a customer token the "
                "caller is the requester and `requester` is refused (422)."
            )
        }
    )

    subject: str = Field(max_length=SUBJECT_MAX, pattern=NOT_BLANK)
    body: str = Field(max_length=BODY_MAX, pattern=NOT_BLANK)
    priority: Priority = "normal"
    category: str | None = Field(default=None, pattern=CATEGORY_RE.pattern)
    locale: str | None = Field(
        default=None,
        max_length=35,
        pattern=NO_NUL,
        description="BCP 47 or Babel code (pt-BR, pt_BR); default: the customer's, "
        "else the client's default locale. Stored as a Babel code.",
    )
    requester: Requester | None = None


def _patch_schema(schema: dict) -> None:
    # status and priority may be absent but never null: their None default is not a value.
    schema["minProperties"] = 1
    for name in ("status", "priority"):
        schema["properties"][name].pop("default", None)


class TicketUpdate(Request):
    """A change to a ticket by staff; absent keys stay as they are (see `model_fields_set`)."""

    model_config = ConfigDict(json_schema_extra=_patch_schema)

    status: Status = None  # type: ignore[assignment]
    priority: Priority = None  # type: ignore[assignment]
    assignee_id: AgentId | None = Field(
        default=None, description="An agent serving the client; null unassigns."
    )


class MessageCreate(Request):
    """A reply (or, from staff, an internal note) on a ticket."""

    body: str = Field(max_length=BODY_MAX, pattern=NOT_BLANK)
    internal: bool = False
    client_msg_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=CLIENT_MSG_ID_MAX,
        pattern=NO_NUL,
        description="A retry with the same id returns the stored message (status 200).",
    )


class AgentStatusUpdate(Request):
    """An agent's presence."""

    status: Presence


class TicketListQuery(Query):
    """Filters and page of `GET /tickets`."""

    status: Status | None = None
    assignee: Literal["me"] | None = Field(default=None, description="Only my tickets.")
    client: str | None = Field(
        default=None, max_length=SLUG_MAX, pattern=NO_NUL, description="A client's slug."
    )
    page: int = Field(default=1, ge=1, le=PAGE_MAX)
    per_page: int = Field(default=50, ge=1, le=PER_PAGE_MAX)


class SlaPreviewQuery(Query):
    """Parameters of `GET /sla/preview`."""

    client: str = Field(max_length=SLUG_MAX, pattern=NO_NUL, description="A client's slug.")
    priority: Priority
    start: Instant = Field(
        description="When the clocks start (ISO 8601 with offset), "
        "from 1970-01-01T00:00:00Z to 9000-01-01T00:00:00Z."
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


# Responses


class ErrorDetail(Response):
    """What went wrong: a stable code, a message for people, and per-field messages."""

    code: str
    message: str
    fields: dict[str, str]


class Error(Response):
    """Every 4xx answer of the API."""

    error: ErrorDetail


class Token(Response):
    """A user API token; send it as `Authorization: Bearer TOKEN`."""

    token: str
    expires_at: datetime


class UserRef(Response):
    """A requester."""

    id: int
    email: str
    name: str


class AssigneeRef(Response):
    """An assignee and their site."""

    id: int
    name: str
    site: str | None


class Routing(Response):
    """Where routing put the ticket and why."""

    site: str | None
    reason: str | None
    expected_pickup_at: datetime | None


class SlaClock(Response):
    """One SLA clock of the ticket: a metric in one cycle (next response restarts)."""

    metric: Literal[METRICS]
    cycle: int
    state: Literal[CLOCK_STATES]
    target_minutes: int
    started_at: datetime
    due_at: datetime | None
    fulfilled_at: datetime | None
    breached: bool
    paused: bool


class Ticket(Response):
    """A ticket (without its thread)."""

    id: int
    reference: str = Field(examples=["ACME-17"])
    client: str
    subject: str
    body: str
    status: Status
    priority: Priority
    channel: Channel
    locale: str
    category: str | None
    requester: UserRef
    assignee: AssigneeRef | None
    created_at: datetime
    updated_at: datetime
    routing: Routing
    sla: list[SlaClock]


class Author(Response):
    """The author of a message."""

    id: int
    name: str
    role: Role


class Message(Response):
    """An entry of a ticket's thread."""

    id: int
    ticket_id: int
    author: Author | None
    body: str
    internal: bool
    kind: Literal[MESSAGE_KINDS]
    channel: Channel
    client_msg_id: str | None
    created_at: datetime


class TicketDetail(Ticket):
    """A ticket with its thread, oldest first (internal notes for staff only)."""

    messages: list[Message]


class TicketList(Response):
    """One page of tickets, newest first."""

    items: list[Ticket]
    page: int
    per_page: int
    total: int


class AgentRef(Response):
    """An agent as presence events show them."""

    id: int
    name: str


class AgentStatus(Response):
    """An agent's presence after the change."""

    agent: AgentRef
    status: Presence
    presence_at: datetime


class SlaPreview(Response):
    """Due times of clocks started at `start` and never paused."""

    client: str
    priority: Priority
    start: str
    calendar: str = Field(description="The policy's calendar name, or 24x7.")
    first_response_due_at: str
    next_response_due_at: str
    resolution_due_at: str


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


# Metrics (helpdesk.api.metrics; figures defined in helpdesk.domain.metrics)

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


REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    TokenRequest,
    Requester,
    TicketCreate,
    TicketUpdate,
    MessageCreate,
    AgentStatusUpdate,
)
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    Error,
    Token,
    Ticket,
    TicketDetail,
    TicketList,
    Message,
    AgentStatus,
    SlaPreview,
    RoutingPreview,
    CoverageWeek,
    MetricsReport,
    DrillPage,
)
