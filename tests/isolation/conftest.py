"""Two tenants for the isolation matrix: "home" (globex), whose people probe, and "foreign" (acme),
whose ticket, messages and people they must never reach. Every foreign string a leak could show
carries a unique marker, so a test can assert that none of them is in a response."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask import current_app, g, has_app_context

from helpdesk.models import Ticket
from helpdesk.services.attachments import add_attachment
from helpdesk.services.tickets import add_message
from tests.conftest import api_token, login

# Unique strings of the foreign tenant's data; none may appear in a response to the home side.
MARKERS = {
    "subject": "QZX7-foreign-subject",
    "body": "QZX7-foreign-body",
    "requester_name": "QZX7 Foreign Requester",
    "requester_email": "qzx7-requester@foreign.test",
    "reply": "QZX7-foreign-agent-reply",
    "note": "QZX7-foreign-internal-note",
    "file": "QZX7-foreign-file-content",
    "filename": "qzx7-foreign-file.txt",
}


def leaked(text: str) -> list[str]:
    """The foreign markers present in a response text (empty when nothing leaked)."""
    return [value for value in MARKERS.values() if value in text]


@dataclass
class Foreign:
    """The other client's objects, by which a matrix entry builds its URLs."""

    client: object
    ticket: Ticket
    reply: object
    note: object
    requester: object
    agent: object
    supervisor: object
    attachment: object
    home_ticket_id: int  # a ticket of the PROBING client, to pair with the foreign file's id
    slug: str = field(init=False)

    def __post_init__(self):
        self.slug = self.client.slug


@dataclass
class World:
    home: object  # the probing side's client
    foreign: Foreign
    people: dict  # role name -> User, on the home side (plus "admin")
    owners: dict  # role name -> User, on the foreign side


@pytest.fixture
def world(factory, app, tmp_path, monkeypatch) -> World:
    home = factory.client("globex", name="Globex")
    acme = factory.client("acme", name="Acme Corp")
    requester = factory.customer(
        acme, name=MARKERS["requester_name"], email=MARKERS["requester_email"]
    )
    owner_agent = factory.agent([acme], name="Owen Owner")
    owner_supervisor = factory.supervisor(acme, name="Sue Owner")
    ticket = factory.ticket(acme, requester, subject=MARKERS["subject"], body=MARKERS["body"])
    reply = add_message(
        factory.session, ticket=ticket, author=owner_agent, body=MARKERS["reply"], now=factory.now
    )
    note = add_message(
        factory.session,
        ticket=ticket,
        author=owner_agent,
        body=MARKERS["note"],
        internal=True,
        now=factory.now,
    )
    people = {
        "customer": factory.customer(home, name="Hank Home"),
        "agent": factory.agent([home], name="Hana Home"),
        "supervisor": factory.supervisor(home, name="Hugo Home"),
        "admin": factory.admin(name="Ada Admin"),
    }
    home_ticket = factory.ticket(home, people["customer"], subject="Home ticket", body="Home")
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    attachment = add_attachment(
        factory.session,
        root=current_app.config["ATTACHMENTS_DIR"],
        ticket=ticket,
        message=reply,
        filename=MARKERS["filename"],
        data=MARKERS["file"].encode(),
    )
    factory.session.commit()
    owners = {"customer": requester, "agent": owner_agent, "supervisor": owner_supervisor}
    foreign = Foreign(
        client=acme,
        ticket=ticket,
        reply=reply,
        note=note,
        requester=requester,
        agent=owner_agent,
        supervisor=owner_supervisor,
        attachment=attachment,
        home_ticket_id=home_ticket.id,
    )
    return World(home=home, foreign=foreign, people=people, owners=owners)


def _fresh_login_state():
    if has_app_context():
        g.pop("_login_user", None)  # see tests/conftest.py: the app context is shared


@pytest.fixture
def browser_as(app, world):
    """browser_as(principal) -> a test client signed in through the real form (or anonymous);
    principals: anonymous, customer, agent, supervisor, admin, owner_<role>."""
    made = {}

    def make(principal: str):
        if principal not in made:
            http = app.test_client()
            if principal != "anonymous":
                user = _user_of(world, principal)
                login(http, user)
            _fresh_login_state()
            made[principal] = http
        return made[principal]

    return make


@pytest.fixture
def api_as(app, world):
    """api_as(principal) -> Authorization headers: anonymous (none), intake (the home client's
    intake token), <role>_token (a user token of the home side), owner_<role>_token."""
    made = {}

    def make(principal: str) -> dict:
        if principal not in made:
            if principal == "anonymous":
                made[principal] = {}
            elif principal == "intake":
                made[principal] = {"Authorization": f"Bearer {world.home.slug}-intake-token"}
            elif principal == "owner_intake":
                made[principal] = {"Authorization": f"Bearer {world.foreign.slug}-intake-token"}
            else:
                user = _user_of(world, principal.removesuffix("_token"))
                made[principal] = api_token(app.test_client(), user)
                _fresh_login_state()
        return made[principal]

    return make


def _user_of(world: World, principal: str):
    if principal.startswith("owner_"):
        return world.owners[principal.removeprefix("owner_")]
    return world.people[principal]
