"""Socket.IO test clients signed in as customers, agents or by token."""

import pytest
from flask import g, has_app_context

from helpdesk.extensions import socketio
from tests.conftest import api_token, login


@pytest.fixture
def connect(app):
    """connect(user) -> a Socket.IO test client for that user (session cookie, or token=True)."""
    opened = []

    def open_as(user=None, *, token=False, auth=None):
        http = app.test_client()
        if user is not None and token:
            auth = {"token": api_token(http, user)["Authorization"].split()[1]}
        elif user is not None:
            login(http, user)
        if has_app_context():
            g.pop("_login_user", None)  # see tests/conftest.py: the app context is shared
        sock = socketio.test_client(app, flask_test_client=http, auth=auth)
        opened.append(sock)
        return sock

    yield open_as
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def events(sock, name):
    """The payloads of `name` events this client received since the last call.

    The test client keeps the args of an event named "message" unwrapped (it is also
    the name `send()` uses), and of every other event as a list.
    """
    return [
        e["args"][0] if isinstance(e["args"], list) else e["args"]
        for e in sock.get_received()
        if e["name"] == name
    ]
