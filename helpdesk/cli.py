"""Flask CLI commands: provision, demo (more groups join in later issues)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import yaml
from flask import Flask

DEMO_FILE = Path(__file__).parent / "demo" / "demo.yaml"


def init_app(app: Flask) -> None:
    """Register the commands on the app."""

    @app.cli.command("provision")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def provision_command(path: Path) -> None:
        """Load a provisioning YAML file (idempotent upsert by slug / e-mail)."""
        from helpdesk.extensions import db
        from helpdesk.services.provisioning import ProvisioningError, provision_file

        try:
            report = provision_file(db.session, path, now=datetime.now(UTC))
        except ProvisioningError as exc:
            for error in exc.errors:  # one line each, so a long list stays readable
                click.echo(f"error: {error}", err=True)
            sys.exit(1)
        for line in report.lines() or ["nothing changed"]:
            click.echo(line)

    @app.cli.command("demo")
    @click.option("--tickets", default=300, show_default=True, help="Sample tickets to create.")
    @click.option(
        "--if-empty",
        is_flag=True,
        help="Only when the database holds no clients yet, or only the demo's (make run).",
    )
    def demo_command(tickets: int, if_empty: bool) -> None:
        """Load the bundled demo world and sample tickets (skips tickets if any exist)."""
        from sqlalchemy import select

        from helpdesk.extensions import db
        from helpdesk.models import Client
        from helpdesk.services.demo import load_demo

        if if_empty:
            demo_slugs = {c["slug"] for c in yaml.safe_load(DEMO_FILE.read_text())["clients"]}
            if set(db.session.scalars(select(Client.slug))) - demo_slugs:
                click.echo("The database holds other clients: demo data not loaded.")
                return

        for line in load_demo(db.session, tickets=tickets, now=datetime.now(UTC)):
            click.echo(line)

    from helpdesk.mail.commands import mail_group

    app.cli.add_command(mail_group)

    @app.cli.group("sla")
    def sla_group() -> None:
        """SLA clocks."""

    @sla_group.command("tick")
    def sla_tick() -> None:
        """Run one scheduler tick now: write due SLA warnings and breaches."""
        from helpdesk import scheduler

        counts = scheduler.tick(datetime.now(UTC))
        click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
