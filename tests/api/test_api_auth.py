"""Bearer authentication and user tokens."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from helpdesk.models import ApiToken
from tests.api.helpers import assert_error


def test_valid_credentials_get_a_token_that_authenticates(client, acme):
    response = client.post("/api/v1/auth/token", json={"email": acme.agent.email, "password": "pw"})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    assert body["expires_at"].endswith("Z")
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires > datetime.now(UTC) + timedelta(days=29)
    listed = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {body['token']}"})
    assert listed.status_code == 200


def test_only_the_digest_of_a_token_is_stored(client, acme, db_session):
    token = client.post(
        "/api/v1/auth/token", json={"email": acme.agent.email, "password": "pw"}
    ).get_json()["token"]
    stored = db_session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored) == 1


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(client, acme):
    wrong = client.post("/api/v1/auth/token", json={"email": acme.agent.email, "password": "nope"})
    unknown = client.post(
        "/api/v1/auth/token", json={"email": "nobody@example.com", "password": "pw"}
    )
    first = assert_error(wrong, 401, "invalid_credentials")
    second = assert_error(unknown, 401, "invalid_credentials")
    assert first["message"] == second["message"]
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_inactive_user_gets_no_token(client, acme, db_session):
    acme.agent.active = False
    db_session.commit()
    response = client.post("/api/v1/auth/token", json={"email": acme.agent.email, "password": "pw"})
    assert_error(response, 401, "invalid_credentials")


def test_the_client_field_narrows_sign_in_to_that_clients_customers(client, factory, acme, globex):
    # The same person is a customer of both clients, with different passwords.
    factory.customer(acme.client, email="kei@example.jp", password="pw-acme")
    factory.customer(globex.client, email="kei@example.jp", password="pw-globex")
    ok = client.post(
        "/api/v1/auth/token",
        json={"email": "kei@example.jp", "password": "pw-globex", "client": "globex"},
    )
    assert ok.status_code == 200
    crossed = client.post(
        "/api/v1/auth/token",
        json={"email": "kei@example.jp", "password": "pw-globex", "client": "acme"},
    )
    assert_error(crossed, 401, "invalid_credentials")
    unknown_client = client.post(
        "/api/v1/auth/token",
        json={"email": "kei@example.jp", "password": "pw-globex", "client": "nope"},
    )
    assert_error(unknown_client, 401, "invalid_credentials")


def test_token_requests_with_bad_fields_are_422(client):
    response = client.post("/api/v1/auth/token", json={"email": "a@example.com"})
    error = assert_error(response, 422, "validation_error")
    assert "password" in error["fields"]
    response = client.post(
        "/api/v1/auth/token", json={"email": "a@example.com", "password": 1, "x": 1}
    )
    error = assert_error(response, 422, "validation_error")
    assert set(error["fields"]) == {"password", "x"}


def test_a_request_without_a_token_is_401_with_a_bearer_challenge(client, acme):
    response = client.get("/api/v1/tickets")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_malformed_and_unknown_tokens_are_401(client, acme):
    for header in ("Basic dXNlcjpwdw==", "Bearer", "Bearer ", "Bearer a b", "Bearer nope"):
        response = client.get("/api/v1/tickets", headers={"Authorization": header})
        assert_error(response, 401, "unauthorized")
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_expired_token_is_401(client, acme, bearer, db_session):
    headers = bearer(acme.agent)
    row = db_session.scalar(select(ApiToken))
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db_session.commit()
    assert_error(client.get("/api/v1/tickets", headers=headers), 401, "unauthorized")


def test_a_disabled_users_token_stops_working(client, acme, bearer, db_session):
    headers = bearer(acme.customer)
    acme.customer.active = False
    db_session.commit()
    assert_error(client.get("/api/v1/tickets", headers=headers), 401, "unauthorized")


def test_a_signed_in_browser_session_does_not_authenticate_the_api(client, acme):
    # The API is exempt from CSRF, so a cookie alone must never act for the user.
    signed_in = client.post("/login", data={"email": acme.agent.email, "password": "pw"})
    assert signed_in.status_code in (302, 303)
    assert_error(client.get("/api/v1/tickets"), 401, "unauthorized")
    response = client.post(
        f"/api/v1/tickets/{1}/messages", json={"body": "forged from another site"}
    )
    assert_error(response, 401, "unauthorized")


def test_an_intake_token_that_looks_like_a_user_token_still_works(client, factory):
    odd = factory.client("odd", intake_token="hdu_chosen-by-an-operator")
    response = client.post(
        "/api/v1/tickets",
        json={"subject": "s", "body": "b", "requester": {"email": "a@example.com"}},
        headers={"Authorization": "Bearer hdu_chosen-by-an-operator"},
    )
    assert response.status_code == 201
    assert response.get_json()["client"] == odd.slug


def test_the_openapi_document_and_options_need_no_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    response = client.options("/api/v1/tickets")
    assert response.status_code == 200
    assert {"GET", "POST"} <= set(response.headers["Allow"].replace(" ", "").split(","))
