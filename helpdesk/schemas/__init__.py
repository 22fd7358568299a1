"""Pydantic models of the API's requests and responses; the OpenAPI document is built from them."""

from __future__ import annotations

from pydantic import BaseModel

from helpdesk.schemas.agents import AgentStatus, AgentStatusUpdate
from helpdesk.schemas.auth import Token, TokenRequest
from helpdesk.schemas.common import ID_MAX, VISIBLE_ASCII, Error
from helpdesk.schemas.intake_tokens import IntakeTokenCreate, IntakeTokenIssued, IntakeTokenList
from helpdesk.schemas.metrics import (
    DrillPage,
    ExportQuery,
    MetricsCsvQuery,
    MetricsPageQuery,
    MetricsQuery,
    MetricsReport,
    MetricsTicketsQuery,
)
from helpdesk.schemas.provisioning import ProvisioningQuery, ProvisioningSummary
from helpdesk.schemas.routing import (
    CoverageQuery,
    CoverageWeek,
    RoutingPreview,
    RoutingPreviewQuery,
)
from helpdesk.schemas.sla import SlaPreview, SlaPreviewQuery
from helpdesk.schemas.tickets import (
    Message,
    MessageCreate,
    Requester,
    Ticket,
    TicketCreate,
    TicketDetail,
    TicketList,
    TicketListQuery,
    TicketUpdate,
)
from helpdesk.schemas.users import UserAccount, UserUpdate

__all__ = [
    "ID_MAX",
    "REQUEST_MODELS",
    "RESPONSE_MODELS",
    "VISIBLE_ASCII",
    "AgentStatus",
    "AgentStatusUpdate",
    "CoverageQuery",
    "CoverageWeek",
    "DrillPage",
    "Error",
    "IntakeTokenCreate",
    "IntakeTokenIssued",
    "IntakeTokenList",
    "ExportQuery",
    "Message",
    "MessageCreate",
    "MetricsCsvQuery",
    "MetricsPageQuery",
    "MetricsQuery",
    "MetricsReport",
    "MetricsTicketsQuery",
    "ProvisioningQuery",
    "ProvisioningSummary",
    "RoutingPreview",
    "RoutingPreviewQuery",
    "SlaPreview",
    "SlaPreviewQuery",
    "Ticket",
    "TicketCreate",
    "TicketDetail",
    "TicketList",
    "TicketListQuery",
    "TicketUpdate",
    "Token",
    "TokenRequest",
    "UserAccount",
    "UserUpdate",
]

REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    TokenRequest,
    Requester,
    TicketCreate,
    TicketUpdate,
    MessageCreate,
    AgentStatusUpdate,
    UserUpdate,
    IntakeTokenCreate,
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
    UserAccount,
    IntakeTokenIssued,
    IntakeTokenList,
    ProvisioningSummary,
)
