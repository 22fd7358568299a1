"""Every Socket.IO event registered on the server, sent about another client's ticket by every
principal of one client (session cookie and token): a refusal ack (or, for events without an ack
or without a ticket, nothing of the other client), no room joined, and no foreign data ever
emitted to the socket, even when the other client's people then chat on that ticket.
An event without a matrix entry fails."""

from __future__ import annotations

import json

import pytest

from helpdesk.extensions import socketio
from tests.isolation.conftest import MARKERS, leaked

REFUSED = "refused"  # ack {"ok": false, "error": {"code": "not_found"}}
NO_ACK = "no_ack"  # the event never answers (typing)
OWN = "own"  # the event concerns the caller only (their presence): any ack, no foreign data
CONNECTION = "connection"  # connect/disconnect: covered by the connection itself

# event -> (payload built from the foreign objects, expected answer)
SOCKET_MATRIX = {
    "connect": (None, CONNECTION),
    "disconnect": (None, CONNECTION),
    "join_ticket": (lambda f: {"ticket_id": f.ticket.id}, REFUSED),
    "leave_ticket": (lambda f: {"ticket_id": f.ticket.id}, OWN),  # leaving reveals nothing
    "send_message": (
        lambda f: {"ticket_id": f.ticket.id, "body": "x", "client_msg_id": "probe-1"},
        REFUSED,
    ),
    "typing": (lambda f: {"ticket_id": f.ticket.id}, NO_ACK),
    "read": (lambda f: {"ticket_id": f.ticket.id, "message_id": f.reply.id}, REFUSED),
    # A's message id under a ticket the caller may see: still A's message, still refused.
    "read:own_ticket": (
        lambda f: {"ticket_id": f.home_ticket_id, "message_id": f.reply.id},
        REFUSED,
    ),
    "set_status": (lambda f: {"status": "online"}, OWN),
    "activity": (lambda f: {}, OWN),  # "I am at work": about the caller only
}

SOCKET_PRINCIPALS = ("customer", "agent", "supervisor")


def registered_events() -> set[str]:
    return {event for handlers in socketio.server.handlers.values() for event in handlers}


def test_every_socket_event_has_a_matrix_entry(app):
    missing = sorted(registered_events() - {key.split(":")[0] for key in SOCKET_MATRIX})
    assert not missing, (
        f"Socket.IO events without an isolation matrix entry: {', '.join(missing)}. "
        "Add each to SOCKET_MATRIX in tests/isolation/test_socket_isolation.py."
    )
    gone = {key.split(":")[0] for key in SOCKET_MATRIX} - registered_events()
    assert not gone, f"the matrix names events that are gone: {sorted(gone)}"


@pytest.fixture
def sockets(app, world, browser_as, api_as):
    opened = []

    def open_as(principal: str, *, token: bool):
        if token:
            bearer = api_as(f"{principal}_token")["Authorization"].split()[1]
            sock = socketio.test_client(app, auth={"token": bearer})
        else:
            sock = socketio.test_client(app, flask_test_client=browser_as(principal))
        assert sock.is_connected()
        opened.append(sock)
        return sock

    yield open_as
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def test_an_anonymous_socket_is_refused(app):
    sock = socketio.test_client(app)
    assert not sock.is_connected()


@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
@pytest.mark.parametrize("principal", SOCKET_PRINCIPALS)
@pytest.mark.parametrize(
    "event", sorted(e for e, (_, kind) in SOCKET_MATRIX.items() if kind != CONNECTION)
)
def test_socket_events_about_another_clients_ticket_are_refused_and_show_nothing(
    event, principal, token, world, sockets, factory
):
    payload, kind = SOCKET_MATRIX[event]
    probe = sockets(principal, token=token)
    probe.get_received()  # what connecting sent (own presence, queues) is not under test here
    ack = probe.emit(event.split(":")[0], payload(world.foreign), callback=True)
    if kind == REFUSED:
        assert ack["ok"] is False and ack["error"]["code"] == "not_found", ack
    elif kind == NO_ACK:
        assert not ack, ack
    assert not leaked(json.dumps(ack)), ack

    # Client A's own people now chat, type, read and update the ticket: nothing reaches the probe.
    foreign = sockets("owner_agent", token=False)
    foreign.emit("join_ticket", {"ticket_id": world.foreign.ticket.id}, callback=True)
    foreign.emit(
        "send_message",
        {"ticket_id": world.foreign.ticket.id, "body": MARKERS["reply"], "client_msg_id": "a-1"},
        callback=True,
    )
    foreign.emit("typing", {"ticket_id": world.foreign.ticket.id})
    received = probe.get_received()
    assert not leaked(json.dumps(received, default=str)), received
    assert not [
        e for e in received if e["name"] in ("message", "typing", "read", "ticket_updated")
    ], received
    # The control: A's own agent did get the line, so the probe's silence is the isolation.
    assert any(e["name"] == "message" for e in foreign.get_received())
