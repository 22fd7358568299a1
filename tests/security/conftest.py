"""Fixtures for the security tests: rate limits switched on for one test, a client and people."""

from __future__ import annotations

import pytest

from helpdesk.extensions import limiter


@pytest.fixture
def limits(app, monkeypatch):
    """Set limits for one test (TestConfig leaves them all off); counters start empty."""
    limiter.reset()

    def set_limits(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setitem(app.config, f"RATELIMIT_{name.upper()}", value)

    yield set_limits
    limiter.reset()


@pytest.fixture
def cli(app, db_session, cheap_password_hashing):
    """Runs `flask ...` commands in the test's app context, with cheap password hashes."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])
