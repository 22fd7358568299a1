"""How the agent queue reads a page: its rows in order from an index, its total from the tab
counts when nothing narrows the view, and waiting work matched by language in one pass."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from helpdesk.extensions import db
from tests.conftest import login


@pytest.fixture
def ola(factory, acme):
    """An agent of acme who speaks English and has no shift (nothing routes to her)."""
    return factory.agent([acme], name="Ola", languages=("en",))


def _statements_of(client, url: str) -> tuple[list[tuple[str, object]], str]:
    """The statements a page runs (with their parameters) and its text."""
    seen = []

    def note(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    client.get(url)  # the first page of a visit also records the agent's activity
    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert response.status_code == 200
    return seen, response.get_data(as_text=True)


def _matching(html: str) -> str:
    return re.search(r"(\S+) tickets match", html).group(1)


def test_an_unfiltered_view_takes_its_total_from_the_tab_counts_without_counting_again(
    client, factory, acme, ola
):
    for priority in ("high", "normal", "normal"):
        factory.ticket(acme, priority=priority)
    login(client, ola)
    plain, plain_html = _statements_of(client, "/agent/?view=all")
    narrowed, narrowed_html = _statements_of(client, "/agent/?view=all&priority=high")
    assert (_matching(plain_html), _matching(narrowed_html)) == ("3", "1")
    # The narrowed view counts its matches; the plain one has them from the tabs' query.
    assert len(narrowed) == len(plain) + 1


@pytest.mark.parametrize("sort", ["due", "oldest"])
def test_the_all_view_reads_its_page_in_order_from_an_index_instead_of_sorting(
    client, factory, acme, ola, sort
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan")
    for _ in range(3):
        factory.ticket(acme)
    login(client, ola)
    seen, _html = _statements_of(client, f"/agent/?view=all&sort={sort}")
    ordered = [(s, p) for s, p in seen if s.startswith("SELECT tickets.id") and "ORDER BY" in s]
    assert len(ordered) == 1
    statement, parameters = ordered[0]
    plan = " ".join(
        str(row[-1])
        for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters
        )
    )
    index = "ix_tickets_due_order" if sort == "due" else "ix_tickets_created_id"
    assert f"SCAN tickets USING INDEX {index}" in plan
    assert "TEMP B-TREE" not in plan


def test_waiting_work_matches_any_locale_of_a_language_the_agent_speaks(client, factory, acme):
    agent = factory.agent([acme], name="Tala", languages=("fil", "pt_BR"), skills=("billing",))
    fits = [
        factory.ticket(acme, subject="Filipino", locale="fil-PH"),
        factory.ticket(acme, subject="Plain Filipino", locale="fil"),
        factory.ticket(acme, subject="European Portuguese", locale="pt-PT"),
        factory.ticket(acme, subject="Billing", locale="pt", category="billing"),
    ]
    factory.ticket(acme, subject="Finnish", locale="fi")
    factory.ticket(acme, subject="Polish", locale="pl")
    factory.ticket(acme, subject="Hardware", locale="pt", category="hardware")
    login(client, agent)
    html = client.get("/agent/?view=waiting").get_data(as_text=True)
    refs = re.findall(r'<span class="ref">([A-Z0-9-]+)', html)
    assert sorted(refs) == sorted(t.reference for t in fits)
    tabs = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r'<span class="tab-count">(\d+)', tabs) == ["0", "4"]
