"""Schemathesis against /api/v1/openapi.json, in process (the WSGI app, no server).

Stateless: every operation, with generated valid and invalid input, called as an intake token
and as a customer, an agent and a supervisor of a seeded client: never a 5xx, and every answer
is documented (status code, content type, body schema and headers). Invalid input is refused.
Stateful: sequences of calls that feed one response into the next call (links inferred from the
document), with the database emptied and seeded again for every scenario.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from helpdesk.extensions import db
from tests.conftest import NOW, Factory, api_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
PRINCIPALS = ("intake", "customer", "agent", "supervisor")
# Per operation and principal (and scenarios of the stateful run); raise them to explore longer:
# SCHEMATHESIS_EXAMPLES=500 pytest tests/api/test_api_schemathesis.py
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
STATEFUL_SCENARIOS = int(os.environ.get("SCHEMATHESIS_SCENARIOS", "15"))


def seed(session, http) -> dict:
    """A client with people, an SLA policy and a ticket; the principals' Authorization headers."""
    factory = Factory(session, NOW)
    acme = factory.client("acme", timezone="UTC")
    factory.office_hours_policy(acme)
    customer = factory.customer(acme)
    agent = factory.agent([acme])
    supervisor = factory.supervisor(acme)
    ticket = factory.ticket(acme, customer)
    headers = {"ticket_id": ticket.id}
    headers |= {"intake": {"Authorization": "Bearer acme-intake-token"}}
    for name, user in (("customer", customer), ("agent", agent), ("supervisor", supervisor)):
        headers[name] = api_token(http, user)
    return headers


@pytest.fixture
def seeded(app, db_session):
    return seed(db_session, app.test_client())


# Query values that reach the seeded client's data, so generated cases get past the 404s too.
AIMED = {
    "client": "acme",
    "locale": "en",
    "week_of": "2026-03-09",
    "from": "2026-03-01",
    "to": "2026-03-31",
    "priority": "normal",
    "start": "2026-03-09T15:00:00Z",
}


def strategies(operation, ticket_id: int):
    """Valid and invalid cases; cases aimed at the seeded client (its slug alone, and with
    every query value that reaches its data), and for /tickets/{ticket_id} at its ticket."""
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    found = [operation.as_strategy(mode) for mode in modes]
    names = {parameter.name for parameter in operation.query}
    if "client" in names:
        aimed = {name: value for name, value in AIMED.items() if name in names}
        found += [
            operation.as_strategy(query={"client": "acme"}),
            operation.as_strategy(query=aimed),
        ]
    if operation.method.upper() == "POST" and operation.path == "/api/v1/tickets":
        # A valid filing for either kind of filer (the intake token must name the requester).
        found += [
            operation.as_strategy(body={"subject": "Printer", "body": "Jammed."}),
            operation.as_strategy(
                body={"subject": "Printer", "body": "Jammed.", "requester": {"email": "r@x.test"}}
            ),
        ]
    if "{ticket_id}" in operation.path:
        found += [
            operation.as_strategy(mode, path_parameters={"ticket_id": str(ticket_id)})
            for mode in modes
        ]
    return st.one_of(found)


def fuzz(operation, headers: dict, ticket_id: int, statuses: set) -> None:
    """Call the operation with generated cases; raise the checks' failure, if any."""

    @given(case=strategies(operation, ticket_id))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case):
        statuses.add(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_every_operation_answers_as_documented_and_never_with_a_5xx(app, seeded, principal):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # No generated Authorization: every call sends the principal's own header, which replaces
    # it, so a case made negative by dropping or mangling it reaches the API valid and
    # negative_data_rejection would blame the API for accepting it.
    schema.config.generation.update(with_security_parameters=False)
    ticket_id = seeded["ticket_id"]
    failures, statuses = {}, {}
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            fuzz(
                operation, seeded[principal], ticket_id, statuses.setdefault(operation.label, set())
            )
        # FailureGroup (schemathesis' failures) is a BaseExceptionGroup, not an Exception.
        except (Exception, BaseExceptionGroup) as exc:  # collected: every failing one is shown
            failures[operation.label] = exc
    assert not failures, "\n\n".join(f"{label}: {exc}" for label, exc in failures.items())
    # The run reached the code behind the refusals: every principal got some answer 2xx.
    assert any(code < 300 for codes in statuses.values() for code in codes), statuses


def empty_tables(session) -> None:
    """The database as tests/conftest.py's db_session leaves it: every table empty."""
    session.rollback()
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in reversed(tables):
            session.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (names from metadata)
    session.commit()
    session.expunge_all()  # ids are reused: forget the objects of the last scenario


@pytest.mark.slow
@pytest.mark.parametrize("filer", ["intake", "customer"])
def test_linked_calls_file_read_update_and_answer_tickets_as_documented(app, db_session, filer):
    """File a ticket (intake token or customer), then read, patch and answer it through the
    links inferred from the document (the agent for reads and changes); fresh data per scenario."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Valid cases only: invalid input is the stateless test's subject. Here links write values
    # over a generated case (a negative body of random bytes becomes {"assignee_id": 2}) and
    # schemathesis still labels the result negative, so its rejection check would blame a
    # valid request for being accepted.
    schema.config.generation.modes = [GenerationMode.POSITIVE]
    answered = []

    class Workflow(schema.as_state_machine()):
        def setup(self):
            empty_tables(db_session)
            self.headers = seed(db_session, app.test_client())

        def get_call_kwargs(self, case):
            by_filer = case.method == "POST" and case.path == "/api/v1/tickets"
            by_filer |= filer == "customer" and case.path.endswith("/messages")
            return {"headers": self.headers[filer if by_filer else "agent"]}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            answered.append((case.method, case.path, response.status_code))
            # The checks must see the headers really sent (a case generated without
            # Authorization was sent with it, so it is not "invalid input accepted").
            case.validate_response(
                response, checks=CHECKS, headers=kwargs.get("headers"), transport_kwargs=kwargs
            )

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    linked = {(m, p) for m, p, code in answered if "{ticket_id}" in p and code < 300}
    assert linked, f"no linked call reached a ticket: {sorted(set(answered))[:20]}"


# What the fuzzing found, kept as plain regression tests.


@pytest.mark.parametrize(
    "start",
    ["9999-12-31T23:00:00Z", "0001-01-01T00:00:00+05:00", "1969-12-31T23:59:59Z"],
)
def test_an_sla_preview_starting_at_the_ends_of_time_is_refused_with_a_422(app, seeded, start):
    response = app.test_client().get(
        "/api/v1/sla/preview",
        query_string={"client": "acme", "priority": "normal", "start": start},
        headers=seeded["agent"],
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert set(response.get_json()["error"]["fields"]) == {"start"}


def test_an_sla_preview_within_the_range_still_answers(app, seeded):
    response = app.test_client().get(
        "/api/v1/sla/preview",
        query_string={"client": "acme", "priority": "normal", "start": "8999-12-30T12:00:00Z"},
        headers=seeded["agent"],
    )
    assert response.status_code == 200, response.get_data(as_text=True)
