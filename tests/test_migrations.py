"""The migrations build the schema from empty, and the models have no drift from them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database of the kind the suite runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"hd_mig_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def flask_db(args: list[str], url: str, tmp_path) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        HELPDESK_INSTANCE=str(tmp_path / "instance"),
        SCHEDULER_ENABLED="0",
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_upgrade_from_empty_then_check_finds_no_drift(empty_database_url, tmp_path):
    upgrade = flask_db(["upgrade"], empty_database_url, tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    check = flask_db(["check"], empty_database_url, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    engine = create_engine(empty_database_url)
    with engine.connect() as conn:
        tables = set(
            conn.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                    if engine.dialect.name == "sqlite"
                    else "SELECT tablename FROM pg_tables WHERE schemaname='public'"
                )
            ).scalars()
        )
    engine.dispose()
    assert {"clients", "users", "tickets", "messages", "ticket_events"} <= tables
