"""In a real browser: a customer and an agent chat live, the agent's queue fills without a
reload, and a dropped connection loses nothing and doubles nothing."""

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


def start_chat(page, base_url: str, text: str) -> int:
    """The customer starts a chat from the portal; returns the new ticket's id."""
    page.goto(base_url + "/c/acme/chat")
    page.get_by_label("How can we help?").fill(text)
    page.get_by_role("button", name="Start chat").click()
    page.wait_for_url(re.compile(r"/c/acme/tickets/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def bodies(page, text: str):
    """The thread entries whose body is exactly `text`."""
    return page.locator(".msg .msg-body", has_text=re.compile(rf"^{re.escape(text)}$"))


def test_a_customer_and_an_agent_chat_and_see_each_other_type(live_server, sign_in):
    kei, ana = sign_in("kei"), sign_in("ana")
    ticket_id = start_chat(kei, live_server.url, "My laptop will not start\nIt beeps three times.")
    live(kei)
    expect(kei.locator("[data-chat-with]")).to_contain_text("You are chatting with Ana.")
    ana.goto(f"{live_server.url}/agent/tickets/{ticket_id}")
    live(ana)

    reply = ana.locator("form[data-live-composer] textarea[name=body]")
    reply.press_sequentially("Hel")
    expect(kei.locator("[data-typing]")).to_have_text("Ana is typing…")
    reply.fill("Hello Kei, does the screen light up?")
    ana.get_by_role("button", name="Send reply").click()
    expect(bodies(kei, "Hello Kei, does the screen light up?")).to_have_count(1)
    expect(kei.locator("[data-typing]")).to_have_text("")

    line = kei.locator("form[data-live-composer] textarea[name=body]")
    line.press_sequentially("No")
    expect(ana.locator("[data-typing]")).to_have_text("Kei is typing…")
    line.fill("No, only the fan spins.")
    line.press("Enter")
    expect(bodies(ana, "No, only the fan spins.")).to_have_count(1)
    expect(bodies(kei, "No, only the fan spins.")).to_have_count(1)
    expect(line).to_have_value("")

    # The agent's page is visible, so the line is read at once and the customer sees it.
    expect(kei.locator(".msg-seen")).to_have_count(1)
    seen_under = kei.locator(".msg:has(.msg-seen) .msg-body")
    expect(seen_under).to_have_text("No, only the fan spins.")
    # Stored once each, as chat lines: a reload shows the same thread.
    kei.reload()
    expect(bodies(kei, "No, only the fan spins.")).to_have_count(1)
    expect(bodies(kei, "Hello Kei, does the screen light up?")).to_have_count(1)


def test_the_agents_queue_shows_a_new_ticket_without_reloading(live_server, sign_in):
    ana = live(sign_in("ana"))
    ana.goto(live_server.url + "/agent/?view=all")
    live(ana)
    ana.evaluate("window.stillTheSamePage = true")
    subject = f"Printer jams on page 2 ({uuid.uuid4().hex[:6]})"
    ticket = live_server.file_ticket(subject)

    expect(ana.locator("tr[data-ticket-id]", has_text=subject)).to_have_count(1)
    toast = ana.locator("[data-toasts] .toast", has_text=ticket["reference"])
    expect(toast).to_contain_text("is assigned to you")
    expect(toast.get_by_role("link", name="Open")).to_have_attribute(
        "href", f"/agent/tickets/{ticket['id']}"
    )
    assert ana.evaluate("window.stillTheSamePage") is True


def test_a_dropped_connection_gets_every_message_exactly_once(live_server, sign_in):
    kei, ana = sign_in("kei"), sign_in("ana")
    ticket_id = start_chat(kei, live_server.url, "The VPN drops every few minutes")
    live(kei)
    ana.goto(f"{live_server.url}/agent/tickets/{ticket_id}")
    live(ana)
    reply = ana.locator("form[data-live-composer] textarea[name=body]")

    def say(text: str) -> None:
        reply.fill(text)
        reply.press("Control+Enter")
        expect(ana.locator(f"[data-message-id] .msg-body:text-is('{text}')")).to_have_count(1)

    say("Before the drop")
    expect(bodies(kei, "Before the drop")).to_have_count(1)

    kei.context.set_offline(True)
    expect(kei.locator("[data-live-status]")).to_have_attribute("data-state", "reconnecting")
    expect(kei.locator("[data-live-status]")).to_contain_text("Reconnecting…")
    missed = [f"While you were away {n}" for n in (1, 2, 3)]
    for text in missed:
        say(text)
    expect(bodies(kei, missed[0])).to_have_count(0)

    kei.context.set_offline(False)
    live(kei)
    for text in ["Before the drop", *missed]:
        expect(bodies(kei, text)).to_have_count(1)
    # In the order they were sent, after the first line of the chat.
    shown = kei.locator(".msg .msg-body").all_inner_texts()
    assert shown[-4:] == ["Before the drop", *missed]

    line = kei.locator("form[data-live-composer] textarea[name=body]")
    line.fill("Back again")
    line.press("Enter")
    expect(bodies(ana, "Back again")).to_have_count(1)
    expect(bodies(kei, "Back again")).to_have_count(1)


def test_a_line_whose_answer_was_lost_is_sent_again_and_stored_once(live_server, sign_in):
    kei = sign_in("kei")
    text = "Is anyone there?"
    seen = {"connections": 0, "resent": 0}

    def route(ws):
        # Stand between the page and the server: on the first connection, lose the stored
        # line's broadcast and its answer, then drop the connection, as a flaky network does.
        seen["connections"] += 1
        first = seen["connections"] == 1
        server = ws.connect_to_server()

        def to_server(message):
            if not first and "send_message" in str(message):
                seen["resent"] += 1
            server.send(message)

        def to_page(message):
            message = str(message)
            if first and text in message and message.startswith('42["message"'):
                return
            if first and text in message and message.startswith("43"):
                ws.close()
                return
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    kei.route_web_socket(re.compile(r"/socket\.io/"), route)
    ticket_id = start_chat(kei, live_server.url, "Printer offline again")
    live(kei)
    line = kei.locator("form[data-live-composer] textarea[name=body]")
    line.fill(text)
    line.press("Enter")

    expect(kei.locator(f"[data-message-id] .msg-body:text-is('{text}')")).to_have_count(1)
    expect(bodies(kei, text)).to_have_count(1)
    assert seen["connections"] >= 2 and seen["resent"] == 1
    stored = live_server.api("GET", f"/tickets/{ticket_id}", token=live_server.token("ana"))
    assert [m["body"] for m in stored["messages"]].count(text) == 1


def test_the_supervisors_tiles_count_a_new_ticket_without_reloading(live_server, sign_in):
    sam = live(sign_in("sam"))
    open_now = int(sam.locator('[data-tile="open"]').inner_text())
    live_server.file_ticket(f"Badge reader broken ({uuid.uuid4().hex[:6]})")
    expect(sam.locator('[data-tile="open"]')).to_have_text(str(open_now + 1))


def test_a_breach_pops_up_for_the_supervisor_and_the_assignee(live_server, sign_in):
    if not live_server.queue:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379: a tick cannot push to browsers")
    ticket = live_server.file_ticket(f"Server room too hot ({uuid.uuid4().hex[:6]})")
    sam, ana = live(sign_in("sam")), live(sign_in("ana"))
    # Every running clock is overdue by then. Breaches are pushed in due order, so this
    # ticket's resolution breach comes last and its toast is among those kept on screen.
    live_server.tick(days=3)
    alert = sam.locator("[data-toasts] .toast-danger", has_text=ticket["reference"]).first
    expect(alert).to_contain_text("SLA breached")
    expect(alert.get_by_role("link", name="Open")).to_have_attribute(
        "href", f"/supervisor/tickets/{ticket['id']}"
    )
    expect(
        ana.locator("[data-toasts] .toast-danger", has_text=ticket["reference"])
    ).not_to_have_count(0)


def test_presence_set_elsewhere_shows_on_open_pages(live_server, sign_in):
    ana = live(sign_in("ana"))
    live_server.file_ticket(f"Monitor flickers ({uuid.uuid4().hex[:6]})")
    ana.goto(live_server.url + "/agent/?view=all")
    live(ana)
    token = live_server.token("ana")
    dots = ana.locator("[data-presence-of]")
    expect(dots.first).to_have_class(re.compile(r"\bpresence-online\b"))
    try:
        live_server.api("PUT", "/agents/me/status", token=token, json={"status": "away"})
        expect(ana.locator('[data-presence-switch] button[value="away"]')).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(dots.first).to_have_class(re.compile(r"\bpresence-away\b"))
        expect(dots.first.locator("[data-presence-label]")).to_have_text("Away")
    finally:
        live_server.api("PUT", "/agents/me/status", token=token, json={"status": "online"})
    expect(dots.first).to_have_class(re.compile(r"\bpresence-online\b"))


# A WebSocket that fails to open, as behind a proxy that refuses the upgrade.
NO_WEBSOCKET = """
window.WebSocket = class {
  constructor() {
    setTimeout(() => {
      if (this.onerror) this.onerror(new Event("error"));
      if (this.onclose) this.onclose({});
    }, 10);
  }
  close() {}
  send() {}
};
"""


def test_without_websockets_the_chat_falls_back_to_long_polling(live_server, sign_in):
    kei = sign_in("kei")
    kei.context.add_init_script(NO_WEBSOCKET)
    polled = []
    kei.on("request", lambda r: polled.append(r.url) if "transport=polling" in r.url else None)
    start_chat(kei, live_server.url, "Webcam not detected")
    live(kei)
    line = kei.locator("form[data-live-composer] textarea[name=body]")
    line.fill("Sent without a websocket")
    line.press("Enter")
    expect(
        kei.locator("[data-message-id] .msg-body:text-is('Sent without a websocket')")
    ).to_have_count(1)
    assert polled
