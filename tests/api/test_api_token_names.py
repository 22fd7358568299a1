"""User tokens carry an optional name, note their last use at most once a minute, and end when
revoked from the owner's settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from helpdesk.extensions import db
from helpdesk.models import ApiToken
from tests.conftest import api_token


def ask(client, user, **extra):
    return client.post("/api/v1/auth/token", json={"email": user.email, "password": "pw", **extra})


def test_a_token_may_be_named_for_its_owners_settings(client, acme, db_session):
    answer = ask(client, acme.customer, name="Nightly export")
    assert answer.status_code == 200
    [row] = db_session.scalars(select(ApiToken).where(ApiToken.user_id == acme.customer.id))
    assert row.name == "Nightly export" and row.last_used_at is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, 42, "nul\x00"])
def test_a_bad_token_name_is_refused_in_the_one_error_shape(client, acme, db_session, name):
    answer = ask(client, acme.customer, name=name)
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error" and "name" in error["fields"]
    assert db_session.scalars(select(ApiToken)).all() == []


def test_a_token_of_80_characters_keeps_its_name(client, acme, db_session):
    assert ask(client, acme.customer, name="n" * 80).status_code == 200
    assert db_session.scalar(select(ApiToken.name)) == "n" * 80


def test_last_use_is_written_at_most_once_a_minute(client, acme, db_session):
    headers = api_token(client, acme.agent)
    writes = []

    def note(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE api_tokens"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for _ in range(3):
            assert client.get("/api/v1/tickets", headers=headers).status_code == 200
        assert len(writes) == 1  # the first use
        row = db_session.scalar(select(ApiToken))
        row.last_used_at = datetime.now(UTC) - timedelta(minutes=2)
        db_session.commit()
        writes.clear()
        for _ in range(3):
            assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(writes) == 1
    db_session.expire_all()
    used = db_session.scalar(select(ApiToken.last_used_at))
    assert datetime.now(UTC) - used < timedelta(minutes=1)
