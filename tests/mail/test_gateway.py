"""Mail sent over SMTP to the real gateway becomes tickets and replies, or is refused."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from helpdesk.models import Attachment, MailMessageId, Message, OutboundMail, Ticket, User
from tests.mail.helpers import eml, reply_address


def tickets(session) -> list[Ticket]:
    session.expire_all()
    return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_plain_mail_becomes_an_email_ticket_of_a_new_customer(
    gateway, desk, db_session, attachments_dir
):
    gateway.send(eml("plain.eml"))
    [ticket] = tickets(db_session)
    assert ticket.client_id == desk["acme"].id
    assert ticket.channel == "email"
    assert ticket.subject == "Printer on the 3rd floor is jammed"
    assert ticket.reference == "ACME-1"
    assert ticket.requester.email == "kim@customer.test"
    assert ticket.requester.name == "Kim Park"
    assert ticket.requester.role == "customer" and ticket.requester.client_id == desk["acme"].id
    assert ticket.locale == "en"
    # The signature is trimmed; the whole mail is kept as the original.
    assert ticket.body.endswith("Thanks,\nKim")
    assert "555 0100" not in ticket.body
    [original] = db_session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id))
    assert original.original and original.content_type == "message/rfc822"
    kept = (attachments_dir / original.sha256[:2] / original.sha256).read_bytes()
    assert b"Message-ID: <plain-1@customer.test>" in kept and b"+1 555 0100" in kept
    assert original.size == len(kept)


def test_a_new_ticket_is_routed_with_sla_clocks_events_and_an_acknowledgement_queued(
    gateway, desk, db_session
):
    gateway.send(eml("plain.eml"))
    [ticket] = tickets(db_session)
    assert ticket.routing_note is not None  # routed (or queued) like any other channel
    assert {c.metric for c in ticket.sla_clocks} >= {"first_response", "resolution"}
    assert [e.kind for e in ticket.events][0] == "created"
    [ack] = db_session.scalars(select(OutboundMail))
    assert (ack.kind, ack.to_addr, ack.status) == ("ack", "kim@customer.test", "queued")


def test_a_mail_from_a_known_customer_is_filed_under_that_customer(
    gateway, desk, factory, db_session
):
    kim = factory.customer(desk["acme"], email="kim@customer.test", name="Kim", locale="fr")
    gateway.send(eml("plain.eml"))
    [ticket] = tickets(db_session)
    assert ticket.requester_id == kim.id
    assert count(db_session, User) == 2  # the agent and Kim: nobody new


def test_an_html_only_mail_is_stored_as_safe_text(gateway, desk, db_session):
    gateway.send(eml("html_only.eml"))
    [ticket] = tickets(db_session)
    assert ticket.body == "The VPN drops every hour & I lose my session.\nCan you check?"
    assert "<" not in ticket.body and "alert" not in ticket.body and "color" not in ticket.body


def test_attachments_are_stored_with_sniffed_types_and_safe_names(
    gateway, desk, db_session, attachments_dir
):
    gateway.send(eml("with_attachment.eml"))
    [ticket] = tickets(db_session)
    files = list(db_session.scalars(select(Attachment).order_by(Attachment.id)))
    by_name = {f.filename: f for f in files}
    assert set(by_name) == {"screen shot.png", "evil.png", "original.eml"}
    # The PNG claimed to be text/plain and the HTML claimed to be a PNG: the bytes decide.
    assert by_name["screen shot.png"].content_type == "image/png"
    assert by_name["evil.png"].content_type == "application/octet-stream"
    png = by_name["screen shot.png"]
    stored = attachments_dir / png.sha256[:2] / png.sha256
    assert stored.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.size == stored.stat().st_size
    assert all(f.message_id is None and f.ticket_id == ticket.id for f in files)


def test_a_file_over_the_size_limit_is_left_in_the_original_only(
    gateway, desk, db_session, app, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 50)
    gateway.send(eml("with_attachment.eml"))
    names = set(db_session.scalars(select(Attachment.filename)))
    assert names == {"evil.png", "original.eml"}  # the 70-byte PNG is over the 50-byte limit
    assert len(tickets(db_session)) == 1


def test_a_reply_threads_by_in_reply_to_with_its_quote_trimmed(gateway, desk, db_session):
    gateway.send(eml("plain.eml"))
    [ticket] = tickets(db_session)
    # Sent to the ticket's signed reply address (tests/mail/test_reply_proof.py): it joins.
    gateway.send(eml("reply_quoted.eml"), to=[reply_address(ticket)])
    [ticket] = tickets(db_session)
    [message] = ticket.messages
    assert message.body == "It jams again, now on every second page."
    assert message.channel == "email" and message.author_id == ticket.requester_id
    assert not message.held and not message.internal
    headers = set(db_session.scalars(select(MailMessageId.header)))
    assert {"plain-1@customer.test", "reply-1@customer.test"} <= headers
    # The reply's original is kept on its message.
    [original] = db_session.scalars(
        select(Attachment).where(Attachment.message_id == message.id, Attachment.original)
    )
    assert original.filename == "original.eml"


def test_a_reply_to_our_acknowledgement_threads_by_its_message_id(gateway, desk, db_session):
    gateway.send(eml("no_message_id.eml"))
    [ticket] = tickets(db_session)
    [ack] = db_session.scalars(select(OutboundMail))
    reply = EmailMessage()
    reply["From"] = "Dana <dana@customer.test>"
    reply["To"] = "support@acme.test"
    reply["Subject"] = "Re: your ticket"
    reply["In-Reply-To"] = f"<{ack.message_id_header}>"
    reply.set_content("Still broken.")
    gateway.send(reply.as_bytes(), to=[reply_address(ticket)])
    [ticket] = tickets(db_session)
    assert [(m.body, m.held) for m in ticket.messages] == [("Still broken.", False)]


def test_a_reply_threads_by_the_reference_in_the_subject(gateway, desk, db_session):
    gateway.send(eml("plain.eml"))
    reply = EmailMessage()
    reply["From"] = "kim@customer.test"
    reply["To"] = "support@acme.test"
    reply["Subject"] = "AW: [ACME-1] Printer on the 3rd floor is jammed"
    reply.set_content("Fixed itself.")
    [ticket] = tickets(db_session)
    gateway.send(reply.as_bytes(), to=[reply_address(ticket)])
    [ticket] = tickets(db_session)
    assert [(m.body, m.held) for m in ticket.messages] == [("Fixed itself.", False)]


def test_the_same_subject_alone_never_threads(gateway, desk, db_session):
    gateway.send(eml("plain.eml"))
    again = EmailMessage()
    again["From"] = "kim@customer.test"
    again["To"] = "support@acme.test"
    again["Subject"] = "Re: Printer on the 3rd floor is jammed"
    again.set_content("Another printer now.")
    gateway.send(again.as_bytes())
    assert [t.subject for t in tickets(db_session)] == ["Printer on the 3rd floor is jammed"] * 2


def test_another_clients_reference_in_the_subject_does_not_thread(gateway, desk, db_session):
    gateway.send(eml("plain.eml"), to=["help@globex.test"])  # GLOBEX-1
    reply = EmailMessage()
    reply["From"] = "kim@customer.test"
    reply["To"] = "support@acme.test"
    reply["Subject"] = "[GLOBEX-1] about my other ticket"
    reply.set_content("Hello acme.")
    gateway.send(reply.as_bytes())
    refs = [t.reference for t in tickets(db_session)]
    assert refs == ["GLOBEX-1", "ACME-1"]
    assert all(not t.messages for t in tickets(db_session))


def test_a_reply_from_an_unknown_sender_is_not_accepted_onto_the_ticket(gateway, desk, db_session):
    gateway.send(eml("plain.eml"))
    forged = EmailMessage()
    forged["From"] = "mallory@attacker.test"
    forged["To"] = "support@acme.test"
    forged["Subject"] = "Re: [ACME-1] Printer on the 3rd floor is jammed"
    forged["In-Reply-To"] = "<plain-1@customer.test>"
    forged.set_content("Please send the admin password to me.")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        gateway.send(forged.as_bytes())
    assert refused.value.smtp_code == 550
    [ticket] = tickets(db_session)
    assert ticket.messages == []
    assert db_session.scalar(select(User).where(User.email == "mallory@attacker.test")) is None


@pytest.mark.parametrize("fixture", ["auto_reply.eml", "bounce.eml"])
def test_automatic_mail_creates_nothing(gateway, desk, db_session, fixture):
    gateway.send(eml("plain.eml"))
    before = {m: count(db_session, m) for m in (Ticket, Message, User, OutboundMail, Attachment)}
    gateway.send(eml(fixture))
    after = {m: count(db_session, m) for m in (Ticket, Message, User, OutboundMail, Attachment)}
    assert after == before


def test_list_mail_and_the_null_sender_create_nothing(gateway, desk, db_session):
    listed = EmailMessage()
    listed["From"] = "news@vendor.test"
    listed["To"] = "support@acme.test"
    listed["Subject"] = "Our newsletter"
    listed["List-Id"] = "<news.vendor.test>"
    listed.set_content("News.")
    gateway.send(listed.as_bytes())
    gateway.send(eml("plain.eml"), mail_from="")
    assert tickets(db_session) == []
    assert count(db_session, User) == 1  # only the agent


def test_iso_2022_jp_mail_is_decoded_and_filed_in_japanese(gateway, desk, db_session):
    gateway.send(eml("iso2022jp.eml"))
    [ticket] = tickets(db_session)
    assert ticket.subject == "プリンターの故障"
    assert ticket.body == "プリンターが動きません。\n至急お願いします。"
    assert ticket.locale == "ja"
    assert ticket.requester.name == "田中 圭" and ticket.requester.locale == "ja"


def test_windows_1252_mail_is_decoded(gateway, desk, db_session):
    gateway.send(eml("windows1252.eml"))
    [ticket] = tickets(db_session)
    assert ticket.subject == "Facture – montant erroné"
    assert ticket.body == "La facture indique 120 € au lieu de 100 €, c’est « urgent »."
    assert ticket.requester.name == "Renée François"
    assert ticket.locale == "fr"


def test_a_mail_without_message_id_is_filed_and_the_clients_locale_applies(
    gateway, desk, db_session
):
    gateway.send(eml("no_message_id.eml"))
    [ticket] = tickets(db_session)
    assert ticket.subject == "Cannot log in" and ticket.locale == "en"
    assert list(db_session.scalars(select(MailMessageId.direction))) == ["out"]  # the ack's


def test_malformed_mime_is_stored_with_what_could_be_read(gateway, desk, db_session):
    gateway.send(eml("malformed.eml"))
    [ticket] = tickets(db_session)
    assert ticket.body.startswith("The screen flickers")
    names = set(db_session.scalars(select(Attachment.filename)))
    assert names == {"report.pdf", "original.eml"}


def test_the_same_mail_delivered_twice_is_filed_once(gateway, desk, db_session):
    gateway.send(eml("plain.eml"))
    gateway.send(eml("plain.eml"))
    assert len(tickets(db_session)) == 1


def test_unknown_recipients_are_refused_at_rcpt_time(gateway, desk, db_session):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        gateway.send(eml("plain.eml"), to=["nobody@acme.test"])
    code, text = refused.value.recipients["nobody@acme.test"]
    assert code == 550 and b"5.1.1" in text
    assert tickets(db_session) == []


def test_a_mail_over_the_size_limit_is_refused_with_552(app, desk, db_session, monkeypatch):
    from helpdesk.mail import gateway as gateway_module
    from tests.serverproc import free_port

    monkeypatch.setitem(app.config, "MAIL_MAX_BYTES", 2000)
    big = eml("plain.eml") + b"More text to read.\r\n" * 200
    port = free_port()
    server = gateway_module.controller(app, "127.0.0.1", port)
    server.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.ehlo_or_helo_if_needed()
            smtp.esmtp_features.pop("size", None)  # the client must not check the size first
            with pytest.raises(smtplib.SMTPDataError) as refused:
                smtp.sendmail("kim@customer.test", ["support@acme.test"], big)
        assert refused.value.smtp_code == 552
    finally:
        server.stop()
    assert tickets(db_session) == []


def test_a_failure_while_filing_rolls_everything_back_and_asks_to_retry(
    gateway, desk, db_session, monkeypatch
):
    from helpdesk.services import mail_intake as intake

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(intake, "add_attachment", broken)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        gateway.send(eml("plain.eml"))
    assert refused.value.smtp_code == 451
    assert tickets(db_session) == []
    assert count(db_session, User) == 1 and count(db_session, OutboundMail) == 0


def test_the_inbound_address_matches_in_any_case(gateway, desk, db_session):
    gateway.send(eml("plain.eml"), to=["Support@ACME.test"])
    assert [t.reference for t in tickets(db_session)] == ["ACME-1"]


def test_one_mail_to_two_clients_files_a_ticket_with_each(gateway, desk, db_session):
    gateway.send(eml("plain.eml"), to=["support@acme.test", "help@globex.test"])
    assert sorted(t.reference for t in tickets(db_session)) == ["ACME-1", "GLOBEX-1"]


def test_a_reply_to_a_closed_ticket_becomes_a_new_ticket(gateway, desk, db_session):
    gateway.send(eml("plain.eml"))
    [ticket] = tickets(db_session)
    ticket.status = "closed"
    db_session.commit()
    gateway.send(eml("reply_quoted.eml"))
    first, second = tickets(db_session)
    assert first.messages == [] and second.reference == "ACME-2"
    assert second.subject == "[ACME-1] Printer on the 3rd floor is jammed"  # "Re:" dropped
    # With no thread to stand on, the follow-up keeps the quoted context.
    assert second.body.startswith("It jams again, now on every second page.\n\nOn Mon")


def test_a_reply_to_a_solved_ticket_opens_it_again(gateway, desk, db_session):
    gateway.send(eml("plain.eml"))
    [ticket] = tickets(db_session)
    ticket.status = "solved"
    db_session.commit()
    gateway.send(eml("reply_quoted.eml"), to=[reply_address(ticket)])
    [ticket] = tickets(db_session)
    assert ticket.status == "open" and [m.held for m in ticket.messages] == [False]
