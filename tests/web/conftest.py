"""Fixtures for the HTML pages: two clients with customers, agents and a supervisor."""

from __future__ import annotations

import html as html_lib
import re

import pytest


@pytest.fixture
def acme(factory):
    """A client."""
    return factory.client("acme", name="Acme Corp")


@pytest.fixture
def globex(factory):
    """Another client, to check isolation against."""
    return factory.client("globex", name="Globex")


@pytest.fixture
def kei(factory, acme):
    """A customer of acme."""
    return factory.customer(acme, email="kei@example.test", name="Kei")


@pytest.fixture
def ana(factory, acme):
    """An agent serving acme only."""
    return factory.agent([acme], name="Ana", skills=("billing", "network"))


@pytest.fixture
def sam(factory, acme):
    """A supervisor of acme."""
    return factory.supervisor(acme, name="Sam")


@pytest.fixture
def acme_sla(factory, acme):
    """SLA targets for acme: urgent and high around the clock, normal in New York office hours."""
    factory.office_hours_policy(acme)
    acme.escalation = ["notify_supervisors", "raise_priority"]
    factory.session.commit()
    return acme


def text_of(response) -> str:
    """The page's text with tags dropped and white space collapsed, for wording checks."""
    page = response.get_data(as_text=True)
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def page_text():
    """The text_of helper, for tests that check what a page says."""
    return text_of
