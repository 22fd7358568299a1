"""Socket.IO connections from another site's page are refused (cross-site WebSocket hijacking);
the app's own pages, PUBLIC_URL, listed origins and programs without an Origin are let in."""

from __future__ import annotations

from helpdesk.security import socket_origins

OWN = {"wsgi.url_scheme": "http", "HTTP_HOST": "127.0.0.1:5000"}
CONFIG = {
    "PUBLIC_URL": "https://help.example.com/desk",
    "SOCKETIO_ALLOWED_ORIGINS": "https://widget.example.com  https://Other.Example.com/",
}


def test_a_page_of_another_site_may_not_open_a_socket():
    allowed = socket_origins(CONFIG)
    assert not allowed("https://evil.test", OWN)
    assert not allowed("http://127.0.0.1:5001", OWN)  # another port is another origin
    assert not allowed("https://help.example.com.evil.test", OWN)


def test_the_apps_own_origins_may():
    allowed = socket_origins(CONFIG)
    assert allowed("http://127.0.0.1:5000", OWN)  # where the request came to
    assert allowed("https://help.example.com", OWN)  # PUBLIC_URL
    assert allowed("https://widget.example.com", OWN)  # listed
    assert allowed("https://other.example.com", OWN)  # listed, compared case-blind


def test_programs_without_an_origin_authenticate_with_a_token_instead():
    assert socket_origins(CONFIG)(None, OWN)


def test_the_engine_io_handshake_from_a_foreign_origin_is_refused(app, client):
    own = client.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": "http://localhost"})
    foreign = client.get(
        "/socket.io/?EIO=4&transport=polling", headers={"Origin": "https://evil.test"}
    )
    assert own.status_code == 200
    assert foreign.status_code == 400
