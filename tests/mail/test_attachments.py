"""Attachments: stored safely, downloaded as files, visible exactly as far as the ticket is."""

from __future__ import annotations

import pytest

from helpdesk.services.attachments import add_attachment, safe_filename, sniff
from helpdesk.services.tickets import add_message
from tests.conftest import login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def files(app, desk, factory, now):
    """An acme ticket with a customer's file, the original mail and a file on an internal note."""
    kim = factory.customer(desk["acme"], name="Kim")
    ticket = factory.ticket(desk["acme"], kim, channel="email")
    root = app.config["ATTACHMENTS_DIR"]
    session = factory.session
    shot = add_attachment(
        session, root=root, ticket=ticket, message=None, filename="Übersicht 1.png", data=PNG
    )
    original = add_attachment(
        session,
        root=root,
        ticket=ticket,
        message=None,
        filename="original.eml",
        data=b"From: kim\r\n\r\nhi",
        content_type="message/rfc822",
        original=True,
    )
    note = add_message(
        session, ticket=ticket, author=desk["ana"], body="log", now=now, internal=True
    )
    log = add_attachment(
        session, root=root, ticket=ticket, message=note, filename="debug.txt", data=b"trace\n"
    )
    session.commit()
    return {"kim": kim, "ticket": ticket, "shot": shot, "original": original, "log": log}


def fetch(http, url):
    """GET a download and close it (a served file stays open until then)."""
    response = http.get(url)
    response.get_data()
    response.close()
    return response


def portal_url(ticket, attachment, slug="acme"):
    return f"/c/{slug}/tickets/{ticket.id}/attachments/{attachment.id}"


def test_the_customer_downloads_their_file_as_an_attachment_with_a_safe_name(client, files):
    login(client, files["kim"])
    response = fetch(client, portal_url(files["ticket"], files["shot"]))
    assert response.status_code == 200
    assert response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="Ubersicht 1.png"' in disposition  # ASCII fallback
    assert "filename*=UTF-8''%C3%9Cbersicht%201.png" in disposition  # RFC 5987


def test_the_customer_gets_no_original_mail_and_no_internal_note_files(client, files):
    login(client, files["kim"])
    for name in ("original", "log"):
        assert fetch(client, portal_url(files["ticket"], files[name])).status_code == 404


def test_another_customer_of_the_same_client_gets_404(client, desk, factory, files):
    login(client, factory.customer(desk["acme"]))
    assert fetch(client, portal_url(files["ticket"], files["shot"])).status_code == 404


def test_a_customer_of_another_client_gets_404_on_either_portal(client, desk, factory, files):
    stranger = factory.customer(desk["globex"])
    login(client, stranger)
    assert fetch(client, portal_url(files["ticket"], files["shot"], "globex")).status_code == 404
    response = fetch(client, portal_url(files["ticket"], files["shot"], "acme"))
    assert response.status_code in (302, 303)  # not signed in on acme's portal: sign in there
    assert "/c/acme/login" in response.headers["Location"]


def test_an_attachment_of_another_ticket_is_404_under_this_ticket(
    client, desk, factory, files, app
):
    other = factory.ticket(desk["acme"], files["kim"])
    login(client, files["kim"])
    assert fetch(client, portal_url(other, files["shot"])).status_code == 404
    assert fetch(client, f"/c/acme/tickets/{other.id}/attachments/99999").status_code == 404


def test_the_agent_serving_the_client_gets_every_file(client, desk, files):
    login(client, desk["ana"])
    for name in ("shot", "original", "log"):
        url = f"/agent/tickets/{files['ticket'].id}/attachments/{files[name].id}"
        response = fetch(client, url)
        assert response.status_code == 200, name
        assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "text/plain"


def test_an_agent_of_another_client_gets_404(client, desk, factory, files):
    login(client, factory.agent([desk["globex"]]))
    url = f"/agent/tickets/{files['ticket'].id}/attachments/{files['shot'].id}"
    assert fetch(client, url).status_code == 404


def test_supervisors_see_their_clients_files_but_not_internal_ones(client, desk, factory, files):
    login(client, factory.supervisor(desk["acme"]))
    base = f"/supervisor/tickets/{files['ticket'].id}/attachments"
    assert fetch(client, f"{base}/{files['shot'].id}").status_code == 200
    assert fetch(client, f"{base}/{files['original'].id}").status_code == 200
    assert fetch(client, f"{base}/{files['log'].id}").status_code == 404


def test_a_supervisor_of_another_client_gets_404(client, desk, factory, files):
    login(client, factory.supervisor(desk["globex"]))
    url = f"/supervisor/tickets/{files['ticket'].id}/attachments/{files['shot'].id}"
    assert fetch(client, url).status_code == 404


def test_customers_cannot_use_the_staff_addresses(client, files):
    login(client, files["kim"])
    url = f"/agent/tickets/{files['ticket'].id}/attachments/{files['shot'].id}"
    assert fetch(client, url).status_code in (302, 404)
    url = f"/supervisor/tickets/{files['ticket'].id}/attachments/{files['shot'].id}"
    assert fetch(client, url).status_code in (302, 404)


def test_the_ticket_pages_list_the_files_each_viewer_may_download(client, desk, factory, files):
    ticket = files["ticket"]
    login(client, files["kim"])
    page = client.get(f"/c/acme/tickets/{ticket.id}").get_data(as_text=True)
    assert "Übersicht 1.png" in page and portal_url(ticket, files["shot"]) in page
    assert "original.eml" not in page and "debug.txt" not in page
    client.post("/c/acme/logout")
    login(client, desk["ana"])
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert all(name in page for name in ("Übersicht 1.png", "original.eml", "debug.txt"))
    client.post("/logout")
    login(client, factory.supervisor(desk["acme"]))
    page = client.get(f"/supervisor/tickets/{ticket.id}").get_data(as_text=True)
    assert "original.eml" in page and "debug.txt" not in page


def test_a_missing_file_on_disk_is_404_not_500(client, desk, files, attachments_dir):
    for stored in attachments_dir.rglob("*"):
        if stored.is_file():
            stored.unlink()
    login(client, desk["ana"])
    url = f"/agent/tickets/{files['ticket'].id}/attachments/{files['shot'].id}"
    assert fetch(client, url).status_code == 404


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"GIF89a...", "image/gif"),
        (b"%PDF-1.7 ...", "application/pdf"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"PK\x03\x04zip", "application/zip"),
        (b"plain words\nand lines\n", "text/plain"),
        (b"<!DOCTYPE html><script>alert(1)</script>", "application/octet-stream"),
        (b"<svg onload=alert(1)>", "application/octet-stream"),
        (b"MZ\x90\x00 an exe", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_types_are_sniffed_from_the_bytes_for_a_small_allow_list(data, expected):
    assert sniff(data) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\kim\\report.pdf", "report.pdf"),
        (".htaccess", "htaccess"),
        ("a\x00b\r\nc.txt", "a_b__c.txt"),
        ('quo"te<>.png', "quo_te__.png"),
        ("", "attachment"),
        ("...", "attachment"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_file_names_are_made_safe(name, expected):
    assert safe_filename(name) == expected


def test_files_past_the_per_message_total_are_skipped_and_named(app, desk, factory):
    from helpdesk.services.attachments import Limits, attach_files

    ticket = factory.ticket(desk["acme"])
    kept, skipped = attach_files(
        factory.session,
        root=app.config["ATTACHMENTS_DIR"],
        ticket=ticket,
        message=None,
        files=[("a.txt", b"a" * 40), ("b.txt", b"b" * 40), ("c.txt", b"c" * 15)],
        limits=Limits(per_file=50, per_message=60),
    )
    factory.session.commit()
    assert [f.filename for f in kept] == ["a.txt", "c.txt"] and skipped == ["b.txt"]


def test_the_same_bytes_twice_are_stored_once(app, desk, factory, attachments_dir):
    ticket = factory.ticket(desk["acme"])
    for name in ("one.png", "two.png"):
        add_attachment(
            factory.session,
            root=app.config["ATTACHMENTS_DIR"],
            ticket=ticket,
            message=None,
            filename=name,
            data=PNG,
        )
    factory.session.commit()
    assert len([p for p in attachments_dir.rglob("*") if p.is_file()]) == 1
