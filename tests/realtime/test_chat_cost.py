"""Chat line checks stay exact while the socket reads user, ticket and prior line at once."""

import pytest
from sqlalchemy import event, func, select

from helpdesk.extensions import db
from helpdesk.models import Message
from helpdesk.services.tickets import add_message


@pytest.fixture
def desk(factory):
    """acme with Kei's ticket and Ana serving acme; globex with its own agent."""
    acme, globex = factory.client("acme"), factory.client("globex")
    kei = factory.customer(acme, name="Kei")
    ana = factory.agent([acme], name="Ana")
    return {
        "acme": acme,
        "globex": globex,
        "kei": kei,
        "ana": ana,
        "ticket": factory.ticket(acme, kei),
    }


def line(sock, ticket, msg_id, **extra):
    """Send a chat line and return the ack."""
    payload = {"ticket_id": ticket.id, "body": f"line {msg_id}", "client_msg_id": msg_id, **extra}
    return sock.emit("send_message", payload, callback=True)


def stored(factory):
    return factory.session.scalar(select(func.count()).select_from(Message))


def test_a_user_deactivated_after_connecting_can_no_longer_write(connect, desk, factory):
    kei = connect(desk["kei"])
    assert line(kei, desk["ticket"], "a")["ok"]
    desk["kei"].active = False
    factory.session.commit()
    assert line(kei, desk["ticket"], "b")["error"]["code"] == "not_found"
    assert stored(factory) == 1


def test_an_agent_taken_off_the_client_after_connecting_can_no_longer_write(connect, desk, factory):
    ana = connect(desk["ana"])
    assert line(ana, desk["ticket"], "a", internal=True)["ok"]
    desk["ana"].served_clients = [desk["globex"]]
    factory.session.commit()
    assert line(ana, desk["ticket"], "b")["error"]["code"] == "not_found"
    assert line(ana, desk["ticket"], "c", internal=True)["error"]["code"] == "not_found"
    assert stored(factory) == 1


def test_an_agent_given_every_client_after_connecting_may_write_at_once(connect, desk, factory):
    other = factory.agent([desk["globex"]])
    sock = connect(other)
    assert line(sock, desk["ticket"], "a")["error"]["code"] == "not_found"
    other.serves_all_clients = True
    factory.session.commit()
    ack = line(sock, desk["ticket"], "b", internal=True)
    assert ack["ok"] and ack["message"]["internal"]


def test_a_supervisor_of_the_client_may_not_write_in_a_customers_chat(connect, desk, factory):
    boss = connect(factory.supervisor(desk["acme"]))
    assert line(boss, desk["ticket"], "a")["error"]["code"] == "forbidden"
    assert line(boss, desk["ticket"], "b", internal=True)["error"]["code"] == "forbidden"
    assert stored(factory) == 0


def test_the_same_client_msg_id_from_another_author_is_a_new_message(connect, desk, factory):
    kei, ana = connect(desk["kei"]), connect(desk["ana"])
    first, second = line(kei, desk["ticket"], "same"), line(ana, desk["ticket"], "same")
    again = line(kei, desk["ticket"], "same")
    assert first["message"]["id"] != second["message"]["id"]
    assert again["message"]["id"] == first["message"]["id"]
    assert stored(factory) == 2


def test_a_chat_line_reads_user_ticket_and_prior_line_in_one_statement(connect, desk):
    kei, ana = connect(desk["kei"]), connect(desk["ana"])
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert line(kei, desk["ticket"], "a")["ok"] and line(ana, desk["ticket"], "b")["ok"]
        assert line(ana, desk["ticket"], "b")["ok"]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    selects = [s for s in seen if s.startswith("SELECT")]
    lookups = [s for s in selects if s.split(" FROM ")[1].split()[0] in ("users", "messages")]
    assert lookups == []
    assert sum(" FROM tickets JOIN users " in s for s in selects) == 3


def test_add_message_refuses_a_prior_message_that_is_not_this_authors(desk, factory):
    ticket = desk["ticket"]
    mine = add_message(
        factory.session,
        ticket=ticket,
        author=desk["kei"],
        body="hi",
        client_msg_id="x",
        now=factory.now,
    )
    with pytest.raises(ValueError, match="prior"):
        add_message(
            factory.session,
            ticket=ticket,
            author=desk["ana"],
            body="hi",
            client_msg_id="x",
            now=factory.now,
            prior=mine,
        )
    again = add_message(
        factory.session,
        ticket=ticket,
        author=desk["kei"],
        body="hi",
        client_msg_id="x",
        now=factory.now,
        prior=mine,
    )
    assert again is mine


def test_join_typing_and_read_use_the_same_exact_checks(connect, desk, factory):
    kei, ana = connect(desk["kei"]), connect(desk["ana"])
    ticket = desk["ticket"]
    note = line(ana, ticket, "n", internal=True)["message"]
    assert (
        kei.emit("read", {"ticket_id": ticket.id, "message_id": note["id"]}, callback=True)[
            "error"
        ]["code"]
        == "not_found"
    )
    assert ana.emit("read", {"ticket_id": ticket.id, "message_id": note["id"]}, callback=True)["ok"]
    desk["ana"].served_clients = []
    factory.session.commit()
    kei.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)
    kei.get_received()
    ana.emit("typing", {"ticket_id": ticket.id})
    assert kei.get_received() == []
    refused = ana.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)
    assert refused["error"]["code"] == "not_found"
