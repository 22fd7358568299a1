"""Mail to customers: queued with the ticket change, rendered in their language, sent later.

`on_event` runs inside the ticket's transaction (services.tickets.record_event calls it), so
the outbox row commits or rolls back with the change. services.outbox delivers what is due
(the scheduler tick, `flask mail send-queued`): `render` makes each mail in the customer's
language and zone, `send` hands it to SMTP (or logs it when SMTP_HOST is unset).
"""

from __future__ import annotations

import logging
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from helpdesk.domain.reply_tags import tagged_address
from helpdesk.i18n import is_timezone, normalize_locale
from helpdesk.models import MailMessageId, Message, OutboundMail, Ticket, TicketEvent, User
from helpdesk.notify import smtp
from helpdesk.password_tokens import link_for
from helpdesk.services.addresses import BadAddress, normalize_email
from helpdesk.services.sla_report import expected_reply

log = logging.getLogger(__name__)

THREAD_IDS_MAX = 20
DECODE_ROUNDS = 5  # encoded words inside encoded words, decoded until nothing changes


class UnsafeHeader(ValueError):
    """A header built from user text would change the mail's structure; it is never sent."""


# -- queueing (inside the ticket's transaction) -------------------------------------------------


def on_event(session: Session, event: TicketEvent) -> OutboundMail | None:
    """Queue the mail a ticket event calls for: acknowledgement, public reply, solved notice."""
    ticket = event.ticket
    kind, message = _mail_for(session, ticket, event)
    if kind is None:
        return None
    address = recipient(ticket.requester)
    if address is None:
        return None
    queued, thread_id = _queued_rows(kind, address, event.at)
    mail = OutboundMail(ticket=ticket, message=message, **queued)
    session.add(mail)
    # The customer's reply quotes this id: it threads onto the ticket like any other.
    session.add(
        MailMessageId(client_id=ticket.client.id, ticket=ticket, message=message, **thread_id)
    )
    return mail


def _queued_rows(kind: str, address: str, at: datetime) -> tuple[dict, dict]:
    # A queued mail's columns and its Message-ID row's, apart from the ticket and message.
    header = new_message_id()
    mail = {
        "kind": kind,
        "to_addr": address,
        "message_id_header": header,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }
    return mail, {"header": header, "direction": "out", "created_at": at}


_INSERT_MAIL = insert(OutboundMail.__table__)
_INSERT_MESSAGE_ID = insert(MailMessageId.__table__)


def queue_acknowledgement(session: Session, ticket: Ticket, *, at: datetime) -> None:
    """Queue the mail on_event queues for a `created` event, for a ticket already inserted.

    create_ticket inserts a new ticket's rows in bulk once the ticket has its id: the same
    outbox and Message-ID rows, one INSERT each, without the unit of work.
    """
    if _chat(ticket):
        return
    address = recipient(ticket.requester)
    if address is None:
        return
    queued, thread_id = _queued_rows("ack", address, at)
    ids = {"ticket_id": ticket.id, "message_id": None}
    connection = session.connection()  # Core statements built once: nothing to flush first
    connection.execute(_INSERT_MAIL, [{**ids, **queued}])
    thread_id |= {"client_id": ticket.client_id, **ids}
    connection.execute(_INSERT_MESSAGE_ID, [thread_id])


def _chat(ticket: Ticket) -> bool:
    # The customer is in the live chat, and chats do not become e-mail.
    return ticket.channel == "chat"


def _mail_for(session: Session, ticket: Ticket, event: TicketEvent):
    if _chat(ticket):
        return None, None
    if event.kind == "created":
        return "ack", None
    if event.kind == "status_changed" and event.data.get("new") == "solved":
        # Not when the customer marked it solved themselves: they need no notice.
        return (None, None) if event.data.get("why") == "requester" else ("solved", None)
    if event.kind == "message_added":
        message = event.message or session.get(Message, event.data.get("message_id"))
        if (
            message is not None
            and message.kind == "reply"
            and not message.internal
            and message.author is not None
            and message.author.role in ("agent", "admin")
        ):
            return "reply", message
    return None, None


def recipient(user: User | None) -> str | None:
    """The address mail to this requester goes to: active customers with a usable address."""
    if user is None or user.role != "customer" or not user.active:
        return None
    try:
        return normalize_email(user.email)
    except BadAddress:
        return None


def new_message_id() -> str:
    """A fresh Message-ID (without brackets) in the domain of MAIL_FROM."""
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2] or "localhost"
    return make_msgid(idstring="helpdesk", domain=domain)[1:-1]


# -- rendering ------------------------------------------------------------------------------------


def mail_locale(customer: User, ticket: Ticket, languages: list[str]) -> str:
    """The language of the customer's mail: their setting, the ticket's, the client's, English."""
    return first_language((customer.locale, ticket.locale, ticket.client.default_locale), languages)


def first_language(candidates, languages: list[str]) -> str:
    """The first candidate locale (or its language) we have a translation for, else English."""
    for candidate in candidates:
        code = normalize_locale(candidate) if candidate else None
        if code in languages:
            return code
        if code and code.split("_")[0] in languages:
            return code.split("_")[0]
    return "en"


def mail_zone(customer: User, ticket: Ticket) -> str:
    """The zone the customer reads times in: their own, else the client's, else UTC."""
    for zone in (customer.timezone, ticket.client.timezone):
        if is_timezone(zone):
            return zone
    return "UTC"


def format_when(value: datetime, *, locale: str, zone: str) -> str:
    """A time as the customer reads it: Babel's medium format in their zone, zone named."""
    local = format_datetime(value, "medium", tzinfo=ZoneInfo(zone), locale=locale)
    return f"{local} ({zone})"


def render(session: Session, mail: OutboundMail) -> EmailMessage:
    """The complete e-mail for a queued mail, in the customer's language and zone."""
    if mail.kind in ("password", "invite", "confirm"):
        return render_account_link(mail)
    config = current_app.config
    ticket, customer = mail.ticket, mail.ticket.requester
    client = ticket.client
    locale = mail_locale(customer, ticket, config["LANGUAGES"])
    zone = mail_zone(customer, ticket)
    expected = None
    if mail.kind == "ack":
        promise = expected_reply(ticket, ticket.sla_clocks, now=mail.created_at)
        if promise is not None and promise.kind == "by":
            expected = format_when(promise.at, locale=locale, zone=zone)
    with force_locale(locale):
        team = _team(client)
        body = render_template(
            f"mail/{mail.kind}.txt",
            ticket=ticket,
            customer=customer,
            message=mail.message,
            expected=expected,
            team=team,
        )
    headers = {}
    if client.inbound_email:
        headers["Reply-To"] = reply_to(ticket, customer, team)
    earlier = thread_ids(session, ticket, before=mail.message_id_header)
    if earlier:
        headers["In-Reply-To"] = f"<{earlier[-1]}>"
        headers["References"] = " ".join(f"<{h}>" for h in earlier)
    if mail.kind != "reply":
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer it
    subject = f"[{ticket.reference}] {ticket.subject}"
    return _compose(mail, subject, team, customer.name, body, locale, headers, client)


def reply_to(ticket: Ticket, customer: User, team: str) -> Address:
    """The ticket's signed reply address for this customer: answering it proves the reply
    (domain.reply_tags; services.mail_intake checks it)."""
    address = tagged_address(
        ticket.client.inbound_email,
        secret=current_app.config["SECRET_KEY"],
        ticket_id=ticket.id,
        user_id=customer.id,
    )
    return Address(display_name=header_text(team), addr_spec=address)


def render_account_link(mail: OutboundMail) -> EmailMessage:
    """The mail with a link that sets the user's password or confirms their address, in
    their language."""
    config = current_app.config
    user, client = mail.user, mail.user.client
    locale = first_language(
        (user.locale, client.default_locale if client else None), config["LANGUAGES"]
    )
    with force_locale(locale):
        team = _team(client)
        if mail.kind == "confirm":
            subject = gettext("Confirm your e-mail address")
        elif mail.kind == "invite":
            subject = gettext("Your account at %(team)s", team=team)
        else:
            subject = gettext("Set your password")
        body = render_template(
            f"mail/{mail.kind}.txt",
            user=user,
            client=client,
            link=link_for(user, asked_at=mail.created_at, kind=mail.kind),
            minutes=config["PASSWORD_LINK_MINUTES"],
            hours=config["INVITE_LINK_HOURS" if mail.kind == "invite" else "CONFIRM_LINK_HOURS"],
            team=team,
        )
    headers = {"Auto-Submitted": "auto-generated"}
    return _compose(mail, subject, team, user.name, body, locale, headers, client)


def _team(client) -> str:
    # The sender's name, in the mail's language (called under force_locale).
    return gettext("%(client)s Support", client=client.name) if client else gettext("Helpdesk")


def _compose(
    mail: OutboundMail,
    subject: str,
    team: str,
    name: str,
    body: str,
    locale: str,
    headers: dict,
    client=None,
) -> EmailMessage:
    """The e-mail every kind shares: the team to the recipient, dated, with its Message-ID.

    A branded client's mail also has an HTML part: the same text under its logo and accent
    colour. Checked before it goes anywhere: the headers that come out are exactly those put in.
    """
    msg = EmailMessage()
    msg["Subject"] = header_text(subject)
    msg["From"] = Address(display_name=header_text(team), addr_spec=current_app.config["MAIL_FROM"])
    msg["To"] = Address(display_name=header_text(name), addr_spec=mail.to_addr)
    msg["Date"] = rfc2822_date(mail.created_at)
    msg["Message-ID"] = f"<{mail.message_id_header}>"
    for header, value in headers.items():
        msg[header] = value
    msg.set_content(body)
    if client is not None and (client.accent_color or client.logo_sha256):
        msg.add_alternative(branded_html(client, team, body, locale), subtype="html")
    msg["Content-Language"] = locale.replace("_", "-")  # after set_content, which clears it
    check_headers(msg)
    return msg


def branded_html(client, team: str, body: str, locale: str) -> str:
    """The HTML part of a branded client's mail: its logo and accent around the plain text
    (escaped by the template; links stay links). Images load from PUBLIC_URL."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    logo = None
    if client.logo_sha256:
        logo = f"{base}/c/{client.slug}/logo?v={client.logo_sha256[:16]}"
    paragraphs = [part.strip("\n") for part in body.split("\n\n") if part.strip()]
    return render_template(
        "mail/branded.html",
        client=client,
        team=team,
        logo=logo,
        accent=client.accent_color or "#1d5fc4",
        paragraphs=paragraphs,
        rtl=locale.split("_")[0] in ("ar", "he", "fa", "ur"),
        lang=locale.replace("_", "-"),
    )


def header_text(text: str) -> str:
    """User text (a subject, a name) made safe as a header value, whatever the Python version.

    The email package decodes RFC 2047 encoded words in what it is given, and a literal
    `=?utf-8?b?...?=` typed by a customer may decode to line breaks: a header of the
    attacker's choosing (CVE-2024-6923). So the text is decoded here exactly as the package
    will, line breaks and other control characters are dropped, and that is repeated until
    nothing decodes any further: what the package then stores is this text itself.
    """
    for _round in range(DECODE_ROUNDS):
        try:
            decoded = str(policy.SMTP.header_factory("Subject", text))
        except (HeaderParseError, LookupError, ValueError):
            decoded = text
        cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in decoded).split())
        if cleaned == text:
            return text
        text = cleaned
    raise UnsafeHeader(f"text keeps decoding after {DECODE_ROUNDS} rounds: {text[:80]!r}")


def check_headers(msg: EmailMessage) -> None:
    """Serialize the mail and read it back: the same header names in the same order, and no
    value with a line break. Raises UnsafeHeader otherwise."""
    names = [name.lower() for name, _value in msg.items()]
    for name, value in msg.items():
        if "\r" in str(value) or "\n" in str(value):
            raise UnsafeHeader(f"{name} holds a line break")
    raw = msg.as_bytes(policy=policy.SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0]
    back = [
        line.split(b":", 1)[0].decode("ascii", "replace").lower()
        for line in head.split(b"\r\n")
        if line and line[:1] not in (b" ", b"\t")
    ]
    if back != names:
        raise UnsafeHeader(f"headers {back} came out where {names} went in")


def thread_ids(session: Session, ticket: Ticket, *, before: str) -> list[str]:
    """The ticket's Message-IDs recorded before `before`, oldest first (at most 20)."""
    rows = list(
        session.scalars(
            select(MailMessageId.header)
            .where(MailMessageId.ticket_id == ticket.id, MailMessageId.header != before)
            .where(
                MailMessageId.id
                < select(MailMessageId.id)
                .where(MailMessageId.header == before, MailMessageId.ticket_id == ticket.id)
                .scalar_subquery()
            )
            .order_by(MailMessageId.id.desc())
            .limit(THREAD_IDS_MAX)
        )
    )
    return rows[::-1]


# -- delivery (outside any request) ---------------------------------------------------------------


def send(msg: EmailMessage, *, to_addr: str) -> bool:
    """Hand the mail to SMTP_HOST; without one, log it. Returns True when it was only logged."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        # A warning: with no logging set up, Python shows warnings, and this mail reaches nobody.
        headers = "\n".join(f"{name}: {value}" for name, value in msg.items())
        log.warning(
            "SMTP_HOST unset, mail logged instead of sent:\n%s\n\n%s", headers, msg.get_content()
        )
        return True
    with smtp.connect(config) as session:
        session.send_message(msg, from_addr=config["MAIL_FROM"], to_addrs=[to_addr])
    return False
