"""GET /tickets: visibility, filters, pagination, totals, and a fixed number of queries."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.services import totals
from tests.api.helpers import assert_error, intake_headers


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [t["id"] for t in response.get_json()["items"]]


@pytest.fixture
def filed(factory, acme, now, db_session):
    """Five acme tickets an hour apart (oldest first); the last two assigned to acme's agent."""
    tickets = []
    for i in range(5):
        factory.now = now + timedelta(hours=i)
        tickets.append(factory.ticket(acme.client, acme.customer, subject=f"T{i}"))
    for t in tickets[3:]:
        t.assignee = acme.agent
    tickets[0].status = "solved"
    db_session.commit()
    return tickets


def test_a_customer_lists_their_own_tickets_newest_first(client, acme, filed, factory, bearer):
    factory.ticket(acme.client)  # another customer's ticket of the same client
    response = client.get("/api/v1/tickets", headers=bearer(acme.customer))
    body = response.get_json()
    assert _ids(response) == [t.id for t in reversed(filed)]
    assert body["total"] == 5 and body["page"] == 1 and body["per_page"] == 50
    assert body["items"][0]["reference"] == filed[-1].reference


def test_pages_split_the_list_and_the_total_counts_all(client, acme, filed, bearer):
    headers = bearer(acme.agent)
    newest_first = [t.id for t in reversed(filed)]
    pages = [
        client.get(f"/api/v1/tickets?per_page=2&page={n}", headers=headers) for n in (1, 2, 3, 4)
    ]
    assert [_ids(p) for p in pages] == [newest_first[:2], newest_first[2:4], newest_first[4:], []]
    assert {p.get_json()["total"] for p in pages} == {5}
    assert pages[1].get_json()["page"] == 2 and pages[1].get_json()["per_page"] == 2


def test_status_assignee_and_client_filters_combine(client, acme, globex, filed, factory, bearer):
    everywhere = factory.agent([acme.client, globex.client])
    factory.ticket(globex.client)
    headers = bearer(everywhere)
    assert len(_ids(client.get("/api/v1/tickets", headers=headers))) == 6
    assert len(_ids(client.get("/api/v1/tickets?client=acme", headers=headers))) == 5
    solved = client.get("/api/v1/tickets?status=solved", headers=headers)
    assert _ids(solved) == [filed[0].id] and solved.get_json()["total"] == 1
    mine = client.get("/api/v1/tickets?assignee=me", headers=bearer(acme.agent))
    assert _ids(mine) == [filed[4].id, filed[3].id]
    both = client.get(
        "/api/v1/tickets?assignee=me&status=new&client=acme", headers=bearer(acme.agent)
    )
    assert _ids(both) == [filed[4].id, filed[3].id]
    assert _ids(client.get("/api/v1/tickets?client=globex&status=solved", headers=headers)) == []


def test_a_client_the_caller_may_not_see_is_404(client, acme, globex, filed, bearer):
    for user in (acme.customer, acme.supervisor, acme.agent):
        response = client.get("/api/v1/tickets?client=globex", headers=bearer(user))
        assert_error(response, 404, "not_found")
    assert_error(
        client.get("/api/v1/tickets?client=nope", headers=bearer(acme.agent)), 404, "not_found"
    )


def test_a_supervisor_and_an_admin_see_what_they_should(
    client, acme, globex, filed, factory, bearer
):
    other = factory.ticket(globex.client)
    assert len(_ids(client.get("/api/v1/tickets", headers=bearer(acme.supervisor)))) == 5
    assert other.id not in _ids(client.get("/api/v1/tickets", headers=bearer(acme.supervisor)))
    assert len(_ids(client.get("/api/v1/tickets", headers=bearer(factory.admin())))) == 6


def test_an_intake_token_may_not_list_tickets(client, acme, filed):
    assert_error(client.get("/api/v1/tickets", headers=acme.intake), 403, "forbidden")


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=nope", "status"),
        ("assignee=someone", "assignee"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=99999999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("per_page=1.5", "per_page"),
        ("page=1&page=2", "page"),
        ("colour=blue", "colour"),
    ],
)
def test_bad_list_parameters_are_422(client, acme, bearer, query, field):
    response = client.get(f"/api/v1/tickets?{query}", headers=bearer(acme.agent))
    error = assert_error(response, 422, "validation_error")
    assert field in error["fields"]


def test_the_largest_page_size_is_accepted(client, acme, filed, bearer):
    response = client.get("/api/v1/tickets?per_page=200&page=1000000", headers=bearer(acme.agent))
    assert _ids(response) == [] and response.get_json()["total"] == 5


@contextmanager
def _counting_queries():
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_page_costs_the_same_number_of_queries_however_many_tickets(
    client, acme, factory, db_session, bearer
):
    headers = bearer(factory.admin())
    site = factory.site("manila")

    def queries_for_page() -> int:
        db_session.expunge_all()  # nothing preloaded from building the data
        with _counting_queries() as seen:
            assert client.get("/api/v1/tickets", headers=headers).status_code == 200
        return len(seen)

    def add_tickets(n):
        for _ in range(n):
            agent = factory.agent([acme.client], site=site)
            ticket = factory.ticket(acme.client, factory.customer(acme.client))
            ticket.assignee, ticket.site = agent, site
        db_session.commit()

    add_tickets(2)
    queries_for_page()  # the token's first use is noted (then at most once a minute)
    few = queries_for_page()
    add_tickets(10)
    many = queries_for_page()
    # Principal, count, page, then one query per eager-loaded relation: never per ticket.
    assert few == many


def test_the_statements_of_a_page_do_not_grow_with_its_size_or_with_the_tickets(
    client, acme, factory, db_session, bearer
):
    site = factory.site("manila")
    for _ in range(10):
        ticket = factory.ticket(acme.client, factory.customer(acme.client))
        ticket.assignee, ticket.site = factory.agent([acme.client], site=site), site
    db_session.commit()
    callers = {"agent": bearer(acme.agent), "admin": bearer(factory.admin())}

    def statements(headers, per_page: int) -> int:
        db_session.expunge_all()
        with _counting_queries() as seen:
            response = client.get(f"/api/v1/tickets?per_page={per_page}", headers=headers)
        assert response.status_code == 200
        return len(seen)

    for headers in callers.values():
        statements(headers, 10)  # the token's first use is noted
    before = {who: statements(headers, 10) for who, headers in callers.items()}
    for _ in range(40):
        factory.ticket(acme.client, factory.customer(acme.client))
    assert {who: statements(headers, 10) for who, headers in callers.items()} == before
    assert {who: statements(headers, 50) for who, headers in callers.items()} == before


def test_the_total_is_exact_up_to_the_cap_and_a_flagged_estimate_past_it(
    client, acme, filed, bearer, monkeypatch
):
    headers = bearer(acme.agent)
    body = client.get("/api/v1/tickets?per_page=2", headers=headers).get_json()
    assert body["total"] == 5 and body["total_exact"] is True
    monkeypatch.setattr(totals, "COUNT_CAP", 5)
    body = client.get("/api/v1/tickets?per_page=2", headers=headers).get_json()
    assert body["total"] == 5 and body["total_exact"] is True
    monkeypatch.setattr(totals, "COUNT_CAP", 3)
    body = client.get("/api/v1/tickets?per_page=2&page=3", headers=headers).get_json()
    # Past the cap: never below it, flagged, and the pages still hold every ticket.
    assert body["total"] >= 3 and body["total_exact"] is False
    assert [t["id"] for t in body["items"]] == [filed[0].id]


def test_a_listed_ticket_reads_as_the_ticket_itself(client, acme, filed, bearer):
    headers = bearer(acme.agent)
    listed = client.get("/api/v1/tickets", headers=headers).get_json()["items"]
    for item in listed:
        alone = client.get(f"/api/v1/tickets/{item['id']}", headers=headers).get_json()
        alone.pop("messages")
        assert item == alone


def test_intake_tokens_of_another_client_cannot_read_anything(client, acme, globex, filed):
    headers = intake_headers(globex.client)
    assert_error(client.get("/api/v1/tickets", headers=headers), 403, "forbidden")
    assert_error(client.get(f"/api/v1/tickets/{filed[0].id}", headers=headers), 403, "forbidden")
    response = client.post(
        f"/api/v1/tickets/{filed[0].id}/messages", json={"body": "hi"}, headers=headers
    )
    assert_error(response, 403, "forbidden")
    response = client.patch(
        f"/api/v1/tickets/{filed[0].id}", json={"status": "open"}, headers=headers
    )
    assert_error(response, 403, "forbidden")
