"""`flask mail serve` (the inbound gateway) and `flask mail send-queued` (the outbox now)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from helpdesk.extensions import db
from helpdesk.mail import gateway
from helpdesk.notify import smtp
from helpdesk.services import outbox

mail_group = AppGroup("mail", help="The e-mail channel: inbound gateway and outbox.")


@mail_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=2525, show_default=True, type=click.IntRange(1, 65535))
def serve_command(host: str, port: int) -> None:
    """Run the inbound SMTP gateway: mail to a client's inbound_email becomes tickets."""
    app = current_app._get_current_object()
    try:
        server = gateway.controller(app, host, port)
    except smtp.SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    if app.config.get("MAIL_TLS_CERT"):
        tls = "STARTTLS required" if app.config.get("MAIL_REQUIRE_TLS") else "STARTTLS offered"
    else:
        tls = "no TLS: set MAIL_TLS_CERT and MAIL_TLS_KEY to offer STARTTLS"
    click.echo(f"Mail gateway on {host}:{port}, {tls} (Ctrl+C stops it)")
    gateway.serve(server)


@mail_group.command("send-queued")
def send_queued_command() -> None:
    """Send the queued mail that is due now (the scheduler tick does this too)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    counts = outbox.deliver_due(db.session, now=datetime.now(UTC))
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
