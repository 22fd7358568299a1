"""A shift-end handoff note is stored in the desk's language; each agent reads it in theirs."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from helpdesk.extensions import db
from helpdesk.models import Message
from helpdesk.services import follow_the_sun
from tests.conftest import login

OFFICE = {day: ["08:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def test_a_german_agent_reads_the_handoff_note_in_german(client, factory, acme):
    krakow = factory.site("krakow", name="Krakow", timezone="Europe/Warsaw", shifts=OFFICE)
    ana = factory.agent([acme], name="Ana", site=krakow, presence="online")
    ticket = factory.ticket(acme)
    bo = factory.agent([acme], name="Bo", site=krakow, presence="online", locale="de")
    assert follow_the_sun.set_presence(db.session, ana, "offline", now=factory.now).handed_off == [
        ticket.id
    ]
    stored = db.session.query(Message).filter_by(ticket_id=ticket.id, kind="system").one().body
    assert stored.startswith("Handed off from Ana to Bo. The agent went offline.")

    login(client, bo)
    html = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    with force_locale("de"):
        german = gettext("Handed off from %(old)s to %(new)s.", old="Ana", new="Bo")
        why = gettext("The agent went offline.")
    assert german != "Handed off from Ana to Bo." and why != "The agent went offline."
    thread = html[html.index('class="thread"') : html.index('id="latest"')]
    assert german in thread and why in thread
    assert "Handed off from Ana" not in thread
