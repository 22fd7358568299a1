"""Bearer authentication and user tokens."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from helpdesk.models import ApiToken
from tests.api.helpers import assert_error
from tests.conftest import api_token


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


def test_a_new_password_ends_every_token_at_once(client, db_session, cheap_password_hashing):
    from helpdesk.services import accounts, provisioning
    from tests.conftest import NOW, Factory

    factory = Factory(db_session, NOW)
    acme = factory.client("acme")
    kei = factory.customer(acme)
    headers = api_token(client, kei)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200

    accounts.change_password(
        db_session, kei, current="pw", new="a-new-password", realm="api", now=NOW
    )
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401

    headers = api_token(client, kei, "a-new-password")
    accounts.set_password_from_link(db_session, kei, "from-the-link", realm_name="portal", now=NOW)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401

    root = factory.admin(email="root@provider.test")
    world = {"admins": [{"email": "root@provider.test", "name": "Root", "password": "pass-1-ok"}]}
    provisioning.provision(db_session, world, now=NOW, force_passwords=True)
    headers = api_token(client, root, "pass-1-ok")
    world["admins"][0]["password"] = "pass-2-ok"
    provisioning.provision(db_session, world, now=NOW)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401


def test_issuing_more_tokens_than_the_cap_revokes_the_oldest(client, db_session):
    from sqlalchemy import func, select

    from helpdesk.models import ApiToken
    from helpdesk.services.auth import TOKENS_PER_USER
    from tests.conftest import NOW, Factory

    kei = Factory(db_session, NOW).customer(Factory(db_session, NOW).client("acme"))
    first = api_token(client, kei)
    for _ in range(TOKENS_PER_USER):
        last = api_token(client, kei)
    count = db_session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == kei.id)
    )
    assert count == TOKENS_PER_USER
    assert client.get("/api/v1/tickets", headers=first).status_code == 401
    assert client.get("/api/v1/tickets", headers=last).status_code == 200
