"""The console's Sites and shifts (/admin/sites): an admin lists the sites, creates one and edits
its weekly shifts and holidays through provisioning; a change that leaves hours uncovered is
shown as a before/after coverage grid and applied only once confirmed; every other role 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Site
from helpdesk.services import world_cache
from helpdesk.services.provisioning import provision
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def olga(factory):
    return factory.admin(name="Olga Operator", email="olga@provider.test")


@pytest.fixture
def console(app, olga):
    http = app.test_client()
    login(http, olga)
    return http


@pytest.fixture
def anywhere(factory):
    """A site always on shift (the real clock's week is what the coverage check shows)."""
    return factory.site("anywhere", name="Anywhere", shifts={d: ["00:00-24:00"] for d in ALL_DAYS})


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def site_form(**shifts) -> dict:
    """The editor's fields: name, time zone, one text per weekday, holidays."""
    form = {"name": "Anywhere", "timezone": "UTC", "holidays": ""}
    form |= {f"shift_{day}": "" for day in ALL_DAYS}
    form |= {f"shift_{day}": text for day, text in shifts.items()}
    return form


def edit(console, slug: str, **fields):
    page = console.get(f"/admin/sites/{slug}").get_data(as_text=True)
    return console.post(
        f"/admin/sites/{slug}", data=fields | {"fingerprint": hidden(page, "fingerprint")}
    )


@pytest.mark.parametrize("who", ["kei", "ana", "sam"])
def test_every_other_role_gets_404_on_the_site_pages(app, request, anywhere, who):
    http = app.test_client()
    login(http, request.getfixturevalue(who))
    for url in ("/admin/sites", "/admin/sites/new", "/admin/sites/anywhere"):
        assert http.get(url).status_code == 404
    assert http.post("/admin/sites/anywhere", data=site_form()).status_code == 404


def test_the_list_shows_each_site_with_zone_agents_and_shifts(console, factory, acme, page_text):
    manila = factory.site(
        "manila", name="Manila", timezone="Asia/Manila", shifts={"mon": ["22:00-07:00"]}
    )
    factory.agent([acme], name="Ana", site=manila)
    factory.site("empty", name="Empty Site")
    response = console.get("/admin/sites")
    text = page_text(response)
    assert response.status_code == 200
    assert "Manila" in text and "Asia/Manila" in text and "22:00-07:00" in text
    assert "Monday" in text and "No shifts" in text
    row = re.search(r'<tr data-site="manila">.*?</tr>', response.get_data(as_text=True), re.S)
    assert ">1</a>" in row.group(0)  # one agent
    assert console.get("/admin/sites/new").status_code == 200


def test_a_new_site_is_created_through_provisioning_and_audited(console, olga, db_session):
    form = site_form(mon="22:00-06:00", tue="09:00-12:00, 13:00-17:00")
    form |= {"slug": "manila", "name": "Manila", "timezone": "Asia/Manila"}
    form["holidays"] = "2026-12-30\n2026-12-25"
    response = console.post("/admin/sites/new", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/sites/manila")
    site = db_session.scalar(select(Site).where(Site.slug == "manila"))
    assert site.shifts == {"mon": ["22:00-06:00"], "tue": ["09:00-12:00", "13:00-17:00"]}
    assert site.holidays == ["2026-12-25", "2026-12-30"]
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.kind == "provision"))
    assert event.actor_id == olga.id


def test_a_bad_site_form_shows_each_problem_beside_its_field_and_stores_nothing(
    console, db_session, page_text
):
    form = site_form(tue="25:00-26:00")
    form |= {"slug": "Bad Slug", "name": "", "timezone": "Mars/Olympus", "holidays": "someday"}
    response = console.post("/admin/sites/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("slug", "name", "timezone", "shift_tue", "holidays"):
        assert f'id="{field}-error"' in html, field
    assert "unknown time zone" in page_text(response)
    assert db_session.scalar(select(Site)) is None


def test_a_new_site_may_not_take_an_existing_slug(console, anywhere, page_text):
    form = site_form() | {"slug": "anywhere", "name": "Other"}
    response = console.post("/admin/sites/new", data=form)
    assert response.status_code == 422
    assert "exists already" in page_text(response)
    assert anywhere.name == "Anywhere"


def test_a_change_without_new_gaps_is_applied_at_once_and_served_by_the_world_cache(
    console, factory, acme, anywhere
):
    factory.agent([acme], name="Ana", site=anywhere)
    assert world_cache.site(db.session, anywhere.id).holidays == []  # cached before
    form = site_form(**dict.fromkeys(ALL_DAYS, "00:00-24:00"))
    response = edit(console, "anywhere", **form | {"name": "Everywhere", "holidays": "2030-01-01"})
    assert response.status_code == 302
    assert "Site Everywhere is saved" in console.get(response.headers["Location"]).get_data(
        as_text=True
    )
    cached = world_cache.site(db.session, anywhere.id)
    assert cached.name == "Everywhere" and cached.holidays == ["2030-01-01"]


def test_a_shift_change_that_opens_a_gap_is_previewed_then_moves_live_routing_once_confirmed(
    console, factory, acme, anywhere, db_session, page_text
):
    ana = factory.agent([acme], name="Ana", site=anywhere, presence="online")
    assert factory.ticket(acme).assignee_id == ana.id  # on shift round the clock

    page = console.get("/admin/sites/anywhere").get_data(as_text=True)
    form = site_form(tue="02:00-03:00") | {"fingerprint": hidden(page, "fingerprint")}
    preview = console.post("/admin/sites/anywhere", data=form)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "data-coverage-preview" in html and "cov-lost" in html
    assert "hours newly uncovered" in page_text(preview)
    db_session.expire_all()
    assert anywhere.shifts["mon"] == ["00:00-24:00"]  # nothing stored yet

    confirmed = console.post(
        "/admin/sites/anywhere", data=form | {"confirm": hidden(html, "confirm")}
    )
    assert confirmed.status_code == 302
    db_session.expire_all()
    assert anywhere.shifts == {"tue": ["02:00-03:00"]}

    # At the frozen now (Monday 15:00 UTC) nobody is on shift: the next filing waits.
    ticket = factory.ticket(acme)
    assert ticket.assignee_id is None
    assert ticket.expected_pickup_at == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_a_confirmation_holds_only_for_the_change_previewed(console, factory, acme, anywhere):
    factory.agent([acme], name="Ana", site=anywhere)
    page = console.get("/admin/sites/anywhere").get_data(as_text=True)
    form = site_form(tue="02:00-03:00") | {"fingerprint": hidden(page, "fingerprint")}
    html = console.post("/admin/sites/anywhere", data=form).get_data(as_text=True)
    other = form | {"shift_tue": "", "confirm": hidden(html, "confirm")}
    again = console.post("/admin/sites/anywhere", data=other)
    assert again.status_code == 200 and "cov-lost" in again.get_data(as_text=True)
    assert anywhere.shifts["tue"] == ["00:00-24:00"]


def test_a_second_admin_saving_over_a_change_is_refused_with_what_is_stored_now(
    app, console, factory, anywhere, db_session, page_text
):
    first = console.get("/admin/sites/anywhere").get_data(as_text=True)
    other = app.test_client()
    login(other, factory.admin(name="Otto", email="otto@provider.test"))
    form = site_form(**dict.fromkeys(ALL_DAYS, "00:00-24:00"))
    assert edit(other, "anywhere", **form | {"name": "Renamed"}).status_code == 302

    stale = console.post(
        "/admin/sites/anywhere",
        data=form | {"name": "Mine", "fingerprint": hidden(first, "fingerprint")},
    )
    assert stale.status_code == 409
    text = page_text(stale)
    assert "Someone changed this site meanwhile" in text
    assert 'value="Renamed"' in stale.get_data(as_text=True)
    db_session.expire_all()
    assert anywhere.name == "Renamed"


def test_a_console_change_shows_its_values_before_and_after_in_the_audit_log(
    app, factory, page_text
):
    site = factory.site("mnl", name="Manila", timezone="UTC")
    http = app.test_client()
    login(http, factory.admin(name="Olga Operator", email="olga-audit@provider.test"))
    change = {"slug": site.slug, "name": "Manila North", "timezone": "UTC"}
    provision(factory.session, {"sites": [change]}, now=factory.now)
    text = page_text(http.get("/supervisor/audit?kind=provision"))
    assert 'mnl, name: "Manila" → "Manila North"' in text
