"""The tenant-isolation matrix: for every endpoint of app.url_map, how to aim it at an object of
ANOTHER client (a ticket, its messages, its requester, the client's slug) and what each principal
of the probing client gets back.

The rules, decided here once:
- A signed-in person of client B who asks for A's ticket, thread, SLA timeline, figures, export
  or coverage gets 404, never 403: the answer reads like a missing object.
- A role that may not use a page at all also gets 404 (helpdesk.auth.guards.roles_required);
  the API refuses a role with 403 `forbidden` before it looks at any object (role, not tenant).
- Anonymous visitors of a page are sent to sign in (302 to a /login page); anonymous API calls
  get 401. Neither reveals whether the object exists.
- Client A's portal (/c/acme/...) treats everyone who is not A's customer as signed out: B's
  customer, agents and supervisors are sent to A's sign-in, never shown A's data.
- Where a page or list has no object to refuse (a queue, a list filtered by `client=acme`), the
  caller may get their OWN view (200), which must hold none of A's data.
- Admins serve every client by design, so no object is "foreign" to them: they are not probed.
- In every case the response body holds none of A's marker strings (tests/isolation/conftest.py)
  and nothing of A's is changed (tickets, thread, events, status, assignee).

Outcomes a probe may allow: "404", "401", "403", "login" (302 to a sign-in page), "redirect"
(302/303 elsewhere: sign-out, the home page), "200" (own or public view, no foreign data),
"201"/"400" (for filing into one's own client with A's names in the input).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PAGE_PRINCIPALS = ("anonymous", "customer", "agent", "supervisor")
API_PRINCIPALS = ("anonymous", "intake", "customer_token", "agent_token", "supervisor_token")

Url = Callable[[object], str]  # Foreign -> path


@dataclass(frozen=True)
class Probe:
    """One request aimed at the foreign tenant, and what each principal may get."""

    method: str
    url: Url
    expect: dict[str, frozenset[str]]
    data: dict | None = None
    json: dict | None = None
    control: str | None = None  # a principal of the foreign side who DOES see the markers
    echoes: tuple[str, ...] = ()  # markers the caller sent and may see again (form redisplay)


@dataclass(frozen=True)
class Entry:
    probes: tuple[Probe, ...]
    api: bool = False
    why: str = ""
    principals: tuple[str, ...] = field(default=())

    def who(self) -> tuple[str, ...]:
        return self.principals or (API_PRINCIPALS if self.api else PAGE_PRINCIPALS)


def _set(*outcomes: str) -> frozenset[str]:
    return frozenset(outcomes)


def page(method: str, url: Url, *, data=None, control=None, **overrides) -> Probe:
    """A page probe: anonymous -> sign in, every role of the other client -> 404 by default."""
    expect = {
        "anonymous": _set("login"),
        "customer": _set("404"),
        "agent": _set("404"),
        "supervisor": _set("404"),
    }
    expect.update({k: _set(*v) if isinstance(v, tuple) else _set(v) for k, v in overrides.items()})
    return Probe(method, url, expect, data=data, control=control)


def portal(method: str, url: Url, *, data=None) -> Probe:
    """A probe of A's own portal: everyone of client B counts as signed out there."""
    return page(method, url, data=data, customer="login", agent="login", supervisor="login")


def public(method: str, url: Url, *, outcomes=("200",), data=None, echoes=()) -> Probe:
    """A page with no tenant data behind it (sign-in forms, static files)."""
    expect = {p: _set(*outcomes) for p in PAGE_PRINCIPALS}
    return Probe(method, url, expect, data=data, echoes=echoes)


def api(method: str, url: Url, *, json=None, control=None, **overrides) -> Probe:
    """An API probe: anonymous -> 401, every token of the other client -> 404 by default."""
    expect = {p: _set("404") for p in API_PRINCIPALS}
    expect["anonymous"] = _set("401")
    expect.update({k: _set(*v) if isinstance(v, tuple) else _set(v) for k, v in overrides.items()})
    return Probe(method, url, expect, json=json, control=control)


def _link(user, kind: str = "password") -> str:
    """A genuine password-link (or confirmation-link) token for `user`, asked for now."""
    from datetime import UTC, datetime

    from helpdesk.password_tokens import token_for

    return token_for(user, asked_at=datetime.now(UTC), kind=kind)


def _session_of(user) -> int:
    """A live sign-in session of `user` (another browser of theirs), started now."""
    from datetime import UTC, datetime

    from helpdesk.extensions import db
    from helpdesk.services import sessions

    _key, record = sessions.start(
        db.session, user, realm="test", user_agent=None, ip=None, now=datetime.now(UTC)
    )
    db.session.commit()
    return record.id


def _token_of(user) -> int:
    """A live API token of `user`, issued now."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from helpdesk.extensions import db
    from helpdesk.models import ApiToken
    from helpdesk.services.auth import issue_token, token_digest

    token = issue_token(db.session, user, now=datetime.now(UTC))
    return db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == token_digest(token)))


def _file(f) -> str:
    return f"attachments/{f.attachment.id}"


PERIOD = "from=2026-03-01&to=2026-03-31"
# Intake tokens and customers may not read figures or previews at all: a role refusal (403).
INTAKE_REFUSED = ("403", "404")  # an intake token only files tickets
STAFF_ONLY = {"intake": ("403", "404"), "customer_token": ("403", "404")}
# The operator's endpoints: every role but admin is refused (admins are not probed).
ADMIN_ONLY = {p: "403" for p in ("intake", "customer_token", "agent_token", "supervisor_token")}

MATRIX: dict[str, Entry] = {
    # --- sign-in and public pages: no tenant data behind them -------------------------------
    "auth.index": Entry(
        (public("GET", lambda f: "/", outcomes=("login", "redirect")),),
        why="sends each visitor to their home page",
    ),
    "auth.login": Entry(
        (
            public(
                "GET",
                lambda f: f"/login?next=/agent/tickets/{f.ticket.id}",
                outcomes=("200", "redirect"),
            ),
            public(
                "POST",
                lambda f: "/login",
                data={"email": "qzx7-requester@foreign.test", "password": "wrong"},
                outcomes=("200", "redirect"),
                echoes=("requester_email",),
            ),
        ),
        why="staff sign-in; a customer of A's e-mail and a wrong password learn nothing",
    ),
    "auth.logout": Entry(
        (
            public("GET", lambda f: "/logout", outcomes=("200", "redirect", "login")),
            public("POST", lambda f: "/logout", outcomes=("redirect", "login")),
        )
    ),
    "auth.password_link": Entry(
        (
            public("GET", lambda f: "/password"),
            # A's customer's e-mail at the staff door: the same answer as for anyone, no mail.
            public(
                "POST",
                lambda f: "/password",
                data={"email": "qzx7-requester@foreign.test"},
                outcomes=("login",),  # back to sign-in, with the same words for everyone
            ),
        )
    ),
    "auth.set_password": Entry(
        (
            # A's customer's genuine link, opened at the staff door: not a staff link.
            public("GET", lambda f: f"/password/{_link(f.requester)}", outcomes=("404",)),
            public(
                "POST",
                lambda f: f"/password/{_link(f.requester)}",
                data={"password": "pw-12345678", "confirm": "pw-12345678"},
                outcomes=("404",),
            ),
        ),
        why="a link works only in the realm that sent it",
    ),
    "static": Entry((public("GET", lambda f: "/static/css/app.css", outcomes=("200", "404")),)),
    # --- client A's portal, visited by client B's people ------------------------------------
    "portal.home": Entry((public("GET", lambda f: f"/c/{f.slug}/"),), why="A's public branding"),
    "portal.login": Entry(
        (
            public("GET", lambda f: f"/c/{f.slug}/login"),
            public(
                "POST",
                lambda f: f"/c/{f.slug}/login",
                data={"email": "qzx7-requester@foreign.test", "password": "wrong"},
                echoes=("requester_email",),
            ),
        )
    ),
    "portal.password_link": Entry(
        (
            public("GET", lambda f: f"/c/{f.slug}/password"),
            public(
                "POST",
                lambda f: f"/c/{f.slug}/password",
                data={"email": "qzx7-requester@foreign.test"},
                outcomes=("login",),  # back to sign-in, with the same words for everyone
            ),
        ),
        why="asking answers the same whether or not the address has an account",
    ),
    "portal.set_password": Entry(
        (
            # A's agent's genuine staff link on A's portal, and a forged one: both refused.
            public("GET", lambda f: f"/c/{f.slug}/password/{_link(f.agent)}", outcomes=("404",)),
            public("GET", lambda f: f"/c/{f.slug}/password/forged.token", outcomes=("404",)),
            public(
                "POST",
                lambda f: f"/c/{f.slug}/password/{_link(f.agent)}",
                data={"password": "pw-12345678", "confirm": "pw-12345678"},
                outcomes=("404",),
            ),
        ),
        why="a link works only in the realm that sent it",
    ),
    "portal.register": Entry(
        (
            public("GET", lambda f: f"/c/{f.slug}/register"),
            # A's customer's e-mail on A's portal: the form refuses it without showing the account.
            public(
                "POST",
                lambda f: f"/c/{f.slug}/register",
                data={
                    "email": "qzx7-requester@foreign.test",
                    "password": "pw-12345678",
                    "name": "N",
                },
                outcomes=("200", "422", "400"),
                echoes=("requester_email",),
            ),
        )
    ),
    "portal.confirm_sent": Entry(
        (
            public("GET", lambda f: f"/c/{f.slug}/confirm"),
            public(
                "POST",
                lambda f: f"/c/{f.slug}/confirm",
                data={"email": "qzx7-requester@foreign.test"},
                outcomes=("redirect",),  # the same words for every address
            ),
        )
    ),
    "portal.confirm_email": Entry(
        (
            # A's confirmed requester's genuine confirmation token, and a forged one: refused.
            public(
                "GET",
                lambda f: f"/c/{f.slug}/confirm/{_link(f.requester, 'confirm')}",
                outcomes=("404",),
            ),
            public("GET", lambda f: f"/c/{f.slug}/confirm/forged.token", outcomes=("404",)),
            public(
                "POST",
                lambda f: f"/c/{f.slug}/confirm/{_link(f.requester, 'confirm')}",
                data={"password": "pw"},
                outcomes=("404",),
            ),
        ),
        why="a confirmation link works once, for an unconfirmed registration of that portal",
    ),
    "portal.decline_registration": Entry(
        (
            public(
                "POST",
                lambda f: f"/c/{f.slug}/confirm/{_link(f.requester, 'confirm')}/decline",
                outcomes=("404",),
            ),
        ),
        why="only the owner of an unconfirmed registration's mailbox can void it",
    ),
    "portal.logout": Entry(
        (public("POST", lambda f: f"/c/{f.slug}/logout", outcomes=("redirect",)),)
    ),
    "portal.tickets": Entry((portal("GET", lambda f: f"/c/{f.slug}/tickets"),)),
    "portal.new_ticket": Entry(
        (
            portal("GET", lambda f: f"/c/{f.slug}/tickets/new"),
            portal(
                "POST",
                lambda f: f"/c/{f.slug}/tickets/new",
                data={"subject": "s", "body": "b", "priority": "normal"},
            ),
        )
    ),
    "portal.chat": Entry(
        (
            portal("GET", lambda f: f"/c/{f.slug}/chat"),
            portal("POST", lambda f: f"/c/{f.slug}/chat", data={"body": "hi"}),
        )
    ),
    "portal.solve": Entry(
        (
            # A's ticket on A's portal: B's people are signed out there.
            portal("POST", lambda f: f"/c/{f.slug}/tickets/{f.ticket.id}/solve"),
            # A's ticket id on B's own portal: B's customer gets 404; staff sign in there.
            page(
                "POST",
                lambda f: f"/c/globex/tickets/{f.ticket.id}/solve",
                agent="login",
                supervisor="login",
            ),
        )
    ),
    "portal.ticket": Entry(
        (
            # A's ticket on A's portal: B's people are signed out there.
            portal("GET", lambda f: f"/c/{f.slug}/tickets/{f.ticket.id}"),
            portal("POST", lambda f: f"/c/{f.slug}/tickets/{f.ticket.id}", data={"body": "x"}),
            # A's ticket id on B's own portal: B's customer gets 404.
            page(
                "GET",
                lambda f: f"/c/globex/tickets/{f.ticket.id}",
                agent="login",
                supervisor="login",
            ),
            page(
                "POST",
                lambda f: f"/c/globex/tickets/{f.ticket.id}",
                data={"body": "x"},
                agent="login",
                supervisor="login",
            ),
            page(
                "GET",
                lambda f: f"/c/{f.slug}/tickets/{f.ticket.id}",
                control="owner_customer",
                customer="login",
                agent="login",
                supervisor="login",
            ),
        )
    ),
    "portal.settings": Entry(
        (
            portal("GET", lambda f: f"/c/{f.slug}/settings"),
            portal(
                "POST", lambda f: f"/c/{f.slug}/settings", data={"locale": "en", "timezone": "UTC"}
            ),
        )
    ),
    "portal.password": Entry(
        (
            portal(
                "POST",
                lambda f: f"/c/{f.slug}/settings/password",
                data={"current": "pw", "password": "pw-12345678", "confirm": "pw-12345678"},
            ),
        ),
        why="A's portal treats B's people as signed out: nobody of B changes a password there",
    ),
    "settings.set_language": Entry(
        (
            public(
                "POST",
                lambda f: "/language",
                data=lambda f: {"locale": "en", "next": f"/agent/tickets/{f.ticket.id}"},
                outcomes=("redirect", "login"),
            ),
        ),
        why="the caller's own language; `next` only redirects (the target page then refuses)",
    ),
    "settings.staff_settings": Entry(
        (
            page("GET", lambda f: "/settings", agent="200", supervisor="200"),
            page(
                "POST",
                lambda f: "/settings",
                data={"locale": "en", "timezone": "UTC"},
                agent="redirect",
                supervisor="redirect",
            ),
        ),
        why="the caller's own settings; no tenant object",
    ),
    "settings.staff_password": Entry(
        (
            # The caller's own password, with a wrong current one: refused (422), nothing else.
            page(
                "POST",
                lambda f: "/settings/password",
                data={"current": "wrong", "password": "pw-12345678", "confirm": "pw-12345678"},
                agent="422",
                supervisor="422",
            ),
        ),
        why="the caller's own password; no tenant object",
    ),
    # --- the staff second factor -------------------------------------------------------------
    "auth.second_factor": Entry(
        (
            public("GET", lambda f: "/login/second-factor", outcomes=("login",)),
            public(
                "POST",
                lambda f: "/login/second-factor",
                data={"email": "qzx7-requester@foreign.test", "code": "123456"},
                outcomes=("login",),
            ),
        ),
        why="only a sign-in pending in this browser's session gets here; nobody else has one",
    ),
    "auth.second_factor_enrol": Entry(
        (
            public("GET", lambda f: "/login/second-factor/enrol", outcomes=("login",)),
            public(
                "POST",
                lambda f: "/login/second-factor/enrol",
                data={"email": "qzx7-requester@foreign.test", "code": "123456"},
                outcomes=("login",),
            ),
        ),
        why="only a sign-in pending in this browser's session gets here; nobody else has one",
    ),
    "settings.security": Entry(
        (page("GET", lambda f: "/settings/security", agent="200", supervisor="200"),),
        why="the caller's own second factor; no tenant object",
    ),
    "settings.security_enrol": Entry(
        (
            page("GET", lambda f: "/settings/security/enrol", agent="200", supervisor="200"),
            # A wrong first code: refused (422), nothing turned on.
            page(
                "POST",
                lambda f: "/settings/security/enrol",
                data={"code": "000000"},
                agent="422",
                supervisor="422",
            ),
        ),
        why="the caller's own second factor; no tenant object",
    ),
    "settings.security_recovery_codes": Entry(
        (
            page(
                "POST",
                lambda f: "/settings/security/recovery-codes",
                data={"codes-password": "pw"},
                agent="redirect",  # none set up: back to the security page
                supervisor="redirect",
            ),
        ),
        why="the caller's own recovery codes; no tenant object",
    ),
    "settings.security_disable": Entry(
        (
            page(
                "POST",
                lambda f: "/settings/security/disable",
                data={"off-password": "pw"},
                agent="redirect",  # none set up: back to the security page
                supervisor="redirect",
            ),
        ),
        why="the caller's own second factor; no tenant object",
    ),
    "settings.security_policy": Entry(
        (page("POST", lambda f: "/settings/security/policy", data={"policy": "staff"}),),
        why="admins only: every other role gets 404 and the rule stays as it was",
    ),
    "settings.end_session": Entry(
        (page("POST", lambda f: f"/settings/sessions/{_session_of(f.agent)}/end"),),
        why="another user's session id reads as missing; it stays signed in",
    ),
    "settings.end_other_sessions": Entry(
        (
            page(
                "POST",
                lambda f: "/settings/sessions/end-others",
                agent="redirect",
                supervisor="redirect",
            ),
        ),
        why="the caller's own sessions only; no tenant object",
    ),
    "settings.revoke_token": Entry(
        (page("POST", lambda f: f"/settings/tokens/{_token_of(f.agent)}/revoke"),),
        why="another user's token id reads as missing; it keeps working",
    ),
    "portal.end_session": Entry(
        (
            portal(
                "POST", lambda f: f"/c/{f.slug}/settings/sessions/{_session_of(f.requester)}/end"
            ),
            # A's customer's session id on B's own portal: B's customer gets 404.
            page(
                "POST",
                lambda f: f"/c/globex/settings/sessions/{_session_of(f.requester)}/end",
                agent="login",
                supervisor="login",
            ),
        ),
        why="another user's session id reads as missing; it stays signed in",
    ),
    "portal.end_other_sessions": Entry(
        (portal("POST", lambda f: f"/c/{f.slug}/settings/sessions/end-others"),),
        why="A's portal treats B's people as signed out",
    ),
    "portal.revoke_token": Entry(
        (
            portal(
                "POST", lambda f: f"/c/{f.slug}/settings/tokens/{_token_of(f.requester)}/revoke"
            ),
            page(
                "POST",
                lambda f: f"/c/globex/settings/tokens/{_token_of(f.requester)}/revoke",
                agent="login",
                supervisor="login",
            ),
        ),
        why="another user's token id reads as missing; it keeps working",
    ),
    # --- agent pages -------------------------------------------------------------------------
    "agent.queue": Entry(
        (page("GET", lambda f: f"/agent/?client={f.slug}&q=QZX7", agent="200"),),
        why="an agent's queue shows only the clients they serve, whatever the filter asks",
    ),
    "agent.coverage": Entry(
        (page("GET", lambda f: f"/agent/coverage?client={f.slug}", agent=("200", "404")),),
    ),
    "agent.presence": Entry(
        (page("POST", lambda f: "/agent/presence", data={"status": "away"}, agent="redirect"),),
        why="the agent's own presence; no tenant object",
    ),
    "agent.ticket": Entry(
        (
            page("GET", lambda f: f"/agent/tickets/{f.ticket.id}", control="owner_agent"),
            page("POST", lambda f: f"/agent/tickets/{f.ticket.id}", data={"body": "x"}),
            page(
                "POST",
                lambda f: f"/agent/tickets/{f.ticket.id}",
                data={"action": "update", "status": "solved", "priority": "urgent"},
            ),
        )
    ),
    "agent.sla_timeline": Entry(
        (page("GET", lambda f: f"/agent/tickets/{f.ticket.id}/sla", control="owner_agent"),)
    ),
    "agent.take": Entry((page("POST", lambda f: f"/agent/tickets/{f.ticket.id}/take"),)),
    # A's thread has no held reply; its internal note's id stands in: the ticket is refused
    # first, and nothing of A's may change (tests/web/test_held_replies.py has a real one).
    "agent.accept_held_reply": Entry(
        (page("POST", lambda f: f"/agent/tickets/{f.ticket.id}/held/{f.note.id}/accept"),)
    ),
    "agent.discard_held_reply": Entry(
        (page("POST", lambda f: f"/agent/tickets/{f.ticket.id}/held/{f.note.id}/discard"),)
    ),
    # --- supervisor pages --------------------------------------------------------------------
    "supervisor.dashboard": Entry(
        (page("GET", lambda f: f"/supervisor/?client={f.slug}", supervisor=("200", "404")),),
        why="a supervisor's dashboard is their own client's, whatever ?client= says",
    ),
    "supervisor.coverage": Entry(
        (page("GET", lambda f: f"/supervisor/coverage?client={f.slug}", supervisor=("200", "404")),)
    ),
    "admin.home": Entry(
        (page("GET", lambda f: "/admin/"),),
        why="the operator console: admins only, every other role 404",
    ),
    "admin.intake_token_list": Entry(
        (page("GET", lambda f: f"/admin/intake-tokens?client={f.slug}"),),
        why="a client's intake tokens in the console: admins only",
    ),
    "admin.issue_intake_token": Entry(
        (page("POST", lambda f: f"/admin/intake-tokens/{f.slug}/issue", data={"name": "stolen"}),),
        why="issuing a token for A: admins only, nothing is issued for anyone else",
    ),
    "admin.revoke_intake_token": Entry(
        (page("POST", lambda f: f"/admin/intake-tokens/{f.slug}/1/revoke"),),
        why="revoking A's token: admins only",
    ),
    "admin.invite_person": Entry(
        (
            page(
                "POST",
                lambda f: "/admin/people/invite",
                data=lambda f: {"role": "customer", "client": f.slug, "name": "x", "email": "x"},
            ),
        ),
        why="inviting someone into A: admins only, no account is made",
    ),
    "admin.client_branding": Entry(
        (
            page("GET", lambda f: f"/admin/clients/{f.slug}/branding"),
            page(
                "POST",
                lambda f: f"/admin/clients/{f.slug}/branding",
                data={"accent_color": "#000000"},
            ),
        ),
        why="A's logo and colour in the console: admins only, nothing changes for anyone else",
    ),
    "portal.logo": Entry(
        (public("GET", lambda f: f"/c/{f.slug}/logo", outcomes=("404",)),),
        why="a client's public brand image (A has none here): no tenant data behind it",
    ),
    "portal.brand_css": Entry(
        (public("GET", lambda f: f"/c/{f.slug}/brand.css"),),
        why="a client's public brand colours: no tenant data behind it",
    ),
    "admin.people_list": Entry(
        (page("GET", lambda f: f"/admin/people?client={f.slug}&q=qzx7"),),
        why="the console's directory of people: admins only",
    ),
    "admin.set_active": Entry(
        (page("POST", lambda f: f"/admin/people/{f.requester.id}/active", data={"active": "0"}),),
        why="deactivating A's customer: admins only, nothing changes for anyone else",
    ),
    "admin.reset_second_factor": Entry(
        (page("POST", lambda f: f"/admin/people/{f.agent.id}/second-factor/reset"),),
        why="resetting A's agent's second factor: admins only",
    ),
    "admin.clients_list": Entry(
        (page("GET", lambda f: "/admin/clients"),),
        why="the console's list of clients: admins only",
    ),
    "admin.client_new": Entry(
        (
            page("GET", lambda f: "/admin/clients/new"),
            page("POST", lambda f: "/admin/clients/new", data={"slug": "stolen", "name": "x"}),
        ),
        why="adding a client: admins only, nothing is created",
    ),
    "admin.client_edit": Entry(
        (
            page("GET", lambda f: f"/admin/clients/{f.slug}"),
            page("POST", lambda f: f"/admin/clients/{f.slug}", data={"name": "stolen"}),
        ),
        why="A's client settings and SLA targets: admins only, nothing of A's changes",
    ),
    "admin.client_due_preview": Entry(
        (page("GET", lambda f: f"/admin/sla-preview?slug={f.slug}"),),
        why="the client form's due-time preview: admins only",
    ),
    "admin.calendars_list": Entry(
        (page("GET", lambda f: "/admin/calendars"),),
        why="the console's business calendars: admins only",
    ),
    "admin.calendar_new": Entry(
        (
            page("GET", lambda f: "/admin/calendars/new"),
            page("POST", lambda f: "/admin/calendars/new", data={"name": "stolen"}),
        ),
        why="adding a calendar: admins only, nothing is created",
    ),
    "admin.calendar_edit": Entry(
        (
            page("GET", lambda f: "/admin/calendars/any"),
            page("POST", lambda f: "/admin/calendars/any", data={"holidays": "2026-01-01"}),
        ),
        why="editing a calendar A's SLA may use: admins only",
    ),
    "admin.sites_list": Entry(
        (page("GET", lambda f: "/admin/sites"),),
        why="the console's sites and shifts: admins only",
    ),
    "admin.site_new": Entry(
        (
            page("GET", lambda f: "/admin/sites/new"),
            page("POST", lambda f: "/admin/sites/new", data={"slug": "stolen", "name": "X"}),
        ),
        why="creating a site: admins only, nothing is created for anyone else",
    ),
    "admin.site_edit": Entry(
        (
            page("GET", lambda f: "/admin/sites/nowhere"),
            page("POST", lambda f: "/admin/sites/nowhere", data={"name": "X"}),
        ),
        why="editing a site's shifts: admins only",
    ),
    "admin.agents_list": Entry(
        (page("GET", lambda f: f"/admin/agents?client={f.slug}"),),
        why="the console's agents with their load: admins only",
    ),
    "admin.agent_new": Entry(
        (
            page("GET", lambda f: "/admin/agents/new"),
            page("POST", lambda f: "/admin/agents/new", data={"email": "x@evil.test"}),
        ),
        why="creating an agent: admins only, nobody is created",
    ),
    "admin.agent_edit": Entry(
        (
            page("GET", lambda f: f"/admin/agents/{f.agent.id}"),
            page("POST", lambda f: f"/admin/agents/{f.agent.id}", data={"capacity": "99"}),
        ),
        why="editing A's agent: admins only, nothing changes",
    ),
    "supervisor.audit_log": Entry(
        (
            page("GET", lambda f: f"/supervisor/audit?client={f.slug}"),
            # Without a client: a supervisor's own client's log, none of A's events in it.
            page("GET", lambda f: "/supervisor/audit", supervisor="200"),
        )
    ),
    "supervisor.shift_change_page": Entry(
        (
            page("GET", lambda f: f"/supervisor/shifts?client={f.slug}"),
            # Without a client: the supervisor's own client's handoffs, none of A's tickets.
            page("GET", lambda f: "/supervisor/shifts", supervisor="200"),
        )
    ),
    "supervisor.export_jsonl": Entry(
        (
            page(
                "GET",
                lambda f: f"/supervisor/export.jsonl?client={f.slug}&{PERIOD}",
                supervisor=("200", "404"),
            ),
        )
    ),
    "supervisor.metrics_tickets": Entry(
        (
            page(
                "GET",
                lambda f: f"/supervisor/metrics/tickets?client={f.slug}&{PERIOD}",
                supervisor=("200", "404"),
            ),
        )
    ),
    "supervisor.metrics_csv": Entry(
        (
            page(
                "GET",
                lambda f: f"/supervisor/metrics/tickets.csv?client={f.slug}&{PERIOD}",
                supervisor=("200", "404"),
            ),
        )
    ),
    "supervisor.tickets": Entry(
        (page("GET", lambda f: f"/supervisor/tickets?client={f.slug}", supervisor="200"),),
    ),
    "supervisor.tiles": Entry(
        (page("GET", lambda f: f"/supervisor/tiles.json?client={f.slug}", anonymous="401"),),
        why="JSON: anonymous gets 401, not a redirect",
    ),
    "supervisor.ticket": Entry(
        (page("GET", lambda f: f"/supervisor/tickets/{f.ticket.id}", control="owner_supervisor"),)
    ),
    "supervisor.sla_timeline": Entry(
        (
            page(
                "GET",
                lambda f: f"/supervisor/tickets/{f.ticket.id}/sla",
                control="owner_supervisor",
            ),
        )
    ),
    # --- attachment downloads ---------------------------------------------------------------
    "attachments.agent_download": Entry(
        (
            page(
                "GET", lambda f: f"/agent/tickets/{f.ticket.id}/{_file(f)}", control="owner_agent"
            ),
            # A's file id under B's own ticket: still A's file, still 404.
            page("GET", lambda f: f"/agent/tickets/{f.home_ticket_id}/{_file(f)}"),
        )
    ),
    "attachments.supervisor_download": Entry(
        (
            page(
                "GET",
                lambda f: f"/supervisor/tickets/{f.ticket.id}/{_file(f)}",
                control="owner_supervisor",
            ),
            page("GET", lambda f: f"/supervisor/tickets/{f.home_ticket_id}/{_file(f)}"),
        )
    ),
    "attachments.portal_download": Entry(
        (
            portal("GET", lambda f: f"/c/{f.slug}/tickets/{f.ticket.id}/{_file(f)}"),
            page(
                "GET",
                lambda f: f"/c/{f.slug}/tickets/{f.ticket.id}/{_file(f)}",
                control="owner_customer",
                customer="login",
                agent="login",
                supervisor="login",
            ),
            page(
                "GET",
                lambda f: f"/c/globex/tickets/{f.ticket.id}/{_file(f)}",
                agent="login",
                supervisor="login",
            ),
            page(
                "GET",
                lambda f: f"/c/globex/tickets/{f.home_ticket_id}/{_file(f)}",
                agent="login",
                supervisor="login",
            ),
        )
    ),
    # --- API ---------------------------------------------------------------------------------
    "api.openapi_document": Entry(
        (Probe("GET", lambda f: "/api/v1/openapi.json", {p: _set("200") for p in API_PRINCIPALS}),),
        api=True,
    ),
    "api.create_token": Entry(
        (
            Probe(
                "POST",
                lambda f: "/api/v1/auth/token",
                {p: _set("401") for p in API_PRINCIPALS},
                json={"email": "qzx7-requester@foreign.test", "password": "wrong"},
            ),
        ),
        api=True,
        why="a wrong password for A's customer: 401, nothing about the account",
    ),
    "api.put_my_status": Entry(
        (
            api(
                "PUT",
                lambda f: "/api/v1/agents/me/status",
                json={"status": "away"},
                agent_token="200",
                intake=("403", "404"),
                customer_token=("403", "404"),
                supervisor_token=("403", "404"),
            ),
        ),
        api=True,
        why="the caller's own presence; no tenant object",
    ),
    "api.list_intake_tokens": Entry(
        (api("GET", lambda f: f"/api/v1/admin/clients/{f.slug}/intake-tokens", **ADMIN_ONLY),),
        api=True,
        why="admins only: every other role is refused before the client is looked up",
    ),
    "api.issue_intake_token": Entry(
        (
            api(
                "POST",
                lambda f: f"/api/v1/admin/clients/{f.slug}/intake-tokens",
                json={"name": "stolen"},
                **ADMIN_ONLY,
            ),
        ),
        api=True,
        why="admins only: nobody else issues a token for A",
    ),
    "api.revoke_intake_token": Entry(
        (api("DELETE", lambda f: f"/api/v1/admin/clients/{f.slug}/intake-tokens/1", **ADMIN_ONLY),),
        api=True,
        why="admins only: nobody else revokes A's tokens",
    ),
    "api.patch_user": Entry(
        (
            api(
                "PATCH",
                lambda f: f"/api/v1/users/{f.requester.id}",
                json={"active": False},
                intake="403",
                customer_token="403",
                agent_token="403",
                supervisor_token="403",
            ),
        ),
        api=True,
        why="admins only: every other role is refused before the user is looked up",
    ),
    "api.export_provisioning": Entry(
        (
            api(
                "GET",
                lambda f: "/api/v1/admin/provisioning",
                intake="403",
                customer_token="403",
                agent_token="403",
                supervisor_token="403",
            ),
        ),
        api=True,
        why="admins only: the whole world of every client, refused to every other role",
    ),
    "api.load_provisioning": Entry(
        (
            api(
                "POST",
                lambda f: "/api/v1/admin/provisioning?dry_run=1",
                intake="403",
                customer_token="403",
                agent_token="403",
                supervisor_token="403",
            ),
        ),
        api=True,
        why="admins only: every other role is refused before the body is read",
    ),
    "api.file_ticket": Entry(
        (
            api(
                "POST",
                lambda f: "/api/v1/tickets",
                json={"subject": "s", "body": "b", "requester": {"email": "x@home.test"}},
                intake="201",
                customer_token=("201", "422"),
                agent_token=("403", "422"),
                supervisor_token=("403", "422"),
            ),
            api(
                "POST",
                lambda f: f"/api/v1/tickets?client={f.slug}",
                json={"subject": "s", "body": "b", "requester": {"email": "y@home.test"}},
                intake=("201", "400"),
                customer_token=("201", "422"),
                agent_token=("403", "422"),
                supervisor_token=("403", "422"),
            ),
        ),
        api=True,
        why="files into the caller's own client only; A's ticket count must not change",
    ),
    "api.list_tickets": Entry(
        (
            api(
                "GET",
                lambda f: f"/api/v1/tickets?client={f.slug}",
                intake=("403", "404"),
                customer_token=("200", "404"),
                agent_token=("200", "404"),
                supervisor_token=("200", "404"),
            ),
        ),
        api=True,
    ),
    "api.get_ticket": Entry(
        (
            api(
                "GET",
                lambda f: f"/api/v1/tickets/{f.ticket.id}",
                control="owner_agent_token",
                intake=INTAKE_REFUSED,
            ),
            api("GET", lambda f: f"/api/v1/tickets/{f.ticket.reference}", intake=INTAKE_REFUSED),
        ),
        api=True,
    ),
    "api.patch_ticket": Entry(
        (
            api(
                "PATCH",
                lambda f: f"/api/v1/tickets/{f.ticket.id}",
                json={"status": "solved", "priority": "urgent"},
                intake=INTAKE_REFUSED,
            ),
        ),
        api=True,
    ),
    "api.post_message": Entry(
        (
            api(
                "POST",
                lambda f: f"/api/v1/tickets/{f.ticket.id}/messages",
                json={"body": "x", "internal": False},
                intake=INTAKE_REFUSED,
            ),
        ),
        api=True,
    ),
    "api.coverage": Entry(
        (
            api(
                "GET",
                lambda f: f"/api/v1/coverage?client={f.slug}&locale=en&week_of=2026-03-09",
                **STAFF_ONLY,
            ),
        ),
        api=True,
    ),
    "api.routing_preview": Entry(
        (
            api(
                "GET",
                lambda f: f"/api/v1/routing/preview?client={f.slug}&locale=en",
                **STAFF_ONLY,
                supervisor_token=("403", "404"),
            ),
        ),
        api=True,
    ),
    "api.sla_preview": Entry(
        (
            api(
                "GET",
                lambda f: (
                    f"/api/v1/sla/preview?client={f.slug}&priority=normal"
                    "&start=2026-03-09T15:00:00Z"
                ),
                **STAFF_ONLY,
            ),
        ),
        api=True,
    ),
    "api.get_metrics": Entry(
        (
            api(
                "GET",
                lambda f: f"/api/v1/metrics?client={f.slug}&{PERIOD}",
                **STAFF_ONLY,
                agent_token=("403", "404"),
            ),
        ),
        api=True,
    ),
    "api.get_metrics_tickets": Entry(
        (
            api(
                "GET",
                lambda f: f"/api/v1/metrics/tickets?client={f.slug}&{PERIOD}",
                **STAFF_ONLY,
                agent_token=("403", "404"),
            ),
        ),
        api=True,
    ),
    "api.get_metrics_csv": Entry(
        (
            api(
                "GET",
                lambda f: f"/api/v1/metrics/tickets.csv?client={f.slug}&{PERIOD}",
                **STAFF_ONLY,
                agent_token=("403", "404"),
            ),
        ),
        api=True,
    ),
    "api.export_client": Entry(
        (
            api(
                "GET",
                lambda f: f"/api/v1/export.jsonl?client={f.slug}",
                **STAFF_ONLY,
                agent_token=("403", "404"),
            ),
        ),
        api=True,
    ),
}
