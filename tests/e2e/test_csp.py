"""Every page of every role works under the Content-Security-Policy: Chromium reports no
violation while the pages load, run their scripts and connect their sockets."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

SETTLE_MS = 600  # modules load and sockets connect after "load"


def watch(page) -> list[str]:
    """Collect Chromium's CSP reports from the page's console."""
    seen: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            seen.append(message.text)

    page.on("console", on_console)
    return seen


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    page.wait_for_timeout(SETTLE_MS)


@pytest.fixture(scope="module")
def ticket(live_server) -> dict:
    return live_server.file_ticket(f"CSP walk {uuid.uuid4().hex[:6]}")


def test_anonymous_pages_raise_no_violation(live_server, sign_in):
    page = sign_in(None)
    seen = watch(page)
    for path in ("/login", "/c/acme/", "/c/acme/login", "/c/acme/register"):
        visit(page, live_server.url + path)
    assert seen == []


def test_the_customers_pages_raise_no_violation(live_server, sign_in, ticket):
    page = sign_in("kei")
    seen = watch(page)
    for path in (
        "/c/acme/tickets",
        "/c/acme/tickets/new",
        f"/c/acme/tickets/{ticket['id']}",
        "/c/acme/chat",
        "/c/acme/settings",
    ):
        visit(page, live_server.url + path)
    assert seen == []


def test_the_agents_pages_raise_no_violation(live_server, sign_in, ticket):
    page = sign_in("ana")
    seen = watch(page)
    for path in (
        "/agent/",
        "/agent/coverage",
        f"/agent/tickets/{ticket['id']}",
        f"/agent/tickets/{ticket['id']}/sla",
    ):
        visit(page, live_server.url + path)
    assert seen == []


def test_the_supervisors_pages_raise_no_violation(live_server, sign_in, ticket):
    page = sign_in("sam")
    seen = watch(page)
    for path in (
        "/supervisor/",
        "/supervisor/tickets",
        "/supervisor/coverage",
        f"/supervisor/tickets/{ticket['id']}",
        f"/supervisor/tickets/{ticket['id']}/sla",
        "/supervisor/audit",
        "/settings",
    ):
        visit(page, live_server.url + path)
    assert seen == []


def test_the_watch_catches_an_inline_script_and_a_style_attribute(live_server, sign_in):
    page = sign_in(None)
    seen = watch(page)
    visit(page, live_server.url + "/login")
    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.__ran = true';
            document.body.append(s);
            const d = document.createElement('div');
            d.innerHTML = '<p style="color: red">x</p>';
            document.body.append(d);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__ran") is None
    assert any("script-src" in text for text in seen)
    assert any("style-src" in text for text in seen)
