"""Routing choice: who qualifies, who wins the tie, and where a ticket waits when nobody can."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk.domain.calendar import ALWAYS, BusinessCalendar
from helpdesk.domain.routing import (
    AgentView,
    Need,
    choose,
    evaluate,
    handoff_order,
    language_fit,
)

MANILA_TZ = ZoneInfo("Asia/Manila")
WARSAW_TZ = ZoneInfo("Europe/Warsaw")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
MANILA = BusinessCalendar.from_spec("Asia/Manila", {"mon": ["22:00-07:00"], "tue": ["22:00-07:00"]})
KRAKOW = BusinessCalendar.from_spec("Europe/Warsaw", {day: ["09:00-17:00"] for day in WEEKDAYS})
ACME, GLOBEX = 1, 2
# Tuesday 2026-11-10 in Manila: the Monday night shift runs until 07:00 (Monday 23:00 UTC).
MANILA_0659 = datetime(2026, 11, 10, 6, 59, tzinfo=MANILA_TZ)
MANILA_0700 = datetime(2026, 11, 10, 7, 0, tzinfo=MANILA_TZ)
NOON_UTC = datetime(2026, 11, 10, 12, tzinfo=UTC)  # Tuesday 13:00 in Krakow


def agent(agent_id: int = 1, **changes) -> AgentView:
    values = {
        "id": agent_id,
        "name": f"Agent {agent_id}",
        "site": "anywhere",
        "shift": ALWAYS,
        "languages": frozenset({"en"}),
        "skills": frozenset(),
        "serves_all": False,
        "clients": frozenset({ACME}),
        "capacity": 5,
        "load": 0,
        "presence": "online",
        "last_assigned_at": None,
    }
    values.update(changes)
    for name in ("languages", "skills", "clients"):
        values[name] = frozenset(values[name])
    return AgentView(**values)


def need(locale: str = "en", **changes) -> Need:
    return Need(client_id=changes.pop("client_id", ACME), locale=locale, **changes)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- language fallback ---------------------------------------------------------------------------


def test_language_fit_is_exact_then_same_language_then_none():
    assert language_fit(frozenset({"pt_BR"}), "pt_BR") == 2
    assert language_fit(frozenset({"pt"}), "pt_BR") == 1
    assert language_fit(frozenset({"pt_PT"}), "pt_BR") == 1
    assert language_fit(frozenset({"pt_BR"}), "pt") == 1
    assert language_fit(frozenset({"ja"}), "en") == 0
    assert language_fit(frozenset(), "en") == 0


def test_language_fit_ignores_case_and_treats_hyphen_as_underscore():
    assert language_fit(frozenset({"PT-br"}), "pt_BR") == 2
    assert language_fit(frozenset({"en"}), "EN-us") == 1
    assert language_fit(["ja", "en"], "ja") == 2  # any iterable of languages


def test_an_exact_locale_speaker_beats_a_same_language_speaker_even_when_busier():
    pt = agent(1, languages={"pt"}, load=0)
    pt_br = agent(2, languages={"pt_BR"}, load=4)
    decision = choose([pt, pt_br], need("pt_BR"), NOON_UTC)
    assert decision.agent == pt_br
    assert decision.reason == "assigned"
    assert decision.reason_params["language_fit"] == "exact"


def test_a_portuguese_speaker_takes_pt_br_when_no_exact_speaker_is_available():
    pt = agent(1, languages={"pt"})
    pt_br_offline = agent(2, languages={"pt_BR"}, presence="offline")
    decision = choose([pt_br_offline, pt], need("pt_BR"), NOON_UTC)
    assert decision.agent == pt
    assert decision.reason_params["language_fit"] == "language"


def test_a_japanese_speaker_never_takes_an_english_ticket():
    decision = choose([agent(1, languages={"ja"})], need("en"), NOON_UTC)
    assert decision.agent is None
    assert decision.reason == "no_coverage"
    assert decision.candidates[0].rejections == ("language",)


# -- filters -------------------------------------------------------------------------------------


def test_only_agents_with_the_skill_qualify_when_one_is_asked():
    plain = agent(1)
    billing = agent(2, skills={"billing"}, load=3)
    assert choose([plain, billing], need(skill="billing"), NOON_UTC).agent == billing
    assert choose([plain, billing], need(), NOON_UTC).agent == plain


def test_an_agent_of_another_client_is_not_a_candidate_but_serves_all_is():
    other = agent(1, clients={GLOBEX})
    everyone = agent(2, clients=set(), serves_all=True, load=4)
    decision = choose([other, everyone], need(), NOON_UTC)
    assert decision.agent == everyone
    assert [verdict.agent for verdict in decision.candidates] == [everyone]
    assert decision.not_serving == 1
    assert decision.summary()["rejected"] == {"client": 1}
    assert evaluate(other, need(), NOON_UTC, live=True).rejections == ("client",)


def test_an_agent_at_capacity_is_full_and_capacity_zero_never_qualifies_live():
    full = agent(1, capacity=3, load=3)
    zero = agent(2, capacity=0, load=0)
    assert evaluate(full, need(), NOON_UTC, live=True).rejections == ("full",)
    assert evaluate(zero, need(), NOON_UTC, live=True).rejections == ("full",)
    assert choose([full, zero], need(), NOON_UTC).agent is None


@pytest.mark.parametrize("presence", ["offline", "away"])
def test_an_agent_not_online_is_rejected_live_but_planned_from_shifts_alone(presence):
    absent = agent(1, presence=presence, load=9, capacity=5)
    assert evaluate(absent, need(), NOON_UTC, live=True).rejections == ("offline", "full")
    planned = evaluate(absent, need(), NOON_UTC, live=False)
    assert planned.eligible and planned.rejections == ()
    assert choose([absent], need(), NOON_UTC, live=False).agent == absent


def test_a_verdict_lists_every_reason_in_a_fixed_order():
    hopeless = agent(1, clients={GLOBEX}, shift=None, presence="away", languages={"ja"}, load=5)
    verdict = evaluate(hopeless, need(skill="billing"), NOON_UTC, live=True)
    assert not verdict.eligible
    assert verdict.rejections == ("client", "off_shift", "offline", "language", "skill", "full")


def test_an_agent_without_any_shift_is_never_on_shift():
    assert evaluate(agent(1, shift=None), need(), NOON_UTC, live=False).rejections == ("off_shift",)


def test_shifts_include_their_start_and_exclude_their_end():
    ana = agent(1, site="manila", shift=MANILA)
    assert evaluate(ana, need(), MANILA_0659, live=True).eligible
    assert evaluate(ana, need(), MANILA_0700, live=True).rejections == ("off_shift",)


# -- tie-breaks ----------------------------------------------------------------------------------


def test_the_least_loaded_ratio_wins_not_the_fewest_tickets():
    busy_big = agent(1, load=4, capacity=10)  # 40 %
    light_small = agent(2, load=1, capacity=2)  # 50 %
    assert choose([light_small, busy_big], need(), NOON_UTC).agent == busy_big


def test_on_equal_load_the_agent_idle_longest_wins_and_never_assigned_is_idlest():
    recent = agent(1, last_assigned_at=NOON_UTC - timedelta(minutes=5))
    earlier = agent(2, last_assigned_at=NOON_UTC - timedelta(hours=2))
    never = agent(3, last_assigned_at=None)
    assert choose([recent, earlier], need(), NOON_UTC).agent == earlier
    assert choose([recent, earlier, never], need(), NOON_UTC).agent == never


def test_a_full_tie_goes_to_the_lowest_id_whatever_the_input_order():
    agents = [agent(7), agent(3), agent(5)]
    assert choose(agents, need(), NOON_UTC).agent.id == 3
    assert choose(reversed(agents), need(), NOON_UTC).agent.id == 3


def test_a_planned_decision_ignores_load_and_last_assignment():
    loaded = agent(1, load=4, last_assigned_at=NOON_UTC)
    idle = agent(2, load=0)
    assert choose([idle, loaded], need(), NOON_UTC, live=True).agent == idle
    assert choose([idle, loaded], need(), NOON_UTC, live=False).agent == loaded


def test_candidates_are_ranked_eligible_first_then_nearest_misses():
    agents = [
        agent(1, presence="offline", languages={"ja"}),
        agent(2, load=2),
        agent(3, presence="offline"),
        agent(4, load=1),
    ]
    decision = choose(agents, need(), NOON_UTC)
    assert [verdict.agent.id for verdict in decision.candidates] == [4, 2, 3, 1]


# -- queueing for the next shift -----------------------------------------------------------------


def test_manila_takes_the_ticket_at_0659_while_its_night_shift_runs():
    ana = agent(1, name="Ana", site="manila", shift=MANILA)
    kasia = agent(2, name="Kasia", site="krakow", shift=KRAKOW)
    decision = choose([ana, kasia], need(), MANILA_0659)
    assert decision.agent == ana and decision.site == "manila"
    assert decision.expected_pickup_at == MANILA_0659


def test_at_0700_manila_the_ticket_waits_for_krakow_which_opens_before_manila_again():
    ana = agent(1, name="Ana", site="manila", shift=MANILA)
    kasia = agent(2, name="Kasia", site="krakow", shift=KRAKOW)
    decision = choose([ana, kasia], need(), MANILA_0700)
    assert decision.agent is None
    assert decision.reason == "queued_next_shift"
    assert decision.site == "krakow"
    # Tuesday 09:00 in Krakow (CET) is 08:00 UTC, before Manila's 22:00 (14:00 UTC).
    assert decision.expected_pickup_at == datetime(2026, 11, 10, 9, tzinfo=WARSAW_TZ)
    assert decision.expected_pickup_at.tzinfo is UTC
    assert decision.reason_params["expected_pickup_at"] == "2026-11-10T08:00:00Z"
    assert decision.reason_params["site"] == "krakow"
    assert decision.reason_params["next_agent"] == "Kasia"


def test_the_queue_goes_to_manila_when_krakow_is_full_and_manila_starts_first():
    ana = agent(1, site="manila", shift=MANILA)
    kasia = agent(2, site="krakow", shift=KRAKOW, load=5, capacity=5)
    monday_morning = datetime(2026, 11, 16, 11, tzinfo=WARSAW_TZ)  # 18:00 in Manila
    decision = choose([kasia, ana], need(), monday_morning)
    assert decision.site == "manila"
    assert decision.expected_pickup_at == datetime(2026, 11, 16, 22, tzinfo=MANILA_TZ)


def test_an_agent_on_shift_but_full_leads_to_a_pickup_at_their_next_shift_not_now():
    ana = agent(1, site="manila", shift=MANILA, load=5, capacity=5)
    decision = choose([ana], need(), MANILA_0659)
    assert decision.reason == "queued_next_shift"
    assert decision.site == "manila"
    assert decision.expected_pickup_at == datetime(2026, 11, 10, 22, tzinfo=MANILA_TZ)


def test_an_agent_on_shift_but_offline_also_waits_for_the_next_shift():
    ana = agent(1, site="manila", shift=MANILA, presence="away")
    decision = choose([ana], need(), datetime(2026, 11, 10, 23, tzinfo=MANILA_TZ))
    # Tuesday's shift is the last of the week: the next one starts on Monday.
    assert decision.expected_pickup_at == datetime(2026, 11, 16, 22, tzinfo=MANILA_TZ)


def test_when_two_sites_open_together_the_queue_goes_to_the_exact_locale_speaker():
    lisbon = BusinessCalendar.from_spec("Europe/Lisbon", {day: ["08:00-16:00"] for day in WEEKDAYS})
    porto = BusinessCalendar.from_spec("Europe/Lisbon", {day: ["08:00-16:00"] for day in WEEKDAYS})
    pt = agent(1, site="lisbon", shift=lisbon, languages={"pt"})
    pt_br = agent(2, site="porto", shift=porto, languages={"pt_BR"})
    decision = choose([pt, pt_br], need("pt_BR"), utc(2026, 11, 14, 12))
    assert decision.site == "porto"
    assert decision.expected_pickup_at == utc(2026, 11, 16, 8)


def test_agents_without_the_language_skill_or_client_do_not_set_the_queue():
    ana = agent(1, site="manila", shift=MANILA, languages={"ja"})
    bea = agent(2, site="bogota", shift=MANILA, skills=set())
    cyd = agent(3, site="cebu", shift=KRAKOW, clients={GLOBEX})
    kasia = agent(4, site="krakow", shift=KRAKOW, skills={"billing"})
    saturday = utc(2026, 11, 14, 12)
    decision = choose([ana, bea, cyd, kasia], need(skill="billing"), saturday)
    assert decision.site == "krakow"
    assert decision.expected_pickup_at == datetime(2026, 11, 16, 9, tzinfo=WARSAW_TZ)


def test_nobody_who_could_ever_cover_means_no_coverage():
    shiftless = agent(1, shift=None)
    japanese = agent(2, languages={"ja"})
    decision = choose([shiftless, japanese], need(), NOON_UTC)
    assert (decision.agent, decision.site, decision.expected_pickup_at) == (None, None, None)
    assert decision.reason == "no_coverage"
    assert choose([], need(), NOON_UTC).reason == "no_coverage"


def test_an_unavailable_agent_on_a_24x7_calendar_has_no_next_shift():
    decision = choose([agent(1, presence="offline")], need(), NOON_UTC)
    assert decision.reason == "no_coverage"


def test_a_planned_decision_queues_for_the_next_shift_too():
    kasia = agent(2, site="krakow", shift=KRAKOW, presence="offline")
    decision = choose([kasia], need(), utc(2026, 11, 10, 20), live=False)
    assert decision.reason == "queued_next_shift"
    assert decision.expected_pickup_at == datetime(2026, 11, 11, 9, tzinfo=WARSAW_TZ)


# -- the decision's record -----------------------------------------------------------------------


def test_the_summary_counts_every_reason_and_lists_the_top_candidates_as_json():
    agents = [agent(n, presence="offline" if n % 2 else "online", load=n % 3) for n in range(1, 9)]
    agents.append(agent(20, clients={GLOBEX}))
    decision = choose(agents, need(), NOON_UTC)
    summary = decision.summary()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["eligible"] == 4 and summary["considered"] == 8
    assert summary["rejected"] == {"client": 1, "offline": 4}
    assert [row["id"] for row in summary["top"]] == [6, 4, 2, 8, 3]
    assert summary["top"][0] == {
        "id": 6,
        "name": "Agent 6",
        "site": "anywhere",
        "load": 0,
        "capacity": 5,
        "eligible": True,
        "language_fit": "exact",
        "rejections": [],
    }
    assert json.loads(json.dumps(decision.reason_params)) == decision.reason_params


def test_the_summary_top_is_the_head_of_the_ranked_candidates():
    agents = [
        agent(n, load=n % 4, presence="away" if n % 5 == 0 else "online", languages={"en", "de"})
        for n in range(1, 40)
    ]
    decision = choose(agents, need(), NOON_UTC)
    top = [row["id"] for row in decision.summary()["top"]]
    assert top == [verdict.agent.id for verdict in decision.candidates[:5]]
    assert decision.candidates[0].agent == decision.agent


def test_reason_params_name_the_agent_and_their_load():
    ana = agent(2, name="Ana", site="manila", load=1, capacity=4)
    params = choose([ana], need("en_US"), NOON_UTC).reason_params
    assert params["agent"] == "Ana" and params["agent_id"] == 2 and params["site"] == "manila"
    assert (params["load"], params["capacity"], params["language_fit"]) == (1, 4, "language")
    assert (params["eligible"], params["considered"]) == (1, 1)


def test_a_naive_instant_or_a_bad_need_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        choose([agent()], need(), datetime(2026, 11, 10, 12))
    with pytest.raises(ValueError, match="priority"):
        Need(ACME, "en", priority="critical")
    with pytest.raises(ValueError, match="locale"):
        Need(ACME, " ")


def test_equal_calendars_held_as_distinct_objects_give_the_same_answer():
    twin = BusinessCalendar.from_spec("Asia/Manila", {"mon": ["22:00-07:00"]})
    other = BusinessCalendar.from_spec("Asia/Manila", {"mon": ["22:00-07:00"]})
    agents = [agent(1, shift=twin, load=1), agent(2, shift=other)]
    assert choose(agents, need(), MANILA_0659).agent.id == 2


# -- handoffs ------------------------------------------------------------------------------------


def test_handoff_order_puts_the_soonest_breach_first_then_priority_then_age():
    t0 = utc(2026, 11, 10, 8)
    tickets = [
        (1, None, "urgent", t0),
        (2, t0 + timedelta(hours=2), "low", t0),
        (3, t0 + timedelta(hours=1), "low", t0 + timedelta(minutes=9)),
        (4, t0 + timedelta(hours=1), "high", t0 + timedelta(minutes=5)),
        (5, t0 + timedelta(hours=1), "high", t0 + timedelta(minutes=1)),
        (6, None, "normal", t0 - timedelta(days=1)),
        (7, None, "urgent", t0 - timedelta(days=1)),
    ]
    assert handoff_order(tickets) == [5, 4, 3, 2, 7, 1, 6]


def test_handoff_order_compares_due_times_as_instants_and_rejects_unknown_priorities():
    t0 = utc(2026, 11, 10, 8)
    in_manila = (t0 - timedelta(minutes=1)).astimezone(MANILA_TZ)
    assert handoff_order([(1, t0, "urgent", t0), (2, in_manila, "low", t0)]) == [2, 1]
    assert handoff_order([]) == []
    with pytest.raises(ValueError, match="priority"):
        handoff_order([(1, None, "critical", t0)])
