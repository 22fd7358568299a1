"""The OpenAPI document: complete for the url map, valid, and true to what the API does."""

import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from helpdesk.models import SlaTarget
from tests.api.helpers import intake_headers

BASE = "urn:helpdesk-openapi"


@pytest.fixture
def document(client):
    """The served document."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _validator(document, pointer: str) -> Draft202012Validator:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource(BASE, resource)
    return Draft202012Validator({"$ref": f"{BASE}{pointer}"}, registry=registry)


def _response_schema(document, method: str, path: str, status: int) -> dict:
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answers {status}, not documented"
    return responses[str(status)]["content"]["application/json"]["schema"]


def _check(document, method: str, path: str, response) -> None:
    schema = _response_schema(document, method, path, response.status_code)
    pointer = schema["$ref"].removeprefix("#") if "$ref" in schema else None
    if pointer is None:
        return
    errors = list(_validator(document, "#" + pointer).iter_errors(response.get_json()))
    assert not errors, f"{method} {path} {response.status_code}: {errors[0].message}"


def test_the_document_is_openapi_3_1_with_bearer_auth(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert document["security"] == [{"bearer": []}]
    assert document["paths"]["/api/v1/auth/token"]["post"]["security"] == []
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []


def test_every_api_route_in_the_url_map_is_documented_with_its_methods(app, document):
    expected: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            expected.setdefault(path, set()).update(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}
            )
    documented = {path: set(item) for path, item in document["paths"].items()}
    assert documented == expected


def test_every_operation_has_an_id_responses_and_path_parameters(document):
    ids = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            ids.append(op["operationId"])
            assert op["summary"] and op["responses"]
            named = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert named == set(re.findall(r"{(\w+)}", path)), (method, path)
            if "security" not in op:
                assert "401" in op["responses"], (method, path)
    assert len(ids) == len(set(ids))


def _schemas_in(document):
    yield from document["components"]["schemas"].values()
    for item in document["paths"].values():
        for op in item.values():
            for param in op.get("parameters", []):
                yield param["schema"]


def test_every_schema_is_valid_json_schema_and_every_ref_resolves(document):
    python_names = {"ge", "le", "gt", "lt", "max_length", "min_length", "multiple_of"}

    def keys(node):
        if isinstance(node, dict):
            yield from node
            for value in node.values():
                yield from keys(value)
        elif isinstance(node, list):
            for value in node:
                yield from keys(value)

    for schema in _schemas_in(document):
        Draft202012Validator.check_schema(schema)
        # Constraints spelled the Python way would be silently ignored by validators.
        assert not python_names & set(keys(schema)), schema

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in set(refs(document)):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in document["components"]["schemas"], ref


def test_request_schemas_forbid_unknown_keys_like_the_api(document):
    schemas = document["components"]["schemas"]
    for name in ("TokenRequest", "TicketCreate", "TicketUpdate", "MessageCreate", "Requester"):
        assert schemas[name]["additionalProperties"] is False, name
    create = schemas["TicketCreate"]
    assert set(create["required"]) == {"subject", "body"}
    assert create["properties"]["subject"]["maxLength"] == 200
    assert create["properties"]["body"]["maxLength"] == 20_000
    assert create["properties"]["priority"]["enum"] == ["low", "normal", "high", "urgent"]


def test_real_responses_validate_against_their_documented_schemas(
    client, document, factory, db_session
):
    acme = factory.client("acme")
    db_session.add(
        SlaTarget(
            client=acme, priority="normal", first_response=60, next_response=120, resolution=480
        )
    )
    db_session.commit()
    customer = factory.customer(acme)
    agent = factory.agent([acme], site=factory.site("manila"))
    intake = intake_headers(acme)

    def call(method, template, path=None, **kwargs):
        response = client.open(path or template, method=method, **kwargs)
        _check(document, method, template, response)
        return response

    token = call(
        "POST", "/api/v1/auth/token", json={"email": agent.email, "password": "pw"}
    ).get_json()["token"]
    agent_auth = {"Authorization": f"Bearer {token}"}
    call("POST", "/api/v1/auth/token", json={"email": agent.email, "password": "no"})
    customer_auth = {
        "Authorization": "Bearer "
        + call(
            "POST", "/api/v1/auth/token", json={"email": customer.email, "password": "pw"}
        ).get_json()["token"]
    }

    new = {"subject": "VPN", "body": "Down.", "requester": {"email": "kei@example.jp"}}
    keyed = {**intake, "Idempotency-Key": "k1"}
    created = call("POST", "/api/v1/tickets", json=new, headers=keyed)
    assert created.status_code == 201 and created.get_json()["sla"], "SLA clocks expected"
    assert call("POST", "/api/v1/tickets", json=new, headers=keyed).status_code == 200
    assert (
        call("POST", "/api/v1/tickets", json={**new, "body": "x"}, headers=keyed).status_code == 409
    )
    call("POST", "/api/v1/tickets", json={"subject": 1}, headers=intake)
    call("POST", "/api/v1/tickets", data="x", headers=intake)
    call("POST", "/api/v1/tickets", data="{", headers=intake, content_type="application/json")
    call("POST", "/api/v1/tickets", json=new)
    call("POST", "/api/v1/tickets", json={"subject": "s", "body": "b"}, headers=agent_auth)
    ticket_id = created.get_json()["id"]
    one = f"/api/v1/tickets/{ticket_id}"

    call(
        "PATCH",
        "/api/v1/tickets/{ticket_id}",
        one,
        json={"assignee_id": agent.id},
        headers=agent_auth,
    )
    call("PATCH", "/api/v1/tickets/{ticket_id}", one, json={"status": "x"}, headers=agent_auth)
    call("POST", "/api/v1/tickets/{ticket_id}/messages", f"{one}/messages",
         json={"body": "On it.", "client_msg_id": "c1"}, headers=agent_auth)  # fmt: skip
    call("POST", "/api/v1/tickets/{ticket_id}/messages", f"{one}/messages",
         json={"body": "On it.", "client_msg_id": "c1"}, headers=agent_auth)  # fmt: skip
    call("POST", "/api/v1/tickets/{ticket_id}/messages", f"{one}/messages",
         json={"body": "Note", "internal": True}, headers=agent_auth)  # fmt: skip
    detail = call("GET", "/api/v1/tickets/{ticket_id}", one, headers=agent_auth)
    assert len(detail.get_json()["messages"]) == 2 and detail.get_json()["assignee"]["site"]
    call("GET", "/api/v1/tickets/{ticket_id}", "/api/v1/tickets/0", headers=agent_auth)
    call("GET", "/api/v1/tickets/{ticket_id}", one, headers=intake)
    call(
        "PATCH", "/api/v1/tickets/{ticket_id}", one, json={"status": "open"}, headers=customer_auth
    )

    listed = call("GET", "/api/v1/tickets", "/api/v1/tickets?per_page=1", headers=agent_auth)
    assert listed.get_json()["items"]
    call("GET", "/api/v1/tickets", "/api/v1/tickets?status=bad", headers=agent_auth)
    call("GET", "/api/v1/tickets", "/api/v1/tickets?client=nope", headers=agent_auth)
    call("PUT", "/api/v1/agents/me/status", json={"status": "online"}, headers=agent_auth)
    call("PUT", "/api/v1/agents/me/status", json={"status": "online"}, headers=customer_auth)
    call("GET", "/api/v1/openapi.json")


@pytest.mark.parametrize(
    "payload",
    [
        {"subject": "s", "body": "b"},
        {"subject": "s", "body": "b", "priority": "urgent", "category": "billing-2"},
        {"subject": "s", "body": "b", "locale": "pt-BR", "category": None},
        {"subject": " s ", "body": "\tb\n"},
        {"subject": "x" * 200, "body": "b"},
        {"subject": "x" * 201, "body": "b"},
        {"subject": "  ", "body": "b"},
        {"subject": "s\x00", "body": "b"},
        {"subject": "s"},
        {"subject": 1, "body": "b"},
        {"subject": "s", "body": "b", "priority": "URGENT"},
        {"subject": "s", "body": "b", "priority": None},
        {"subject": "s", "body": "b", "category": "Billing"},
        {"subject": "s", "body": "b", "category": ""},
        {"subject": "s", "body": "b", "extra": 1},
        {"subject": "s", "body": "b", "requester": None},
    ],
)
def test_the_ticket_schema_accepts_exactly_what_a_customer_may_send(
    client, document, factory, payload
):
    acme = factory.client("acme")
    customer = factory.customer(acme)
    auth = client.post("/api/v1/auth/token", json={"email": customer.email, "password": "pw"})
    headers = {"Authorization": f"Bearer {auth.get_json()['token']}"}
    schema_ok = _validator(document, "#/components/schemas/TicketCreate").is_valid(payload)
    response = client.post("/api/v1/tickets", json=payload, headers=headers)
    assert response.status_code in (201, 422), response.get_json()
    assert (response.status_code == 201) == schema_ok, response.get_json()


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "open"},
        {"priority": "low", "assignee_id": None},
        {},
        {"status": None},
        {"assignee_id": 0},
        {"assignee_id": 1.0},
        {"assignee_id": "1"},
        {"note": "x"},
    ],
)
def test_the_change_schema_accepts_exactly_what_an_agent_may_send(
    client, document, factory, payload
):
    acme = factory.client("acme")
    agent = factory.agent([acme])
    ticket = factory.ticket(acme)
    auth = client.post("/api/v1/auth/token", json={"email": agent.email, "password": "pw"})
    headers = {"Authorization": f"Bearer {auth.get_json()['token']}"}
    schema_ok = _validator(document, "#/components/schemas/TicketUpdate").is_valid(payload)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", json=payload, headers=headers)
    assert response.status_code in (200, 422), response.get_json()
    assert (response.status_code == 200) == schema_ok, response.get_json()
