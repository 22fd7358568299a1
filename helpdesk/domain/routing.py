"""Follow-the-sun routing: who may take a ticket now (or at a planned instant), and who does."""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from helpdesk.domain.calendar import BusinessCalendar

__all__ = [
    "PRIORITIES",
    "REJECTIONS",
    "AgentView",
    "Decision",
    "Need",
    "Verdict",
    "choose",
    "evaluate",
    "handoff_order",
    "language_fit",
]

PRIORITIES = ("urgent", "high", "normal", "low")  # most urgent first
# Rejection codes, in the order a Verdict lists them; bit i of a rejection mask is REJECTIONS[i].
REJECTIONS = ("client", "off_shift", "offline", "language", "skill", "full")
FIT_NAMES = {2: "exact", 1: "language"}
SUMMARY_TOP = 5

_CLIENT, _OFF_SHIFT, _OFFLINE, _LANGUAGE, _SKILL, _FULL = (1 << i for i in range(6))
_CODES = tuple(
    tuple(code for i, code in enumerate(REJECTIONS) if mask >> i & 1) for mask in range(64)
)
_PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}
_NEVER = datetime.min.replace(tzinfo=UTC)  # "never assigned" sorts as longest ago


@dataclass(frozen=True)
class AgentView:
    """One agent as routing sees it: a snapshot the service builds from one query."""

    id: int
    name: str
    site: str | None
    shift: BusinessCalendar | None  # None: no shift at all, so never on shift
    languages: frozenset[str]
    skills: frozenset[str]
    serves_all: bool
    clients: frozenset[int]
    capacity: int
    load: int  # open tickets assigned to the agent
    presence: str  # "online", "away" or "offline"
    last_assigned_at: datetime | None


@dataclass(frozen=True)
class Need:
    """What a ticket asks of its agent."""

    client_id: int
    locale: str
    skill: str | None = None
    priority: str = "normal"

    def __post_init__(self) -> None:
        if not isinstance(self.locale, str) or not _norm(self.locale):
            raise ValueError(f"locale must be a non-empty string, got {self.locale!r}")
        if self.skill is not None and not (isinstance(self.skill, str) and self.skill):
            raise ValueError(f"skill must be None or a non-empty string, got {self.skill!r}")
        if self.priority not in _PRIORITY_RANK:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")


@dataclass(frozen=True)
class Verdict:
    """Whether one agent may take the ticket, and if not, every reason why not."""

    agent: AgentView
    eligible: bool
    rejections: tuple[str, ...]  # codes from REJECTIONS, in that order
    language_fit: int = 0  # 2 exact locale, 1 same language, 0 neither


@dataclass(frozen=True)
class Decision:
    """The routing outcome: an agent now, a site's next shift, or nobody at all.

    `reason` is a code ("assigned", "queued_next_shift", "no_coverage"); the service turns it
    and `reason_params` (plain JSON values) into a translated sentence. `candidates` holds a
    verdict for every agent who serves the client, best first; agents who do not serve it
    are only counted, in `not_serving`. For an assignment `expected_pickup_at` is `at`.
    """

    agent: AgentView | None
    site: str | None
    expected_pickup_at: datetime | None
    reason: str
    reason_params: dict
    live: bool = True
    not_serving: int = 0
    # (rejection mask, language fit, agent) per agent serving the client, in input order;
    # verdicts are built from it only when asked for, since most callers want the summary.
    rows: tuple[tuple[int, int, AgentView], ...] = field(default=(), repr=False, compare=False)

    @functools.cached_property
    def candidates(self) -> tuple[Verdict, ...]:
        """A verdict for every agent serving the client: eligible in choice order, then the rest."""
        return tuple(_verdict(row) for row in sorted(self.rows, key=self._rank))

    def summary(self) -> dict:
        """JSON-able counts of eligible and rejected agents (per code) and the top candidates.

        An agent rejected for several reasons counts once under each of them.
        """
        masks: dict[int, int] = {}
        for mask, _, _ in self.rows:
            masks[mask] = masks.get(mask, 0) + 1
        rejected = dict.fromkeys(REJECTIONS, 0)
        rejected["client"] = self.not_serving
        for mask, count in masks.items():
            for code in _CODES[mask]:
                rejected[code] += count
        return {
            "live": self.live,
            "eligible": masks.get(0, 0),
            "considered": len(self.rows),
            "rejected": {code: count for code, count in rejected.items() if count},
            "top": [_verdict_json(_verdict(row)) for row in self._top(SUMMARY_TOP)],
        }

    def _rank(self, row: tuple[int, int, AgentView]) -> tuple:
        mask, fit, agent = row
        return (mask.bit_count(), *_choice_key(agent, fit, self.live))

    def _top(self, count: int) -> list[tuple[int, int, AgentView]]:
        # The same as sorted(...)[:count], without sorting thousands of rows.
        return heapq.nsmallest(count, self.rows, key=self._rank)


def language_fit(languages: Iterable[str], locale: str) -> int:
    """2 if `locale` is spoken exactly, 1 if its language is ("pt" or "pt_PT" for "pt_BR"), else 0.

    Case-insensitive; "-" and "_" are the same separator.
    """
    if not isinstance(languages, frozenset):
        languages = frozenset(languages)
    return _fit(languages, _norm(locale))


def evaluate(agent: AgentView, need: Need, at: datetime, *, live: bool) -> Verdict:
    """One agent's verdict for `need` at `at`; live=False ignores presence, load and capacity."""
    _check_aware(at)
    on_shift = CalendarMemo(lambda calendar: calendar.is_open(at))
    mask, fit = _assess(agent, need, _norm(need.locale), on_shift, live)
    if not (agent.serves_all or need.client_id in agent.clients):
        mask |= _CLIENT
    return _verdict((mask, fit, agent))


def choose(agents: Iterable[AgentView], need: Need, at: datetime, *, live: bool = True) -> Decision:
    """Route `need` at `at` among `agents`: the best eligible agent, else the soonest next shift.

    Among eligible agents: the exact locale before the same language, then the lowest
    load/capacity, then the longest since the last assignment (never assigned first), then
    the lowest id. Planned decisions (live=False) ignore presence, load, capacity and the
    last assignment, so they rank by language fit and then id.

    With nobody eligible the ticket waits for the qualified agent (serves the client, speaks
    the language, has the skill, has a shift) who can pick it up first: an agent off shift at
    the next opening of their shift; an agent on shift but offline, away or full at the start
    of their *next* shift, since nothing says they will become available sooner. That agent's
    site is the queue. Ties go to the better language fit, then the lower id. An agent on an
    always-open (24x7) calendar who is unavailable has no next shift and counts for nothing.
    """
    _check_aware(at)
    locale = _norm(need.locale)
    on_shift = CalendarMemo(lambda calendar: calendar.is_open(at))
    client_id = need.client_id
    rows: list[tuple[int, int, AgentView]] = []
    not_serving = eligible = 0
    best: tuple | None = None
    best_row: tuple[int, int, AgentView] | None = None
    for agent in agents:
        # Most agents serve other clients: count them and look no further.
        if not (agent.serves_all or client_id in agent.clients):
            not_serving += 1
            continue
        mask, fit = _assess(agent, need, locale, on_shift, live)
        row = (mask, fit, agent)
        rows.append(row)
        if not mask:
            eligible += 1
            key = _choice_key(agent, fit, live)
            if best is None or key < best:
                best, best_row = key, row

    params: dict = {
        "locale": need.locale,
        "skill": need.skill,
        "priority": need.priority,
        "eligible": eligible,
        "considered": len(rows),
    }
    decide = functools.partial(Decision, live=live, not_serving=not_serving, rows=tuple(rows))
    if best_row is not None:
        _, fit, agent = best_row
        params.update(
            agent=agent.name,
            agent_id=agent.id,
            site=agent.site,
            language_fit=FIT_NAMES[fit],
            load=agent.load,
            capacity=agent.capacity,
        )
        return decide(agent, agent.site, at, "assigned", params)

    pickup = _soonest_pickup(rows, at, on_shift)
    if pickup is None:
        return decide(None, None, None, "no_coverage", params)
    when, agent = pickup
    params.update(
        site=agent.site,
        expected_pickup_at=_iso(when),
        next_agent=agent.name,
        next_agent_id=agent.id,
    )
    return decide(None, agent.site, when, "queued_next_shift", params)


def handoff_order(tickets: Iterable[tuple[int, datetime | None, str, datetime]]) -> list[int]:
    """Ticket ids, most urgent first: due time (None last), then priority, then age, then id.

    Each ticket is (id, due_at, priority, created_at).
    """

    def key(ticket: tuple[int, datetime | None, str, datetime]) -> tuple:
        ticket_id, due_at, priority, created_at = ticket
        if priority not in _PRIORITY_RANK:
            raise ValueError(f"ticket {ticket_id}: unknown priority {priority!r}")
        return (due_at is None, due_at or _NEVER, _PRIORITY_RANK[priority], created_at, ticket_id)

    return [ticket[0] for ticket in sorted(tickets, key=key)]


class CalendarMemo:
    """A calendar -> answer cache for one question: by identity first, then by value."""

    def __init__(self, compute: Callable[[BusinessCalendar], object]) -> None:
        self._compute = compute
        self._by_id: dict[int, tuple[BusinessCalendar, object]] = {}
        self._by_value: dict[BusinessCalendar, object] = {}

    def __call__(self, calendar: BusinessCalendar):
        hit = self._by_id.get(id(calendar))
        if hit is not None:
            return hit[1]
        # Equal calendars held as distinct objects (per-agent overrides) share one answer.
        if calendar in self._by_value:
            answer = self._by_value[calendar]
        else:
            answer = self._by_value[calendar] = self._compute(calendar)
        self._by_id[id(calendar)] = (calendar, answer)  # holding it keeps the id from reuse
        return answer


# -- internals -----------------------------------------------------------------------------------


def _assess(
    agent: AgentView, need: Need, locale: str, on_shift: CalendarMemo, live: bool
) -> tuple[int, int]:
    """(rejection mask without the client bit, language fit) of one agent."""
    fit = _fit(agent.languages, locale)
    mask = 0 if fit else _LANGUAGE
    if need.skill is not None and need.skill not in agent.skills:
        mask |= _SKILL
    if live:
        if agent.presence != "online":
            mask |= _OFFLINE
        if agent.load >= agent.capacity:
            mask |= _FULL
    # The calendar is the expensive check; the memo asks each distinct one once per decision.
    if agent.shift is None or not on_shift(agent.shift):
        mask |= _OFF_SHIFT
    return mask, fit


def _choice_key(agent: AgentView, fit: int, live: bool) -> tuple:
    if not live:
        return -fit, 0.0, _NEVER, agent.id
    ratio = agent.load / agent.capacity if agent.capacity > 0 else float("inf")
    return -fit, ratio, agent.last_assigned_at or _NEVER, agent.id


def _soonest_pickup(
    rows: list[tuple[int, int, AgentView]], at: datetime, on_shift: CalendarMemo
) -> tuple[datetime, AgentView] | None:
    """(instant, agent) of the earliest usable shift start among qualified agents, or None."""

    def pickup(calendar: BusinessCalendar) -> datetime | None:
        # Nobody qualified is available, so one on shift now is offline, away or full (live)
        # and waits for the shift after this one.
        if on_shift(calendar):
            closing = calendar.next_closing(at)
            return None if closing is None else calendar.next_opening(closing)
        return calendar.next_opening(at)

    pickups = CalendarMemo(pickup)
    best = None
    for mask, fit, agent in rows:
        if mask & (_LANGUAGE | _SKILL) or agent.shift is None:
            continue
        when = pickups(agent.shift)
        if when is not None and (best is None or (when, -fit, agent.id) < best[0]):
            best = ((when, -fit, agent.id), agent)
    return None if best is None else (best[0][0], best[1])


def _norm(text: str) -> str:
    return text.strip().lower().replace("-", "_")


@functools.lru_cache(maxsize=8192)
def _fit(languages: frozenset[str], locale: str) -> int:
    base = locale.split("_", 1)[0]
    best = 0
    for language in languages:
        spoken = _norm(language)
        if spoken == locale:
            return 2
        if spoken.split("_", 1)[0] == base:
            best = 1
    return best


def _check_aware(at: datetime) -> None:
    if not isinstance(at, datetime):
        raise TypeError(f"at must be a datetime, got {type(at).__name__}")
    if at.utcoffset() is None:
        raise ValueError(f"at must be timezone-aware, got naive {at.isoformat()}")


def _verdict(row: tuple[int, int, AgentView]) -> Verdict:
    mask, fit, agent = row
    return Verdict(agent, not mask, _CODES[mask], fit)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _verdict_json(verdict: Verdict) -> dict:
    agent = verdict.agent
    return {
        "id": agent.id,
        "name": agent.name,
        "site": agent.site,
        "load": agent.load,
        "capacity": agent.capacity,
        "eligible": verdict.eligible,
        "language_fit": FIT_NAMES.get(verdict.language_fit),
        "rejections": list(verdict.rejections),
    }
