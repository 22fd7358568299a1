"""The inbound SMTP gateway (aiosmtpd): refuses unknown recipients, files the rest.

RCPT TO is checked against the clients' `inbound_email` addresses, also with a ticket's reply
tag in the local part (550 5.1.1 otherwise);
mail over MAIL_MAX_BYTES is refused by aiosmtpd at DATA time (552). Each accepted mail is
filed by helpdesk.services.mail_intake in a worker thread with its own app context, so the
asyncio loop keeps answering other connections meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from datetime import UTC, datetime

from aiosmtpd.controller import Controller
from flask import Flask

from helpdesk.extensions import db
from helpdesk.notify import smtp
from helpdesk.services import mail_intake as intake
from helpdesk.services.attachments import Limits

log = logging.getLogger(__name__)


class Gateway:
    """The aiosmtpd handler: one per server, bound to the Flask app."""

    def __init__(self, app: Flask):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        """Accept only the clients' inbound addresses."""
        if await asyncio.to_thread(self._client_id, address) is None:
            log.info("RCPT %r refused: not a client's inbound address", address)
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        """File the mail for each client it is addressed to."""
        return await asyncio.to_thread(
            self.deliver, envelope.content, envelope.mail_from, list(envelope.rcpt_tos)
        )

    def _client_id(self, address: str) -> int | None:
        with self.app.app_context():
            try:
                client = intake.client_for_address(db.session, address)
                return client.id if client is not None else None
            finally:
                db.session.remove()

    def deliver(self, raw: bytes, mail_from: str | None, rcpt_tos: list[str]) -> str:
        """File one mail; the SMTP reply is the first refusal, else the last acceptance."""
        with self.app.app_context():
            try:
                return self._deliver(raw, mail_from, rcpt_tos)
            finally:
                db.session.remove()

    def _deliver(self, raw: bytes, mail_from: str | None, rcpt_tos: list[str]) -> str:
        settings = settings_from(self.app)
        reply = "554 5.5.1 No valid recipients"
        # Each client once, with every RCPT TO that reached it (a reply tag may be among them).
        by_client: dict[int, tuple] = {}
        for address in rcpt_tos:
            client = intake.client_for_address(db.session, address)
            if client is not None:
                _client, addresses = by_client.setdefault(client.id, (client, []))
                addresses.append(address)
        for client, addresses in by_client.values():
            outcome = intake.receive(
                db.session,
                client=client,
                raw=raw,
                envelope_from=mail_from,
                envelope_to=tuple(addresses),
                now=datetime.now(UTC),
                settings=settings,
            )
            if not outcome.reply.startswith("2"):
                return outcome.reply
            reply = outcome.reply
        return reply


def settings_from(app: Flask) -> intake.Settings:
    """Intake settings from the app's configuration."""
    config = app.config
    return intake.Settings(
        attachments_dir=config["ATTACHMENTS_DIR"],
        limits=Limits(
            per_file=config["ATTACHMENT_MAX_BYTES"],
            per_message=config["ATTACHMENTS_PER_MESSAGE_MAX_BYTES"],
        ),
        languages=tuple(config["LANGUAGES"]),
        reply_secret=config["SECRET_KEY"],
        authserv_id=config.get("MAIL_AUTHSERV_ID") or "",
    )


def controller(app: Flask, host: str, port: int) -> Controller:
    """An aiosmtpd controller for the gateway (not started); STARTTLS if a certificate is set.

    Raises smtp.SettingsError when the TLS settings cannot be used.
    """
    return Controller(
        Gateway(app),
        hostname=host,
        port=port,
        data_size_limit=app.config["MAIL_MAX_BYTES"],
        ident="Helpdesk mail gateway",
        tls_context=smtp.server_context(app.config),
        require_starttls=bool(app.config.get("MAIL_REQUIRE_TLS")),
    )


def serve(server: Controller) -> None:
    """Run the gateway's controller until SIGINT or SIGTERM."""
    server.start()
    log.info("mail gateway listening on %s:%s", server.hostname, server.port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        server.stop()
