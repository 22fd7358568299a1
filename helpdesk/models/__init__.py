"""The models, one module per aggregate; importing this package registers them all."""

from helpdesk.models.sites import Site
from helpdesk.models.sla import CLOCK_STATES, SlaClock
from helpdesk.models.tenancy import ESCALATIONS, PRIORITIES, Calendar, Client, SlaTarget
from helpdesk.models.tickets import (
    CHANNELS,
    STATUSES,
    IdempotencyKey,
    Message,
    Ticket,
    TicketEvent,
    TicketRead,
)
from helpdesk.models.users import (
    PRESENCE,
    ROLES,
    STAFF_REALM,
    AgentLanguage,
    AgentSkill,
    ApiToken,
    User,
    agent_clients,
)

__all__ = [
    "CLOCK_STATES",
    "SlaClock",
    "CHANNELS",
    "ESCALATIONS",
    "PRESENCE",
    "PRIORITIES",
    "ROLES",
    "STAFF_REALM",
    "STATUSES",
    "AgentLanguage",
    "AgentSkill",
    "ApiToken",
    "Calendar",
    "Client",
    "IdempotencyKey",
    "Message",
    "SlaTarget",
    "Site",
    "Ticket",
    "TicketEvent",
    "TicketRead",
    "User",
    "agent_clients",
]
