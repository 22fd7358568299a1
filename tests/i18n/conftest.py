"""Fixtures for the locale tests: a client with a customer, an agent and a supervisor."""

from __future__ import annotations

import pytest


@pytest.fixture
def acme(factory):
    """A client whose default language is English and zone New York."""
    return factory.client("acme", name="Acme Corp")


@pytest.fixture
def kei(factory, acme):
    """A customer of acme with no language or zone of their own."""
    return factory.customer(acme, email="kei@example.test", name="Kei")


@pytest.fixture
def ana(factory, acme):
    """An agent serving acme."""
    return factory.agent([acme], name="Ana")
