"""The coverage page: a 7 x 24 grid of agents on shift in the viewer's zone, gaps, isolation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from helpdesk.domain.routing import AgentView
from helpdesk.extensions import db
from helpdesk.services.routing import shift_calendar
from helpdesk.web.coverage_grid import coverage_grid, local_hour_start
from tests.conftest import login

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {d: ["08:00-17:00"] for d in WEEKDAYS}


def grid_of(response) -> list[list[int | None]]:
    """The grid's counts: one list of 24 per day, None for an hour the clock skips."""
    html = response.get_data(as_text=True)
    table = re.search(r'<table class="coverage-grid">.*?</table>', html, re.S).group(0)
    rows = re.findall(r'<th scope="row" class="cov-day">.*?</tr>', table, re.S)
    grid = []
    for row in rows:
        cells = re.findall(r'<td class="cov cov-(\w+)"[^>]*><span aria-hidden="true">([^<]*)<', row)
        grid.append([None if level == "none" else int(text) for level, text in cells])
    return grid


def hours_with(day: list[int | None], count: int) -> list[int]:
    return [hour for hour, n in enumerate(day) if n == count]


@pytest.fixture
def krakow(factory):
    """Europe/Warsaw, Monday to Friday 08:00-17:00."""
    return factory.site("krakow", name="Krakow", timezone="Europe/Warsaw", shifts=OFFICE)


@pytest.fixture
def krakow_agents(factory, acme, krakow):
    """Two English speakers and one Polish speaker at Krakow, serving acme."""
    return [
        factory.agent([acme], name="Ola", site=krakow, languages=("en", "pl")),
        factory.agent([acme], name="Jan", site=krakow, languages=("en_GB",)),
        factory.agent([acme], name="Ewa", site=krakow, languages=("pl",)),
    ]


@pytest.fixture
def viewer(factory, acme):
    """An agent of acme reading times in Asia/Kolkata (UTC+5:30, no DST)."""
    return factory.agent([acme], name="Priya", languages=("hi",), timezone="Asia/Kolkata")


def test_the_grid_has_seven_days_of_twenty_four_hours(client, krakow_agents, viewer):
    login(client, viewer)
    response = client.get("/agent/coverage?client=acme&locale=en&week=2026-03-09")
    assert response.status_code == 200
    grid = grid_of(response)
    assert len(grid) == 7 and all(len(day) == 24 for day in grid)


def test_a_warsaw_office_shift_is_counted_at_kolkata_hour_starts(
    client, krakow_agents, viewer, page_text
):
    login(client, viewer)
    response = client.get("/agent/coverage?client=acme&locale=en&week=2026-03-09")
    grid = grid_of(response)
    # In March Warsaw is UTC+1: 08:00-17:00 there is 12:30-21:30 in Kolkata, so the local
    # hours starting 13:00 to 21:00 find both English speakers on shift, and no others do.
    for weekday in range(5):
        assert hours_with(grid[weekday], 2) == list(range(13, 22))
        assert hours_with(grid[weekday], 0) == [*range(13), 22, 23]
    assert grid[5] == [0] * 24 and grid[6] == [0] * 24
    text = page_text(response)
    assert "Acme Corp in English" in text
    assert "45 of 168 hours covered." in text


def test_after_warsaw_moves_its_clocks_the_grid_moves_an_hour(client, krakow_agents, viewer):
    login(client, viewer)
    # From 29 March Warsaw is UTC+2: 08:00-17:00 there is 11:30-20:30 in Kolkata.
    grid = grid_of(client.get("/agent/coverage?client=acme&locale=en&week=2026-03-30"))
    assert hours_with(grid[0], 2) == list(range(12, 21))


def test_a_viewer_in_the_sites_own_zone_sees_its_office_hours(client, factory, acme, krakow_agents):
    local = factory.agent([acme], name="Piotr", timezone="Europe/Warsaw")
    login(client, local)
    grid = grid_of(client.get("/agent/coverage?client=acme&locale=en&week=2026-03-09"))
    assert hours_with(grid[0], 2) == list(range(8, 17))


def test_cells_name_the_sites_on_shift_and_uncovered_cells_are_marked(
    client, krakow_agents, viewer
):
    login(client, viewer)
    html = client.get("/agent/coverage?client=acme&locale=en&week=2026-03-09").get_data(
        as_text=True
    )
    assert 'title="13:00 · 2 agents on shift: Krakow"' in html
    assert re.search(r'<td class="cov cov-0" title="00:00 · Nobody on shift">', html)
    assert "cov-legend" in html and "Nobody on shift" in html


def test_gaps_are_listed_as_local_time_ranges(client, krakow_agents, viewer, page_text):
    login(client, viewer)
    text = page_text(client.get("/agent/coverage?client=acme&locale=en&week=2026-03-09"))
    gaps = text[text.index("Gaps") :]
    assert "Mon, Mar 9, 12:00 AM – 1:00 PM (13 hours)" in gaps
    assert "Mon, Mar 9, 10:00 PM – Tue, Mar 10, 1:00 PM (15 hours)" in gaps
    assert "Fri, Mar 13, 10:00 PM – Mon, Mar 16, 12:00 AM (50 hours)" in gaps


def test_the_language_select_offers_the_locales_in_use(client, acme, krakow_agents, viewer):
    login(client, viewer)
    html = client.get("/agent/coverage?client=acme&week=2026-03-09").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="locale".*?</select>', html, re.S).group(0)
    values = re.findall(r'value="([^"]+)"', select_html)
    assert values == ["en", "en_GB", "hi", "pl"]  # agents' languages and acme's default (en)
    assert re.search(r'<option selected value="en">|<option value="en" selected>', select_html)


def test_another_language_counts_its_own_speakers(client, krakow_agents, viewer):
    login(client, viewer)
    grid = grid_of(client.get("/agent/coverage?client=acme&locale=pl&week=2026-03-09"))
    assert hours_with(grid[0], 2) == list(range(13, 22))  # Ola and Ewa


def test_the_week_defaults_to_this_week_and_links_to_its_neighbours(client, krakow_agents, viewer):
    login(client, viewer)
    html = client.get("/agent/coverage?client=acme").get_data(as_text=True)
    today = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata")).date()
    monday = today - timedelta(days=today.weekday())
    assert f'value="{monday.isoformat()}"' in html
    previous = (monday - timedelta(days=7)).isoformat()
    following = (monday + timedelta(days=7)).isoformat()
    assert (
        f'rel="prev" href="/agent/coverage?week={previous}&amp;locale=en&amp;client=acme"' in html
    )
    assert (
        f'rel="next" href="/agent/coverage?week={following}&amp;locale=en&amp;client=acme"' in html
    )


def test_a_day_within_a_week_shows_that_week(client, krakow_agents, viewer, page_text):
    login(client, viewer)
    text = page_text(client.get("/agent/coverage?client=acme&locale=en&week=2026-03-12"))
    assert "Week of Mon, Mar 9" in text


@pytest.mark.parametrize("query", ["locale=xx", "locale=ja", "week=2026-13-01", "week=soon"])
def test_bad_choices_are_reported_and_the_defaults_shown(
    client, krakow_agents, viewer, page_text, query
):
    login(client, viewer)
    response = client.get(f"/agent/coverage?client=acme&{query}")
    assert response.status_code == 200
    assert "not understood" in page_text(response)
    assert len(grid_of(response)) == 7


def test_the_page_runs_the_same_number_of_queries_for_many_agents(
    client, factory, acme, krakow, viewer
):
    def queries() -> int:
        statements = []

        def count(*_args):
            statements.append(1)

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/agent/coverage?client=acme&week=2026-03-09").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    factory.agent([acme], site=krakow)
    login(client, viewer)
    client.get("/agent/")  # the first page of a visit also records the agent's activity
    few = queries()
    other = factory.site("lima", timezone="America/Lima", shifts=OFFICE)
    for n in range(12):
        factory.agent([acme], site=(krakow, other)[n % 2], languages=("en", "es"))
    assert queries() == few


# -- who may see what ------------------------------------------------------------------------------


def test_an_agent_sees_only_clients_they_serve(client, factory, acme, globex, viewer):
    login(client, viewer)
    assert client.get("/agent/coverage?client=globex").status_code == 404
    html = client.get("/agent/coverage").get_data(as_text=True)
    assert "Globex" not in html


def test_a_supervisor_sees_their_own_clients_coverage(client, factory, acme, krakow_agents):
    sam = factory.supervisor(acme, timezone="Asia/Kolkata")
    login(client, sam)
    response = client.get("/supervisor/coverage?week=2026-03-09&locale=en")
    assert response.status_code == 200
    assert hours_with(grid_of(response)[0], 2) == list(range(13, 22))
    assert 'name="client"' not in response.get_data(as_text=True)  # no client to pick
    assert client.get("/supervisor/coverage?client=acme").status_code == 200


def test_a_supervisor_of_another_client_gets_404(client, factory, acme, globex, krakow_agents):
    gus = factory.supervisor(globex)
    login(client, gus)
    assert client.get("/supervisor/coverage?client=acme").status_code == 404
    assert "Acme" not in client.get("/supervisor/coverage").get_data(as_text=True)


def test_an_admin_picks_any_client(client, factory, acme, globex, krakow_agents):
    root = factory.admin(timezone="Europe/Warsaw")
    login(client, root)
    response = client.get("/supervisor/coverage?client=acme&locale=en&week=2026-03-09")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<select[^>]*name="client"', html) and "Globex" in html
    assert hours_with(grid_of(response)[0], 2) == list(range(8, 17))
    assert client.get("/agent/coverage?client=globex").status_code == 200
    assert client.get("/supervisor/coverage?client=nobody").status_code == 404


def test_customers_get_404_and_strangers_are_sent_to_sign_in(client, factory, acme):
    assert client.get("/agent/coverage").headers["Location"].startswith("/login")
    login(client, factory.customer(acme))
    assert client.get("/agent/coverage").status_code == 404
    assert client.get("/supervisor/coverage").status_code == 404


# -- the grid itself ----------------------------------------------------------------------------


def view(agent_id: int, site: str, zone: str, hours: dict, languages=("en",), clients=(1,)):
    return AgentView(
        id=agent_id,
        name=f"A{agent_id}",
        site=site,
        shift=shift_calendar(zone, hours, [], None),
        languages=frozenset(languages),
        skills=frozenset(),
        serves_all=False,
        clients=frozenset(clients),
        capacity=5,
        load=0,
        presence="offline",
        last_assigned_at=None,
    )


def test_an_hour_the_clock_skips_has_no_cell_value():
    # Warsaw springs forward on Sunday 29 March 2026 at 02:00.
    agents = [view(1, "krakow", "Europe/Warsaw", {"sun": ["00:00-24:00"]})]
    grid = coverage_grid(
        agents, client_id=1, locale="en", monday=date(2026, 3, 23), zone="Europe/Warsaw"
    )
    sunday = grid.days[6].cells
    assert not sunday[2].exists
    assert [cell.agents for cell in sunday if cell.exists] == [1] * 23
    assert grid.hours == 167


def test_agents_of_other_clients_or_languages_and_without_shifts_do_not_count():
    hours = {"mon": ["00:00-24:00"]}
    agents = [
        view(1, "a", "UTC", hours),
        view(2, "a", "UTC", hours, clients=(2,)),
        view(3, "a", "UTC", hours, languages=("de",)),
        view(4, "a", "UTC", {}),
    ]
    grid = coverage_grid(agents, client_id=1, locale="en_US", monday=date(2026, 3, 9), zone="UTC")
    assert [cell.agents for cell in grid.days[0].cells] == [1] * 24


def test_local_hour_starts_in_a_half_hour_zone_are_on_the_half_hour_in_utc():
    from zoneinfo import ZoneInfo

    start = local_hour_start(date(2026, 3, 9), 13, ZoneInfo("Asia/Kolkata"))
    assert start == datetime(2026, 3, 9, 7, 30, tzinfo=UTC)
