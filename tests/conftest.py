"""Fixtures: the app on SQLite or DATABASE_URL, a database cleaned per test, factories, logins."""

from __future__ import annotations

import functools
import itertools
import os
from datetime import UTC, datetime

import flask_babel
import pytest
from flask import g, request_started
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from config import TestConfig
from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import (
    STAFF_REALM,
    AgentLanguage,
    AgentSkill,
    Calendar,
    Client,
    Site,
    SlaTarget,
    User,
)
from helpdesk.models import users as users_module
from helpdesk.services import second_factor
from helpdesk.services.auth import token_digest
from helpdesk.services.tickets import NewTicket, create_ticket

NOW = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # a Monday
# Hashed once with few rounds: real scrypt per factory user would dominate the suite's time.
CHEAP_HASH = "pbkdf2:sha256:1000"
_PASSWORD_HASHES = {"pw": generate_password_hash("pw", method=CHEAP_HASH)}
# The TOTP secret of staff the factory enrols: admins by default, as the site's rule wants.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    # A file, not :memory:, so threads and the test client share one database.
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def _forget_signed_in_user(sender, **extra):
    # Tests keep one app context open, which requests then share; Flask-Login caches the
    # user on `g`, so without this a request could see the previous request's user.
    g.pop("_login_user", None)
    # Flask-Babel caches the locale and zone on `g` the same way.
    flask_babel.refresh()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """Compile missing or stale .mo files before any page renders (.mo are build output)."""
    from tests.i18n.catalogs import compile_stale

    compile_stale()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The app with TestConfig, schema created once for the session."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _test_database_url(tmp_path_factory)

    app = create_app(Config)
    request_started.connect(_forget_signed_in_user, app)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def db_session(app):
    """The app's session inside an app context; every table is emptied after the test."""
    ctx = app.app_context()
    ctx.push()
    yield db.session
    db.session.rollback()
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in reversed(tables):
            db.session.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (table names from metadata)
    db.session.commit()
    db.session.remove()
    ctx.pop()


@pytest.fixture
def client(app, db_session):
    """A test client (the name Flask's docs use); db_session guarantees cleanup."""
    return app.test_client()


@pytest.fixture
def cheap_password_hashing(monkeypatch):
    """Passwords the code under test sets hash with few rounds: scrypt would dominate."""
    monkeypatch.setattr(
        users_module,
        "generate_password_hash",
        functools.partial(generate_password_hash, method=CHEAP_HASH),
    )


@pytest.fixture
def now():
    """The frozen clock tests pass to services."""
    return NOW


class Factory:
    """Tenant-aware builders for test data; each returns a committed object."""

    def __init__(self, session, now):
        self.session = session
        self.now = now
        self._seq = itertools.count(1)

    def client(self, slug: str | None = None, **kw) -> Client:
        n = next(self._seq)
        slug = slug or f"client{n}"
        token = kw.pop("intake_token", f"{slug}-intake-token")
        obj = Client(
            slug=slug,
            name=kw.pop("name", slug.title()),
            timezone=kw.pop("timezone", "America/New_York"),
            default_locale=kw.pop("default_locale", "en"),
            intake_token_hash=token_digest(token),
            **kw,
        )
        self.session.add(obj)
        self.session.commit()
        return obj

    def site(self, slug: str | None = None, **kw) -> Site:
        slug = slug or f"site{next(self._seq)}"
        obj = Site(
            slug=slug, name=kw.pop("name", slug.title()), timezone=kw.pop("timezone", "UTC"), **kw
        )
        self.session.add(obj)
        self.session.commit()
        return obj

    def _user(self, role: str, *, client=None, email=None, password="pw", **kw) -> User:
        n = next(self._seq)
        kw.setdefault("email_confirmed_at", datetime.now(UTC))  # as provisioning does
        user = User(
            role=role,
            email=email or f"{role}{n}@example.test",
            name=kw.pop("name", f"{role.title()} {n}"),
            client=client,
            realm=client.id if role == "customer" else STAFF_REALM,
            **kw,
        )
        if password not in _PASSWORD_HASHES:
            _PASSWORD_HASHES[password] = generate_password_hash(password, CHEAP_HASH)
        user.password_hash = _PASSWORD_HASHES[password]
        self.session.add(user)
        self.session.commit()
        return user

    def customer(self, client: Client, **kw) -> User:
        return self._user("customer", client=client, **kw)

    def supervisor(self, client: Client, **kw) -> User:
        return self._user("supervisor", client=client, **kw)

    def admin(self, *, second_factor: bool = True, **kw) -> User:
        """An admin; with a second factor enrolled (TOTP_SECRET) unless told otherwise."""
        if second_factor:
            kw.setdefault("totp_secret", TOTP_SECRET)
            kw.setdefault("totp_enabled_at", self.now)
        return self._user("admin", **kw)

    def agent(self, clients=(), *, languages=("en",), skills=(), **kw) -> User:
        kw.setdefault("capacity", 5)
        user = self._user("agent", **kw)
        user.served_clients = list(clients)
        user.languages = [AgentLanguage(language=code) for code in languages]
        user.skills = [AgentSkill(skill=s) for s in skills]
        self.session.commit()
        return user

    def office_hours_policy(self, client: Client, *, holidays=()) -> Calendar:
        """SLA targets: urgent (30/60/240) and high (60/120/480) around the clock, normal
        (240/480/1440) on acme-hours, New York Monday to Friday 09:00-17:00."""
        hours = Calendar(
            name="acme-hours",
            timezone="America/New_York",
            hours={d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            holidays=list(holidays),
        )
        targets = [
            ("urgent", 30, 60, 240, None),
            ("high", 60, 120, 480, None),
            ("normal", 240, 480, 1440, hours),
        ]
        self.session.add(hours)
        self.session.add_all(
            SlaTarget(
                client=client,
                priority=priority,
                first_response=first,
                next_response=following,
                resolution=resolution,
                calendar=calendar,
            )
            for priority, first, following, resolution, calendar in targets
        )
        self.session.commit()
        return hours

    def ticket(self, client: Client, requester: User | None = None, **kw):
        requester = requester or self.customer(client)
        cmd = NewTicket(
            subject=kw.pop("subject", "Printer on fire"),
            body=kw.pop("body", "It smells of toner."),
            **kw,
        )
        return create_ticket(
            self.session, client=client, requester=requester, cmd=cmd, now=self.now
        )


@pytest.fixture
def factory(db_session, now):
    """Builders for clients, users and tickets."""
    return Factory(db_session, now)


def second_factor_code(user: User) -> str:
    """A code the server takes now for an enrolled user. A time step works once, so a second
    sign-in within the same 30 seconds sends the next step's code (one step of skew passes)."""
    now = datetime.now(UTC)
    last = db.session.scalar(select(User.totp_last_step).where(User.id == user.id))
    step = max(second_factor.current_step(now), (last or 0) + 1)
    assert step <= second_factor.current_step(now) + 1, "3 sign-ins of one user in 30 s"
    return second_factor.code_at(user.totp_secret, step)


def login(http, user: User, password: str = "pw"):
    """Sign in through the real form: the client's portal for customers, /login for staff
    (and its second step with a code from the app for staff with a second factor)."""
    url = f"/c/{user.client.slug}/login" if user.role == "customer" else "/login"
    response = http.post(url, data={"email": user.email, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    if response.headers["Location"].endswith("/login/second-factor"):
        response = http.post(
            "/login/second-factor", data={"email": user.email, "code": second_factor_code(user)}
        )
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return response


def api_token(http, user: User, password: str = "pw") -> dict:
    """Authorization headers carrying a fresh user token."""
    body = {"email": user.email, "password": password}
    if second_factor.enrolled(user):
        body["code"] = second_factor_code(user)
    response = http.post("/api/v1/auth/token", json=body)
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
