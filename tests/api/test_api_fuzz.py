"""Arbitrary JSON at the write endpoints: always a documented status, never a 500."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELDS = ["subject", "body", "priority", "category", "locale", "requester", "email", "name",
          "status", "assignee_id", "internal", "client_msg_id"]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["normal", "open", "pt-BR", "kei@example.jp", "billing", "\x00", " "])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=8,
)
bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6) | values
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _assert_clean(response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.get_json())
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert set(error) == {"code", "message", "fields"}


@pytest.fixture
def target(acme, factory, bearer):
    """A ticket and an agent's headers (fixtures run once for all examples of a test)."""
    return factory.ticket(acme.client).id, bearer(acme.agent)


@FUZZ
@given(body=bodies)
def test_any_json_sent_to_file_a_ticket_gets_201_or_a_clean_4xx(client, acme, body):
    response = client.post(
        "/api/v1/tickets",
        data=json.dumps(body),
        content_type="application/json",
        headers=acme.intake,
    )
    _assert_clean(response, {201, 400, 403, 422})


@pytest.mark.parametrize(
    "method, suffix, allowed",
    [("PATCH", "", {200, 400, 409, 422}), ("POST", "/messages", {200, 201, 400, 409, 422})],
)
@FUZZ
@given(body=bodies)
def test_any_json_sent_about_a_ticket_gets_a_success_or_a_clean_4xx(
    client, target, method, suffix, allowed, body
):
    ticket_id, headers = target
    response = client.open(
        f"/api/v1/tickets/{ticket_id}{suffix}",
        method=method,
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
    _assert_clean(response, allowed)
