"""The Socket.IO contract: authentication, rooms, chat, typing, read receipts, presence, limits."""

import gc

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from helpdesk.models import Message, TicketRead
from tests.realtime.conftest import events


@pytest.fixture
def desk(factory):
    """acme with a customer's ticket and an agent serving acme; globex with its own people."""
    acme, globex = factory.client("acme"), factory.client("globex")
    kei = factory.customer(acme, name="Kei")
    ana = factory.agent([acme], name="Ana")
    ticket = factory.ticket(acme, kei)
    return {"acme": acme, "globex": globex, "kei": kei, "ana": ana, "ticket": ticket}


@pytest.fixture(params=[False, True], ids=["one per line", "group commit"])
def chat_writes(request, app, monkeypatch):
    """Chat lines stored one per transaction, or by the line writer (same answers)."""
    monkeypatch.setitem(app.config, "CHAT_GROUP_COMMIT", request.param)
    return request.param


def test_a_connection_without_credentials_is_refused(connect):
    assert not connect().is_connected()
    assert not connect(auth={"token": "nonsense"}).is_connected()


def test_a_session_cookie_or_a_token_authenticates(connect, desk):
    assert connect(desk["kei"]).is_connected()
    assert connect(desk["ana"], token=True).is_connected()


def test_joining_a_ticket_returns_its_public_thread(connect, desk, factory):
    from helpdesk.services.tickets import add_message

    t = desk["ticket"]
    add_message(
        factory.session, ticket=t, author=desk["ana"], body="note", internal=True, now=factory.now
    )
    add_message(factory.session, ticket=t, author=desk["ana"], body="hello", now=factory.now)
    kei, ana = connect(desk["kei"]), connect(desk["ana"])
    customer_view = kei.emit("join_ticket", {"ticket_id": t.id}, callback=True)
    agent_view = ana.emit("join_ticket", {"ticket_id": t.id}, callback=True)
    assert [m["body"] for m in customer_view["messages"]] == ["hello"]
    assert [m["body"] for m in agent_view["messages"]] == ["note", "hello"]
    first = agent_view["messages"][0]["id"]
    since = ana.emit("join_ticket", {"ticket_id": t.id, "since_id": first}, callback=True)
    assert [m["body"] for m in since["messages"]] == ["hello"]


def test_another_clients_people_cannot_join_or_write(connect, desk, factory, chat_writes):
    t = desk["ticket"]
    for outsider in (
        factory.customer(desk["globex"]),
        factory.agent([desk["globex"]]),
        factory.supervisor(desk["globex"]),
        factory.customer(desk["acme"]),
    ):
        sock = connect(outsider)
        assert sock.emit("join_ticket", {"ticket_id": t.id}, callback=True)["error"]["code"] == (
            "not_found"
        )
        ack = sock.emit(
            "send_message", {"ticket_id": t.id, "body": "hi", "client_msg_id": "x"}, callback=True
        )
        assert ack == {"ok": False, "error": {"code": "not_found", "message": "Not found."}}
        sock.emit("typing", {"ticket_id": t.id})
    assert factory.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_chat_line_is_stored_once_and_reaches_the_room(connect, desk, factory, chat_writes):
    t = desk["ticket"]
    kei, ana = connect(desk["kei"]), connect(desk["ana"])
    for sock in (kei, ana):
        sock.emit("join_ticket", {"ticket_id": t.id}, callback=True)
        sock.get_received()
    payload = {"ticket_id": t.id, "body": "Is anyone there?", "client_msg_id": "m-1"}
    first = kei.emit("send_message", payload, callback=True)
    again = kei.emit("send_message", payload, callback=True)
    assert first["ok"] and again["message"]["id"] == first["message"]["id"]
    heard = events(ana, "message")
    assert [(m["message"]["body"], m["message"]["client_msg_id"]) for m in heard] == [
        ("Is anyone there?", "m-1")
    ]
    factory.session.commit()  # the line writer commits in a session of its own
    stored = factory.session.scalars(select(Message)).all()
    assert [(m.body, m.channel) for m in stored] == [("Is anyone there?", "chat")]


def test_internal_notes_reach_agents_only(connect, desk, chat_writes):
    t = desk["ticket"]
    kei, ana = connect(desk["kei"]), connect(desk["ana"])
    colleague = connect(desk["ana"])
    for sock in (kei, ana, colleague):
        sock.emit("join_ticket", {"ticket_id": t.id}, callback=True)
        sock.get_received()
    ack = ana.emit(
        "send_message",
        {"ticket_id": t.id, "body": "VIP", "client_msg_id": "n1", "internal": True},
        callback=True,
    )
    assert ack["ok"] and ack["message"]["internal"]
    assert events(kei, "message") == []
    assert [m["message"]["body"] for m in events(colleague, "message")] == ["VIP"]
    refused = kei.emit(
        "send_message",
        {"ticket_id": t.id, "body": "x", "client_msg_id": "n2", "internal": True},
        callback=True,
    )
    assert refused["error"]["code"] == "forbidden"


def test_typing_reaches_the_others_but_not_the_typist(connect, desk):
    t = desk["ticket"]
    kei, ana = connect(desk["kei"]), connect(desk["ana"])
    for sock in (kei, ana):
        sock.emit("join_ticket", {"ticket_id": t.id}, callback=True)
        sock.get_received()
    kei.emit("typing", {"ticket_id": t.id})
    assert events(ana, "typing") == [
        {"ticket_id": t.id, "user": {"id": desk["kei"].id, "name": "Kei"}}
    ]
    assert events(kei, "typing") == []


def test_a_read_receipt_is_kept_and_announced(connect, desk, factory):
    t = desk["ticket"]
    kei, ana = connect(desk["kei"]), connect(desk["ana"])
    for sock in (kei, ana):
        sock.emit("join_ticket", {"ticket_id": t.id}, callback=True)
    sent = ana.emit(
        "send_message", {"ticket_id": t.id, "body": "Try now", "client_msg_id": "r1"}, callback=True
    )
    ana.get_received()
    ack = kei.emit("read", {"ticket_id": t.id, "message_id": sent["message"]["id"]}, callback=True)
    assert ack == {"ok": True}
    assert events(ana, "read")[0]["message_id"] == sent["message"]["id"]
    receipt = factory.session.get(TicketRead, (t.id, desk["kei"].id))
    assert receipt.message_id == sent["message"]["id"]
    bad = kei.emit("read", {"ticket_id": t.id, "message_id": 999999}, callback=True)
    assert bad["error"]["code"] == "not_found"


def test_a_flood_of_messages_is_slowed_down(connect, desk, chat_writes):
    t = desk["ticket"]
    kei = connect(desk["kei"])
    acks = [
        kei.emit(
            "send_message",
            {"ticket_id": t.id, "body": f"spam {i}", "client_msg_id": f"s{i}"},
            callback=True,
        )
        for i in range(25)
    ]
    refused = [a for a in acks if not a["ok"]]
    assert refused and refused[0]["error"]["code"] == "rate_limited"
    assert refused[0]["error"]["retry_after"] > 0


def test_an_oversized_or_malformed_message_gets_a_clear_error(connect, desk, chat_writes):
    t = desk["ticket"]
    kei = connect(desk["kei"])
    big = kei.emit(
        "send_message",
        {"ticket_id": t.id, "body": "x" * 20_001, "client_msg_id": "b"},
        callback=True,
    )
    assert big["error"]["code"] == "too_long"
    empty = kei.emit(
        "send_message", {"ticket_id": t.id, "body": "  ", "client_msg_id": "e"}, callback=True
    )
    assert empty["error"]["code"] == "validation_error"
    for junk in (None, "text", [], {"ticket_id": "1"}, {"ticket_id": 2**70}):
        assert kei.emit("send_message", junk, callback=True)["ok"] is False


def test_agents_set_their_status_and_colleagues_hear_it(connect, desk, factory):
    ana, colleague = connect(desk["ana"]), connect(factory.agent([desk["acme"]]))
    colleague.get_received()
    assert ana.emit("set_status", {"status": "online"}, callback=True) == {
        "ok": True,
        "status": "online",
    }
    assert events(colleague, "presence") == [
        {"agent": {"id": desk["ana"].id, "name": "Ana"}, "status": "online"}
    ]
    assert ana.emit("set_status", {"status": "busy"}, callback=True)["ok"] is False
    kei = connect(desk["kei"])
    assert kei.emit("set_status", {"status": "online"}, callback=True)["error"]["code"] == (
        "forbidden"
    )


def test_a_new_ticket_reaches_the_agents_queue_live(connect, desk, factory):
    ana = connect(desk["ana"])
    ana.get_received()
    ticket = factory.ticket(desk["acme"], subject="Printer")
    updates = events(ana, "ticket_updated")
    assert [u["ticket"]["id"] for u in updates] == [ticket.id]
    kei = connect(desk["kei"])
    factory.ticket(desk["acme"])
    assert events(kei, "ticket_updated") == []


def test_supervisors_hear_of_their_clients_tickets_only(connect, desk, factory):
    mine = connect(factory.supervisor(desk["acme"]))
    other = connect(factory.supervisor(desk["globex"]))
    for sock in (mine, other):
        sock.get_received()
    ticket = factory.ticket(desk["acme"])
    assert [u["ticket"]["id"] for u in events(mine, "ticket_updated")] == [ticket.id]
    assert events(other, "ticket_updated") == []


def test_queue_updates_reach_only_agents_serving_the_client(connect, desk, factory):
    outsider = connect(factory.agent([desk["globex"]]))
    everywhere = connect(factory.agent(serves_all_clients=True))
    admin = connect(factory.admin())
    for sock in (outsider, everywhere, admin):
        sock.get_received()
    ticket = factory.ticket(desk["acme"])
    assert events(outsider, "ticket_updated") == []
    for sock in (everywhere, admin):
        assert [u["ticket"]["id"] for u in events(sock, "ticket_updated")] == [ticket.id]


def test_socket_events_leave_no_routing_error_for_the_garbage_collector(connect, desk):
    """Each event runs in a request context for /socket.io/, which matches no route; the
    NotFound Flask keeps would tie that context into a reference cycle (GC pauses)."""
    t = desk["ticket"]
    kei = connect(desk["kei"])

    def lingering() -> int:
        return sum(isinstance(o, NotFound) for o in gc.get_objects())

    gc.collect()
    gc.disable()
    try:
        before = lingering()
        for _ in range(20):
            kei.emit("join_ticket", {"ticket_id": t.id}, callback=True)
        assert lingering() == before
    finally:
        gc.enable()


def test_the_chat_line_limit_is_a_setting(app, connect, desk, chat_writes):
    app.config["RATELIMIT_CHAT_LINES"] = "3 per minute"
    t = desk["ticket"]
    kei = connect(desk["kei"])
    acks = [
        kei.emit(
            "send_message",
            {"ticket_id": t.id, "body": f"line {i}", "client_msg_id": f"l{i}"},
            callback=True,
        )
        for i in range(5)
    ]
    assert [a["ok"] for a in acks] == [True, True, True, False, False]


def test_rate_limits_switched_off_let_a_flood_of_chat_lines_through(
    app, connect, desk, chat_writes
):
    app.config["RATELIMIT_ENABLED"] = False
    t = desk["ticket"]
    kei = connect(desk["kei"])
    acks = [
        kei.emit(
            "send_message",
            {"ticket_id": t.id, "body": f"burst {i}", "client_msg_id": f"b{i}"},
            callback=True,
        )
        for i in range(40)
    ]
    assert all(a["ok"] for a in acks)
