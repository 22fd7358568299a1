"""Fixtures for the API tests: two tenants, their people, and helpers for headers and rows."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from helpdesk.models import Client, IdempotencyKey, Message, Ticket, TicketEvent, User
from tests.api.helpers import intake_headers
from tests.conftest import api_token


@dataclass
class Tenant:
    """A client with one customer, one supervisor and one agent serving it."""

    client: Client
    customer: User
    supervisor: User
    agent: User
    intake: dict


def _tenant(factory, slug: str) -> Tenant:
    client = factory.client(slug)
    return Tenant(
        client=client,
        customer=factory.customer(client),
        supervisor=factory.supervisor(client),
        agent=factory.agent([client]),
        intake=intake_headers(client),
    )


@pytest.fixture
def acme(factory) -> Tenant:
    """Client A."""
    return _tenant(factory, "acme")


@pytest.fixture
def globex(factory) -> Tenant:
    """Client B, to check that A's objects stay invisible to it."""
    return _tenant(factory, "globex")


@pytest.fixture
def bearer(client):
    """Authorization headers with a fresh user token: bearer(user) (factory password "pw")."""

    def headers(user: User) -> dict:
        return api_token(client, user)  # with a code from the app for admins (second factor)

    return headers


@pytest.fixture
def rows(db_session):
    """Row counts of everything an API call could store, to compare before and after."""

    def count() -> dict[str, int]:
        db_session.rollback()
        return {
            model.__name__: db_session.scalar(select(func.count()).select_from(model))
            for model in (Client, User, Ticket, Message, TicketEvent, IdempotencyKey)
        }

    return count
