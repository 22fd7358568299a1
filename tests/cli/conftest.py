"""Fixtures for the command-line tests: the Flask CLI runner and cheap password hashes."""

from __future__ import annotations

import functools

import pytest
from werkzeug.security import generate_password_hash

from helpdesk.models import users as users_module


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap hashes: these tests are about the commands, not about scrypt's cost."""
    monkeypatch.setattr(
        users_module,
        "generate_password_hash",
        functools.partial(generate_password_hash, method="pbkdf2:sha256:1000"),
    )


@pytest.fixture
def cli(app, db_session):
    """Runs `flask ...` commands in the test's app context (db_session cleans up after)."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])
