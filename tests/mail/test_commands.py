"""`flask mail serve` as operators run it: own process, a provisioned client, SIGTERM stops it."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.mail.helpers import eml
from tests.serverproc import Database, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = """
clients:
  - slug: acme
    name: Acme Corp
    timezone: America/New_York
    default_locale: en
    inbound_email: support@acme.test
"""


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_flask_mail_serve_files_mail_refuses_strangers_and_stops_on_sigterm(tmp_path):
    database = Database(tmp_path, "mailserve")
    database.create()
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "HELPDESK_INSTANCE": str(tmp_path / "instance"),
        "ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "SCHEDULER_ENABLED": "0",
        "SECRET_KEY": "mail-serve-test-key-" + "x" * 32,
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    (tmp_path / "world.yaml").write_text(PROVISIONING)
    try:
        for args in (["db", "upgrade"], ["provision", str(tmp_path / "world.yaml")]):
            subprocess.run([*flask, *args], cwd=ROOT, env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [*flask, "mail", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: _listening(port), "the gateway to listen", timeout=60)
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                smtp.sendmail("kim@customer.test", ["support@acme.test"], eml("plain.eml"))
                with pytest.raises(smtplib.SMTPRecipientsRefused):
                    smtp.sendmail("kim@customer.test", ["sales@acme.test"], eml("plain.eml"))
        finally:
            server.send_signal(signal.SIGTERM)
            output = server.communicate(timeout=30)[0].decode()
        assert server.returncode == 0, output
        assert "filed as ACME-1" in output
        engine = create_engine(database.url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT subject, channel FROM tickets")).all()
        finally:
            engine.dispose()
        assert [tuple(r) for r in rows] == [("Printer on the 3rd floor is jammed", "email")]
    finally:
        database.drop()
