"""Mail to customers: queued with the change, sent later over real SMTP, localized, threaded."""

from __future__ import annotations

import email
import logging
from datetime import UTC, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from flask_babel import force_locale, gettext
from sqlalchemy import select

from helpdesk import scheduler
from helpdesk.models import OutboundMail, Ticket
from helpdesk.services import outbox as outbox_service
from helpdesk.services.tickets import add_message, update_ticket
from tests.mail.helpers import eml, reply_address


def sent(sink) -> list[email.message.EmailMessage]:
    """The mails the SMTP sink received, parsed."""
    return [email.message_from_bytes(raw, policy=policy.default) for _f, _to, raw in sink.received]


def outbox(session) -> list[OutboundMail]:
    session.expire_all()
    return list(session.scalars(select(OutboundMail).order_by(OutboundMail.id)))


@pytest.fixture
def kei(desk, factory):
    """A Japanese customer of acme who reads times in Tokyo."""
    return factory.customer(
        desk["acme"], email="kei@example.jp", name="Kei", locale="ja", timezone="Asia/Tokyo"
    )


def test_the_acknowledgement_names_the_reference_and_the_expected_reply_time(
    desk, factory, smtp_sink, now
):
    pat = factory.customer(
        desk["acme"],
        email="pat@customer.test",
        name="Pat",
        locale="en",
        timezone="America/New_York",
    )
    ticket = factory.ticket(desk["acme"], pat, channel="email", subject="No network")
    assert outbox_service.deliver_due(factory.session, now=now)["mail_sent"] == 1
    [(mail_from, rcpt, _raw)] = smtp_sink.received
    assert rcpt == ["pat@customer.test"]
    [msg] = sent(smtp_sink)
    assert msg["Subject"] == f"[{ticket.reference}] No network"
    assert msg["From"].addresses[0].display_name == "Acme Support"
    assert msg["From"].addresses[0].addr_spec == "helpdesk@localhost"
    assert msg["Reply-To"].addresses[0].addr_spec == reply_address(ticket)
    assert msg["Auto-Submitted"] == "auto-replied"
    [row] = outbox(factory.session)
    assert msg["Message-ID"] == f"<{row.message_id_header}>"
    body = msg.get_content()
    assert ticket.reference in body
    # Normal priority on acme-hours: 240 business minutes from Monday 11:00 EDT -> 15:00 EDT.
    [first] = [c for c in ticket.sla_clocks if c.metric == "first_response"]
    assert first.due_at == datetime(2026, 3, 9, 19, 0, tzinfo=UTC)
    shown = format_datetime(
        first.due_at, "medium", tzinfo=ZoneInfo("America/New_York"), locale="en"
    )
    assert f"Expected reply by {shown} (America/New_York)" in body
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, now)


def test_a_japanese_customer_gets_the_acknowledgement_in_japanese_and_tokyo_time(
    app, desk, factory, kei, smtp_sink, now
):
    ticket = factory.ticket(desk["acme"], kei, channel="email", subject="プリンター")
    outbox_service.deliver_due(factory.session, now=now)
    [msg] = sent(smtp_sink)
    assert msg["Content-Language"] == "ja"
    body = msg.get_content()
    [first] = [c for c in ticket.sla_clocks if c.metric == "first_response"]
    tokyo = format_datetime(first.due_at, "medium", tzinfo=ZoneInfo("Asia/Tokyo"), locale="ja")
    assert f"{tokyo} (Asia/Tokyo)" in body  # Babel's Japanese date format, Tokyo's clock
    assert tokyo.startswith("2026/03/10")  # 19:00 UTC on the 9th is the 10th in Tokyo
    with force_locale("ja"):
        promise = gettext("Expected reply by %(time)s", time=f"{tokyo} (Asia/Tokyo)")
    if promise.startswith("Expected reply by"):
        pytest.skip("ja catalog missing")
    assert promise in body


def test_an_agents_public_reply_is_mailed_and_threads_both_ways(
    gateway, desk, smtp_sink, db_session
):
    gateway.send(eml("plain.eml"))
    db_session.expire_all()
    ticket = db_session.scalar(select(Ticket))
    at = datetime.now(UTC)
    add_message(db_session, ticket=ticket, author=desk["ana"], body="Please restart it.", now=at)
    add_message(db_session, ticket=ticket, author=desk["ana"], body="secret", now=at, internal=True)
    outbox_service.deliver_due(db_session, now=at + timedelta(seconds=1))
    ack, reply = sent(smtp_sink)
    assert [m.kind for m in outbox(db_session)] == ["ack", "reply"]
    assert "Please restart it." in reply.get_content()
    assert "secret" not in reply.get_content() and reply["Auto-Submitted"] is None
    assert reply["In-Reply-To"] == "<plain-1@customer.test>"
    assert "<plain-1@customer.test>" in reply["References"]
    assert ack["Message-ID"] in reply["References"]
    # The customer answers the agent's mail, to its Reply-To: it joins the same ticket.
    reply_to = reply["Reply-To"].addresses[0].addr_spec.encode()
    answer = (
        b"From: Kim Park <kim@customer.test>\r\nTo: " + reply_to + b"\r\n"
        b"Subject: Re: Printer\r\nMessage-ID: <answer-1@customer.test>\r\n"
        b"In-Reply-To: " + reply["Message-ID"].encode() + b"\r\n\r\nRestarted, works now.\r\n"
    )
    gateway.send(answer)
    db_session.expire_all()
    last = db_session.get(Ticket, ticket.id).messages[-1]
    assert (last.body, last.held, last.internal) == ("Restarted, works now.", False, False)


def test_solving_a_ticket_mails_the_solved_notice(desk, factory, smtp_sink, now):
    pat = factory.customer(desk["acme"], email="pat@customer.test")
    ticket = factory.ticket(desk["acme"], pat, channel="email")
    update_ticket(factory.session, ticket=ticket, actor=desk["ana"], now=now, status="solved")
    outbox_service.deliver_due(factory.session, now=now)
    assert [m.kind for m in outbox(factory.session)] == ["ack", "solved"]
    solved = sent(smtp_sink)[-1]
    assert "solved" in solved.get_content() and ticket.reference in solved.get_content()


def test_internal_notes_customer_replies_and_chats_are_never_mailed(desk, factory, now):
    pat = factory.customer(desk["acme"], email="pat@customer.test")
    ticket = factory.ticket(desk["acme"], pat, channel="email")
    add_message(
        factory.session, ticket=ticket, author=desk["ana"], body="note", now=now, internal=True
    )
    add_message(factory.session, ticket=ticket, author=pat, body="more info", now=now)
    chat = factory.ticket(desk["acme"], pat, channel="chat")
    add_message(
        factory.session, ticket=chat, author=desk["ana"], body="hi", now=now, channel="chat"
    )
    assert [(m.ticket_id, m.kind) for m in outbox(factory.session)] == [(ticket.id, "ack")]


def test_a_refused_send_is_retried_with_backoff_and_never_loses_the_ticket(
    desk, factory, smtp_sink, now, caplog
):
    pat = factory.customer(desk["acme"], email="pat@customer.test")
    ticket = factory.ticket(desk["acme"], pat, channel="email")
    smtp_sink.refuse = True
    with caplog.at_level(logging.WARNING, logger="helpdesk.notify.outbound"):
        assert outbox_service.deliver_due(factory.session, now=now)["mail_retry"] == 1
    [row] = outbox(factory.session)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "451" in row.last_error and row.next_attempt_at == now + timedelta(minutes=2)
    assert "not sent, attempt 1" in caplog.text
    assert outbox_service.deliver_due(factory.session, now=now + timedelta(minutes=1)) == {
        "mail_sent": 0,
        "mail_logged": 0,
        "mail_retry": 0,
        "mail_failed": 0,
    }
    smtp_sink.refuse = False
    assert (
        outbox_service.deliver_due(factory.session, now=now + timedelta(minutes=2))["mail_sent"]
        == 1
    )
    [row] = outbox(factory.session)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert factory.session.get(Ticket, ticket.id) is not None


def test_an_unreachable_smtp_server_counts_as_a_retry(app, desk, factory, now, monkeypatch):
    from tests.serverproc import free_port

    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nobody listens there
    factory.ticket(desk["acme"], factory.customer(desk["acme"]), channel="email")
    assert outbox_service.deliver_due(factory.session, now=now)["mail_retry"] == 1
    [row] = outbox(factory.session)
    assert row.status == "queued" and "Connection" in row.last_error


def test_mail_that_cannot_be_sent_for_two_days_is_marked_failed(
    desk, factory, smtp_sink, now, caplog
):
    factory.ticket(desk["acme"], factory.customer(desk["acme"]), channel="email")
    with caplog.at_level(logging.ERROR, logger="helpdesk.notify.outbound"):
        counts = outbox_service.deliver_due(factory.session, now=now + timedelta(hours=49))
    assert counts["mail_failed"] == 1 and smtp_sink.received == []
    assert outbox(factory.session)[0].status == "failed"
    assert "1 queued mail(s) older than 48 hours given up" in caplog.text
    assert outbox(factory.session)[0].last_error == "not sent within 48 hours; last error: none"


def test_a_mail_refused_until_the_limit_keeps_its_last_error_when_given_up(
    desk, factory, smtp_sink, now
):
    factory.ticket(desk["acme"], factory.customer(desk["acme"]), channel="email")
    smtp_sink.refuse = True
    outbox_service.deliver_due(factory.session, now=now)
    outbox_service.deliver_due(factory.session, now=now + timedelta(hours=49))
    [row] = outbox(factory.session)
    assert row.status == "failed" and row.attempts == 1
    assert row.last_error.startswith("not sent within 48 hours; last error: SMTPDataError")
    assert "451" in row.last_error


def test_without_smtp_host_the_mail_is_logged_and_marked_so(app, desk, factory, now, caplog):
    assert not app.config["SMTP_HOST"]
    ticket = factory.ticket(desk["acme"], factory.customer(desk["acme"]), channel="email")
    with caplog.at_level(logging.INFO, logger="helpdesk.notify.outbound"):
        assert outbox_service.deliver_due(factory.session, now=now)["mail_logged"] == 1
    assert f"[{ticket.reference}]" in caplog.text and "SMTP_HOST unset" in caplog.text
    assert outbox(factory.session)[0].status == "logged"


def test_the_scheduler_tick_and_the_command_deliver_the_outbox(app, desk, factory, smtp_sink, now):
    factory.ticket(desk["acme"], factory.customer(desk["acme"]), channel="email")
    assert scheduler.tick(now)["mail_sent"] == 1
    factory.now = datetime.now(UTC)  # the command sends what is due at the real time
    factory.ticket(desk["acme"], factory.customer(desk["acme"]), channel="email")
    result = app.test_cli_runner().invoke(args=["mail", "send-queued"])
    assert result.exit_code == 0 and "mail_sent: 1" in result.output
    assert len(smtp_sink.received) == 2


def test_line_breaks_in_a_subject_or_name_never_reach_the_headers(desk, factory, smtp_sink, now):
    pat = factory.customer(desk["acme"], email="pat@customer.test", name="Pat\r\nBcc: x@evil.test")
    ticket = factory.ticket(desk["acme"], pat, channel="email", subject="Hi\nBcc: y@evil.test")
    assert outbox_service.deliver_due(factory.session, now=now)["mail_sent"] == 1
    [msg] = sent(smtp_sink)
    assert msg["Subject"] == f"[{ticket.reference}] Hi Bcc: y@evil.test"
    assert msg["Bcc"] is None and smtp_sink.received[0][1] == ["pat@customer.test"]


def test_a_password_link_goes_out_in_the_customers_language_without_a_ticket(
    app, desk, kei, smtp_sink, now, db_session
):
    from helpdesk import password_tokens
    from helpdesk.services import passwords

    assert passwords.ask_for_link(db_session, realm=desk["acme"].id, email=kei.email, now=now)
    db_session.commit()
    assert outbox_service.deliver_due(db_session, now=now)["mail_sent"] == 1
    [msg] = sent(smtp_sink)
    assert smtp_sink.received[0][1] == ["kei@example.jp"]
    with force_locale("ja"):
        assert msg["Subject"] == gettext("Set your password")
        assert msg["From"].addresses[0].display_name == gettext("%(client)s Support", client="Acme")
    assert msg["Content-Language"] == "ja" and msg["Auto-Submitted"] == "auto-generated"
    assert msg["Reply-To"] is None and msg["In-Reply-To"] is None
    body = msg.get_content()
    token = password_tokens.token_for(kei, asked_at=now)
    assert f"{app.config['PUBLIC_URL']}/c/acme/password/{token}" in body
    assert "60分以内" in body
    [row] = outbox(db_session)
    assert (row.kind, row.ticket_id, row.user_id, row.status) == ("password", None, kei.id, "sent")
