"""Outgoing mail cannot be forged through user text: encoded words, raw line breaks and long
values in subjects and names never add a header (CVE-2024-6923 on any Python version)."""

from __future__ import annotations

import base64
import email
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage

import pytest

from helpdesk.models import OutboundMail
from helpdesk.notify import outbound
from helpdesk.services import outbox
from helpdesk.services.tickets import add_message, update_ticket
from tests.mail.helpers import reply_address

INJECTED = "Hello\r\nBcc: victim@evil.test\r\nReply-To: phish@evil.test\r\n\r\nPay here"


def encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


EVIL = {
    "an encoded word": encoded_word(INJECTED),
    "an encoded word inside an encoded word": encoded_word(encoded_word(INJECTED)),
    "a quoted-printable word": "=?utf-8?q?Hi=0D=0ABcc:_victim@evil.test?=",
    "raw line breaks": INJECTED,
}
SAFE_NAMES = {"subject", "from", "to", "date", "message-id", "reply-to", "auto-submitted"}


def received(sink) -> list[EmailMessage]:
    return [email.message_from_bytes(raw, policy=policy.default) for _f, _to, raw in sink.received]


def assert_not_forged(msg: EmailMessage) -> None:
    names = {name.lower() for name in msg}
    assert "bcc" not in names and "cc" not in names
    assert len(msg.get_all("Reply-To") or []) <= 1
    assert msg["Reply-To"] is None or "evil" not in str(msg["Reply-To"])
    for name, value in msg.items():
        assert "\r" not in str(value) and "\n" not in str(value), name
    # The text may be quoted in the body ("We have received your request ..."): it is text there.


@pytest.mark.parametrize("evil", EVIL.values(), ids=EVIL.keys())
def test_a_subject_cannot_add_headers_to_the_acknowledgement(desk, factory, smtp_sink, now, evil):
    kei = factory.customer(desk["acme"], email="kei@example.jp", name="Kei")
    factory.ticket(desk["acme"], kei, channel="email", subject=evil[:200])
    assert outbox.deliver_due(factory.session, now=now)["mail_sent"] == 1
    [msg] = received(smtp_sink)
    assert_not_forged(msg)
    assert [r for _f, r, _raw in smtp_sink.received] == [["kei@example.jp"]]


@pytest.mark.parametrize("evil", EVIL.values(), ids=EVIL.keys())
def test_a_requesters_name_cannot_add_headers_to_any_mail_kind(desk, factory, smtp_sink, now, evil):
    kei = factory.customer(desk["acme"], email="kei@example.jp", name=evil[:120])
    ticket = factory.ticket(desk["acme"], kei, channel="email", subject="Printer")
    ana = desk["ana"]
    add_message(factory.session, ticket=ticket, author=ana, body="Try again now.", now=now)
    update_ticket(factory.session, ticket=ticket, actor=ana, status="solved", now=now)
    kinds = {m.kind for m in factory.session.query(OutboundMail)}
    assert {"ack", "reply", "solved"} <= kinds
    assert outbox.deliver_due(factory.session, now=now)["mail_sent"] == len(kinds)
    for msg in received(smtp_sink):
        assert_not_forged(msg)
        assert msg["To"].addresses[0].addr_spec == "kei@example.jp"


@pytest.mark.parametrize("evil", EVIL.values(), ids=EVIL.keys())
def test_every_mail_inviting_a_reply_carries_the_signed_reply_address_safely(
    desk, factory, smtp_sink, now, evil
):
    kei = factory.customer(desk["acme"], email="kei@example.jp", name=evil[:120])
    ticket = factory.ticket(desk["acme"], kei, channel="email", subject=evil[:200])
    ana = desk["ana"]
    add_message(factory.session, ticket=ticket, author=ana, body="Try again now.", now=now)
    update_ticket(factory.session, ticket=ticket, actor=ana, status="solved", now=now)
    assert outbox.deliver_due(factory.session, now=now)["mail_sent"] == 3
    address = reply_address(ticket)
    assert address.startswith(f"support+t{ticket.id}.") and address.endswith("@acme.test")
    kinds = [m.kind for m in factory.session.query(OutboundMail).order_by(OutboundMail.id)]
    assert kinds == ["ack", "reply", "solved"]
    for (_f, _to, raw), msg in zip(smtp_sink.received, received(smtp_sink), strict=True):
        assert_not_forged(msg)
        [reply_to] = msg["Reply-To"].addresses
        assert reply_to.addr_spec == address
        # The address itself goes out as it is, on the Reply-To line, never encoded or split.
        head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ")
        [line] = [h for h in head.split(b"\r\n") if h.lower().startswith(b"reply-to:")]
        assert line.endswith(f"<{address}>".encode())


def test_the_password_link_mail_is_safe_too(app, desk, factory, smtp_sink, now):
    from helpdesk.services import passwords

    kei = factory.customer(desk["acme"], email="kei@example.jp", name=EVIL["an encoded word"])
    assert passwords.ask_for_link(factory.session, realm=desk["acme"].id, email=kei.email, now=now)
    factory.session.commit()
    assert outbox.deliver_due(factory.session, now=now)["mail_sent"] == 1
    [msg] = received(smtp_sink)
    assert_not_forged(msg)


def test_a_long_non_ascii_subject_is_folded_and_reads_back_the_same(desk, factory, smtp_sink, now):
    subject = ("Échec de synchronisation 同期に失敗しました " * 6).strip()[:200]
    ticket = factory.ticket(desk["acme"], channel="email", subject=subject)
    outbox.deliver_due(factory.session, now=now)
    [(_f, _to, raw)] = smtp_sink.received
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    [msg] = received(smtp_sink)
    assert msg["Subject"] == f"[{ticket.reference}] {' '.join(subject.split())}"


def test_user_text_is_decoded_until_nothing_decodes_and_loses_its_line_breaks(app):
    assert outbound.header_text(encoded_word(INJECTED)) == (
        "Hello Bcc: victim@evil.test Reply-To: phish@evil.test Pay here"
    )
    assert outbound.header_text(encoded_word(encoded_word("a\nb"))) == "a b"
    assert outbound.header_text("Plain words  and\tspaces") == "Plain words and spaces"


def test_a_mail_whose_headers_would_change_is_refused(app):
    msg = EmailMessage()
    msg["Subject"] = "fine"
    msg["To"] = Address(display_name="Kei", addr_spec="kei@example.jp")
    msg.set_content("body")
    outbound.check_headers(msg)  # the same headers come out
    msg._headers.append(("X-Note", "one\r\nBcc: victim@evil.test"))  # as an old Python would
    with pytest.raises(outbound.UnsafeHeader):
        outbound.check_headers(msg)


def test_an_unsafe_mail_is_marked_failed_not_retried(desk, factory, smtp_sink, now, monkeypatch):
    factory.ticket(desk["acme"], channel="email", subject="Printer")

    def forged(session, mail):
        raise outbound.UnsafeHeader("Subject holds a line break")

    monkeypatch.setattr(outbound, "render", forged)
    assert outbox.deliver_due(factory.session, now=now)["mail_failed"] == 1
    [mail] = factory.session.query(OutboundMail).all()
    assert mail.status == "failed" and mail.last_error.startswith("unsafe header")
    assert smtp_sink.received == []
