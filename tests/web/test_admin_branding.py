"""A client's branding from the console (/admin/clients/<slug>/branding): an accent colour
that keeps white text readable and a logo image, shown on the client's portal and in the mails
its customers get; anything else is a form error and nothing is stored."""

from __future__ import annotations

import base64
import io

import pytest
from sqlalchemy import select

from helpdesk.models import AuditEvent, Client, OutboundMail
from helpdesk.notify import outbound
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAQH/3f6kUQAAAABJRU5ErkJggg=="
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def console(app, factory):
    http = app.test_client()
    login(http, factory.admin(name="Olga Operator"))
    return http


def save(console, slug="acme", accent="", logo=None, name="logo.png", **extra):
    data = {"accent_color": accent, **extra}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), name)
    return console.post(
        f"/admin/clients/{slug}/branding", data=data, content_type="multipart/form-data"
    )


def test_a_saved_brand_shows_on_the_portal(app, console, acme, db_session):
    answer = save(console, accent="#1D5FC4", logo=PNG)
    assert answer.status_code == 302
    db_session.expire_all()
    client = db_session.scalar(select(Client).where(Client.slug == "acme"))
    assert client.accent_color == "#1d5fc4" and client.logo_sha256

    page = app.test_client().get("/c/acme/login").get_data(as_text=True)
    assert f"/c/acme/logo?v={client.logo_sha256[:16]}" in page
    assert "/c/acme/brand.css?v=1d5fc4" in page
    logo = app.test_client().get(f"/c/acme/logo?v={client.logo_sha256[:16]}")
    assert logo.status_code == 200 and logo.data == PNG and logo.mimetype == "image/png"
    assert "immutable" in logo.headers["Cache-Control"]
    css = app.test_client().get("/c/acme/brand.css?v=1d5fc4").get_data(as_text=True)
    assert "--primary:#1d5fc4" in css


def test_a_branded_clients_mail_has_an_html_part_with_its_logo_and_colour(
    console, acme, kei, factory, db_session
):
    save(console, accent="#1d5fc4", logo=PNG)
    factory.ticket(acme, kei)
    db_session.expire_all()
    mail = db_session.scalar(select(OutboundMail).where(OutboundMail.kind == "ack"))
    message = outbound.render(db_session, mail)
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "#1d5fc4" in html and "/c/acme/logo?v=" in html
    assert "Acme Corp" in html and text.strip()


def test_an_unbranded_clients_mail_stays_plain_text(acme, kei, factory, db_session):
    factory.ticket(acme, kei)
    mail = db_session.scalar(select(OutboundMail).where(OutboundMail.kind == "ack"))
    message = outbound.render(db_session, mail)
    assert not message.is_multipart() and message.get_content_type() == "text/plain"


@pytest.mark.parametrize(
    ("accent", "logo", "name", "message"),
    [
        ("blue", None, None, "Use a colour written as #rrggbb"),
        ("#ffcc00", None, None, "Choose a darker colour."),
        ("", SVG, "logo.svg", "Use a PNG, JPEG, GIF or WebP image."),
        ("", b"\x89PNG\r\n\x1a\n" + b"0" * (257 * 1024), "big.png", "at most 256 KB"),
    ],
)
def test_a_refused_colour_or_logo_is_a_form_error_and_stores_nothing(
    console, acme, db_session, page_text, accent, logo, name, message
):
    answer = save(console, accent=accent, logo=logo, name=name or "logo.png")
    assert answer.status_code == 422
    assert message in page_text(answer)
    db_session.expire_all()
    client = db_session.scalar(select(Client).where(Client.slug == "acme"))
    assert client.accent_color is None and client.logo_sha256 is None


def test_every_change_is_audited_and_the_logo_can_be_removed(console, acme, db_session):
    save(console, accent="#1d5fc4", logo=PNG)
    save(console, accent="#1d5fc4", remove_logo="1")
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "client_branding").order_by(AuditEvent.id)
    ).all()
    assert [(e.data["before"]["accent_color"], e.data["after"]["logo_sha256"]) for e in events] == [
        (None, events[0].data["after"]["logo_sha256"]),
        ("#1d5fc4", None),
    ]
    assert events[0].data["after"]["logo_sha256"]


def test_without_a_logo_the_logo_address_is_404_and_the_css_is_empty(app, acme):
    assert app.test_client().get("/c/acme/logo").status_code == 404
    assert app.test_client().get("/c/acme/brand.css").get_data(as_text=True) == ""


@pytest.mark.parametrize("who", ["kei", "ana", "sam"])
def test_every_other_role_gets_404(app, request, acme, who):
    http = app.test_client()
    login(http, request.getfixturevalue(who))
    assert http.get("/admin/clients/acme/branding").status_code == 404
    assert save(http, accent="#1d5fc4").status_code == 404
