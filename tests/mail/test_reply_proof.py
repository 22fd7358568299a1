"""A reply by e-mail joins its ticket as the requester's only when it proves who sent it: it was
sent to the ticket's signed reply address, or our own relay vouches for the From domain (DMARC,
or SPF for that very domain). Anything else is held for an agent, unseen by the customer and
without any effect on the ticket."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from helpdesk.domain.reply_tags import tagged_address
from helpdesk.models import AuditEvent, Message, OutboundMail, Ticket, TicketEvent
from helpdesk.notify import outbound
from helpdesk.services.tickets import update_ticket
from tests.conftest import api_token, login
from tests.mail.helpers import eml, reply_address, vouched

OUR_RELAY = "mx.helpdesk.test"
SPOOF = "Please send the refund to IBAN XX00 ATTACKER."


@pytest.fixture
def trusted_relay(app, monkeypatch):
    """Our receiving relay writes Authentication-Results as mx.helpdesk.test."""
    monkeypatch.setitem(app.config, "MAIL_AUTHSERV_ID", OUR_RELAY)


@pytest.fixture
def kim(desk, factory):
    """The requester, with a password for the portal and the API."""
    return factory.customer(desk["acme"], email="kim@customer.test", name="Kim Park")


@pytest.fixture
def ticket(gateway, kim, desk, db_session):
    """ACME-1, filed by Kim's mail and answered by Ana, so a reply would start a clock."""
    gateway.send(eml("plain.eml"))
    db_session.expire_all()
    ticket = db_session.scalar(select(Ticket))
    update_ticket(
        db_session, ticket=ticket, actor=desk["ana"], now=ticket.created_at, status="solved"
    )
    return ticket


def reply(text: str = "It jams again.", *, to: str = "support@acme.test", **headers) -> bytes:
    """Kim's answer to ACME-1, threaded by In-Reply-To."""
    msg = EmailMessage()
    msg["From"] = "Kim Park <kim@customer.test>"
    msg["To"] = to
    msg["Subject"] = "Re: [ACME-1] Printer on the 3rd floor is jammed"
    msg["In-Reply-To"] = "<plain-1@customer.test>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    return msg.as_bytes()


def thread(session, ticket) -> list[Message]:
    session.expire_all()
    stmt = select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
    return list(session.scalars(stmt))


def assert_joined(session, ticket, text="It jams again.") -> Message:
    [message] = thread(session, ticket)
    assert (message.body, message.held, message.internal) == (text, False, False)
    assert session.get(Ticket, ticket.id).status == "open"  # reopened by the reply
    return message


def assert_held(session, ticket, text="It jams again.") -> Message:
    [message] = thread(session, ticket)
    assert (message.body, message.held, message.internal) == (text, True, True)
    assert message.hold_reason == "unproven_sender"
    assert session.get(Ticket, ticket.id).status == "solved"  # not reopened
    return message


def test_a_spoofed_reply_is_held_for_review_and_changes_nothing(gateway, ticket, db_session):
    clocks = [(c.id, c.state, c.fulfilled_at, c.due_at) for c in ticket.sla_clocks]
    mails = db_session.scalar(select(func.count()).select_from(OutboundMail))
    events = db_session.scalar(select(func.count()).select_from(TicketEvent))

    gateway.send(reply(SPOOF), mail_from="bounce@attacker.test")

    held = assert_held(db_session, ticket, SPOOF)
    assert held.author_id == ticket.requester_id and held.channel == "email"
    ticket = db_session.get(Ticket, ticket.id)
    assert [(c.id, c.state, c.fulfilled_at, c.due_at) for c in ticket.sla_clocks] == clocks
    assert db_session.scalar(select(func.count()).select_from(OutboundMail)) == mails
    new_events = list(db_session.scalars(select(TicketEvent).where(TicketEvent.id > events)))
    assert [(e.kind, e.data["held_id"]) for e in new_events] == [("reply_held", held.id)]
    [audit] = db_session.scalars(select(AuditEvent).where(AuditEvent.kind == "reply_held"))
    assert audit.client_id == ticket.client_id
    assert audit.data["from"] == "kim@customer.test"
    assert audit.data["envelope_from"] == "bounce@attacker.test"


def test_a_held_reply_is_not_shown_to_the_customer_on_the_portal_or_the_api(
    gateway, ticket, kim, client, db_session
):
    gateway.send(reply(SPOOF), mail_from="bounce@attacker.test")
    login(client, kim)
    page = client.get(f"/c/acme/tickets/{ticket.id}")
    assert page.status_code == 200 and SPOOF not in page.get_data(as_text=True)
    api = client.get(f"/api/v1/tickets/{ticket.id}", headers=api_token(client, kim))
    assert api.status_code == 200 and api.get_json()["messages"] == []


def test_a_reply_to_the_signed_reply_to_of_our_mail_joins_the_thread(gateway, ticket, db_session):
    ack = db_session.scalar(select(OutboundMail).where(OutboundMail.kind == "ack"))
    address = outbound.render(db_session, ack)["Reply-To"].addresses[0].addr_spec
    assert address.startswith(f"support+t{ticket.id}.") and address.endswith("@acme.test")
    gateway.send(reply(to=address), mail_from="bounce@elsewhere.test")
    message = assert_joined(db_session, ticket)
    kinds = [e.kind for e in db_session.get(Ticket, ticket.id).events]
    assert "message_added" in kinds and "reply_held" not in kinds
    assert message.id is not None


@pytest.mark.parametrize("where", ["envelope", "Delivered-To", "Cc", "upper case"])
def test_the_signed_address_counts_wherever_the_mail_says_it_went(
    gateway, ticket, db_session, where
):
    address = reply_address(ticket)
    if where == "envelope":
        gateway.send(reply(), to=[address])
    elif where == "upper case":  # mail servers may fold the local part
        gateway.send(reply(to=address.upper()))
    else:
        gateway.send(reply(**{where.replace("-", "_"): address}))
    assert_joined(db_session, ticket)


def forged(ticket, desk, factory, kind: str) -> str:
    address = reply_address(ticket)
    if kind == "altered":
        local, _, domain = address.partition("@")
        return f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"
    if kind == "another ticket":
        return reply_address(factory.ticket(desk["acme"], ticket.requester))
    if kind == "another person":
        return reply_address(ticket, user=factory.customer(desk["acme"]))
    if kind == "another client's address":
        return reply_address(ticket).replace("support", "help").replace("acme", "globex")
    if kind == "another key":
        return tagged_address(
            "support@acme.test",
            secret="not-our-key",
            ticket_id=ticket.id,
            user_id=ticket.requester_id,
        )
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    ["altered", "another ticket", "another person", "another client's address", "another key"],
)
def test_a_forged_or_borrowed_tag_proves_nothing_and_the_reply_is_held(
    gateway, ticket, desk, factory, db_session, kind
):
    address = forged(ticket, desk, factory, kind)
    gateway.send(reply(to=address))
    assert_held(db_session, ticket)


def test_dmarc_pass_from_our_relay_proves_the_reply(gateway, ticket, db_session, trusted_relay):
    verdict = (
        "spf=fail smtp.mailfrom=bounce@other.test; dmarc=pass (p=reject) header.from=customer.test"
    )
    gateway.send(vouched(reply(), by=OUR_RELAY, verdict=verdict))
    assert_joined(db_session, ticket)


def test_spf_pass_for_the_from_domain_itself_proves_the_reply(
    gateway, ticket, db_session, trusted_relay
):
    verdict = "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=kim@customer.test"
    gateway.send(vouched(reply(), by=OUR_RELAY, verdict=verdict))
    assert_joined(db_session, ticket)


UNPROVEN = {
    "another relay's verdict": ("mx.attacker.test", "dmarc=pass header.from=customer.test"),
    "spf for another domain": (OUR_RELAY, "spf=pass smtp.mailfrom=bounce@attacker.test"),
    "spf for a look-alike domain": (OUR_RELAY, "spf=pass smtp.mailfrom=evilcustomer.test"),
    "dmarc for another domain": (OUR_RELAY, "dmarc=pass header.from=attacker.test"),
    "dmarc failed": (OUR_RELAY, "dmarc=fail header.from=customer.test"),
    "dkim alone": (OUR_RELAY, "dkim=pass header.d=customer.test"),
}


@pytest.mark.parametrize("by, verdict", UNPROVEN.values(), ids=UNPROVEN.keys())
def test_authentication_results_that_do_not_vouch_for_the_from_domain_leave_the_reply_held(
    gateway, ticket, db_session, trusted_relay, by, verdict
):
    gateway.send(vouched(reply(), by=by, verdict=verdict))
    assert_held(db_session, ticket)


def test_only_the_top_most_header_of_our_relay_counts_not_a_forged_one_below(
    gateway, ticket, db_session, trusted_relay
):
    forged_below = vouched(reply(), by=OUR_RELAY, verdict="dmarc=pass header.from=customer.test")
    ours_on_top = vouched(
        forged_below, by=OUR_RELAY, verdict="dmarc=fail header.from=customer.test"
    )
    gateway.send(ours_on_top)
    assert_held(db_session, ticket)


def test_without_a_configured_authserv_id_no_header_is_trusted(gateway, ticket, db_session, app):
    assert app.config["MAIL_AUTHSERV_ID"] == ""
    gateway.send(vouched(reply(), by="", verdict="dmarc=pass header.from=customer.test"))
    gateway.send(
        vouched(reply("Again."), by=OUR_RELAY, verdict="dmarc=pass header.from=customer.test")
    )
    assert [m.held for m in thread(db_session, ticket)] == [True, True]


def test_a_held_mail_delivered_twice_is_held_once(gateway, ticket, db_session):
    raw = reply(Message_ID="<again-1@customer.test>")
    gateway.send(raw)
    gateway.send(raw)
    assert_held(db_session, ticket)


def test_a_new_ticket_from_a_stranger_needs_no_proof(gateway, desk, db_session):
    mail = email.message_from_bytes(eml("plain.eml"), policy=policy.default)
    mail.replace_header("From", "Newcomer <new@elsewhere.test>")
    mail.replace_header("Message-ID", "<new-1@elsewhere.test>")
    gateway.send(mail.as_bytes(), mail_from="anything@anywhere.test")
    [ticket] = db_session.scalars(select(Ticket))
    assert ticket.requester.email == "new@elsewhere.test" and ticket.status == "new"
