"""Security headers on every response; templates and scripts fit the Content-Security-Policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, make_response

from helpdesk import security
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "helpdesk" / "templates"
SCRIPTS = ROOT / "helpdesk" / "static" / "js"


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


def assert_hardened(response) -> None:
    csp = directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert set(csp["connect-src"].split()) == {"'self'", "ws:", "wss:"}
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_an_html_page_carries_every_security_header(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_hardened(response)


def test_an_api_response_and_an_api_error_carry_them_too(client):
    assert_hardened(client.get("/api/v1/openapi.json"))
    assert_hardened(client.get("/api/v1/tickets"))  # 401


def test_a_static_file_and_a_404_carry_them_too(client):
    with client.get("/static/css/app.css") as static:
        assert static.status_code == 200
        assert_hardened(static)
    assert_hardened(client.get("/no/such/page"))


def test_pages_of_a_signed_in_agent_carry_them(client, factory):
    acme = factory.client("acme")
    agent = factory.agent([acme])
    login(client, agent)
    assert_hardened(client.get("/agent/queue"))


def test_hsts_is_sent_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://helpdesk.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def _template_files():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", _template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_handlers_or_style_attributes(path):
    html = path.read_text(encoding="utf-8")
    for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
        attributes, body = match.groups()
        assert "src=" in attributes, f"inline script in {path.name}"
        assert not body.strip(), f"script with a body in {path.name}"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.I), f"on* handler in {path.name}"
    # Mail is not served under the CSP, and mail programs keep only inline styles: a mail's
    # HTML part may carry style attributes (never scripts or handlers).
    if path.parent.name != "mail":
        assert not re.search(r"<[a-z][^>]*\sstyle\s*=", html, re.I), f"style in {path.name}"
    assert "javascript:" not in html.lower(), f"javascript: URL in {path.name}"


def test_no_script_evaluates_strings_or_writes_style_attributes():
    for path in SCRIPTS.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\s*\(|new\s+Function\s*\(", source), path.name
        assert not re.search(r"setAttribute\(\s*['\"]style['\"]", source), path.name
        assert not re.search(r"setTimeout\(\s*['\"]", source), path.name


def small_app(**config) -> Flask:
    """A bare app with only the security module: the settings act alone."""
    app = Flask(__name__)
    app.config.update(config)
    security.init_app(app)

    @app.get("/set")
    def set_cookies():
        response = make_response("ok")
        response.set_cookie("hd_locale", "fr", samesite="Lax")
        response.set_cookie("other", "1", secure=True)
        return response

    @app.get("/where")
    def where():
        from flask import request

        return f"{request.scheme} {request.remote_addr} {request.host}"

    return app


def test_with_https_configured_every_cookie_is_secure_and_urls_are_https():
    app = small_app(HELPDESK_HTTPS=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    cookies = app.test_client().get("/set").headers.getlist("Set-Cookie")
    locale = next(c for c in cookies if c.startswith("hd_locale="))
    assert "Secure" in locale and "SameSite=Lax" in locale
    other = next(c for c in cookies if c.startswith("other="))
    assert other.count("Secure") == 1


def test_without_https_configured_cookies_are_left_alone():
    cookies = small_app().test_client().get("/set").headers.getlist("Set-Cookie")
    assert not any("Secure" in c for c in cookies if c.startswith("hd_locale="))


def test_behind_a_trusted_proxy_the_forwarded_scheme_and_address_count():
    app = small_app(TRUSTED_PROXIES=1)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    response = app.test_client().get("/where", headers=headers)
    assert response.get_data(as_text=True).startswith("https 203.0.113.7")
    assert "Strict-Transport-Security" in response.headers


def test_without_a_trusted_proxy_forwarded_headers_are_ignored():
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    response = small_app().test_client().get("/where", headers=headers)
    assert response.get_data(as_text=True).startswith("http 127.0.0.1")
    assert "Strict-Transport-Security" not in response.headers


def test_cookies_set_over_https_are_secure_even_without_the_setting(client):
    response = client.post("/language", data={"locale": "fr"}, base_url="https://helpdesk.example")
    locale = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("hd_locale="))
    assert "Secure" in locale


def test_with_https_configured_cookies_set_over_plain_http_are_secure(client, monkeypatch):
    # TLS ends at a proxy that does not say so (no ProxyFix): the setting alone decides.
    monkeypatch.setitem(client.application.config, "HELPDESK_HTTPS", True)
    response = client.post("/language", data={"locale": "fr"})
    locale = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("hd_locale="))
    assert "Secure" in locale


def test_the_session_cookie_is_http_only_and_same_site(client, factory):
    acme = factory.client("acme")
    response = login(client, factory.supervisor(acme))
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in development: a Secure cookie would be lost


def test_pages_and_api_answers_are_never_stored_by_caches(client, factory):
    from tests.conftest import api_token, login

    agent = factory.agent([factory.client("acme")])
    token = client.post("/api/v1/auth/token", json={"email": agent.email, "password": "pw"})
    assert token.headers["Cache-Control"] == "no-store"  # the token itself
    headers = api_token(client, agent)
    assert client.get("/api/v1/tickets", headers=headers).headers["Cache-Control"] == "no-store"
    login(client, agent)
    assert client.get("/agent/").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"  # carries a CSRF token
    static = client.get("/static/css/app.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")
