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
def cli(app, db_session, monkeypatch):
    """Runs `flask ...` commands in the test's app context, with cheap password hashes."""
    import functools

    from werkzeug.security import generate_password_hash

    from helpdesk.models import users as users_module

    monkeypatch.setattr(
        users_module,
        "generate_password_hash",
        functools.partial(generate_password_hash, method="pbkdf2:sha256:1000"),
    )
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])
