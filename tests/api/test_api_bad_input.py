"""Bad input of every kind gets a 4xx in the error shape, and nothing is stored."""

import json

import pytest

from tests.api.helpers import assert_error

GOOD = {"subject": "VPN down", "body": "Cannot connect.", "requester": {"email": "a@example.com"}}


def _raw(client, headers, data: bytes, content_type: str | None = "application/json"):
    if content_type is not None:
        headers = {**headers, "Content-Type": content_type}
    return client.post("/api/v1/tickets", data=data, headers=headers)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_sent_as_json_is_415(client, acme, rows, content_type):
    before = rows()
    response = _raw(client, acme.intake, json.dumps(GOOD).encode(), content_type)
    assert_error(response, 415, "unsupported_media_type")
    assert rows() == before


def test_json_with_a_charset_parameter_is_fine(client, acme):
    response = _raw(
        client, acme.intake, json.dumps(GOOD).encode(), "application/json; charset=utf-8"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b'{"subject": "x",}',
        b"{'subject': 'x'}",
        b'{"subject": NaN}',
        b'{"subject": Infinity}',
        b'{"subject": "\\ud800", "body": "b"}',
        b"\xff\xfe\xfa",
        b'{"n": 1' + b"0" * 5000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_json_is_400_invalid_json(client, acme, rows, data):
    before = rows()
    assert_error(_raw(client, acme.intake, data), 400, "invalid_json")
    assert rows() == before


@pytest.mark.parametrize("data", [b"[]", b'"text"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_400(client, acme, rows, data):
    before = rows()
    assert_error(_raw(client, acme.intake, data), 400, "invalid_json")
    assert rows() == before


@pytest.mark.parametrize(
    "change, field",
    [
        ({"subject": None}, "subject"),
        ({"subject": 42}, "subject"),
        ({"subject": ["a"]}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "a\x00b"}, "subject"),
        ({"body": ""}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"priority": "critical"}, "priority"),
        ({"priority": 1}, "priority"),
        ({"category": "Not A Slug"}, "category"),
        ({"category": "x" * 41}, "category"),
        ({"locale": 5}, "locale"),
        ({"locale": "x" * 36}, "locale"),
        ({"channel": "email"}, "channel"),
        ({"status": "open"}, "status"),
        ({"requester": "a@example.com"}, "requester"),
        ({"requester": {"email": "a@example.com", "role": "admin"}}, "requester.role"),
        ({"requester": {"email": "a@example.com", "name": "x" * 121}}, "requester.name"),
        ({"requester": {"email": "a@example.com", "name": 7}}, "requester.name"),
        ({"requester": {}}, "requester.email"),
    ],
)
def test_invalid_fields_are_422_naming_the_field_and_store_nothing(
    client, acme, rows, change, field
):
    before = rows()
    response = client.post("/api/v1/tickets", json={**GOOD, **change}, headers=acme.intake)
    error = assert_error(response, 422, "validation_error")
    assert field in error["fields"], error
    assert rows() == before


def test_every_bad_field_is_named_at_once(client, acme):
    response = client.post(
        "/api/v1/tickets",
        json={"subject": 1, "priority": "x", "extra": True, "requester": {"email": "nope"}},
        headers=acme.intake,
    )
    fields = assert_error(response, 422, "validation_error")["fields"]
    assert set(fields) == {"subject", "body", "priority", "extra", "requester.email"}
    assert all(isinstance(message, str) and message for message in fields.values())


def test_field_messages_follow_the_callers_language(client, acme):
    response = client.post(
        "/api/v1/tickets",
        json={**GOOD, "extra": 1},
        headers={**acme.intake, "Accept-Language": "en"},
    )
    assert assert_error(response, 422)["fields"]["extra"] == "Unknown field."


def test_a_body_over_the_size_limit_is_413_and_stores_nothing(client, app, acme, rows):
    before = rows()
    huge = json.dumps({**GOOD, "body": "x" * app.config["MAX_CONTENT_LENGTH"]}).encode()
    assert_error(_raw(client, acme.intake, huge), 413, "payload_too_large")
    assert rows() == before


def test_a_body_just_under_the_field_limit_is_accepted(client, acme):
    response = client.post(
        "/api/v1/tickets", json={**GOOD, "body": "x" * 20_000}, headers=acme.intake
    )
    assert response.status_code == 201


def test_an_unknown_api_path_is_a_json_404(client, acme):
    assert_error(client.get("/api/v1/nothing-here", headers=acme.intake), 404, "not_found")
    assert_error(client.get("/api/v1/tickets/1/nope"), 404, "not_found")


def test_a_method_the_route_does_not_allow_is_a_json_405(client, acme):
    response = client.delete("/api/v1/tickets", headers=acme.intake)
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert_error(client.put("/api/v1/tickets/1", json={}), 405, "method_not_allowed")
