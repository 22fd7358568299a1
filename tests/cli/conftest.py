"""Fixtures for the command-line tests: the Flask CLI runner and cheap password hashes."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(cheap_password_hashing):
    """Cheap hashes: these tests are about the commands, not about scrypt's cost."""


@pytest.fixture
def cli(app, db_session):
    """Runs `flask ...` commands in the test's app context (db_session cleans up after)."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])
