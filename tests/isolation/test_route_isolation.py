"""Every route of the app, aimed at another client's objects by every principal of one client:
the refusal the matrix names (see tests/isolation/matrix.py for the rules) and none of the other
client's data in the body; nothing of theirs changes. A route without a matrix entry fails."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk.models import Message, Ticket, TicketEvent, User
from tests.isolation.conftest import MARKERS, leaked
from tests.isolation.matrix import MATRIX, Probe


def test_every_route_of_the_url_map_has_a_matrix_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, (
        f"routes without a tenant-isolation matrix entry: {', '.join(missing)}. "
        "Add each to MATRIX in tests/isolation/matrix.py: how to build its URL for another "
        "client's object and what each principal gets."
    )
    stale = sorted(set(MATRIX) - endpoints)
    assert not stale, f"matrix entries for endpoints that no longer exist: {', '.join(stale)}"


def test_every_method_of_every_route_is_probed(app):
    unprobed = []
    for rule in app.url_map.iter_rules():
        entry = MATRIX.get(rule.endpoint)
        if entry is None:
            continue  # reported by the test above
        probed = {probe.method for probe in entry.probes}
        unprobed += [
            f"{rule.endpoint} {method}"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
            if method not in probed
        ]
    assert not unprobed, f"methods with no probe in the isolation matrix: {', '.join(unprobed)}"


def _outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        return "login" if "/login" in location else "redirect"
    return str(status)


def _foreign_state(session, world) -> tuple:
    """Everything of client A a probe could change."""
    session.expire_all()
    ticket = session.get(Ticket, world.foreign.ticket.id)
    acme = world.foreign.client.id
    return (
        ticket.status,
        ticket.priority,
        ticket.assignee_id,
        session.scalar(select(func.count()).select_from(Ticket).where(Ticket.client_id == acme)),
        session.scalar(
            select(func.count()).select_from(Message).where(Message.ticket_id == ticket.id)
        ),
        session.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        ),
        session.scalar(select(func.count()).select_from(User).where(User.client_id == acme)),
    )


def _send(http, probe: Probe, url: str, foreign, headers: dict | None = None):
    data = probe.data(foreign) if callable(probe.data) else probe.data
    return http.open(url, method=probe.method, data=data, json=probe.json, headers=headers or {})


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_another_clients_objects_are_refused_and_never_shown(
    endpoint, app, world, browser_as, api_as, db_session
):
    entry = MATRIX[endpoint]
    before = _foreign_state(db_session, world)
    failures = []
    for probe in entry.probes:
        url = probe.url(world.foreign)
        for principal in entry.who():
            if entry.api:
                response = _send(app.test_client(), probe, url, world.foreign, api_as(principal))
            else:
                response = _send(browser_as(principal), probe, url, world.foreign)
            body = response.get_data(as_text=True)
            response.close()
            got = _outcome(response)
            if got not in probe.expect[principal]:
                failures.append(
                    f"{probe.method} {url} as {principal}: {got}, "
                    f"expected {sorted(probe.expect[principal])}: {body[:200]!r}"
                )
            shown = set(leaked(body + str(response.headers)))
            shown -= {MARKERS[name] for name in probe.echoes}
            if shown:
                failures.append(
                    f"{probe.method} {url} as {principal} shows client A's data: {sorted(shown)}"
                )
    assert not failures, f"{endpoint}:\n" + "\n".join(failures)
    assert _foreign_state(db_session, world) == before, f"{endpoint} changed client A's data"


@pytest.mark.parametrize(
    "endpoint",
    sorted(name for name, entry in MATRIX.items() if any(p.control for p in entry.probes)),
)
def test_the_matrix_urls_do_reach_the_object_for_its_own_people(
    endpoint, app, world, browser_as, api_as
):
    """The control: the same URL shows the markers to client A's own people, so a 404 above is
    the isolation at work and not a wrong address."""
    entry = MATRIX[endpoint]
    for probe in entry.probes:
        if probe.control is None:
            continue
        url = probe.url(world.foreign)
        if entry.api:
            response = _send(app.test_client(), probe, url, world.foreign, api_as(probe.control))
        else:
            response = _send(browser_as(probe.control), probe, url, world.foreign)
        body = response.get_data(as_text=True)
        response.close()
        assert response.status_code == 200, (url, probe.control, response.status_code)
        assert leaked(body), f"{url} shows {probe.control} none of the markers"
