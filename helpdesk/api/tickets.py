"""API tickets: file (idempotently), list, read, change, and add messages."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import parse_body, parse_query
from helpdesk.api.principal import Principal, current_principal, current_user
from helpdesk.api.ticket_list import client_ids_of, ticket_page
from helpdesk.extensions import db
from helpdesk.i18n import normalize_locale
from helpdesk.models import Client, Message, Ticket, User
from helpdesk.ratelimit import intake_per_token
from helpdesk.schemas import (
    ID_MAX,
    VISIBLE_ASCII,
    MessageCreate,
    TicketCreate,
    TicketDetail,
    TicketList,
    TicketListQuery,
    TicketUpdate,
)
from helpdesk.schemas import Message as MessageSchema
from helpdesk.schemas import Ticket as TicketSchema
from helpdesk.serializers import message_json, ticket_json
from helpdesk.services import intake
from helpdesk.services.errors import Forbidden, NotFound, ServiceError, ValidationFailed
from helpdesk.services.scope import (
    get_visible_client,
    get_visible_ticket,
    is_staff_of,
    thread_visibility,
)
from helpdesk.services.scope import visible_tickets as visible_tickets_query
from helpdesk.services.tickets import (
    NewTicket,
    add_message,
    find_message_by_client_id,
    update_ticket,
    validate_new_ticket,
)
from helpdesk.services.totals import capped_total

IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retry safely: a repeat with the same body returns the first ticket "
    "(200); the same key with another body is 409 `idempotency_key_reused`.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": VISIBLE_ASCII},
}
_ID = re.compile(r"[1-9][0-9]{0,9}")
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def _now() -> datetime:
    return datetime.now(UTC)


def _load_ticket(user: User, raw_id: str) -> Ticket:
    # The id comes in as text: 0, -1, 2**31 (past INTEGER) and 20 digits are simply not found.
    if not _ID.fullmatch(raw_id) or int(raw_id) > ID_MAX:
        raise NotFound(_("No such ticket."))
    ticket = get_visible_ticket(db.session, user, int(raw_id))
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def _created(ticket: Ticket, status: int = 201, data: dict | None = None):
    response = jsonify(data or ticket_json(ticket))
    response.headers["Location"] = url_for("api.get_ticket", ticket_id=ticket.id)
    return response, status


# Filing


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise ValidationFailed(
            _("The Idempotency-Key header is invalid."),
            fields={"Idempotency-Key": _("Use 1 to 255 visible ASCII characters.")},
        )
    return key


def request_digest(data: TicketCreate) -> str:
    """SHA-256 of the validated request in canonical JSON (defaults filled in, keys sorted)."""
    canonical = json.dumps(
        data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _command(principal: Principal, data: TicketCreate) -> tuple[Client, NewTicket]:
    if principal.is_intake:
        client = principal.client
        if data.requester is None:
            raise ValidationFailed(
                _("The ticket has invalid fields."),
                fields={"requester": _("An intake token must name the requester.")},
            )
        locale = data.locale
    else:
        user = principal.user
        if data.requester is not None:
            raise ValidationFailed(
                _("The ticket has invalid fields."),
                fields={"requester": _("You file tickets as yourself; leave this out.")},
            )
        client = user.client
        locale = data.locale or normalize_locale(user.locale)
    cmd = NewTicket(
        subject=data.subject,
        body=data.body,
        priority=data.priority,
        channel="api",
        locale=locale,
        category=data.category,
    )
    # Validated before a new customer is added, so a bad ticket stores nothing at all.
    return client, validate_new_ticket(cmd, client)


@bp.post("/tickets")
@operation(
    summary="File a ticket.",
    description=(
        "By a client's intake token, for `requester` (the client's customer with that "
        "e-mail, created without a password if new), or by a customer's token for the "
        "caller (a `requester` key is then refused with 422). Channel `api`. Limited per "
        "token (429 with `Retry-After`)."
    ),
    body=TicketCreate,
    headers=(IDEMPOTENCY_HEADER,),
    responses={201: TicketSchema, 200: TicketSchema},
    errors=(403, 409, 429),
)
@intake_per_token
def file_ticket():
    """Create a ticket; with Idempotency-Key, a repeat returns the first one."""
    principal = current_principal()
    if not principal.is_intake and principal.user.role != "customer":
        raise Forbidden(_("Only customers and intake tokens file tickets here."))
    key = _idempotency_key()
    data = parse_body(TicketCreate)
    client, cmd = _command(principal, data)
    if principal.is_intake:
        requester = intake.Requester(
            email=data.requester.email,
            name=data.requester.name,
            locale=normalize_locale(data.locale),
        )
    else:
        requester = principal.user
    idempotency = (
        intake.Idempotency(principal.key, key, request_digest(data)) if key is not None else None
    )
    filed = intake.file_ticket(
        db.session,
        client=client,
        cmd=cmd,
        requester=requester,
        idempotency=idempotency,
        now=_now(),
    )
    return _created(filed.ticket, 201 if filed.created else 200, data=filed.data)


# Reading


@bp.get("/tickets")
@operation(
    summary="Tickets the caller may see, newest first.",
    description="Users only (an intake token gets 403). An unknown client slug, or one the "
    "caller may not see, is 404.",
    query=TicketListQuery,
    responses={200: TicketList},
    errors=(403, 404, 422),
)
def list_tickets():
    """One page of the visible tickets, filtered."""
    user = current_user()
    query = parse_query(TicketListQuery)
    stmt = visible_tickets_query(user)
    if query.status is not None:
        stmt = stmt.where(Ticket.status == query.status)
    if query.assignee == "me":
        stmt = stmt.where(Ticket.assignee_id == user.id)
    client = None
    if query.client is not None:
        client = get_visible_client(db.session, user, query.client)
        if client is None:
            raise NotFound(_("No such client."))
        stmt = stmt.where(Ticket.client_id == client.id)
    total = capped_total(db.session, stmt)
    items = ticket_page(
        db.session,
        stmt,
        clients=client_ids_of(db.session, user, client),
        offset=(query.page - 1) * query.per_page,
        limit=query.per_page,
    )
    return jsonify(
        items=items,
        page=query.page,
        per_page=query.per_page,
        total=total.value,
        total_exact=total.exact,
    )


@bp.get("/tickets/<ticket_id>")
@operation(
    summary="One ticket with its thread, oldest first.",
    description="Internal notes are shown to agents and admins only.",
    responses={200: TicketDetail},
    errors=(403, 404),
)
def get_ticket(ticket_id: str):
    """The ticket and the messages the caller may read."""
    user = current_user()
    ticket = _load_ticket(user, ticket_id)
    stmt = (
        select(Message)
        .where(Message.ticket_id == ticket.id, thread_visibility(staff=is_staff_of(user, ticket)))
        .order_by(Message.id)
        .options(selectinload(Message.author))
    )
    body = ticket_json(ticket)
    body["messages"] = [message_json(m) for m in db.session.scalars(stmt)]
    return jsonify(body)


# Changing


@bp.patch("/tickets/<ticket_id>")
@operation(
    summary="Change status, priority or assignee (agents and admins).",
    description="Customers and supervisors who can see the ticket get 403.",
    body=TicketUpdate,
    responses={200: TicketSchema},
    errors=(403, 404, 409),
)
def patch_ticket(ticket_id: str):
    """Apply the given fields; absent ones stay as they are."""
    user = current_user()
    ticket = _load_ticket(user, ticket_id)
    if not is_staff_of(user, ticket):
        raise Forbidden(_("Only agents can change tickets."))
    data = parse_body(TicketUpdate)
    if not data.model_fields_set:
        raise ValidationFailed(_("Give at least one of status, priority, assignee_id."))
    changes = {name: getattr(data, name) for name in data.model_fields_set}
    update_ticket(db.session, ticket=ticket, actor=user, now=_now(), **changes)
    return jsonify(ticket_json(ticket))


@bp.post("/tickets/<ticket_id>/messages")
@operation(
    summary="Reply on a ticket (requester or staff), or add an internal note (staff).",
    description="A repeated `client_msg_id` from the same caller returns the stored "
    "message with status 200.",
    body=MessageCreate,
    responses={201: MessageSchema, 200: MessageSchema},
    errors=(403, 404, 409),
)
def post_message(ticket_id: str):
    """Add a message to the thread."""
    user = current_user()
    ticket = _load_ticket(user, ticket_id)
    data = parse_body(MessageCreate)
    session = db.session
    if data.client_msg_id is not None:
        existing = find_message_by_client_id(session, ticket, user, data.client_msg_id)
        if existing is not None:
            return jsonify(message_json(existing)), 200
    try:
        message = add_message(
            session,
            ticket=ticket,
            author=user,
            body=data.body,
            now=_now(),
            internal=data.internal,
            channel="api",
            client_msg_id=data.client_msg_id,
        )
    except IntegrityError:
        # The same client_msg_id arrived twice at once; the other request stored it.
        session.rollback()
        existing = find_message_by_client_id(session, ticket, user, data.client_msg_id)
        if existing is None:
            raise
        return jsonify(message_json(existing)), 200
    except ServiceError:
        session.rollback()
        raise
    return jsonify(message_json(message)), 201
