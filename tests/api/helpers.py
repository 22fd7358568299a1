"""Assertions and headers shared by the API tests."""

from helpdesk.models import Client


def intake_headers(client: Client) -> dict:
    """Authorization with the factory's intake token of the client."""
    return {"Authorization": f"Bearer {client.slug}-intake-token"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the API error shape with this status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error
