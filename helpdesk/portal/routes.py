"""Portal routes: a client's branded home, customer sign-in and registration, tickets, live chat."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from helpdesk.domain.routing import Decision, Need
from helpdesk.extensions import db
from helpdesk.i18n import normalize_locale
from helpdesk.models import (
    ID_MAX,
    AgentSkill,
    Client,
    Message,
    Ticket,
    TicketRead,
    User,
    agent_clients,
)
from helpdesk.portal import bp
from helpdesk.portal.confirm import remember_pending
from helpdesk.portal.forms import (
    ChatStartForm,
    NewTicketForm,
    RegisterForm,
    ReplyForm,
    chat_subject,
)
from helpdesk.ratelimit import (
    filing_per_address,
    login_limits,
    mark_failed_login,
    password_link_per_address,
    register_per_address,
)
from helpdesk.services import accounts, routing
from helpdesk.services.auth import authenticate
from helpdesk.services.errors import ServiceError
from helpdesk.services.scope import get_visible_ticket, visible_tickets
from helpdesk.services.sla_report import (
    RESPONSE_METRICS,
    expected_reply,
    is_live,
    live_clocks_by_ticket,
)
from helpdesk.services.tickets import NewTicket, add_message, create_ticket, solve_as_requester
from helpdesk.web import browser_session, passwords, sign_in
from helpdesk.web.forms import PRIORITY_LABELS, STATUS_LABELS, LoginForm
from helpdesk.web.navigation import safe_next

PER_PAGE = 25
PAGE_MAX = 100_000  # beyond any real list; keeps OFFSET within the databases' integers
BRAND_TONES = 6  # the stylesheet defines .tone-0 ... .tone-5


@bp.url_value_preprocessor
def load_client(_endpoint, values) -> None:
    """Resolve /c/<client_slug>/ to g.client once per request; unknown slugs are 404."""
    slug = (values or {}).pop("client_slug", None)
    client = None
    if isinstance(slug, str) and 0 < len(slug) <= 40:
        client = db.session.scalar(select(Client).where(Client.slug == slug))
    if client is None:
        abort(404)
    g.client = client


@bp.url_defaults
def add_client_slug(_endpoint, values) -> None:
    """Links between portal pages keep the current client without repeating it."""
    if "client_slug" not in values and g.get("client") is not None:
        values["client_slug"] = g.client.slug


def portal_customer() -> User | None:
    """The signed-in customer of this portal's client; anyone else counts as signed out here."""
    client = g.get("client")
    user = current_user
    if (
        client is not None
        and user.is_authenticated
        and user.role == "customer"
        and user.client_id == client.id
        and user.email_confirmed_at is not None
    ):
        # The user itself, not the current_user proxy: services store it on events, and
        # login_user (a password change) must not be handed a proxy of itself.
        return user._get_current_object()
    return None


def customer_required(view):
    """Send visitors who are not this client's customers to this portal's sign-in."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        customer = portal_customer()
        if customer is None:
            target = request.full_path if request.query_string else request.path
            return redirect(url_for("portal.login", next=target))
        g.customer = customer
        return view(*args, **kwargs)

    return wrapped


@bp.context_processor
def portal_context() -> dict:
    """Brand, viewer and labels for every portal template (error pages included)."""
    client = g.get("client")
    tone = zlib.crc32(client.slug.encode()) % BRAND_TONES if client is not None else 0
    return {
        "brand": client,
        "brand_tone": tone,
        "viewer": portal_customer(),
        "status_labels": STATUS_LABELS,
        "priority_labels": PRIORITY_LABELS,
    }


def client_categories(client: Client) -> list[str]:
    """The distinct skills of the active agents serving the client: its ticket categories."""
    serving = select(agent_clients.c.user_id).where(agent_clients.c.client_id == client.id)
    stmt = (
        select(AgentSkill.skill)
        .join(User, User.id == AgentSkill.user_id)
        .where(
            User.role == "agent",
            User.active.is_(True),
            or_(User.id.in_(serving), User.serves_all_clients.is_(True)),
        )
        .distinct()
        .order_by(AgentSkill.skill)
    )
    return list(db.session.scalars(stmt))


def _my_ticket(ticket_id: int) -> Ticket:
    """The customer's own ticket of this client, else 404."""
    ticket = get_visible_ticket(db.session, g.customer, ticket_id)
    if ticket is None or ticket.client_id != g.client.id:
        abort(404)
    return ticket


@bp.route("/")
def home():
    """The client's branded support home."""
    return render_template("portal/home.html")


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    """Customers sign in to this client's portal only (realm = the client)."""
    if portal_customer() is not None:
        return redirect(safe_next(request.args.get("next")) or url_for("portal.tickets"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(
            db.session, email=form.email.data, password=form.password.data, realm=g.client.id
        )
        if user is not None and user.role == "customer" and accounts.is_pending_registration(user):
            # The password is right, but the address is not proven yet: say what to do.
            remember_pending(user.email)
            form.form_errors.append(
                _(
                    "Your e-mail address is not confirmed yet. Open the link we mailed to you, "
                    "or ask for a new one."
                )
            )
            return render_template("portal/login.html", form=form, unconfirmed=True), 403
        if user is not None and user.role == "customer" and user.client_id == g.client.id:
            target = safe_next(request.args.get("next")) or url_for("portal.tickets")
            return sign_in.finish(user, realm="portal", target=target)
        # Same words whether or not the e-mail exists.
        mark_failed_login()
        accounts.failed_sign_in(
            db.session, email=form.email.data, realm="portal", client_id=g.client.id
        )
        form.form_errors.append(_("Wrong e-mail or password."))
    elif form.is_submitted():
        status = 422
    return render_template("portal/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
@register_per_address
def register():
    """Create a customer account for this client; it signs in once its address is confirmed."""
    if portal_customer() is not None:
        return redirect(url_for("portal.tickets"))
    form = RegisterForm()
    if form.validate_on_submit():
        taken = _(
            "An account with this e-mail already exists here. Sign in, or ask for a password "
            "link if you never had a password."
        )
        try:
            user = accounts.register_customer(
                db.session,
                g.client,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                locale=str(get_locale()),
                now=datetime.now(UTC),
            )
        except accounts.EmailTaken:
            form.email.errors.append(taken)
        else:
            remember_pending(user.email)
            flash(
                _(
                    "Almost done, %(name)s: we mailed a link to %(email)s. Open it to confirm "
                    "the address and sign in.",
                    name=user.name,
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("portal.confirm_sent"))
    status = 422 if form.errors else 200
    return render_template("portal/register.html", form=form), status


@bp.route("/password", methods=["GET", "POST"])
@password_link_per_address
def password_link():
    """Ask for a link that sets a password: forgotten, or never had one (filed by e-mail)."""
    return passwords.ask_page(
        realm=g.client.id,
        realm_name="portal",
        client_id=g.client.id,
        sign_in_url=url_for("portal.login"),
    )


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Choose a password from a mailed link; then signed in to this portal."""
    return passwords.set_page(
        token,
        realm=g.client.id,
        realm_name="portal",
        ask_url=url_for("portal.password_link"),
        home=lambda _user: url_for("portal.tickets"),
    )


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (whoever this browser is signed in as) and return to this portal's home.

    The browser's session record ends, so a copy of its cookie opens nothing.
    """
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if user is not None:
        accounts.signing_out(
            db.session,
            user,
            realm="portal",
            now=datetime.now(UTC),
            session_key=browser_session.current_key(),
        )
    logout_user()
    browser_session.forget()
    flash(_("You are signed out."), "info")
    return redirect(url_for("portal.home"))


@bp.route("/tickets")
@customer_required
def tickets():
    """The customer's tickets with this client, most recently updated first."""
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), PAGE_MAX)
    stmt = (
        visible_tickets(g.customer)
        .where(Ticket.client_id == g.client.id)
        .options(joinedload(Ticket.client))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    )
    pagination = db.paginate(
        stmt, page=page, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False
    )
    now = datetime.now(UTC)
    live = live_clocks_by_ticket(
        db.session, [t.id for t in pagination.items], metrics=RESPONSE_METRICS
    )
    replies = {t.id: expected_reply(t, live.get(t.id, []), now=now) for t in pagination.items}
    return render_template("portal/tickets.html", pagination=pagination, replies=replies, now=now)


@bp.route("/tickets/new", methods=["GET", "POST"])
@filing_per_address
@customer_required
def new_ticket():
    """File a ticket on the portal."""
    form = NewTicketForm()
    form.set_categories(client_categories(g.client))
    status = 200
    if form.validate_on_submit():
        cmd = NewTicket(
            subject=form.subject.data,
            body=form.body.data,
            priority=form.priority.data,
            channel="portal",
            locale=g.customer.locale or str(get_locale()),
            category=form.category.data or None,
        )
        try:
            ticket = create_ticket(
                db.session,
                client=g.client,
                requester=g.customer,
                cmd=cmd,
                now=datetime.now(UTC),
            )
        except ServiceError as exc:
            db.session.rollback()
            status = form.add_service_error(exc)
        else:
            flash(
                _("Thank you. Your ticket %(reference)s is filed.", reference=ticket.reference),
                "success",
            )
            return redirect(url_for("portal.ticket", ticket_id=ticket.id))
    elif form.is_submitted():
        status = 422
    return render_template("portal/new_ticket.html", form=form), status


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>", methods=["GET", "POST"])
@customer_required
def ticket(ticket_id: int):
    """One ticket's public thread and the customer's reply (field `body`); chats as a chat."""
    ticket = _my_ticket(ticket_id)
    chat = ticket.channel == "chat"
    form = ReplyForm()
    status = 200
    if form.validate_on_submit():
        try:
            add_message(
                db.session,
                ticket=ticket,
                author=g.customer,
                body=form.body.data,
                now=datetime.now(UTC),
                channel="chat" if chat else "portal",
            )
        except ServiceError as exc:
            db.session.rollback()
            status = form.add_service_error(exc)
        else:
            if not chat:  # a chat line needs no confirmation: it is in the log
                flash(_("Your reply was sent."), "success")
            return redirect(url_for("portal.ticket", ticket_id=ticket.id, _anchor="latest"))
    elif form.is_submitted():
        status = 422
    messages = db.session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.internal.is_(False))
        .options(joinedload(Message.author))
        .order_by(Message.id)
    ).all()
    now = datetime.now(UTC)
    live = [c for c in ticket.sla_clocks if is_live(c)]
    return render_template(
        "portal/chat.html" if chat else "portal/ticket.html",
        ticket=ticket,
        messages=messages,
        form=form,
        reply=expected_reply(ticket, live, now=now),
        seen_up_to=read_by_others(ticket, g.customer),
        now=now,
    ), status


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>/solve", methods=["POST"])
@customer_required
def solve(ticket_id: int):
    """The customer marks their ticket as solved (a reply opens it again)."""
    ticket = _my_ticket(ticket_id)  # the form's CSRF token is checked app-wide (CSRFProtect)
    try:
        solve_as_requester(db.session, ticket=ticket, customer=g.customer, now=datetime.now(UTC))
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Glad it is solved! If it comes back, reply here and we pick it up."), "success")
    return redirect(url_for("portal.ticket", ticket_id=ticket.id))


def read_by_others(ticket: Ticket, viewer: User) -> int:
    """The furthest message id anyone but the viewer has read on the ticket (0 if none)."""
    return (
        db.session.scalar(
            select(func.max(TicketRead.message_id)).where(
                TicketRead.ticket_id == ticket.id, TicketRead.user_id != viewer.id
            )
        )
        or 0
    )


def chat_locale(customer: User, client: Client) -> str:
    """The language a chat is held in: the customer's own, else the client's default."""
    return normalize_locale(customer.locale) or client.default_locale


def chat_availability(client: Client, locale: str, now: datetime) -> Decision:
    """Who could take a chat right now: routing's live decision for a normal request."""
    need = Need(client_id=client.id, locale=locale, skill=None, priority="normal")
    return routing.live_decision(db.session, need, now)[0]


@bp.route("/chat", methods=["GET", "POST"])
@filing_per_address
@customer_required
def chat():
    """Start a live chat when an agent can take it now; otherwise offer the ticket form."""
    now = datetime.now(UTC)
    locale = chat_locale(g.customer, g.client)
    decision = chat_availability(g.client, locale, now)
    form = ChatStartForm()
    if decision.agent is None:
        return _chat_offline(decision, form)
    status = 200
    if form.validate_on_submit():
        cmd = NewTicket(
            subject=chat_subject(form.body.data),
            body=form.body.data,
            channel="chat",
            locale=locale,
        )
        try:
            ticket = create_ticket(
                db.session, client=g.client, requester=g.customer, cmd=cmd, now=now
            )
        except ServiceError as exc:
            db.session.rollback()
            status = form.add_service_error(exc)
        else:
            return redirect(url_for("portal.ticket", ticket_id=ticket.id))
    elif form.is_submitted():
        status = 422
    return render_template("portal/chat_start.html", form=form), status


def _chat_offline(decision: Decision, chat_form: ChatStartForm):
    """Nobody can chat now: the ordinary ticket form, with when an agent can answer.

    A chat message typed before the agents became busy is carried into the form.
    """
    typed = chat_form.body.data if chat_form.is_submitted() else None
    form = NewTicketForm(
        formdata=None,
        subject=chat_subject(typed) if typed else None,
        body=typed,
    )
    form.set_categories(client_categories(g.client))
    return render_template(
        "portal/chat_offline.html",
        form=form,
        decision=decision,
        carried=bool(typed),
    )
