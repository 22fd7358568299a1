"""The main path of each role through the real UI in Chromium: a customer registers, files a
ticket and follows it; an agent works the queue (takes the ticket, replies, solves it); the
supervisor reads the dashboard, whose tiles and figures match what the API counts."""

from __future__ import annotations

import re
import uuid

import pytest

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def live(page):
    """Wait until the page's socket is connected (the header says "Live")."""
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "live")
    return page


def test_a_customer_registers_files_a_ticket_and_sees_the_agent_solve_it(live_server, sign_in):
    base, tag = live_server.url, uuid.uuid4().hex[:6]
    subject, question = (
        f"Cannot print invoices ({tag})",
        "The printer says 'paper jam' but it is empty.",
    )

    # The customer registers on the client's portal and files a ticket.
    customer = sign_in(None)
    customer.goto(f"{base}/c/acme/register")
    customer.fill("input[name=name]", f"Rina {tag}")
    customer.fill("input[name=email]", f"rina-{tag}@example.test")
    customer.fill("input[name=password]", "a long enough password 42")
    customer.get_by_role("button", name="Create account").click()
    customer.wait_for_url(re.compile(r"/c/acme/confirm$"))
    expect(customer.locator("h1")).to_contain_text("Check your inbox")
    # The mailed link, with the password chosen, confirms the address and signs in.
    customer.goto(live_server.mailed_link(f"rina-{tag}@example.test"))
    customer.fill("input[name=password]", "a long enough password 42")
    customer.get_by_role("button", name="Confirm and sign in").click()
    customer.wait_for_url(re.compile(r"/c/acme/tickets/new"))
    customer.fill("input[name=subject]", subject)
    customer.fill("textarea[name=body]", question)
    customer.get_by_role("button", name="Send ticket").click()
    customer.wait_for_url(re.compile(r"/c/acme/tickets/\d+$"))
    ticket_id = int(customer.url.rsplit("/", 1)[1])
    expect(customer.locator("h1")).to_contain_text(subject)
    customer.goto(f"{base}/c/acme/tickets")
    expect(customer.locator("body")).to_contain_text(subject)
    customer.goto(f"{base}/c/acme/tickets/{ticket_id}")
    live(customer)

    # The agent finds it in the queue, takes it, replies and solves it.
    agent = live(sign_in("ana"))
    agent.goto(f"{base}/agent/?view=all")
    row = agent.locator(f"tr[data-ticket-id='{ticket_id}']")
    expect(row).to_contain_text(subject)
    row.get_by_role("link", name=re.compile(re.escape(subject))).first.click()
    agent.wait_for_url(re.compile(rf"/agent/tickets/{ticket_id}$"))
    take = agent.locator("button[name=action][value=take]")
    if take.count():
        take.click()
        agent.wait_for_load_state("load")
    expect(agent.locator("body")).to_contain_text("Ana")
    answer = f"Please switch it off and on again ({tag})."
    live(agent)
    agent.fill("form[data-live-composer] textarea[name=body]", answer)
    agent.locator("form[data-live-composer] button[type=submit]").click()
    expect(agent.locator(".msg-body", has_text=answer)).to_have_count(1)
    # The customer sees the reply arrive live, without reloading.
    expect(customer.locator(".msg-body", has_text=answer)).to_have_count(1)

    agent.select_option("select[name=status]", "solved")
    agent.get_by_role("button", name="Save changes").click()
    agent.wait_for_load_state("load")
    expect(agent.locator("select[name=status]")).to_have_value("solved")

    # The customer follows the ticket: the reply is in the thread and the ticket is solved.
    customer.reload()
    expect(customer.locator(".msg-body", has_text=answer)).to_have_count(1)
    expect(customer.locator("body")).to_contain_text("Solved")
    ticket = live_server.api("GET", f"/tickets/{ticket_id}", token=live_server.token("ana"))
    assert ticket["status"] == "solved" and ticket["assignee"]["name"] == "Ana"
    assert [m["body"] for m in ticket["messages"]][-1] == answer


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_the_supervisor_reads_the_dashboard_and_its_numbers_match_the_api(live_server, sign_in):
    live_server.file_ticket(f"Dashboard check ({uuid.uuid4().hex[:6]})")
    token = live_server.token("sam")
    sam = live(sign_in("sam"))
    sam.goto(live_server.url + "/supervisor/")
    live(sam)

    still_open = sum(
        live_server.api("GET", f"/tickets?status={status}&per_page=1", token=token)["total"]
        for status in ("new", "open", "pending")
    )
    expect(sam.locator('[data-tile="open"]')).to_have_text(str(still_open))

    first = sam.locator("input[name=from]").input_value()
    last = sam.locator("input[name=to]").input_value()
    zone = sam.locator("select[name=tz]").input_value()
    figures = live_server.api(
        "GET", f"/metrics?client=acme&from={first}&to={last}&tz={zone}", token=token
    )
    tiles = {
        label: _number(
            sam.locator(".figure-tile", has_text=label).locator(".figure-value").inner_text()
        )
        for label in ("Tickets", "Solved", "SLA breaches", "Still open")
    }
    assert tiles["Tickets"] == figures["tickets"] > 0
    assert tiles["Solved"] == figures["solved"]
    assert tiles["SLA breaches"] == figures["breaches"]
    assert tiles["Still open"] == sum(figures["backlog"].values())
