"""One client's onboarding through the operator console in Chromium, as an operations manager
does it: a business calendar (weekly hours with an overnight interval, a holiday), the client
with SLA targets on it (the due-time preview beside the form), a site on shift around the
clock, an agent of that site for that client who speaks its language (who sets a password
through the invitation mailed to them and goes online), an intake token read off the page
that shows it once; the client's first ticket is then routed to that agent with SLA clocks due
by the client's targets, and the agent sees it in their queue (issue 18, "Tests")."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
import requests

from helpdesk.domain.calendar import BusinessCalendar
from tests.e2e.conftest import PASSWORD, WAIT

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

ZONE = "Europe/Berlin"
HOURS = {
    "mon": "08:00-18:00",
    "tue": "08:00-18:00",
    "wed": "08:00-18:00",
    "thu": "08:00-18:00",
    "fri": "08:00-18:00",
    "sat": "22:00-02:00",  # overnight: into Sunday
    "sun": "",
}
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
# Minutes per metric: high priority on the new calendar, urgent around the clock.
HIGH = {"first_response": 90, "next_response": 240, "resolution": 960}
URGENT = {"first_response": 30, "next_response": 60, "resolution": 480}
METRIC_NAMES = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}


def console(page, section: str, path: str) -> None:
    """Open a section of the console from its navigation."""
    nav = page.get_by_role("navigation", name="Console", exact=True)
    nav.get_by_role("link", name=section, exact=True).click()
    page.wait_for_url(re.compile(rf"/admin/{path}$"))


def saved(page, text: str) -> None:
    """The page says (in a success message) that the save went through."""
    expect(page.locator(".alert-success", has_text=text)).to_be_visible()


def sign_in_admin(live_server, page, tag: str) -> None:
    """A provisioned admin of this test's own signs in at /login and, having no second factor
    yet, sets one up there (the site's rule for admins), as test_second_factor does."""
    email = f"ops-{tag}@provider.test"
    spec = live_server.tmp / f"onboarding-{tag}.yaml"
    spec.write_text(f"admins:\n  - {{email: {email}, name: Olga {tag}, password: {PASSWORD}}}\n")
    live_server.flask("provision", str(spec))
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/login/second-factor/enrol$"))
    page.get_by_text("Cannot scan it? Type this key instead").click()
    key = page.locator("[data-totp-key]").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on the second factor").click()
    page.get_by_role("link", name="I have saved them, continue").click()
    page.wait_for_url(re.compile(r"/supervisor/"))
    page.get_by_role("link", name="Console", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/people"))


def test_an_operations_manager_onboards_a_client_whose_first_ticket_reaches_its_agent(
    live_server, sign_in
):
    base, tag = live_server.url, uuid.uuid4().hex[:6]
    calendar_name = f"Berlin office {tag}"
    client_name, slug = f"Brot & Co {tag}", f"brot-{tag}"
    site_name, site_slug = f"Leipzig {tag}", f"leipzig-{tag}"
    agent_name, agent_email = f"Jonas {tag}", f"jonas-{tag}@provider.test"
    holiday = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=1)).date().isoformat()

    admin = sign_in(None)
    sign_in_admin(live_server, admin, tag)

    # A calendar: office hours on weekdays, a Saturday night shift, tomorrow a holiday.
    console(admin, "Calendars", "calendars")
    admin.get_by_role("link", name="New calendar").first.click()
    admin.wait_for_url(re.compile(r"/admin/calendars/new$"))
    admin.get_by_label("Name", exact=True).fill(calendar_name)
    admin.get_by_label("Time zone").select_option(ZONE)
    for day, hours in HOURS.items():
        admin.get_by_label(DAY_NAMES[day], exact=True).fill(hours)
    admin.get_by_label("Closed all day on these dates").fill(holiday)
    admin.get_by_role("button", name="Add calendar").click()
    admin.wait_for_url(re.compile(r"/admin/calendars/Berlin"))
    saved(admin, f"{calendar_name} is saved")
    expect(admin.get_by_label("Saturday", exact=True)).to_have_value("22:00-02:00")
    expect(admin.get_by_label("Closed all day on these dates")).to_have_value(holiday)

    # The client, German-speaking, with SLA targets on that calendar; the preview follows.
    console(admin, "Clients", "clients")
    admin.get_by_role("link", name="New client").first.click()
    admin.wait_for_url(re.compile(r"/admin/clients/new$"))
    admin.get_by_label("Name", exact=True).fill(client_name)
    admin.get_by_label("Slug", exact=True).fill(slug)
    admin.get_by_label("Time zone").select_option(ZONE)
    admin.get_by_label("Default language").select_option("de")
    asked = datetime.now(UTC)
    for priority, minutes in (("High", HIGH), ("Urgent", URGENT)):
        for metric, value in minutes.items():
            name = f"{METRIC_NAMES[metric]} for {priority}, in minutes"
            admin.get_by_label(name, exact=True).fill(str(value))
    # The calendar last: a preview that names it was asked for with every field filled in.
    admin.get_by_label("Calendar for High", exact=True).select_option(calendar_name)
    preview = admin.locator("[data-due-preview-body]")
    high = preview.locator(".due-item[data-priority=high]")
    expect(high).to_contain_text(f"on {calendar_name}")
    expect(high.locator("time")).to_have_count(3)
    expect(preview.locator(".due-item[data-priority=urgent]")).to_contain_text("around the clock")
    answered = datetime.now(UTC)
    calendar = BusinessCalendar.from_spec(ZONE, {d: [h] for d, h in HOURS.items() if h}, [holiday])
    shown = datetime.fromisoformat(high.locator("time").first.get_attribute("datetime"))
    lowest, highest = (calendar.due(at, HIGH["first_response"]) for at in (asked, answered))
    assert lowest <= shown <= highest, (shown, lowest, highest)
    admin.get_by_role("button", name="Add client").click()
    admin.wait_for_url(re.compile(rf"/admin/clients/{slug}$"))
    saved(admin, f"{client_name} is saved")
    expect(admin.get_by_label("Calendar for High", exact=True)).to_have_value(calendar_name)
    expect(preview.locator(".due-item[data-priority=high]")).to_contain_text(f"on {calendar_name}")

    # A site on shift around the clock, every day.
    console(admin, "Sites and shifts", "sites")
    admin.get_by_role("link", name="New site").first.click()
    admin.wait_for_url(re.compile(r"/admin/sites/new$"))
    admin.get_by_label("Name", exact=True).fill(site_name)
    admin.get_by_label("Slug", exact=True).fill(site_slug)
    admin.get_by_label("Time zone").fill("UTC")
    for day in DAY_NAMES.values():
        admin.get_by_label(day, exact=True).fill("00:00-24:00")
    admin.get_by_role("button", name="Create site").click()
    admin.wait_for_url(re.compile(rf"/admin/sites/{site_slug}$"))
    saved(admin, f"Site {site_name} is created")

    # An agent of that site for that client, speaking German; invited by mail.
    console(admin, "Agents", "agents")
    admin.get_by_role("link", name="New agent").click()
    admin.wait_for_url(re.compile(r"/admin/agents/new$"))
    admin.get_by_label("Name", exact=True).fill(agent_name)
    admin.get_by_label("E-mail", exact=True).fill(agent_email)
    admin.get_by_label("Site", exact=True).select_option(site_slug)
    admin.get_by_label("Capacity").fill("10")
    admin.get_by_label("Languages").fill("de")
    admin.get_by_role("checkbox", name=client_name, exact=True).check()
    admin.get_by_role("button", name="Create agent").click()
    admin.wait_for_url(re.compile(r"/admin/agents/\d+$"))
    saved(admin, f"{agent_name} is an agent now")

    # The agent follows the invitation's link, chooses a password and goes online.
    agent = sign_in(None)
    agent.goto(live_server.mailed_link(agent_email, "invite"))
    agent.get_by_label("New password", exact=True).fill("a long enough password 42")
    agent.get_by_label("Repeat the new password").fill("a long enough password 42")
    agent.get_by_role("button", name="Set password and sign in").click()
    agent.wait_for_url(re.compile(r"/agent/(\?.*)?$"))
    expect(agent.locator(".account-name")).to_have_text(agent_name)
    online = agent.get_by_role("button", name="Online", exact=True)
    expect(online).to_have_attribute("aria-pressed", "false")  # a new agent starts offline
    online.click()
    expect(agent.locator(".alert-success", has_text="You are online.")).to_be_visible()
    expect(agent.get_by_role("button", name="Online", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    # An intake token for the client's integration, read off the page that shows it once.
    console(admin, "Intake tokens", "intake-tokens")
    admin.get_by_label("Client", exact=True).select_option(slug)  # the filter applies itself
    admin.wait_for_url(re.compile(rf"/admin/intake-tokens\?client={slug}$"))
    expect(admin.locator("h1")).to_have_text(f"Intake tokens of {client_name}")
    admin.get_by_label("Name of the integration").fill("Shop system")
    admin.get_by_role("button", name="Issue token").click()
    admin.wait_for_url(re.compile(rf"/admin/intake-tokens/{slug}/issue$"))
    secret = admin.get_by_label("New token").input_value()
    assert len(secret) >= 20, secret
    expect(admin.locator("tr[data-token-id]")).to_contain_text("Shop system")

    # The client's first ticket, filed as its integration would.
    subject = f"Die Kasse druckt nicht ({tag})"
    answer = requests.post(
        f"{base}/api/v1/tickets",
        headers={"Authorization": f"Bearer {secret}"},
        json={
            "subject": subject,
            "body": "Seit heute Morgen kommt kein Bon mehr.",
            "priority": "high",
            "requester": {"email": f"kunde-{tag}@brot.test", "name": "Kunde"},
        },
        timeout=WAIT,
    )
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    assert ticket["client"] == slug and ticket["locale"] == "de"
    assert ticket["assignee"]["name"] == agent_name, ticket["routing"]
    assert ticket["assignee"]["site"] == ticket["routing"]["site"] == site_slug
    clocks = {clock["metric"]: clock for clock in ticket["sla"]}
    assert set(clocks) == {"first_response", "resolution"}, ticket["sla"]
    for metric, clock in clocks.items():
        assert clock["state"] == "active" and clock["target_minutes"] == HIGH[metric]
        started = datetime.fromisoformat(clock["started_at"])
        due = datetime.fromisoformat(clock["due_at"])
        assert due == calendar.due(started, HIGH[metric]), (metric, clock)

    # The agent finds it in their queue.
    agent.goto(f"{base}/agent/?view=mine")
    row = agent.locator(f"tr[data-ticket-id='{ticket['id']}']")
    expect(row).to_contain_text(subject)
    expect(row).to_contain_text(ticket["reference"])
