"""Fixtures for the e-mail channel: the real gateway on a free port and a real SMTP sink."""

from __future__ import annotations

import smtplib

import pytest
from aiosmtpd.controller import Controller

from helpdesk.mail import gateway as gateway_module
from tests.serverproc import free_port


@pytest.fixture(autouse=True)
def attachments_dir(app, tmp_path, monkeypatch):
    """Attachments of each test go to its own temporary folder."""
    folder = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(folder))
    return folder


@pytest.fixture
def desk(factory):
    """acme (inbound support@acme.test, office-hours SLA) with an agent; globex beside it."""
    acme = factory.client("acme", name="Acme", inbound_email="support@acme.test")
    globex = factory.client("globex", name="Globex", inbound_email="help@globex.test")
    factory.office_hours_policy(acme)
    ana = factory.agent([acme], name="Ana", languages=("en", "ja", "fr"))
    return {"acme": acme, "globex": globex, "ana": ana}


class Gateway:
    """The running gateway: send raw mail to it over 127.0.0.1 with smtplib."""

    def __init__(self, port: int):
        self.port = port

    def send(self, raw: bytes, *, to=("support@acme.test",), mail_from="sender@customer.test"):
        """Send one mail; returns the refused-recipients dict (raises on a refusal of all)."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as smtp:
            return smtp.sendmail(mail_from, list(to), raw)


@pytest.fixture
def gateway(app, db_session):
    """The real inbound gateway (aiosmtpd) serving this test's database on a free port."""
    port = free_port()
    server = gateway_module.controller(app, "127.0.0.1", port)
    server.start()
    yield Gateway(port)
    server.stop()


class Sink:
    """A real SMTP server that keeps what it receives, or refuses it while `refuse` is set."""

    def __init__(self):
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse:
            return "451 4.3.2 Try later"
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink(app, monkeypatch):
    """Outbound mail goes to a real aiosmtpd server started for the test."""
    sink = Sink()
    port = free_port()
    server = Controller(sink, hostname="127.0.0.1", port=port)
    server.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 10)
    yield sink
    server.stop()
