"""A second factor in Chromium: a supervisor sets one up on /settings/security (reading the text
key off the page, as someone would type it into an app), signs out, and signs in with a code;
an admin without one sets it up at sign-in, as the site's rule requires."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def provision(live_server, section: str) -> str:
    """A person of their own for this test (the shared server's people stay as they were)."""
    tag = uuid.uuid4().hex[:6]
    spec = live_server.tmp / f"second-factor-{tag}.yaml"
    spec.write_text(section.format(tag=tag, password=PASSWORD))
    live_server.flask("provision", str(spec))
    return tag


def next_code(key: str) -> str:
    """A code the server has not seen: the next step's (one step of skew is allowed), since
    the code that turned the factor on may be the current step's."""
    return pyotp.TOTP(key).at(time.time() + 30)


def sign_in_form(page, base: str, email: str):
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def read_key(page) -> str:
    page.get_by_text("Cannot scan it? Type this key instead").click()
    key = page.locator("[data-totp-key]").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", key), key
    expect(page.locator("svg.qr-code")).to_be_visible()
    return key


def test_a_supervisor_enrols_on_the_security_page_then_signs_in_with_a_code(live_server, sign_in):
    tag = provision(
        live_server,
        "supervisors:\n  - {{email: tess-{tag}@acme.test, name: Tess, password: {password}, "
        "client: acme, timezone: UTC}}\n",
    )
    email, base = f"tess-{tag}@acme.test", live_server.url
    page = sign_in(None)
    sign_in_form(page, base, email)
    page.wait_for_url(re.compile(r"/supervisor/"))

    page.goto(f"{base}/settings")
    page.get_by_role("link", name="Security: second factor and recovery codes").click()
    page.wait_for_url(re.compile(r"/settings/security$"))
    page.get_by_role("link", name="Set up a second factor").click()
    expect(page.get_by_label("Code from the app")).to_be_focused()
    key = read_key(page)
    page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on the second factor").click()

    expect(page.locator("h1")).to_have_text("Your recovery codes")
    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.locator("main")).to_contain_text("On since")

    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/login"))
    sign_in_form(page, base, email)
    page.wait_for_url(re.compile(r"/login/second-factor$"))
    code = page.get_by_label("Code", exact=True)
    expect(code).to_be_focused()
    code.fill(next_code(key))
    page.get_by_label(re.compile("Remember this device")).check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/supervisor/"))

    # This browser is remembered now: the password alone signs in here.
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/login"))
    sign_in_form(page, base, email)
    page.wait_for_url(re.compile(r"/supervisor/"))


def test_an_admin_without_a_factor_sets_one_up_at_sign_in(live_server, sign_in):
    tag = provision(
        live_server,
        "admins:\n  - {{email: root-{tag}@provider.test, name: Root, password: {password}}}\n",
    )
    base = live_server.url
    page = sign_in(None)
    sign_in_form(page, base, f"root-{tag}@provider.test")
    page.wait_for_url(re.compile(r"/login/second-factor/enrol$"))
    expect(page.locator("h1")).to_have_text("Set up a second factor")

    key = read_key(page)
    page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on the second factor").click()

    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them, continue").click()
    page.wait_for_url(re.compile(r"/supervisor/"))
    expect(page.locator(".account-name")).to_have_text("Root")
