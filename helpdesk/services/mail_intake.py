"""Inbound mail to a client's address: a new ticket, or a reply on the ticket it answers.

One transaction per mail: the ticket or message, its attachments, the original .eml and the
Message-IDs are stored together or not at all. Tickets are filed and replies added through
services.tickets, so routing, SLA clocks, events, outbound mail and live pushes happen as
for every other channel.

A From header proves nothing. A reply joins its ticket as the requester's only when it was
addressed to the ticket's signed reply address for them (domain.reply_tags: To, Cc,
Delivered-To, X-Original-To or the envelope recipient), or when our receiving relay's
Authentication-Results says DMARC, or SPF for the From domain itself, passed
(mail.authresults, MAIL_AUTHSERV_ID). Any other reply is held for an agent's review
(services.held_replies). A new ticket needs no proof: anyone may ask for help.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.domain.reply_tags import proves, read_tag
from helpdesk.i18n import normalize_locale
from helpdesk.mail.authresults import domain_of, sender_proof
from helpdesk.mail.parse import ParsedMail, loop_reason, parse, trim_reply, trim_signature
from helpdesk.models import Client, MailMessageId, Message, Ticket, User
from helpdesk.models.mail import MESSAGE_ID_MAX
from helpdesk.services import accounts, held_replies, rows
from helpdesk.services.addresses import BadAddress, normalize_email
from helpdesk.services.attachments import Limits, add_attachment, attach_files
from helpdesk.services.errors import ServiceError
from helpdesk.services.tickets import (
    BODY_MAX,
    SUBJECT_MAX,
    NewTicket,
    announce_created,
    announce_message,
    create_ticket,
)

log = logging.getLogger(__name__)

_REFERENCE_RE = re.compile(r"\[([A-Za-z0-9_-]{1,40})-(\d{1,9})\]")
_REPLY_PREFIX_RE = re.compile(r"^((re|fw|fwd|aw|wg|sv|vs|tr|rv|r)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """Where attachments go, their limits, the languages the UI offers, and what proves a
    reply: the key of the signed reply addresses and our relay's authserv-id."""

    attachments_dir: str | Path
    limits: Limits
    languages: tuple[str, ...]
    reply_secret: str = ""
    authserv_id: str = ""


@dataclass(frozen=True)
class Outcome:
    """What became of one mail: the SMTP reply to give and the ticket it landed on."""

    status: str  # created, replied, held, duplicate, ignored, rejected, error
    reply: str
    ticket: Ticket | None = None


@dataclass(frozen=True)
class Envelope:
    """What the SMTP session said: MAIL FROM and the RCPT TO addresses for this client."""

    mail_from: str | None
    rcpt_to: tuple[str, ...] = ()


def client_for_address(session: Session, address: str) -> Client | None:
    """The client whose inbound address this is (compared case-insensitively), also when it
    carries a ticket's reply tag (`support+t17.<mac>@acme.test`; checked on receipt)."""
    try:
        address = normalize_email(address)
    except BadAddress:
        return None
    client = session.scalar(select(Client).where(func.lower(Client.inbound_email) == address))
    tag = read_tag(address) if client is None else None
    if tag is not None:
        client = session.scalar(select(Client).where(func.lower(Client.inbound_email) == tag.base))
    return client


def receive(
    session: Session,
    *,
    client: Client,
    raw: bytes,
    envelope_from: str | None,
    now: datetime,
    settings: Settings,
    envelope_to: tuple[str, ...] = (),
) -> Outcome:
    """File one mail for `client`; never raises, every outcome is logged with its reason.

    `envelope_to` are the RCPT TO addresses the gateway accepted for this client.
    """
    reason = loop_reason(raw, envelope_from)
    if reason is not None:
        log.info(
            "mail for %s from %r ignored, automatic mail: %s", client.slug, envelope_from, reason
        )
        return Outcome("ignored", "250 2.0.0 Accepted: automatic mail, no ticket")
    try:
        envelope = Envelope(envelope_from, tuple(envelope_to))
        return _receive(session, client, raw, envelope, now, settings)
    except Exception:  # nothing half-stored: roll back, let the sender's server try again
        session.rollback()
        log.exception("mail for %s from %r failed; rolled back", client.slug, envelope_from)
        return Outcome("error", "451 4.3.0 Temporary failure, please try again later")


def _receive(session, client, raw, envelope: Envelope, now, settings) -> Outcome:
    envelope_from = envelope.mail_from
    try:
        mail = parse(raw)
    except Exception as exc:  # the stdlib parser raises rarely, but a mail must not crash us
        log.warning("mail for %s from %r unreadable, rejected: %s", client.slug, envelope_from, exc)
        return Outcome("rejected", "550 5.6.0 Message could not be parsed")
    if mail.defects:
        log.info(
            "mail for %s from %r has MIME defects: %s",
            client.slug,
            envelope_from,
            ", ".join(mail.defects),
        )
    try:
        sender = normalize_email(mail.from_addr or envelope_from or "")
    except BadAddress as exc:
        log.warning(
            "mail for %s rejected, no usable sender (From %r, envelope %r): %s",
            client.slug,
            mail.from_addr,
            envelope_from,
            exc,
        )
        return Outcome("rejected", "550 5.1.7 No usable sender address")
    if mail.message_id is None:
        log.info("mail for %s from %s has no Message-ID", client.slug, sender)
    elif _known_message_id(session, client, mail.message_id):
        log.info("mail %s for %s already received, skipped", mail.message_id, client.slug)
        return Outcome("duplicate", "250 2.0.0 Already received")

    ticket = find_thread(session, client, mail)
    if ticket is not None and ticket.status != "closed":
        return _reply(session, ticket, mail, sender, envelope, raw, now, settings)
    if ticket is not None:
        log.info("mail from %s answers closed %s: filed as a new ticket", sender, ticket.reference)
    return _new_ticket(session, client, mail, sender, raw, now, settings)


def find_thread(session: Session, client: Client, mail: ParsedMail) -> Ticket | None:
    """The client's ticket a mail answers: by In-Reply-To/References, else by [REF-17] in the
    subject. Never by subject text alone."""
    ids = [h for h in [*mail.in_reply_to, *reversed(mail.references)] if len(h) <= MESSAGE_ID_MAX]
    if ids:
        known = session.execute(
            select(MailMessageId.header, MailMessageId.ticket_id).where(
                MailMessageId.client_id == client.id, MailMessageId.header.in_(ids)
            )
        ).all()
        by_header = dict(known)
        for header in ids:  # the nearest parent first
            if header in by_header:
                return session.get(Ticket, by_header[header])
    for prefix, number in _REFERENCE_RE.findall(mail.subject):
        if prefix.upper() == client.reference_prefix:
            ticket = session.scalar(
                select(Ticket).where(Ticket.client_id == client.id, Ticket.number == int(number))
            )
            if ticket is not None:
                return ticket
    return None


def _reply(
    session, ticket: Ticket, mail: ParsedMail, sender, envelope: Envelope, raw, now, settings
) -> Outcome:
    requester = ticket.requester
    if sender != requester.email.strip().lower() or not requester.active:
        log.warning(
            "mail from %s answers %s but is not from its requester: not accepted",
            sender,
            ticket.reference,
        )
        return Outcome("rejected", "550 5.7.1 Only the requester can reply to this ticket")
    body = _text_or_file_names(trim_reply(mail.text), mail)
    if not body:
        log.warning("mail from %s for %s is empty: rejected", sender, ticket.reference)
        return Outcome("rejected", "550 5.6.0 Empty message")
    proof = reply_proof(ticket, requester, mail, envelope.rcpt_to, settings)
    if proof is None:
        message = held_replies.hold(
            session,
            ticket=ticket,
            author=requester,
            body=body[:BODY_MAX],
            now=now,
            sender=sender,
            envelope_from=envelope.mail_from,
        )
        _keep(session, ticket, message, mail, raw, settings)
        session.commit()
        log.warning(
            "mail from %s (envelope %r) for %s proves neither the reply address nor the "
            "sender's domain: held for review (message %s)",
            sender,
            envelope.mail_from,
            ticket.reference,
            message.id,
        )
        return Outcome("held", "250 2.0.0 Received, held for review", ticket)
    old_status = ticket.status
    message = held_replies.join(
        session, ticket=ticket, author=requester, body=body[:BODY_MAX], now=now
    )
    _keep(session, ticket, message, mail, raw, settings)
    session.commit()
    announce_message(ticket, message, status_changed=ticket.status != old_status)
    log.info(
        "mail from %s added to %s (message %s, proven by %s)",
        sender,
        ticket.reference,
        message.id,
        proof,
    )
    return Outcome("replied", f"250 2.0.0 Added to {ticket.reference}", ticket)


def reply_proof(
    ticket: Ticket, requester: User, mail: ParsedMail, envelope_to, settings: Settings
) -> str | None:
    """How a reply proves it comes from the requester: "tag" (sent to the ticket's signed
    reply address for them), "dmarc" or "spf" (our relay's verdict), or None."""
    inbound = ticket.client.inbound_email or ""
    for address in [*envelope_to, *mail.recipients]:
        tag = read_tag(address)
        if inbound and proves(
            tag,
            secret=settings.reply_secret,
            inbound=inbound,
            ticket_id=ticket.id,
            user_id=requester.id,
        ):
            return "tag"
    return sender_proof(
        mail.auth_results, authserv_id=settings.authserv_id, from_domain=domain_of(mail.from_addr)
    )


def _new_ticket(session, client: Client, mail: ParsedMail, sender, raw, now, settings) -> Outcome:
    locale = mail_locale(mail.content_language, settings.languages)
    requester = _customer(session, client, sender, mail.from_name, locale)
    if requester is None:
        log.warning(
            "mail from %s for %s: the address belongs to an inactive or non-customer "
            "account, rejected",
            sender,
            client.slug,
        )
        return Outcome("rejected", "550 5.7.1 Sender not accepted")
    text = trim_signature(mail.text)
    subject = _REPLY_PREFIX_RE.sub("", mail.subject).strip() or mail.subject
    body = _text_or_file_names(text, mail)
    subject = subject or body.split("\n", 1)[0]
    body = body or subject
    if not body:
        log.warning(
            "mail from %s for %s has neither subject nor text: rejected", sender, client.slug
        )
        return Outcome("rejected", "550 5.6.0 Empty message")
    cmd = NewTicket(
        subject=subject[:SUBJECT_MAX].strip(),
        body=body[:BODY_MAX],
        channel="email",
        locale=locale,
    )
    try:
        ticket = create_ticket(
            session, client=client, requester=requester, cmd=cmd, now=now, commit=False
        )
    except ServiceError as exc:
        session.rollback()
        log.warning("mail from %s for %s rejected: %s", sender, client.slug, exc)
        return Outcome("rejected", "550 5.6.0 Message not accepted")
    _keep(session, ticket, None, mail, raw, settings)
    session.commit()
    announce_created(ticket)
    log.info("mail from %s filed as %s", sender, ticket.reference)
    return Outcome("created", f"250 2.0.0 Filed as {ticket.reference}", ticket)


def _keep(session, ticket: Ticket, message: Message | None, mail: ParsedMail, raw, settings):
    """Attachments, the original mail and its Message-ID, in the caller's transaction."""
    files = [(part.filename, part.data) for part in mail.attachments]
    _kept, skipped = attach_files(
        session,
        root=settings.attachments_dir,
        ticket=ticket,
        message=message,
        files=files,
        limits=settings.limits,
    )
    if skipped:
        log.warning(
            "mail for %s: %d attachment(s) over the limits kept only in the original",
            ticket.reference,
            len(skipped),
        )
    add_attachment(
        session,
        root=settings.attachments_dir,
        ticket=ticket,
        message=message,
        filename="original.eml",
        data=raw,
        content_type="message/rfc822",
        original=True,
    )
    if mail.message_id is not None and len(mail.message_id) <= MESSAGE_ID_MAX:
        session.add(
            MailMessageId(
                client_id=ticket.client.id,
                ticket=ticket,
                message=message,
                header=mail.message_id,
                direction="in",
            )
        )


def _text_or_file_names(text: str, mail: ParsedMail) -> str:
    # A mail with only attachments still says something: which files came.
    if text.strip():
        return text.strip()
    names = [part.filename for part in mail.attachments if part.filename]
    return ", ".join(names)


def _known_message_id(session: Session, client: Client, header: str) -> bool:
    return (
        session.scalar(
            select(MailMessageId.id).where(
                MailMessageId.client_id == client.id, MailMessageId.header == header
            )
        )
        is not None
    )


def mail_locale(content_language: str | None, languages: tuple[str, ...]) -> str | None:
    """The ticket locale a Content-Language names: "ja-JP" -> "ja" when only "ja" is offered."""
    code = normalize_locale(content_language) if content_language else None
    if code is None or code in languages:
        return code
    base = code.split("_")[0]
    return base if base in languages else code


def _customer(session, client: Client, email: str, name: str, locale: str | None) -> User | None:
    user = accounts.find_or_create_customer(session, client, email=email, name=name, locale=locale)
    if user is not None and user.id is None:
        rows.insert_now(session, user)
        log.info("new customer %s of %s from e-mail", email, client.slug)
    return user
