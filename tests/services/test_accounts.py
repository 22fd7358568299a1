"""Customers found or created for intake: an unproven registration never receives the tickets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from helpdesk.models import AuditEvent
from helpdesk.services import accounts

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def acme(factory):
    return factory.client("acme")


def test_intake_for_a_pending_registration_voids_its_password_and_name(db_session, factory, acme):
    registrant = factory.customer(acme, email="kim@customer.test", name="Chosen by someone")
    registrant.email_confirmed_at = None
    db_session.commit()

    found = accounts.find_or_create_customer(
        db_session, acme, email="kim@customer.test", name="Kim Owner", locale=None
    )
    db_session.commit()

    assert found.id == registrant.id
    assert (found.password_hash, found.name, found.email_confirmed_at) == (None, "Kim Owner", None)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.kind == "registration_voided"))
    assert event.actor_id == found.id


def test_intake_without_a_name_names_the_voided_account_after_the_address(
    db_session, factory, acme
):
    registrant = factory.customer(acme, email="kim@customer.test", name="Chosen by someone")
    registrant.email_confirmed_at = None
    db_session.commit()
    found = accounts.find_or_create_customer(
        db_session, acme, email="kim@customer.test", name=None, locale=None
    )
    assert found.name == "kim"


def test_intake_for_a_confirmed_customer_keeps_the_account_as_it_is(db_session, factory, acme):
    kim = factory.customer(acme, email="kim@customer.test", name="Kim")
    found = accounts.find_or_create_customer(
        db_session, acme, email="kim@customer.test", name="Someone Else", locale=None
    )
    assert found.id == kim.id and found.name == "Kim" and found.password_hash is not None


def test_a_customer_filed_by_email_without_a_password_is_not_a_pending_registration(
    db_session, factory, acme
):
    filed = factory.customer(acme, email="kim@customer.test", email_confirmed_at=None)
    filed.password_hash = None
    db_session.commit()
    assert not accounts.is_pending_registration(filed)
    found = accounts.find_or_create_customer(
        db_session, acme, email="kim@customer.test", name="Kim", locale=None
    )
    assert found.id == filed.id
    assert db_session.scalar(select(AuditEvent.id)) is None


def test_a_password_from_a_mailed_link_proves_the_address(db_session, factory, acme):
    filed = factory.customer(acme, email="kim@customer.test", email_confirmed_at=None)
    accounts.set_password_from_link(
        db_session, filed, "a new password", realm_name="portal", now=NOW
    )
    assert filed.email_confirmed_at == NOW
