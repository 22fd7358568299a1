"""The console's clients (/admin/clients): an admin lists the clients, adds one and edits its
zone, language, escalation and SLA targets beside a preview of when a ticket filed now would
be due. Every save goes through provisioning (its checks, its audit); a save over someone
else's is refused; every other role gets 404."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from helpdesk.admin.setup_forms import lock_for_edit
from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Client, SlaClock, SlaTarget
from helpdesk.services import world_cache
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def olga(factory):
    return factory.admin(name="Olga Operator")


@pytest.fixture
def console(app, olga):
    http = app.test_client()
    login(http, olga)
    return http


def plain(html: str) -> str:
    """Text of a piece of a page: tags dropped, white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def stamp_of(page) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]{64})"', page.get_data(as_text=True))[1]


def acme_form(**changes) -> dict:
    """The edit form of acme as the acme_sla policy shows it, with changes."""
    form = {
        "action": "save",
        "name": "Acme Corp",
        "timezone": "America/New_York",
        "default_locale": "en",
        "inbound_email": "",
        "escalation": ["notify_supervisors", "raise_priority"],
        "sla-urgent-first_response": "30",
        "sla-urgent-next_response": "60",
        "sla-urgent-resolution": "240",
        "sla-urgent-calendar": "24x7",
        "sla-high-first_response": "60",
        "sla-high-next_response": "120",
        "sla-high-resolution": "480",
        "sla-high-calendar": "24x7",
        "sla-normal-first_response": "240",
        "sla-normal-next_response": "480",
        "sla-normal-resolution": "1440",
        "sla-normal-calendar": "acme-hours",
    }
    return form | changes


def new_client_form(**changes) -> dict:
    form = {
        "action": "save",
        "name": "Initech",
        "slug": "initech",
        "timezone": "Europe/Berlin",
        "default_locale": "de",
        "inbound_email": "help@initech.test",
        "escalation": ["notify_supervisors", "reroute"],
        "sla-urgent-first_response": "20",
        "sla-urgent-next_response": "40",
        "sla-urgent-resolution": "120",
        "sla-urgent-calendar": "24x7",
    }
    return form | changes


def test_the_list_shows_each_client_with_its_zone_language_open_tickets_and_targets(
    console, acme_sla, globex, factory, page_text
):
    factory.ticket(acme_sla)
    factory.ticket(acme_sla)
    page = console.get("/admin/clients")
    assert page.status_code == 200
    text = page_text(page)
    assert "Acme Corp" in text and "Globex" in text and "America/New_York" in text
    row = page.get_data(as_text=True).split('data-client="acme"')[1].split("</tr>")[0]
    assert ">2<" in row  # open tickets
    assert "30 / 60 / 240 min" in plain(row) and "on acme-hours" in plain(row)
    assert "no SLA targets" in plain(page.get_data(as_text=True).split('data-client="globex"')[1])


def test_without_clients_the_list_says_how_to_start(console, page_text):
    text = page_text(console.get("/admin/clients"))
    assert "No clients yet" in text and "New client" in text


@pytest.mark.parametrize("who", ["kei", "ana", "sam"])
def test_every_other_role_gets_404(app, request, who, acme):
    http = app.test_client()
    login(http, request.getfixturevalue(who))
    for url in (
        "/admin/clients",
        "/admin/clients/new",
        "/admin/clients/acme",
        "/admin/sla-preview",
    ):
        assert http.get(url).status_code == 404, url
    assert http.post("/admin/clients/acme", data=acme_form(name="Hacked")).status_code == 404
    assert http.post("/admin/clients/new", data=new_client_form()).status_code == 404
    assert db.session.scalar(select(Client.name).where(Client.slug == "acme")) == "Acme Corp"
    assert db.session.scalar(select(Client.id).where(Client.slug == "initech")) is None


def test_a_new_client_is_saved_through_provisioning_and_audited_as_the_admin(
    console, olga, page_text
):
    answer = console.post("/admin/clients/new", data=new_client_form())
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/admin/clients/initech")
    client = db.session.scalar(select(Client).where(Client.slug == "initech"))
    assert (client.name, client.timezone, client.default_locale) == (
        "Initech",
        "Europe/Berlin",
        "de",
    )
    assert client.inbound_email == "help@initech.test"
    assert client.escalation == ["notify_supervisors", "reroute"]
    assert [(t.priority, t.first_response, t.calendar) for t in client.sla_targets] == [
        ("urgent", 20, None)
    ]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "provision"))
    assert event.actor_id == olga.id
    assert "is saved" in page_text(console.get("/admin/clients/initech"))


def test_the_forms_errors_are_shown_beside_their_fields_and_nothing_is_stored(
    console, acme_sla, page_text
):
    answer = console.post(
        "/admin/clients/new",
        data=new_client_form(
            slug="Bad Slug!",
            timezone="Mars/Olympus",
            **{"sla-urgent-first_response": "12a", "sla-urgent-resolution": ""},
            **{"sla-high-first_response": "5", "sla-high-calendar": "nope"},
        ),
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    text = page_text(answer)
    assert "Nothing was saved" in text
    assert "bad slug 'Bad Slug!'" in plain(html.split('id="slug-error"')[1])
    assert "unknown time zone 'Mars/Olympus'" in plain(html.split('id="timezone-error"')[1])
    first = html.split('id="sla-urgent-first_response-error"')[1]
    assert "must be a positive whole number of minutes, got '12a'" in plain(first)
    assert "required" in plain(html.split('id="sla-urgent-resolution-error"')[1])
    assert "unknown calendar 'nope'" in plain(html.split('id="sla-high-calendar-error"')[1])
    assert 'value="12a"' in html  # what was typed stays
    assert (
        db.session.scalar(select(Client.id).where(Client.slug.in_(["initech", "Bad Slug!"])))
        is None
    )
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.kind == "provision")) is None


def test_a_slug_in_use_or_an_address_of_another_client_is_refused(console, acme, globex, page_text):
    globex.inbound_email = "help@globex.test"
    db.session.commit()
    taken = console.post("/admin/clients/new", data=new_client_form(slug="acme"))
    assert taken.status_code == 422
    assert "A client with this slug exists already" in page_text(taken)
    clash = console.post(
        "/admin/clients/new", data=new_client_form(inbound_email="help@globex.test")
    )
    assert clash.status_code == 422
    assert "already used by client 'globex'" in page_text(clash)
    assert db.session.scalar(select(Client.id).where(Client.slug == "initech")) is None


def test_a_saved_target_is_what_the_next_filing_uses(console, acme_sla, factory, now):
    assert world_cache.sla_target(db.session, acme_sla.id, "urgent").first_response == 30
    stamp = stamp_of(console.get("/admin/clients/acme"))

    answer = console.post(
        "/admin/clients/acme",
        data=acme_form(fingerprint=stamp, **{"sla-urgent-first_response": "15"}),
    )

    assert answer.status_code == 302
    assert world_cache.sla_target(db.session, acme_sla.id, "urgent").first_response == 15
    ticket = factory.ticket(acme_sla, priority="urgent")
    due = db.session.scalar(
        select(SlaClock.due_at).where(
            SlaClock.ticket_id == ticket.id, SlaClock.metric == "first_response"
        )
    )
    assert due == now + timedelta(minutes=15)


def test_blanking_a_priority_removes_its_targets(console, acme_sla):
    stamp = stamp_of(console.get("/admin/clients/acme"))
    blank = {f"sla-high-{m}": "" for m in ("first_response", "next_response", "resolution")}
    assert (
        console.post("/admin/clients/acme", data=acme_form(fingerprint=stamp, **blank)).status_code
        == 302
    )
    priorities = set(
        db.session.scalars(select(SlaTarget.priority).where(SlaTarget.client_id == acme_sla.id))
    )
    assert priorities == {"urgent", "normal"}


def test_a_save_over_another_admins_change_is_refused_with_what_is_stored_now(
    app, console, acme_sla, factory, page_text
):
    other = app.test_client()
    login(other, factory.admin(name="Otto Other"))
    mine = stamp_of(console.get("/admin/clients/acme"))
    theirs = stamp_of(other.get("/admin/clients/acme"))
    assert (
        other.post(
            "/admin/clients/acme", data=acme_form(fingerprint=theirs, name="Acme Inc")
        ).status_code
        == 302
    )

    refused = console.post("/admin/clients/acme", data=acme_form(fingerprint=mine, name="Acme Ltd"))

    assert refused.status_code == 409
    text = page_text(refused)
    assert "Someone changed this client meanwhile; here is what is stored now" in text
    assert 'value="Acme Inc"' in refused.get_data(as_text=True)
    assert db.session.scalar(select(Client.name).where(Client.slug == "acme")) == "Acme Inc"
    # The form shown again carries the new fingerprint: saving it now works.
    again = console.post(
        "/admin/clients/acme", data=acme_form(fingerprint=stamp_of(refused), name="Acme Ltd")
    )
    assert again.status_code == 302


def test_the_preview_shows_when_each_priority_would_be_due(console, acme_sla, page_text):
    page = console.get("/admin/clients/acme")
    aside = page.get_data(as_text=True).split("When would it be due?")[1]
    text = plain(aside)
    assert "First response" in text and "Resolution" in text and "on acme-hours" in text
    assert "No targets: tickets of this priority have no SLA clock." in text  # low

    # The button previews typed values, checked by provisioning, and stores nothing.
    stamp = stamp_of(page)
    tried = console.post(
        "/admin/clients/acme",
        data=acme_form(
            fingerprint=stamp,
            action="preview",
            **{
                "sla-low-first_response": "600",
                "sla-low-next_response": "600",
                "sla-low-resolution": "6000",
                "sla-low-calendar": "24x7",
            },
        ),
    )
    assert tried.status_code == 200
    assert "No targets" not in plain(tried.get_data(as_text=True).split("When would it be due?")[1])
    assert db.session.scalar(select(SlaTarget.id).where(SlaTarget.priority == "low")) is None
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.kind == "provision")) is None

    # The script's endpoint: the same preview for the fields as they are.
    answer = console.get(
        "/admin/sla-preview?timezone=UTC&sla-urgent-first_response=30&sla-urgent-next_response=60&sla-urgent-resolution=90&sla-urgent-calendar=24x7"
    )
    assert answer.status_code == 200
    html = answer.get_json()["html"]
    assert "Times in UTC." in plain(html) or "(UTC)" in plain(html)
    assert 'data-priority="urgent"' in html and "<dl" in html


def test_two_saves_of_one_object_are_served_one_after_the_other(app, factory):
    # The second save waits for the first to commit before it reads the fingerprint, so it
    # sees the first one's change (and is refused) instead of writing over it.
    client = factory.client("serial")
    factory.session.commit()
    first_holds, waited = threading.Event(), {}

    def first():
        with app.app_context():
            held = db.session.get(Client, client.id)
            lock_for_edit(held)
            first_holds.set()
            time.sleep(0.4)
            db.session.commit()

    def second():
        with app.app_context():
            first_holds.wait(5)
            started = time.monotonic()
            lock_for_edit(db.session.get(Client, client.id))
            waited["seconds"] = time.monotonic() - started
            db.session.rollback()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert waited["seconds"] >= 0.3
