"""In a real browser: the language switcher turns a page Arabic, and the layout mirrors."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

# The README's pictures are refreshed on request (SCREENSHOTS_DIR=docs/screenshots); a plain
# run writes them to a temporary folder so the working tree stays clean.
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "helpdesk-screenshots"
)


def switch_to(page, name: str) -> None:
    """Press the footer's button for a language named in itself."""
    page.locator(".language-switch").get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def test_the_portal_in_arabic_runs_right_to_left_with_the_brand_at_the_right_edge(
    live_server, chromium
):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/c/acme/")
        brand_ltr = page.locator(".site-header .brand").bounding_box()
        assert brand_ltr["x"] < 640

        switch_to(page, "العربية")
        html = page.locator("html")
        expect(html).to_have_attribute("lang", "ar")
        expect(html).to_have_attribute("dir", "rtl")
        expect(page.locator('.language-switch button[lang="ar"]')).to_have_attribute(
            "aria-pressed", "true"
        )
        brand = page.locator(".site-header .brand").bounding_box()
        width = page.viewport_size["width"]
        assert brand["x"] > width / 2, brand
        assert abs((brand["x"] + brand["width"]) - (width - brand_ltr["x"])) < 4
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "rtl-portal.png"), full_page=True)

        page.goto(live_server.url + "/c/acme/login")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.screenshot(path=str(SCREENSHOTS / "rtl-portal-login.png"))
    finally:
        context.close()


def test_a_supervisor_who_picks_arabic_gets_a_mirrored_dashboard_and_keeps_the_choice(sign_in):
    page = sign_in("sam")
    try:
        switch_to(page, "العربية")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        nav = page.locator(".main-nav").bounding_box()
        brand = page.locator(".site-header .brand").bounding_box()
        assert brand["x"] > nav["x"], "the brand starts the line at the right"
        page.screenshot(path=str(SCREENSHOTS / "rtl-dashboard.png"), full_page=True)
        page.reload()
        expect(page.locator("html")).to_have_attribute("lang", "ar")
    finally:
        switch_to(page, "English")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
