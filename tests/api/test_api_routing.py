"""Routing preview and coverage through the API."""

import pytest

from tests.api.helpers import assert_error

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@pytest.fixture
def krakow(factory, acme):
    """A site on shift Monday to Friday 08:00-17:00 in Warsaw, with a Polish agent online."""
    site = factory.site(
        "krakow", timezone="Europe/Warsaw", shifts={d: ["08:00-17:00"] for d in WEEKDAYS}
    )
    factory.agent([acme.client], site=site, languages=("pl",), presence="online", name="Ola")
    return site


def get(http, path, headers, **params):
    return http.get(f"/api/v1/{path}", query_string=params, headers=headers)


def test_a_planned_preview_names_the_agent_on_shift_then(client, acme, krakow, bearer):
    # Monday 2026-03-09 10:00 in Warsaw.
    response = get(
        client,
        "routing/preview",
        bearer(acme.agent),
        client="acme",
        locale="pl",
        at="2026-03-09T09:00:00Z",
    )
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["agent"]["name"] == "Ola" and body["site"] == "krakow"
    assert (body["live"], body["reason_code"]) == (False, "assigned")
    assert "Ola" in body["reason"]
    assert body["candidates"][0]["eligible"] is True


def test_a_preview_at_night_says_when_the_next_shift_picks_it_up(client, acme, krakow, bearer):
    response = get(
        client,
        "routing/preview",
        bearer(acme.agent),
        client="acme",
        locale="pl",
        at="2026-03-09T20:00:00Z",
    )
    body = response.get_json()
    assert body["agent"] is None
    assert body["expected_pickup_at"] == "2026-03-10T07:00:00Z"  # Tuesday 08:00 CET
    assert body["reason_code"] == "queued_next_shift"


def test_coverage_has_168_slots_and_merges_the_gaps(client, acme, krakow, bearer):
    response = get(
        client,
        "coverage",
        bearer(acme.supervisor),
        client="acme",
        locale="pl",
        week_of="2026-03-02",
    )
    body = response.get_json()
    assert response.status_code == 200, body
    assert len(body["slots"]) == 168
    assert body["slots"][7] == {"start": "2026-03-02T07:00:00Z", "sites": ["krakow"], "agents": 1}
    assert body["gaps"][0] == {"start": "2026-03-02T00:00:00Z", "end": "2026-03-02T07:00:00Z"}
    assert body["gaps"][-1]["end"] == "2026-03-09T00:00:00Z"  # the weekend runs to the end


def test_another_clients_people_get_404(client, acme, globex, krakow, bearer):
    params = {"client": "acme", "locale": "pl", "week_of": "2026-03-02"}
    assert_error(get(client, "coverage", bearer(globex.supervisor), **params), 404)
    assert_error(get(client, "coverage", bearer(globex.agent), **params), 404)
    preview = {"client": "acme", "locale": "pl"}
    assert_error(get(client, "routing/preview", bearer(globex.agent), **preview), 404)


def test_customers_supervisors_and_intake_may_not_preview_routing(client, acme, krakow, bearer):
    params = {"client": "acme", "locale": "pl"}
    for headers in (bearer(acme.customer), bearer(acme.supervisor), acme.intake):
        assert_error(get(client, "routing/preview", headers, **params), 403)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("coverage", {"locale": "pl", "week_of": "2026-03-03"}, "week_of"),
        ("coverage", {"locale": "pl", "week_of": "March"}, "week_of"),
        ("coverage", {"locale": "klingon-xx", "week_of": "2026-03-02"}, "locale"),
        ("routing/preview", {"locale": "pl", "skill": "Bad Skill"}, "skill"),
        ("routing/preview", {"locale": "pl", "at": "2026-03-09T09:00:00"}, "at"),
    ],
)
def test_bad_parameters_name_the_field(client, acme, krakow, bearer, path, params, field):
    response = get(client, path, bearer(acme.agent), client="acme", **params)
    assert field in assert_error(response, 422)["fields"]
