"""The console's Agents (/admin/agents): an admin sees every agent with site, languages, skills,
clients, presence and load, edits them and adds new ones through provisioning (a new agent gets
a set-password link by mail); every other role gets 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from helpdesk.models import STAFF_REALM, OutboundMail, User
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def olga(factory):
    return factory.admin(name="Olga Operator", email="olga@provider.test")


@pytest.fixture
def console(app, olga):
    http = app.test_client()
    login(http, olga)
    return http


@pytest.fixture
def anywhere(factory):
    return factory.site("anywhere", name="Anywhere", shifts={d: ["00:00-24:00"] for d in ALL_DAYS})


def fingerprint_of(console, agent_id: int) -> str:
    page = console.get(f"/admin/agents/{agent_id}").get_data(as_text=True)
    return re.search(r'name="fingerprint" value="([^"]*)"', page).group(1)


def agent_form(**fields) -> dict:
    form = {"name": "Ana", "site": "anywhere", "languages": "en", "skills": "", "capacity": "5"}
    return form | fields


@pytest.mark.parametrize("who", ["kei", "ana", "sam"])
def test_every_other_role_gets_404_on_the_agent_pages(app, request, who):
    http = app.test_client()
    login(http, request.getfixturevalue(who))
    target = request.getfixturevalue("ana")
    for url in ("/admin/agents", "/admin/agents/new", f"/admin/agents/{target.id}"):
        assert http.get(url).status_code == 404
    assert http.post(f"/admin/agents/{target.id}", data={"capacity": "99"}).status_code == 404


def test_the_list_shows_site_languages_skills_clients_presence_and_load(
    console, factory, acme, globex, anywhere, page_text
):
    ana = factory.agent(
        [acme],
        name="Ana",
        site=anywhere,
        languages=("en", "ja"),
        skills=("billing",),
        presence="online",
        capacity=3,
    )
    factory.agent([], name="Bo", site=anywhere, languages=("de",), serves_all_clients=True)
    factory.ticket(acme)  # routed to Ana, the only one serving acme
    response = console.get("/admin/agents")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    row = page_text_of(re.search(rf'<tr data-agent-id="{ana.id}">.*?</tr>', html, re.S).group(0))
    for words in ("Ana", "Anywhere", "en, ja", "billing", "Acme Corp", "Online", "1 of 3"):
        assert words in row, words
    assert "All clients" in page_text(response)

    assert "Bo" not in page_text(console.get("/admin/agents?client=acme&language=en"))
    assert "Bo" in page_text(console.get("/admin/agents?language=de"))
    assert "Ana" not in page_text(console.get("/admin/agents?language=de"))
    assert console.get("/admin/agents?site=x&client=y&language=z").status_code == 200


def page_text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_an_edit_goes_through_provisioning_and_changes_who_gets_the_next_ticket(
    console, factory, acme, globex, anywhere, db_session
):
    ana = factory.agent([acme], name="Ana", site=anywhere, presence="online")
    assert factory.ticket(globex).assignee_id is None  # nobody serves globex yet
    form = agent_form(languages="en, ja", skills="billing", capacity="7")
    form |= {"clients": ["acme", "globex"], "fingerprint": fingerprint_of(console, ana.id)}
    response = console.post(f"/admin/agents/{ana.id}", data=form)
    assert response.status_code == 302
    db_session.expire_all()
    assert ana.capacity == 7
    assert {row.language for row in ana.languages} == {"en", "ja"}
    assert {c.slug for c in ana.served_clients} == {"acme", "globex"}
    assert factory.ticket(globex).assignee_id == ana.id

    everyone = agent_form(all_clients="1", fingerprint=fingerprint_of(console, ana.id))
    assert console.post(f"/admin/agents/{ana.id}", data=everyone).status_code == 302
    db_session.expire_all()
    assert ana.serves_all_clients and ana.served_clients == []


def test_a_bad_agent_form_shows_each_problem_beside_its_field_and_stores_nothing(
    console, factory, acme, anywhere, db_session, page_text
):
    ana = factory.agent([acme], name="Ana", site=anywhere)
    form = agent_form(site="", languages="en, zz-nonsense", skills="Bad Skill!", capacity="lots")
    form |= {"name": "", "clients": ["acme"], "fingerprint": fingerprint_of(console, ana.id)}
    response = console.post(f"/admin/agents/{ana.id}", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("name", "site", "languages", "skills", "capacity"):
        assert f'id="{field}-error"' in html, field
    assert "must be a whole number" in page_text(response)
    db_session.expire_all()
    assert ana.name == "Ana" and ana.capacity == 5 and ana.site.slug == "anywhere"


def test_a_new_agent_is_created_without_a_password_and_mailed_a_link(
    console, acme, anywhere, db_session, page_text
):
    form = agent_form(name="Nia", email="Nia@Provider.test", languages="en", clients=["acme"])
    response = console.post("/admin/agents/new", data=form)
    assert response.status_code == 302
    nia = db_session.scalar(select(User).where(User.email == "nia@provider.test"))
    assert nia.role == "agent" and nia.realm == STAFF_REALM and nia.password_hash is None
    assert nia.site.slug == "anywhere" and [c.slug for c in nia.served_clients] == ["acme"]
    mail = db_session.scalar(select(OutboundMail).where(OutboundMail.user_id == nia.id))
    assert mail.kind == "invite"
    assert "a link to set their password" in page_text(console.get(response.headers["Location"]))

    again = console.post("/admin/agents/new", data=form)
    assert again.status_code == 422
    assert "has this e-mail already" in page_text(again)
    bad = console.post("/admin/agents/new", data=agent_form(name="X", email="not-an-address"))
    assert bad.status_code == 422 and 'id="email-error"' in bad.get_data(as_text=True)


def test_a_second_admin_saving_over_a_change_is_refused_with_what_is_stored_now(
    app, console, factory, acme, anywhere, db_session, page_text
):
    ana = factory.agent([acme], name="Ana", site=anywhere)
    seen = fingerprint_of(console, ana.id)
    other = app.test_client()
    login(other, factory.admin(name="Otto", email="otto@provider.test"))
    first = agent_form(capacity="9", clients=["acme"], fingerprint=fingerprint_of(other, ana.id))
    assert other.post(f"/admin/agents/{ana.id}", data=first).status_code == 302

    stale = console.post(
        f"/admin/agents/{ana.id}", data=agent_form(capacity="2", clients=["acme"], fingerprint=seen)
    )
    assert stale.status_code == 409
    assert "Someone changed this agent meanwhile" in page_text(stale)
    assert 'value="9"' in stale.get_data(as_text=True)
    db_session.expire_all()
    assert ana.capacity == 9
