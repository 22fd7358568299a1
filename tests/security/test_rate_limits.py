"""Rate limits: failed sign-ins per account and per address, API intake per token, portal
registration, filing and password links per address; a 429 with Retry-After as the API's
error or a page."""

from __future__ import annotations

from sqlalchemy import func, select

from helpdesk.models import Ticket, User
from tests.api.helpers import assert_error, intake_headers
from tests.conftest import login

NEW = {"subject": "VPN down", "body": "Since this morning.", "requester": {"email": "k@x.test"}}


def staff_login(client, email, password="wrong", addr="192.0.2.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )


def assert_limited_page(response, window: int = 60) -> int:
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= window + 1  # the storage rounds the window's end up to a second
    assert f"Please wait {seconds} seconds" in response.get_data(as_text=True)
    return seconds


def assert_limited_json(response) -> int:
    assert_error(response, 429, "rate_limited")
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 61
    assert str(seconds) in response.get_json()["error"]["message"]
    return seconds


def test_failed_sign_ins_are_limited_per_account_and_address(client, factory, limits):
    limits(login_account="2/minute")
    acme = factory.client("acme")
    sam = factory.supervisor(acme)
    assert staff_login(client, sam.email).status_code == 200
    assert staff_login(client, sam.email.upper()).status_code == 200
    assert_limited_page(staff_login(client, sam.email))
    # Even the right password waits from there: the account is what is being guessed.
    assert_limited_page(staff_login(client, sam.email, password="pw"))
    # Another account from the same address is not held up by this one.
    other = factory.supervisor(acme)
    assert staff_login(client, other.email, password="pw").status_code == 302


def test_a_stranger_cannot_lock_the_owner_out_from_elsewhere(app, factory, limits):
    limits(login_account="2/minute")
    sam = factory.supervisor(factory.client("acme"))
    stranger, owner = app.test_client(), app.test_client()
    for _ in range(5):
        staff_login(stranger, sam.email, addr="203.0.113.66")
    assert_limited_page(staff_login(stranger, sam.email, addr="203.0.113.66"))
    assert staff_login(owner, sam.email, password="pw", addr="192.0.2.10").status_code == 302


def test_guessing_one_account_from_many_addresses_meets_an_account_wide_limit(app, factory, limits):
    limits(login_account_anywhere="3/minute")
    sam = factory.supervisor(factory.client("acme"))
    for n in range(3):
        assert staff_login(app.test_client(), sam.email, addr=f"203.0.113.{n}").status_code == 200
    assert_limited_page(staff_login(app.test_client(), sam.email, addr="203.0.113.9"))
    # A new device of the owner waits too: nothing tells it from the guesser.
    assert_limited_page(staff_login(app.test_client(), sam.email, password="pw", addr="192.0.2.10"))


def test_a_device_that_signed_in_before_passes_the_account_wide_limit(app, factory, limits):
    limits(login_account_anywhere="3/minute")
    sam = factory.supervisor(factory.client("acme"))
    owner = app.test_client()
    assert staff_login(owner, sam.email, password="pw", addr="192.0.2.10").status_code == 302
    owner.post("/logout")
    for n in range(4):
        staff_login(app.test_client(), sam.email, addr=f"203.0.113.{n}")
    assert staff_login(owner, sam.email, password="pw", addr="192.0.2.10").status_code == 302
    # A forged device cookie is just no cookie.
    forged = app.test_client()
    forged.set_cookie("hd_device", "W10.forged")
    assert_limited_page(staff_login(forged, sam.email, password="pw", addr="192.0.2.11"))


def test_an_unknown_account_is_limited_the_same_way(client, limits):
    limits(login_account="1/minute")
    assert staff_login(client, "nobody@example.test").status_code == 200
    assert_limited_page(staff_login(client, "nobody@example.test"))


def test_successful_sign_ins_do_not_count(client, factory, limits):
    limits(login_account="1/minute", login_address="1/minute")
    acme = factory.client("acme")
    sam = factory.supervisor(acme)
    for _ in range(3):
        assert staff_login(client, sam.email, password="pw").status_code == 302
        client.post("/logout")


def test_failed_sign_ins_are_limited_per_address(client, limits):
    limits(login_address="2/minute")
    for n in range(2):
        assert staff_login(client, f"guess{n}@example.test").status_code == 200
    assert_limited_page(staff_login(client, "guess9@example.test"))
    assert staff_login(client, "guess9@example.test", addr="198.51.100.5").status_code == 200


def test_the_portal_and_the_api_share_the_account_bucket_with_staff_sign_in(
    client, factory, limits
):
    limits(login_account="2/minute")
    acme = factory.client("acme")
    kei = factory.customer(acme)
    portal = client.post("/c/acme/login", data={"email": kei.email, "password": "wrong"})
    assert portal.status_code == 200
    api = client.post("/api/v1/auth/token", json={"email": kei.email, "password": "wrong"})
    assert_error(api, 401, "invalid_credentials")
    assert_limited_page(client.post("/c/acme/login", data={"email": kei.email, "password": "pw"}))
    assert_limited_json(
        client.post("/api/v1/auth/token", json={"email": kei.email, "password": "pw"})
    )


def test_the_api_token_limit_answers_in_the_api_error_shape(client, limits):
    limits(login_address="1/minute")
    body = {"email": "nobody@example.test", "password": "x"}
    assert_error(client.post("/api/v1/auth/token", json=body), 401, "invalid_credentials")
    response = client.post("/api/v1/auth/token", json=body)
    assert_limited_json(response)
    assert "wait" in response.get_json()["error"]["message"]


def test_api_intake_is_limited_per_token(client, factory, limits, db_session):
    limits(api_intake="2/minute")
    acme, globex = factory.client("acme"), factory.client("globex")
    for _ in range(2):
        assert client.post("/api/v1/tickets", json=NEW, headers=intake_headers(acme)).status_code
    refused = client.post("/api/v1/tickets", json=NEW, headers=intake_headers(acme))
    assert_limited_json(refused)
    assert (
        client.post("/api/v1/tickets", json=NEW, headers=intake_headers(globex)).status_code == 201
    )
    assert db_session.scalar(select(func.count(Ticket.id))) == 3  # the refused one stored nothing


def test_api_reads_are_not_counted_against_intake(client, factory, limits):
    limits(api_intake="1/minute")
    acme = factory.client("acme")
    for _ in range(3):
        assert client.get("/api/v1/tickets", headers=intake_headers(acme)).status_code in (200, 403)
    assert client.post("/api/v1/tickets", json=NEW, headers=intake_headers(acme)).status_code == 201


def test_portal_registration_is_limited_per_address(client, factory, limits, db_session):
    limits(register="1/hour")
    factory.client("acme")

    def register(n, addr="192.0.2.1"):
        data = {"name": "Kei", "email": f"kei{n}@example.test", "password": "long enough pw"}
        return client.post("/c/acme/register", data=data, environ_base={"REMOTE_ADDR": addr})

    assert register(1).status_code == 302
    client.post("/c/acme/logout")
    seconds = assert_limited_page(register(2), window=3600)
    assert seconds > 60 * 59  # an hour's window
    assert (
        db_session.scalar(select(func.count(User.id)).where(User.email == "kei2@example.test")) == 0
    )
    assert register(3, addr="198.51.100.5").status_code == 302


def test_portal_filing_is_limited_per_address(client, factory, limits, db_session):
    limits(portal_filing="1/hour")
    acme = factory.client("acme")
    login(client, factory.customer(acme))
    ticket = {"subject": "Printer", "body": "Out of paper.", "priority": "normal"}
    assert client.post("/c/acme/tickets/new", data=ticket).status_code == 302
    refused = client.post("/c/acme/tickets/new", data=ticket)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Acme" in refused.get_data(as_text=True)  # the portal's branded error page
    assert db_session.scalar(select(func.count(Ticket.id))) == 1
    assert client.get("/c/acme/tickets/new").status_code == 200  # reading the form is free


def test_password_links_are_limited_per_address_across_staff_and_portals(
    client, factory, limits, db_session
):
    limits(password_link="2/hour")
    factory.client("acme")

    def ask(url, addr="192.0.2.1"):
        data = {"email": "someone@example.test"}
        return client.post(url, data=data, environ_base={"REMOTE_ADDR": addr})

    assert ask("/c/acme/password").status_code == 302
    assert ask("/password").status_code == 302
    assert_limited_page(ask("/c/acme/password"), window=3600)
    assert_limited_page(ask("/password"), window=3600)
    assert ask("/password", addr="198.51.100.5").status_code == 302


def test_wrong_current_passwords_count_as_failed_sign_ins_of_the_account(client, factory, limits):
    limits(login_account="2/minute")
    kei = factory.customer(factory.client("acme"))
    login(client, kei)

    def change(current):
        data = {
            "email": kei.email,
            "current": current,
            "password": "long enough",
            "confirm": "long enough",
        }
        return client.post("/c/acme/settings/password", data=data)

    assert change("guess 1").status_code == 422
    assert change("guess 2").status_code == 422
    assert_limited_page(change("pw"))


def test_a_failed_sign_in_costs_one_hash_whether_or_not_the_account_exists(
    db_session, factory, monkeypatch
):
    from werkzeug.security import check_password_hash

    from helpdesk.models import users as users_module
    from helpdesk.services import auth

    calls = []

    def counting(pwhash, password):
        calls.append(pwhash)
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    monkeypatch.setattr(users_module, "check_password_hash", counting)
    agent = factory.agent([])
    passwordless = factory.customer(factory.client())
    passwordless.password_hash = None
    db_session.commit()
    for email in (agent.email, "nobody@example.test", passwordless.email):
        calls.clear()
        assert auth.authenticate(db_session, email=email, password="wrong", realm=None) is None
        assert len(calls) == 1, email
