"""The console's calendars (/admin/calendars): an admin lists the business calendars, adds one
with split and overnight hours, types holidays or imports them from an iCalendar file, and
edits one; saves go through provisioning and a save over someone else's is refused; every
other role gets 404."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Calendar
from helpdesk.services import world_cache
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
    b"BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\n"
    b"SUMMARY:Christmas\r\nEND:VEVENT\r\n"
    b"BEGIN:VEVENT\r\nUID:2\r\nDTSTART:20261228T100000Z\r\nSUMMARY:A meeting\r\nEND:VEVENT\r\n"
    b"BEGIN:VEVENT\r\nUID:3\r\nDTSTART;VALUE=DATE:\r\n 20270101\r\n"  # a folded line
    b"SUMMARY:New Year\r\nEND:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)


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


def error_of(page, field: str) -> str:
    html = page.get_data(as_text=True)
    return plain(html.split(f'id="{field}-error"')[1].split("</ul>")[0])


def stamp_of(page) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]{64})"', page.get_data(as_text=True))[1]


def form(**changes) -> dict:
    values = {
        "name": "berlin-office",
        "timezone": "Europe/Berlin",
        "hours-mon": "08:00-12:00, 13:00-17:00",
        "hours-tue": "08:00-12:00,13:00-17:00",
        "hours-fri": "22:00-06:00",
        "holidays": "2026-10-03\n\n2026-12-24\n",
    }
    return values | changes


def test_the_list_shows_each_calendar_with_its_hours_holidays_and_clients(
    console, acme_sla, page_text
):
    page = console.get("/admin/calendars")
    assert page.status_code == 200
    row = plain(
        page.get_data(as_text=True).split('data-calendar="acme-hours"')[1].split("</tr>")[0]
    )
    assert "America/New_York" in row and "09:00-17:00" in row and "closed" in row
    assert row.endswith("0 1")  # no holidays, one client


def test_without_calendars_the_list_says_what_they_are_for(console, page_text):
    assert "No calendars yet" in page_text(console.get("/admin/calendars"))


@pytest.mark.parametrize("who", ["kei", "ana", "sam"])
def test_every_other_role_gets_404(app, request, who, acme_sla):
    http = app.test_client()
    login(http, request.getfixturevalue(who))
    for url in ("/admin/calendars", "/admin/calendars/new", "/admin/calendars/acme-hours"):
        assert http.get(url).status_code == 404, url
    assert http.post("/admin/calendars/new", data=form()).status_code == 404
    assert http.post("/admin/calendars/acme-hours", data=form(name="x")).status_code == 404
    assert db.session.scalar(select(Calendar.id).where(Calendar.name == "berlin-office")) is None


def test_a_new_calendar_keeps_split_and_overnight_hours_and_is_audited(console, olga, page_text):
    answer = console.post("/admin/calendars/new", data=form())
    assert answer.status_code == 302
    calendar = db.session.scalar(select(Calendar).where(Calendar.name == "berlin-office"))
    assert calendar.timezone == "Europe/Berlin"
    assert calendar.hours == {
        "mon": ["08:00-12:00", "13:00-17:00"],
        "tue": ["08:00-12:00", "13:00-17:00"],
        "fri": ["22:00-06:00"],
    }
    assert calendar.holidays == ["2026-10-03", "2026-12-24"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "provision"))
    assert event.actor_id == olga.id
    page = console.get("/admin/calendars/berlin-office")
    assert "is saved" in page_text(page) and "22:00-06:00" in page.get_data(as_text=True)


def test_the_forms_errors_are_shown_beside_their_fields_and_nothing_is_stored(console, page_text):
    answer = console.post(
        "/admin/calendars/new",
        data=form(**{"hours-mon": "08:00-12:00, 25:00-26:00", "holidays": "2026-02-30"}),
    )
    assert answer.status_code == 422
    assert "Nothing was saved" in page_text(answer)
    assert "25:00-26:00" in error_of(answer, "hours-mon")
    assert error_of(answer, "holidays")
    overlap = console.post("/admin/calendars/new", data=form(**{"hours-sat": "05:00-07:00"}))
    assert overlap.status_code == 422  # Friday 22:00-06:00 runs into Saturday
    assert error_of(overlap, "hours")
    reserved = console.post("/admin/calendars/new", data=form(name="24x7"))
    assert "reserved for round-the-clock SLAs" in error_of(reserved, "name")
    assert db.session.scalar(select(Calendar.id)) is None
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.kind == "provision")) is None


def test_an_ics_files_all_day_events_are_added_as_holidays(console, page_text):
    upload = form() | {"ics": (io.BytesIO(ICS), "holidays.ics")}
    answer = console.post("/admin/calendars/new", data=upload, content_type="multipart/form-data")
    assert answer.status_code == 302
    calendar = db.session.scalar(select(Calendar).where(Calendar.name == "berlin-office"))
    assert calendar.holidays == [
        "2026-10-03",
        "2026-12-24",
        "2026-12-25",
        "2026-12-26",
        "2027-01-01",
    ]
    assert "3 holidays imported from the file." in page_text(console.get("/admin/calendars"))


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "holidays.txt"), "Choose an iCalendar file"),
        ((b"\x89PNG not a calendar", "fake.ics"), "This is not an iCalendar file"),
        ((b"BEGIN:VCALENDAR\r\n" + b"X" * 300_000, "big.ics"), "larger than 256 KB"),
        ((b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "empty.ics"), "no all-day events"),
    ],
)
def test_a_file_that_is_no_usable_ics_is_refused_with_a_form_error(console, upload, message):
    data = form() | {"ics": (io.BytesIO(upload[0]), upload[1])}
    answer = console.post("/admin/calendars/new", data=data, content_type="multipart/form-data")
    assert answer.status_code == 422
    assert message in error_of(answer, "ics")
    assert db.session.scalar(select(Calendar.id)) is None


def test_a_saved_holiday_is_what_sla_clocks_use(console, acme_sla):
    assert world_cache.sla_target(db.session, acme_sla.id, "normal").calendar.holidays == []
    page = console.get("/admin/calendars/acme-hours")
    weekdays = {f"hours-{d}": "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
    data = {"fingerprint": stamp_of(page), "timezone": "America/New_York"} | weekdays
    answer = console.post("/admin/calendars/acme-hours", data=data | {"holidays": "2026-03-10"})
    assert answer.status_code == 302
    target = world_cache.sla_target(db.session, acme_sla.id, "normal")
    assert target.calendar.holidays == ["2026-03-10"]


def test_a_save_over_another_admins_change_is_refused_with_what_is_stored_now(
    app, console, acme_sla, factory, page_text
):
    other = app.test_client()
    login(other, factory.admin(name="Otto Other"))
    mine = stamp_of(console.get("/admin/calendars/acme-hours"))
    theirs = stamp_of(other.get("/admin/calendars/acme-hours"))
    base = {"timezone": "America/New_York", "hours-mon": "09:00-17:00"}
    saved = other.post(
        "/admin/calendars/acme-hours", data=base | {"fingerprint": theirs, "holidays": "2026-07-04"}
    )
    assert saved.status_code == 302

    refused = console.post(
        "/admin/calendars/acme-hours", data=base | {"fingerprint": mine, "holidays": "2026-11-26"}
    )

    assert refused.status_code == 409
    assert "Someone changed this calendar meanwhile; here is what is stored now" in page_text(
        refused
    )
    assert "2026-07-04" in refused.get_data(as_text=True)
    holidays = db.session.scalar(select(Calendar.holidays).where(Calendar.name == "acme-hours"))
    assert holidays == ["2026-07-04"]


def test_a_refused_file_and_bad_hours_are_reported_together(console):
    data = form(**{"hours-mon": "9-5"}) | {"ics": (io.BytesIO(b"hello"), "notes.txt")}
    answer = console.post("/admin/calendars/new", data=data, content_type="multipart/form-data")
    assert answer.status_code == 422
    assert "Choose an iCalendar file" in error_of(answer, "ics")
    assert "9-5" in error_of(answer, "hours-mon")
    assert db.session.scalar(select(Calendar.id)) is None
