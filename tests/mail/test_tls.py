"""SMTP over TLS: to a submission relay (STARTTLS or TLS, then login) and into the gateway."""

from __future__ import annotations

import smtplib
import ssl

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select

from config import TestConfig
from helpdesk.mail import gateway as gateway_module
from helpdesk.models import OutboundMail, Ticket
from helpdesk.services import outbox
from tests.mail.conftest import Sink
from tests.mail.helpers import eml
from tests.serverproc import free_port

USER, PASSWORD = "helpdesk@relay.test", "relay-secret"


@pytest.fixture(scope="module")
def ca():
    """A throwaway certificate authority, trusted only where a test names it."""
    return trustme.CA()


@pytest.fixture(scope="module")
def certificate(ca, tmp_path_factory):
    """127.0.0.1's certificate and key as files, and the CA's certificate as a file."""
    folder = tmp_path_factory.mktemp("tls")
    issued = ca.issue_cert("127.0.0.1", "localhost")
    paths = {name: folder / f"{name}.pem" for name in ("cert", "key", "ca")}
    issued.cert_chain_pems[0].write_to_path(paths["cert"])
    issued.private_key_pem.write_to_path(paths["key"])
    ca.cert_pem.write_to_path(paths["ca"])
    return {name: str(path) for name, path in paths.items()}


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate["cert"], certificate["key"])
    return context


class Relay(Sink):
    """A submission relay: keeps what it receives, with whether it came over TLS and who."""

    def __init__(self):
        super().__init__()
        self.logins: list[tuple[str, bool]] = []  # (login, accepted)
        self.tls: list[bool] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode()
        accepted = (login, auth_data.password.decode()) == (USER, PASSWORD)
        self.logins.append((login, accepted))
        return AuthResult(success=accepted, handled=False)  # aiosmtpd answers 235 or 535

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return await super().handle_DATA(server, session, envelope)


def start_relay(app, monkeypatch, *, security: str, **controller_options):
    relay = Relay()
    port = free_port()
    server = Controller(
        relay,
        hostname="127.0.0.1",
        port=port,
        authenticator=relay.authenticate,
        # PLAIN only, so one refused password is one attempt (smtplib tries each offered).
        auth_exclude_mechanism=["LOGIN"],
        **controller_options,
    )
    server.start()
    for key, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_TIMEOUT": 10,
        "SMTP_SECURITY": security,
        "SMTP_USERNAME": USER,
        "SMTP_PASSWORD": PASSWORD,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return relay, server


@pytest.fixture
def relay(app, monkeypatch, certificate):
    """A relay on a submission port: STARTTLS required, then login required."""
    monkeypatch.setitem(app.config, "SMTP_CA_FILE", certificate["ca"])
    relay, server = start_relay(
        app,
        monkeypatch,
        security="starttls",
        tls_context=server_context(certificate),
        require_starttls=True,
        auth_required=True,
    )
    yield relay
    server.stop()


@pytest.fixture
def acknowledgement(desk, factory):
    """An e-mail ticket whose acknowledgement waits in the outbox."""
    customer = factory.customer(desk["acme"], email="pat@customer.test")
    return factory.ticket(desk["acme"], customer, channel="email", subject="VPN drops")


def only_mail(session) -> OutboundMail:
    session.expire_all()
    [row] = session.scalars(select(OutboundMail))
    return row


def test_mail_to_a_submission_relay_is_upgraded_with_starttls_and_logged_in(
    relay, acknowledgement, factory, now
):
    assert outbox.deliver_due(factory.session, now=now)["mail_sent"] == 1
    assert relay.logins == [(USER, True)]
    assert relay.tls == [True]
    [(_from, rcpt, raw)] = relay.received
    assert rcpt == ["pat@customer.test"] and b"VPN drops" in raw
    assert only_mail(factory.session).status == "sent"


def test_mail_to_a_relay_on_the_tls_port_is_encrypted_from_the_first_byte(
    app, monkeypatch, certificate, acknowledgement, factory, now
):
    monkeypatch.setitem(app.config, "SMTP_CA_FILE", certificate["ca"])
    relay, server = start_relay(
        app,
        monkeypatch,
        security="tls",
        ssl_context=server_context(certificate),
        # aiosmtpd counts only STARTTLS as TLS for AUTH; here the whole connection is.
        auth_require_tls=False,
    )
    try:
        assert outbox.deliver_due(factory.session, now=now)["mail_sent"] == 1
    finally:
        server.stop()
    assert relay.logins == [(USER, True)] and relay.tls == [True]
    assert len(relay.received) == 1


def test_a_relay_whose_certificate_is_not_trusted_gets_neither_password_nor_mail(
    app, monkeypatch, relay, acknowledgement, factory, now
):
    monkeypatch.setitem(app.config, "SMTP_CA_FILE", None)  # the system's CAs only
    assert outbox.deliver_due(factory.session, now=now)["mail_retry"] == 1
    assert relay.logins == [] and relay.received == []
    row = only_mail(factory.session)
    assert row.status == "queued" and "CERTIFICATE_VERIFY_FAILED" in row.last_error


def test_a_relay_that_offers_no_starttls_gets_neither_password_nor_mail(
    app, monkeypatch, acknowledgement, factory, now
):
    relay, server = start_relay(app, monkeypatch, security="starttls")
    try:
        assert outbox.deliver_due(factory.session, now=now)["mail_retry"] == 1
    finally:
        server.stop()
    assert relay.logins == [] and relay.received == []
    assert only_mail(factory.session).last_error.startswith("SMTPNotSupportedError")


def test_a_refused_password_keeps_the_mail_queued_with_the_relays_answer(
    app, monkeypatch, relay, acknowledgement, factory, now
):
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "wrong")
    assert outbox.deliver_due(factory.session, now=now)["mail_retry"] == 1
    assert relay.logins == [(USER, False)] and relay.received == []
    row = only_mail(factory.session)
    assert row.status == "queued"
    assert row.last_error.startswith("SMTPAuthenticationError") and "535" in row.last_error


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD}, "in clear"),
        ({"SMTP_SECURITY": "ssl"}, "SMTP_SECURITY must be one of none, starttls, tls"),
        (
            {"SMTP_SECURITY": "tls", "SMTP_USERNAME": USER},
            "both SMTP_USERNAME and SMTP_PASSWORD",
        ),
    ],
)
def test_outgoing_settings_that_contradict_each_other_stop_the_app_with_the_reason(
    settings, reason
):
    config = type("Config", (TestConfig,), settings)
    with pytest.raises(SystemExit, match=reason):
        config.resolve()


# The gateway


@pytest.fixture
def tls_gateway(app, db_session, monkeypatch, certificate):
    """The real gateway with a certificate; yields a function that starts it."""
    monkeypatch.setitem(app.config, "MAIL_TLS_CERT", certificate["cert"])
    monkeypatch.setitem(app.config, "MAIL_TLS_KEY", certificate["key"])
    servers = []

    def start() -> int:
        port = free_port()
        server = gateway_module.controller(app, "127.0.0.1", port)
        server.start()
        servers.append(server)
        return port

    yield start
    for server in servers:
        server.stop()


def client_context(certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certificate["ca"])


def tickets(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Ticket))


def test_the_gateway_offers_starttls_and_files_mail_sent_over_it(
    tls_gateway, desk, db_session, certificate
):
    with smtplib.SMTP("127.0.0.1", tls_gateway(), timeout=30) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        smtp.starttls(context=client_context(certificate))
        smtp.sendmail("kim@customer.test", ["support@acme.test"], eml("plain.eml"))
    assert tickets(db_session) == 1


def test_a_gateway_that_requires_tls_refuses_mail_before_starttls(
    app, monkeypatch, tls_gateway, desk, db_session, certificate
):
    monkeypatch.setitem(app.config, "MAIL_REQUIRE_TLS", True)
    port = tls_gateway()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        code, reply = smtp.mail("kim@customer.test")
    assert code == 530 and b"STARTTLS" in reply
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.starttls(context=client_context(certificate))
        smtp.sendmail("kim@customer.test", ["support@acme.test"], eml("plain.eml"))
    assert tickets(db_session) == 1


def test_without_a_certificate_the_gateway_offers_no_starttls(gateway):
    with smtplib.SMTP("127.0.0.1", gateway.port, timeout=30) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("starttls")


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (
            {"MAIL_TLS_CERT": "/nonexistent/cert.pem", "MAIL_TLS_KEY": "/nonexistent/key.pem"},
            "Cannot load MAIL_TLS_CERT /nonexistent/cert.pem",
        ),
        ({"MAIL_REQUIRE_TLS": True}, "MAIL_REQUIRE_TLS needs MAIL_TLS_CERT and MAIL_TLS_KEY"),
        ({"MAIL_TLS_CERT": "/some/cert.pem"}, "Set both MAIL_TLS_CERT and MAIL_TLS_KEY"),
    ],
)
def test_tls_settings_that_cannot_work_stop_flask_mail_serve_with_the_reason(
    app, monkeypatch, settings, reason
):
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    result = app.test_cli_runner().invoke(args=["mail", "serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert reason in result.output
