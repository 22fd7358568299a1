"""Flask CLI commands: provision, demo, sla tick, routing tick, audit list, users
reset-second-factor (and mail's group)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import yaml
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from helpdesk import scheduler
from helpdesk.extensions import db
from helpdesk.mail.commands import mail_group
from helpdesk.models import STAFF_REALM, Client, User
from helpdesk.models.audit import AUDIT_KINDS
from helpdesk.services import audit, second_factor
from helpdesk.services.demo import load_demo
from helpdesk.services.provisioning import ProvisioningError, provision_file

DEMO_FILE = Path(__file__).parent / "demo" / "demo.yaml"

sla_group = AppGroup("sla", help="SLA clocks.")
routing_group = AppGroup("routing", help="Follow-the-sun routing.")
audit_group = AppGroup("audit", help="The audit log (read-only: events are only ever added).")
users_group = AppGroup("users", help="People's accounts.")


@click.command("provision")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force-passwords",
    is_flag=True,
    help="Also reset passwords that people have changed since the file last set them.",
)
@with_appcontext
def provision_command(path: Path, force_passwords: bool) -> None:
    """Load a provisioning YAML file (idempotent upsert by slug / e-mail)."""
    try:
        report = provision_file(
            db.session, path, now=datetime.now(UTC), force_passwords=force_passwords
        )
    except ProvisioningError as exc:
        for error in exc.errors:  # one line each, so a long list stays readable
            click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for line in report.lines() or ["nothing changed"]:
        click.echo(line)


@click.command("demo")
@click.option("--tickets", default=300, show_default=True, help="Sample tickets to create.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Only when the database holds no clients yet, or only the demo's (make run).",
)
@with_appcontext
def demo_command(tickets: int, if_empty: bool) -> None:
    """Load the bundled demo world and sample tickets (skips tickets if any exist)."""
    if if_empty:
        demo_slugs = {c["slug"] for c in yaml.safe_load(DEMO_FILE.read_text())["clients"]}
        if set(db.session.scalars(select(Client.slug))) - demo_slugs:
            click.echo("The database holds other clients: demo data not loaded.")
            return

    # make run passes the address it serves on; the logins then point there.
    base_url = "http://{}:{}".format(
        os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
    )
    for line in load_demo(db.session, tickets=tickets, now=datetime.now(UTC), base_url=base_url):
        click.echo(line)


@sla_group.command("tick")
def sla_tick() -> None:
    """Run one scheduler tick now: write due SLA warnings and breaches."""
    counts = scheduler.tick(datetime.now(UTC))
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@routing_group.command("tick")
def routing_tick() -> None:
    """Run follow-the-sun once now: idle agents away, shift-end handoffs, pickups."""
    result = scheduler.routing_tick(datetime.now(UTC))
    if result.skipped:
        click.echo("skipped: another process is running follow-the-sun right now")
        return
    click.echo(", ".join(f"{k}: {v}" for k, v in result.counts().items()))


@audit_group.command("list")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
    help="Only events at or after this UTC time.",
)
@click.option("--kind", type=click.Choice(AUDIT_KINDS), help="Only events of this kind.")
@click.option("--client", "client_slug", help="Only events about this client (slug).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
def audit_list(since, kind, client_slug, limit) -> None:
    """Print the latest audit events, newest first, one line each."""
    client_id = None
    if client_slug:
        client_id = db.session.scalar(select(Client.id).where(Client.slug == client_slug))
        if client_id is None:
            raise click.BadParameter(f"no client {client_slug!r}", param_hint="--client")
    rows = audit.events(
        db.session,
        since=since.replace(tzinfo=UTC) if since else None,
        kind=kind,
        client_id=client_id,
        limit=limit,
    )
    emails = dict(
        db.session.execute(
            select(User.id, User.email).where(User.id.in_({r.actor_id for r in rows}))
        ).all()
    )
    slugs = dict(
        db.session.execute(
            select(Client.id, Client.slug).where(Client.id.in_({r.client_id for r in rows}))
        ).all()
    )
    for row in rows:
        click.echo(audit_line(row, emails.get(row.actor_id), slugs.get(row.client_id)))


@users_group.command("reset-second-factor")
@click.argument("email")
def reset_second_factor(email: str) -> None:
    """Clear a staff member's second factor and recovery codes (audited; they set it up again)."""
    user = db.session.scalar(
        select(User).where(User.email == email.strip().lower(), User.realm == STAFF_REALM)
    )
    if user is None:
        click.echo(f"error: no staff member with the e-mail {email!r}", err=True)
        sys.exit(1)
    had = second_factor.reset(db.session, user, actor=None, now=datetime.now(UTC), via="cli")
    if had:
        click.echo(f"reset the second factor of {user.email}: they set it up again to sign in")
    else:
        click.echo(f"{user.email} has no second factor: nothing to reset")


def audit_line(row, actor_email: str | None, client_slug: str | None) -> str:
    """One audit event as a line: time, kind, who, which client, from where, details."""
    parts = [row.at.strftime("%Y-%m-%dT%H:%M:%SZ"), row.kind]
    parts.append(f"actor={actor_email or row.actor_id or '-'}")
    parts.append(f"client={client_slug or row.client_id or '-'}")
    parts.append(f"ip={row.ip or '-'}")
    parts.append(json.dumps(row.data, ensure_ascii=False, sort_keys=True))
    if row.user_agent:
        parts.append(f"ua={json.dumps(row.user_agent, ensure_ascii=False)}")
    return " ".join(parts)


def init_app(app: Flask) -> None:
    """Register the commands on the app."""
    commands = (
        provision_command,
        demo_command,
        mail_group,
        sla_group,
        routing_group,
        audit_group,
        users_group,
    )
    for command in commands:
        app.cli.add_command(command)
