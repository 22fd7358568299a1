"""Schemas of `/tickets`: filing, changing and listing tickets, and their messages."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from helpdesk.domain.sla import METRICS
from helpdesk.models import CLOCK_STATES
from helpdesk.models.tickets import MESSAGE_KINDS
from helpdesk.schemas.common import (
    NAME_MAX,
    NO_NUL,
    NOT_BLANK,
    PAGE_MAX,
    PER_PAGE_MAX,
    SLUG_MAX,
    AgentId,
    AssigneeRef,
    Channel,
    Email,
    Priority,
    Query,
    Request,
    Response,
    Role,
    Status,
)
from helpdesk.services.tickets import (
    BODY_MAX,
    CATEGORY_RE,
    CLIENT_MSG_ID_MAX,
    SUBJECT_MAX,
)

# Requests


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


class TicketListQuery(Query):
    """Filters and page of `GET /tickets`."""

    status: Status | None = None
    assignee: Literal["me"] | None = Field(default=None, description="Only my tickets.")
    client: str | None = Field(
        default=None, max_length=SLUG_MAX, pattern=NO_NUL, description="A client's slug."
    )
    page: int = Field(default=1, ge=1, le=PAGE_MAX)
    per_page: int = Field(default=50, ge=1, le=PER_PAGE_MAX)


# Responses


class UserRef(Response):
    """A requester."""

    id: int
    email: str
    name: str


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
    total: int = Field(
        description="Tickets matching the filters: exact up to 10,000; past that an estimate "
        "(never below 10,000) and `total_exact` is false."
    )
    total_exact: bool = Field(
        description="False when `total` is an estimate (more than 10,000 tickets match)."
    )
