"""Filing through the API: one ticket per idempotency key, for a requester found or created.

The ticket, a new customer and the idempotency key are one transaction. Inserting first
and looking the key up only on a conflict keeps the common path one query shorter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpdesk.models import Client, IdempotencyKey, Ticket, User
from helpdesk.serializers import ticket_json
from helpdesk.services import accounts
from helpdesk.services.errors import Conflict, Forbidden, ServiceError
from helpdesk.services.tickets import NewTicket, announce_created, create_ticket

# A lost race for a new customer's e-mail is retried once.
ATTEMPTS = 2


@dataclass(frozen=True)
class Requester:
    """The customer an intake token files for, by e-mail (created without a password if new)."""

    email: str
    name: str | None
    locale: str | None


@dataclass(frozen=True)
class Idempotency:
    """The caller's key and the digest of the request it came with."""

    principal: str
    key: str
    digest: str


@dataclass(frozen=True)
class Filed:
    """The ticket, its JSON, and whether this request created it (False: a repeat)."""

    ticket: Ticket
    data: dict
    created: bool


def find_idempotency_key(session: Session, principal_key: str, key: str) -> IdempotencyKey | None:
    """The stored key of this caller, if the request was made before."""
    return session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.principal == principal_key, IdempotencyKey.key == key
        )
    )


def file_ticket(
    session: Session,
    *,
    client: Client,
    cmd: NewTicket,
    requester: User | Requester,
    idempotency: Idempotency | None,
    now: datetime,
) -> Filed:
    """File (or, for a repeated key, find) the ticket; commits, then tells the queues."""
    for _attempt in range(ATTEMPTS):
        try:
            customer = _customer(session, client, requester)
            ticket = create_ticket(
                session, client=client, requester=customer, cmd=cmd, now=now, commit=False
            )
            if idempotency is not None:
                session.add(
                    IdempotencyKey(
                        principal=idempotency.principal,
                        key=idempotency.key,
                        request_hash=idempotency.digest,
                        ticket=ticket,
                        created_at=ticket.created_at,
                    )
                )
            session.commit()
        except IntegrityError:
            # The key was used before (a repeat, or a concurrent request that won), or a
            # concurrent request created the same new customer.
            session.rollback()
            if idempotency is not None:
                row = find_idempotency_key(session, idempotency.principal, idempotency.key)
                if row is not None:
                    return _replay(session, row, idempotency.digest)
            continue
        except ServiceError:
            session.rollback()
            raise
        data = ticket_json(ticket)
        announce_created(ticket, data)
        return Filed(ticket, data, created=True)
    raise Conflict(_l("Another request changed the same data; please retry."))


def _customer(session: Session, client: Client, requester: User | Requester) -> User:
    if isinstance(requester, User):
        return requester
    customer = accounts.find_or_create_customer(
        session, client, email=requester.email, name=requester.name, locale=requester.locale
    )
    if customer is None:
        raise Forbidden(_l("This requester's account is disabled."))
    return customer


def _replay(session: Session, row: IdempotencyKey, digest: str) -> Filed:
    if row.request_hash != digest:
        raise Conflict(
            _l("This Idempotency-Key was used for a different request."),
            code="idempotency_key_reused",
        )
    ticket = session.get(Ticket, row.ticket_id)
    return Filed(ticket, ticket_json(ticket), created=False)
