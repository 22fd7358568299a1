"""Cross-site scripting: a corpus of payloads in ticket subjects and bodies, chat lines, user
names, client names and e-mail HTML bodies never runs, on portal, agent and supervisor pages.

In process (no browser): the rendered HTML holds every payload escaped, never raw.
In Chromium (marker browser): no dialog opens, no payload sets window.__xss, no injected element
(id starting "xss") or javascript: link exists, and live chat shows the payloads as text.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from markupsafe import escape

from helpdesk.domain.text import without_bidi_controls
from helpdesk.services.tickets import add_message
from tests.conftest import login
from tests.e2e.conftest import ROOT

# Each payload, if it ran, would set window.__xss, open a dialog or leave an element "#xss-...".
PAYLOADS = {
    "script": "<script>window.__xss='script'</script>",
    "img": "<img id=xss-img src=x onerror=\"window.__xss='img'\">",
    "svg": "<svg id=xss-svg onload=\"window.__xss='svg'\"></svg>",
    "attr": "\"><img id=xss-attr src=x onerror=alert('attr')>",
    "single": "'><svg id=xss-single onload=alert('single')>",
    "js_url": "<a id=xss-link href=\"javascript:window.__xss='link'\">click me</a>",
    "bare_js_url": "javascript:alert('bare')",
    "template": "{{7*7}} ${7*7} #{7*7} {{constructor.constructor('alert(1)')()}}",
    "textarea": "</textarea><script>window.__xss='textarea'</script>",
    "title": "</title><script>window.__xss='title'</script>",
    "rtl": "invoice\u202egpj.exe\u202c and \u2067rtl\u2069",
}
RAW_MARKERS = ("<script>window.__xss", "<img id=xss", "<svg id=xss", "<a id=xss", "</textarea><")


def assert_escaped(html: str, payload: str, where: str) -> None:
    """The payload is in the page as escaped text, and no raw HTML of any payload is."""
    assert str(escape(payload)) in html, f"{where}: payload {payload!r} not shown as text"
    raw = [marker for marker in RAW_MARKERS if marker in html]
    assert not raw, f"{where}: raw payload HTML {raw}"


# --- in process: the server's HTML -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_rendered_pages_escape_every_payload(name, app, factory):
    payload = PAYLOADS[name]
    client = factory.client("acme", name=f"Acme {payload}")
    customer = factory.customer(client, name=f"Kei {payload}")
    agent = factory.agent([client], name=f"Ana {payload}")
    supervisor = factory.supervisor(client)
    ticket = factory.ticket(client, customer, subject=f"S {payload}", body=f"B {payload}")
    add_message(factory.session, ticket=ticket, author=agent, body=f"R {payload}", now=factory.now)
    add_message(
        factory.session, ticket=ticket, author=customer, body=f"C {payload}", now=factory.now
    )

    pages = {
        None: [f"/c/{client.slug}/", f"/c/{client.slug}/login"],
        customer: [f"/c/{client.slug}/tickets", f"/c/{client.slug}/tickets/{ticket.id}"],
        agent: ["/agent/?view=all", f"/agent/tickets/{ticket.id}"],
        supervisor: [
            "/supervisor/",
            "/supervisor/tickets",
            f"/supervisor/tickets/{ticket.id}",
            f"/supervisor/tickets/{ticket.id}/sla",
        ],
    }
    for user, urls in pages.items():
        http = app.test_client()
        if user is not None:
            login(http, user)
        for url in urls:
            response = http.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert_escaped(html, f"Acme {payload}", url)
            if "tickets/" in url:  # subjects lose bidi overrides at input (domain/text)
                assert_escaped(html, f"S {without_bidi_controls(payload)}", url)
            if "tickets/" in url and not url.endswith("/sla"):
                for shown in (f"B {payload}", f"R {payload}", f"C {payload}"):
                    assert_escaped(html, shown, url)
            if url.startswith("/agent/tickets/"):
                assert_escaped(html, f"Kei {payload}", url)


# --- in Chromium ---------------------------------------------------------------------------

MAIL_HTML = (
    "<html><body><p>Hello from mail</p><script>window.__xss='mail'</script>"
    "<img id=xss-mail src=x onerror=\"alert('mail')\">"
    "<a id=xss-mail-link href=\"javascript:alert('mail link')\">open</a>"
    "<svg id=xss-mail-svg onload=\"window.__xss='mail svg'\"></svg></body></html>"
)
MAIL_SUBJECT = "Mail <img id=xss-mail-subject src=x onerror=alert('subject')>"
DELIVER = """
import sys
from helpdesk import create_app
from helpdesk.mail.gateway import Gateway
print(Gateway(create_app()).deliver(sys.stdin.buffer.read(), "eve@example.test", [sys.argv[1]]))
"""
XSS_PEOPLE = {
    "xavier": {"email": "xavier@provider.test", "login": "/login"},
    "xena": {"email": "xena@xss.test", "login": "/login"},
}


def _provision_xss_client(live_server, password: str) -> None:
    """A second client whose name is a payload, with its own agent, supervisor and mailbox."""
    name = json.dumps("Xss " + PAYLOADS["img"] + " " + PAYLOADS["script"])
    spec = live_server.tmp / "xss.yaml"
    spec.write_text(f"""
clients:
  - slug: xss
    name: {name}
    timezone: UTC
    default_locale: en
    inbound_email: help@xss.test
agents:
  - {{email: xavier@provider.test, name: Xavier, password: {password}, site: hub,
     languages: [en], clients: [xss], capacity: 100}}
supervisors:
  - {{email: xena@xss.test, name: Xena, password: {password}, client: xss, timezone: UTC}}
""")
    live_server.flask("provision", str(spec))


def _send_mail(live_server) -> str:
    raw = (
        "From: =?utf-8?q?Eve_=3Csvg_id=3Dxss-from_onload=3Dalert=281=29=3E?= <eve@example.test>\r\n"
        "To: help@xss.test\r\n"
        f"Subject: {MAIL_SUBJECT}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        f"{MAIL_HTML}\r\n"
    ).encode()
    done = subprocess.run(
        [sys.executable, "-c", DELIVER, "help@xss.test"],
        input=raw,
        cwd=ROOT,
        env=live_server.env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


@pytest.fixture(scope="module")
def xss_desk(live_server):
    """Payload tickets on acme (filed by the intake token, for Kei and for requesters whose
    names are payloads) and a payload client with a payload e-mail."""
    from tests.e2e import conftest

    saved = dict(conftest.PEOPLE)
    conftest.PEOPLE.update(XSS_PEOPLE)
    _provision_xss_client(live_server, conftest.PASSWORD)
    tickets = {}
    for name, payload in PAYLOADS.items():
        for who in ("kei", "named"):
            requester = {"email": conftest.PEOPLE["kei"]["email"]}
            if who == "named":
                requester = {"email": f"{name}-{uuid.uuid4().hex[:6]}@x.test", "name": payload}
            ticket = live_server.api(
                "POST",
                "/tickets",
                token=conftest.INTAKE_TOKEN,
                json={"subject": f"S {payload}", "body": f"B {payload}", "requester": requester},
            )
            tickets[(name, who)] = ticket["id"]
    assert _send_mail(live_server).startswith("250"), "the payload mail was not filed"
    mails = live_server.api("GET", "/tickets?client=xss", token=live_server.token("xavier"))
    assert mails["total"] == 1, mails
    yield {"tickets": tickets, "mail": mails["items"][0]["id"]}
    conftest.PEOPLE.clear()
    conftest.PEOPLE.update(saved)


class Watch:
    """Dialogs a page opened, and the checks that nothing of a payload ran or was injected."""

    def __init__(self, page):
        self.page, self.dialogs = page, []
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visit(self, url: str) -> str:
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        self.assert_inert(url)
        return self.page.inner_text("body")

    def assert_inert(self, where: str) -> None:
        page = self.page
        page.wait_for_timeout(50)  # onerror/onload handlers of broken images fire right away
        ran = page.evaluate("() => window.__xss === undefined ? null : String(window.__xss)")
        injected = page.eval_on_selector_all("[id^='xss']", "els => els.map(e => e.outerHTML)")
        links = page.eval_on_selector_all(
            "a[href^='javascript:' i], [onerror], [onload]", "els => els.map(e => e.outerHTML)"
        )
        assert ran is None, f"{where}: a payload ran ({ran})"
        assert not self.dialogs, f"{where}: dialogs opened {self.dialogs}"
        assert not injected, f"{where}: injected elements {injected}"
        assert not links, f"{where}: javascript: links or inline handlers {links}"


@pytest.mark.browser
def test_no_payload_runs_on_portal_agent_and_supervisor_pages(live_server, sign_in, xss_desk):
    base, tickets = live_server.url, xss_desk["tickets"]

    visitor = Watch(sign_in(None))
    for path in ("/c/xss/", "/c/xss/login", "/c/xss/register"):
        assert "Xss " + PAYLOADS["img"] in visitor.visit(base + path)

    kei = Watch(sign_in("kei"))
    listing = kei.visit(base + "/c/acme/tickets")
    ana = Watch(sign_in("ana"))
    queue = ana.visit(base + "/agent/?view=all")
    sam = Watch(sign_in("sam"))
    sam.visit(base + "/supervisor/")
    board = sam.visit(base + "/supervisor/tickets")
    for (name, who), ticket_id in tickets.items():
        subject = f"S {without_bidi_controls(PAYLOADS[name])}"  # no disguise stored
        assert subject in queue and subject in board
        if who == "kei":
            assert subject in listing
            assert f"B {PAYLOADS[name]}" in kei.visit(f"{base}/c/acme/tickets/{ticket_id}")
        page = ana.visit(f"{base}/agent/tickets/{ticket_id}")
        assert f"B {PAYLOADS[name]}" in page
        if who == "named":
            assert without_bidi_controls(PAYLOADS[name]) in page  # the requester's name
        assert subject in sam.visit(f"{base}/supervisor/tickets/{ticket_id}")

    xavier = Watch(sign_in("xavier"))
    xavier.visit(base + "/agent/?view=all")
    mail_page = xavier.visit(f"{base}/agent/tickets/{xss_desk['mail']}")
    assert "Hello from mail" in mail_page and MAIL_SUBJECT in mail_page
    xena = Watch(sign_in("xena"))
    xena.visit(base + "/supervisor/tickets")
    xena.visit(f"{base}/supervisor/tickets/{xss_desk['mail']}")


@pytest.mark.browser
def test_live_chat_shows_every_payload_as_text(live_server, sign_in, xss_desk):
    expect = pytest.importorskip("playwright.sync_api").expect
    ticket_id = xss_desk["tickets"][("script", "kei")]
    kei, ana = Watch(sign_in("kei")), Watch(sign_in("ana"))
    kei.visit(f"{live_server.url}/c/acme/tickets/{ticket_id}")
    ana.visit(f"{live_server.url}/agent/tickets/{ticket_id}")
    for watch in (kei, ana):
        expect(watch.page.locator("[data-live-status]")).to_have_attribute("data-state", "live")
    for name, payload in PAYLOADS.items():
        for author, line in ((kei, f"K {payload}"), (ana, f"A {payload}")):
            box = author.page.locator("form[data-live-composer] textarea[name=body]")
            box.fill(line)
            author.page.locator("form[data-live-composer] button[type=submit]").click()
            for watch in (kei, ana):
                shown = watch.page.locator("[data-message-id] .msg-body").filter(
                    has_text=line.strip()
                )
                expect(shown).to_have_count(1)
                assert shown.inner_text().strip() == line.strip(), name
                watch.assert_inert(f"live chat, {name}")


@pytest.mark.browser
def test_the_watch_notices_a_payload_that_runs(sign_in):
    """The detector above can fail: on a page where a payload does run, each check trips."""
    for markup, trips in (
        ("<img id=xss-img src=x onerror=\"window.__xss='img'\">", "a payload ran"),
        ("<img src=x onerror=\"alert('x')\">", "dialogs opened"),
        ("<b id=xss-b>b</b>", "injected elements"),
        ("<a href='javascript:void(0)'>a</a>", "javascript: links"),
    ):
        watch = Watch(sign_in(None))
        watch.page.set_content(markup)
        with pytest.raises(AssertionError, match=trips):
            watch.assert_inert("a page made to fail")
