"""The models, one module per aggregate; importing this package registers them all."""

from helpdesk.models.attachments import Attachment
from helpdesk.models.audit import AUDIT_KINDS, AuditEvent
from helpdesk.models.intake_tokens import INTAKE_TOKEN_NAME_MAX, IntakeToken
from helpdesk.models.mail import OUTBOX_STATES, MailMessageId, OutboundMail
from helpdesk.models.scheduler import JobLease
from helpdesk.models.sessions import RecoveryCode, SiteSetting, SocketConnection, UserSession
from helpdesk.models.sites import Site
from helpdesk.models.sla import CLOCK_STATES, SlaClock
from helpdesk.models.tenancy import (
    ESCALATIONS,
    PRIORITIES,
    Calendar,
    Client,
    ClientLogo,
    SlaTarget,
)
from helpdesk.models.tickets import (
    ACTIVE_STATUSES,
    CHANNELS,
    OPEN_STATUSES,
    PRIORITY_RANK,
    STATUSES,
    IdempotencyKey,
    Message,
    Ticket,
    TicketEvent,
    TicketRead,
)
from helpdesk.models.types import ID_MAX
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
    "ACTIVE_STATUSES",
    "OPEN_STATUSES",
    "PRIORITY_RANK",
    "AUDIT_KINDS",
    "INTAKE_TOKEN_NAME_MAX",
    "IntakeToken",
    "AuditEvent",
    "CLOCK_STATES",
    "SlaClock",
    "CHANNELS",
    "ESCALATIONS",
    "ID_MAX",
    "PRESENCE",
    "PRIORITIES",
    "ROLES",
    "STAFF_REALM",
    "STATUSES",
    "AgentLanguage",
    "AgentSkill",
    "ApiToken",
    "Attachment",
    "Calendar",
    "Client",
    "ClientLogo",
    "IdempotencyKey",
    "JobLease",
    "MailMessageId",
    "Message",
    "OUTBOX_STATES",
    "OutboundMail",
    "RecoveryCode",
    "SiteSetting",
    "SlaTarget",
    "SocketConnection",
    "UserSession",
    "Site",
    "Ticket",
    "TicketEvent",
    "TicketRead",
    "User",
    "agent_clients",
]
