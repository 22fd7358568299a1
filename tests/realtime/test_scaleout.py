"""Two server processes on one Redis queue act as one: chat, notes, scheduler pushes, reconnects.

Real processes (`python wsgi.py`), a shared database and real python-socketio clients over
websocket; the Redis channel is unique to the run, so parallel runs do not hear each other.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid

import pytest
import requests

from tests.realtime.scaleout_cluster import (
    PASSWORD,
    PEOPLE,
    WAIT,
    Cluster,
    Peer,
    close_all,
    redis_reachable,
    wait_until,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow]

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Servers A and B, migrated and provisioned, stopped (and the database dropped) after."""
    if not redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379 (start redis-server to run this)")
    cluster = Cluster(tmp_path_factory.mktemp("scaleout"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def peer(cluster):
    """peer(name, server, who) -> a connected Peer; every peer is closed after the test."""
    opened: list[Peer] = []

    def open_peer(name: str, server: str, who: str) -> Peer:
        p = Peer(name).connect(cluster.url(server), cluster.tokens[who])
        opened.append(p)
        return p

    yield open_peer
    close_all(opened)


@pytest.fixture
def ticket(cluster) -> dict:
    """A fresh ticket filed by the customer through the API."""
    return cluster.api(
        "POST",
        "/tickets",
        "kei",
        json={"subject": f"Scale-out check {next(_ids)}", "body": "VPN drops", "priority": "high"},
    )


def both_processes_listen(cluster) -> None:
    """Each process subscribes to the queue at its first connection: wait until both have."""
    wait_until(lambda: cluster.subscribers() >= 2, "both servers to subscribe to the queue")


def stored_thread(cluster, ticket_id: int) -> list[dict]:
    """The thread as stored, seen by an agent through the API."""
    return cluster.api("GET", f"/tickets/{ticket_id}", "ana")["messages"]


def test_a_chat_line_sent_on_one_process_reaches_the_peer_on_the_other_and_is_stored_once(
    cluster, peer, ticket
):
    kei, ana = peer("kei@A", "a", "kei"), peer("ana@B", "b", "ana")
    for p in (kei, ana):
        p.join(ticket["id"])
    both_processes_listen(cluster)

    sent = kei.say(ticket["id"], "Is anyone there?", "kei-1")
    ana.wait_for(lambda p: p.messages(ticket["id"]), "Kei's line")
    assert [(m["id"], m["body"], m["client_msg_id"]) for m in ana.messages(ticket["id"])] == [
        (sent["id"], "Is anyone there?", "kei-1")
    ]

    # A retry of the same line through the other process is the same stored message.
    retry = peer("kei@B", "b", "kei")
    assert retry.say(ticket["id"], "Is anyone there?", "kei-1")["id"] == sent["id"]
    reply = ana.say(ticket["id"], "Yes, Ana here.", "ana-1")
    kei.wait_for(lambda p: len(p.messages(ticket["id"])) == 2, "Ana's reply")
    assert [m["id"] for m in kei.messages(ticket["id"])] == [sent["id"], reply["id"]]
    assert [m["id"] for m in ana.messages(ticket["id"])] == [sent["id"], reply["id"]]
    assert [m["client_msg_id"] for m in stored_thread(cluster, ticket["id"])] == [
        "kei-1",
        "ana-1",
    ]


def test_an_internal_note_reaches_agents_on_the_other_process_but_not_the_customer(
    cluster, peer, ticket
):
    kei, ben = peer("kei@A", "a", "kei"), peer("ben@A", "a", "ben")
    ana = peer("ana@B", "b", "ana")
    for p in (kei, ben, ana):
        p.join(ticket["id"])
    both_processes_listen(cluster)

    note = ana.say(ticket["id"], "Customer is on the old VPN client.", "note-1", internal=True)
    ben.wait_for(lambda p: p.messages(ticket["id"]), "Ana's note")
    assert [(m["id"], m["internal"]) for m in ben.messages(ticket["id"])] == [(note["id"], True)]

    # A's queue listener handles the queue in order: once Kei has the public line sent
    # after the note, a note meant for Kei would have arrived before it.
    public = ana.say(ticket["id"], "Could you try the new client?", "public-1")
    kei.wait_for(lambda p: p.messages(ticket["id"]), "Ana's public line")
    assert [m["id"] for m in kei.messages(ticket["id"])] == [public["id"]]
    ben.wait_for(lambda p: len(p.messages(ticket["id"])) == 2, "Ana's public line")


def test_a_scheduler_tick_in_a_third_process_reaches_clients_on_both_processes(
    cluster, peer, ticket
):
    kei, ben = peer("kei@A", "a", "kei"), peer("ben@A", "a", "ben")
    ana = peer("ana@B", "b", "ana")
    for p in (kei, ben, ana):
        p.join(ticket["id"])
    both_processes_listen(cluster)

    counts = cluster.run_tick(days=30)  # every clock of the ticket is overdue by then
    assert counts["sla_breaches"] >= 1

    clocks = cluster.api("GET", f"/tickets/{ticket['id']}", "ana")["sla"]
    breached = sorted(c["metric"] for c in clocks if c["breached"])
    assert breached, clocks
    for agent in (ana, ben):
        agent.wait_for(
            lambda p: len(p.events("sla_breach", ticket["id"])) == len(breached), "the breaches"
        )
        assert sorted(e["metric"] for e in agent.events("sla_breach", ticket["id"])) == breached
    for p in (kei, ben, ana):
        p.wait_for(
            lambda p: len(p.events("ticket_updated", ticket["id"])) == len(breached),
            "the ticket updates",
        )
        assert {e["change"] for e in p.events("ticket_updated", ticket["id"])} == {"sla_breach"}
    # Each alert was published before its ticket update, so Kei would have it by now.
    assert kei.events("sla_breach") == []


def test_a_dropped_client_reconnecting_to_the_other_process_gets_every_message_exactly_once(
    cluster, peer, ticket
):
    tid = ticket["id"]
    kei, ana = peer("kei@A", "a", "kei"), peer("ana@B", "b", "ana")
    for p in (kei, ana):
        p.join(tid)
    both_processes_listen(cluster)

    # Ana keeps writing all along (under the per-socket limit of 20 lines in a burst).
    total, acked, stop = 16, [], threading.Event()

    def keep_writing() -> None:
        for n in range(total):
            if stop.is_set():
                return
            acked.append(ana.say(tid, f"line {n}", f"line-{n}")["id"])
            time.sleep(0.04)

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    try:
        kei.wait_for(lambda p: len(p.messages(tid)) >= 3, "the first lines")
        kei.drop()
        seen_before = [m["id"] for m in kei.messages(tid)]
        wait_until(lambda: len(acked) >= len(seen_before) + 3, "lines written while Kei is away")

        back = peer("kei@B", "b", "kei")
        replay = [m["id"] for m in back.join(tid, since_id=seen_before[-1])["messages"]]
        writer.join(timeout=10)
        assert not writer.is_alive()
    finally:
        stop.set()
    back.wait_for(lambda p: acked[-1] in replay + [m["id"] for m in p.messages(tid)], "the last")
    live = [m["id"] for m in back.messages(tid)]

    assert len(acked) == total
    # since_id repeats nothing Kei had, and neither connection heard any line twice.
    assert set(replay).isdisjoint(seen_before)
    assert len(set(seen_before)) == len(seen_before)
    assert len(set(live)) == len(live)
    assert len(set(replay)) == len(replay)
    # Lines committed between joining the room and reading the replay arrive both ways;
    # a client keeps one per id, and then it has every line once, in order.
    thread = sorted(set(seen_before) | set(replay) | set(live))
    assert thread == acked
    assert [m["id"] for m in stored_thread(cluster, tid)] == acked
    assert sorted(m["client_msg_id"] for m in stored_thread(cluster, tid)) == sorted(
        f"line-{n}" for n in range(total)
    )


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_a_token_revoked_on_one_process_disconnects_its_socket_on_the_other(cluster, peer):
    # Ben's program holds a named token and a socket on server B.
    name = f"revoke-me-{uuid.uuid4().hex[:8]}"
    issued = requests.post(
        cluster.url("a") + "/api/v1/auth/token",
        json={"email": PEOPLE["ben"], "password": PASSWORD, "name": name},
        timeout=WAIT,
    )
    assert issued.status_code == 200, issued.text
    cluster.tokens["ben-program"] = issued.json()["token"]
    program = peer("ben-program@B", "b", "ben-program")
    keeps = peer("ben@B", "b", "ben")
    both_processes_listen(cluster)

    # Ben revokes it from his settings page, served by process A.
    web = requests.Session()
    sign_in = web.get(cluster.url("a") + "/login", timeout=WAIT)
    signed = web.post(
        cluster.url("a") + "/login",
        data={"email": PEOPLE["ben"], "password": PASSWORD, "csrf_token": _csrf(sign_in.text)},
        timeout=WAIT,
    )
    assert signed.ok and signed.url.endswith("/agent/"), signed.url
    settings = web.get(cluster.url("a") + "/settings", timeout=WAIT).text
    row = re.search(
        r'data-token-id="(\d+)">\s*<div class="ticket-row-main">\s*'
        r'<span class="ticket-row-subject">' + name,
        settings,
    )
    assert row, "the named token is listed"
    revoked = web.post(
        cluster.url("a") + f"/settings/tokens/{row.group(1)}/revoke",
        data={"csrf_token": _csrf(settings)},
        timeout=WAIT,
    )
    assert revoked.ok

    wait_until(lambda: not program.sio.connected, "B to disconnect the revoked token's socket")
    assert keeps.sio.connected  # Ben's other token is untouched
    answer = requests.get(
        cluster.url("b") + "/api/v1/tickets",
        headers={"Authorization": f"Bearer {cluster.tokens['ben-program']}"},
        timeout=WAIT,
    )
    assert answer.status_code == 401
