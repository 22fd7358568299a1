"""The demo loader: a believable world, historical sample tickets, idempotent, with logins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from helpdesk.models import Client, Message, OutboundMail, Site, Ticket, TicketEvent, User
from helpdesk.services.demo import DEMO_FILE, create_sample_tickets, load_demo
from helpdesk.services.provisioning import parse_yaml, validate

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_demo_file_is_a_valid_provisioning_file(db_session):
    plan = validate(db_session, parse_yaml(DEMO_FILE.read_text()))

    assert len(plan.sections["clients"]) == 3
    assert len(plan.sections["sites"]) >= 4
    assert len(plan.sections["agents"]) >= 12
    languages = {code for e in plan.sections["agents"] for code in e.values["languages"]}
    assert {"en", "es", "de", "fr", "pt_BR", "ja", "ar", "pl"} <= languages
    locales = {e.values["locale"] for e in plan.sections["customers"]}
    assert {"ja", "de", "es", "pt_BR", "ar"} <= locales
    manila = next(e.values for e in plan.sections["sites"] if e.values["slug"] == "manila")
    assert any(
        interval.split("-")[1] < interval.split("-")[0]
        for intervals in manila["shifts"].values()
        for interval in intervals
    ), "Manila has a night shift that crosses midnight"


def test_the_demo_loads_a_world_with_a_month_of_tickets(db_session, now):
    lines = load_demo(db_session, tickets=40, now=now)

    assert count(db_session, Client) == 3
    assert count(db_session, Site) >= 4
    assert count(db_session, User, User.role == "agent") >= 12
    assert count(db_session, User, User.role == "supervisor") == 3
    assert count(db_session, Ticket) == 40
    assert "created client acme" in lines
    assert "Created 40 sample tickets over the last 30 days." in lines

    tickets = db_session.scalars(select(Ticket)).all()
    assert all(now - timedelta(days=30) <= t.created_at < now for t in tickets)
    assert all(m.created_at < now for t in tickets for m in t.messages)
    assert len({t.client_id for t in tickets}) == 3
    assert len({t.status for t in tickets}) >= 3
    assert len({t.channel for t in tickets}) >= 3
    assert len({t.locale for t in tickets}) >= 4
    assert count(db_session, Message, Message.internal.is_(True)) > 0
    assert count(db_session, TicketEvent, TicketEvent.kind == "status_changed") > 0
    replies = db_session.scalars(
        select(Message).join(User, Message.author_id == User.id).where(User.role == "agent")
    ).all()
    assert replies, "agents answered some tickets"
    japanese = db_session.scalars(select(Ticket).where(Ticket.locale == "ja")).all()
    assert japanese
    assert all(any("\u3040" <= ch <= "\u30ff" for ch in t.subject) for t in japanese), (
        "Japanese customers write in Japanese"
    )


def test_running_the_demo_again_changes_nothing_and_still_prints_the_logins(db_session, now):
    load_demo(db_session, tickets=40, now=now)
    before = {m: count(db_session, m) for m in (Client, User, Ticket, Message, TicketEvent)}

    lines = load_demo(db_session, tickets=40, now=now + timedelta(days=1))

    assert {m: count(db_session, m) for m in before} == before
    assert lines[0] == "The demo world is already loaded: nothing changed."
    assert "Tickets already exist: no sample tickets added." in lines
    assert "Demo logins" in lines


def test_the_output_ends_with_every_roles_login_and_the_portal_addresses(db_session, now):
    lines = load_demo(db_session, tickets=0, now=now)

    block = lines[lines.index("Demo logins") :]
    text = "\n".join(block)
    for email, password in [
        ("admin@provider.test", "demo-admin"),
        ("sam@acme.test", "demo-supervisor"),
        ("ana@provider.test", "demo-agent"),
        ("kei@acme.test", "demo-customer"),
    ]:
        assert any(email in line and password in line for line in block), email
    for slug in ("acme", "globex", "initech"):
        assert f"http://127.0.0.1:5000/c/{slug}/" in text
    assert "http://127.0.0.1:5000/login" in text
    assert count(db_session, Ticket) == 0


def test_the_demo_logins_work(db_session, now):
    load_demo(db_session, tickets=0, now=now)
    acme = db_session.scalars(select(Client).where(Client.slug == "acme")).one()

    kei = db_session.scalars(
        select(User).where(User.email == "kei@acme.test", User.realm == acme.id)
    ).one()
    assert kei.check_password("demo-customer")


def test_sample_tickets_are_the_same_for_the_same_seed_and_clock(db_session, now):
    load_demo(db_session, tickets=15, now=now)

    def shape():
        rows = db_session.scalars(select(Ticket).order_by(Ticket.created_at, Ticket.id)).all()
        return [
            (t.client_id, t.requester_id, t.subject, t.created_at, t.status, t.assignee_id)
            for t in rows
        ]

    first = shape()
    db_session.execute(delete(Ticket))
    db_session.commit()
    create_sample_tickets(
        db_session, count=15, now=now, seed=2026, slugs=["acme", "globex", "initech"]
    )

    assert shape() == first


def test_sample_tickets_only_go_to_the_demo_clients(db_session, factory, now):
    umbrella = factory.client("umbrella")
    factory.customer(umbrella)

    load_demo(db_session, tickets=10, now=now)

    assert count(db_session, Ticket, Ticket.client_id == umbrella.id) == 0
    assert count(db_session, Ticket) == 10


def test_the_sample_tickets_never_mail_their_made_up_customers(db_session, now):
    load_demo(db_session, tickets=12, now=now)
    statuses = set(db_session.scalars(select(OutboundMail.status)))
    assert statuses == {"skipped"}
