"""Deactivating and reactivating a person: one use case for the API and the console.

A deactivated user can no longer sign in, use a token or keep a socket: their sessions,
remember-me cookies and API tokens end in the same transaction as the flag, their open
sockets are disconnected on every process once it commits, and an agent's open work is
handed off at once (to someone eligible now, or to the queue of the next shift). Their
history stays: messages, events and audit entries keep pointing at the account and show
its name. Reactivating lets them sign in again with their password (or a password link);
nothing that ended comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.models import STAFF_REALM, Client, User, UserSession
from helpdesk.notify import publish
from helpdesk.services import audit, follow_the_sun, passwords, sessions
from helpdesk.services.addresses import BadAddress, normalize_email
from helpdesk.services.errors import Conflict, ValidationFailed
from helpdesk.services.provisioning import ProvisioningError, provision

# A deactivated agent's tickets are handed off in batches of hand_off's size; a desk with
# more open tickets than this on one person is handed off by the scheduler's next ticks.
HANDOFF_ROUNDS = 20


@dataclass
class ActiveChange:
    """What setting a user's active flag did."""

    user: User
    changed: bool
    sessions: int = 0
    tokens: int = 0
    sockets: int = 0
    handed_off: list[int] = field(default_factory=list)


def set_active(
    session: Session, user: User, active: bool, *, actor: User, now: datetime
) -> ActiveChange:
    """Deactivate or reactivate `user` (committed); the same value again changes nothing."""
    if bool(user.active) == active:
        return ActiveChange(user, changed=False)
    if not active:
        _check_may_deactivate(user, actor)
    user.active = active
    was_online = user.role == "agent" and user.presence != "offline"
    if not active and user.role == "agent":
        user.presence = "offline"
        user.presence_at = now
    audit.record_request(
        session,
        "user_reactivated" if active else "user_deactivated",
        actor=actor,
        client_id=user.client_id,
        now=now,
        data={
            "user_id": user.id,
            "email": user.email,
            "role": user.role,
            "before": {"active": not active},
            "after": {"active": active},
        },
    )
    ended = None
    if not active:
        ended = sessions.stage_end_all(session, user, reason="deactivated", now=now, actor=actor)
    session.commit()
    change = ActiveChange(user, changed=True)
    if ended is not None:
        sessions.finish(session, ended, user=user)
        change.sessions, change.tokens, change.sockets = (
            ended.sessions,
            ended.tokens,
            len(ended.sids),
        )
    if not active and user.role == "agent":
        if was_online:
            publish.emit(
                "presence",
                {"agent": {"id": user.id, "name": user.name}, "status": "offline"},
                to=publish.rooms.agents_room(),
            )
        change.handed_off = _hand_off_all(session, user, now)
    return change


def last_sign_in(session: Session, user: User) -> datetime | None:
    """When the user last signed in to a page (the start of their newest session)."""
    return session.scalar(
        select(func.max(UserSession.created_at)).where(UserSession.user_id == user.id)
    )


def _check_may_deactivate(user: User, actor: User) -> None:
    # The actor is an active admin, so another admin is never the last one: refusing one's
    # own account is enough to keep the desk from locking itself out.
    if user.id == actor.id:
        raise Conflict(_l("You cannot deactivate your own account."), code="own_account")


def _hand_off_all(session: Session, agent: User, now: datetime) -> list[int]:
    moved: list[int] = []
    for _ in range(HANDOFF_ROUNDS):
        batch = follow_the_sun.hand_off(session, owners={agent.id: "inactive"}, now=now)
        moved.extend(batch)
        if not batch:
            break
    return moved


# Whom the People page invites, and the provisioning section each goes in. (Agents have a
# site and skills: the Agents page makes them.)
INVITE_SECTIONS = {"customer": "customers", "supervisor": "supervisors", "admin": "admins"}


def invite(
    session: Session,
    *,
    role: str,
    client: Client | None,
    name: str,
    email: str,
    actor: User,
    now: datetime,
) -> User:
    """Make an account through provisioning (its rules and messages, audited as `actor`) and
    mail the person an invitation link to choose their password; committed.

    ValidationFailed names the bad fields (role, client, name, email); an address that
    already has an account in that realm is refused rather than changed.
    """
    if role not in INVITE_SECTIONS:
        raise ValidationFailed(
            _l("Check the highlighted fields."), fields={"role": _l("Choose a role.")}
        )
    if role != "admin" and client is None:
        raise ValidationFailed(
            _l("Check the highlighted fields."), fields={"client": _l("Choose the client.")}
        )
    try:
        address = normalize_email(email)
    except BadAddress:
        raise ValidationFailed(
            _l("Check the highlighted fields."), fields={"email": _l("Enter an e-mail address.")}
        ) from None
    realm = client.id if role != "admin" else STAFF_REALM
    taken = session.scalar(select(User.id).where(User.realm == realm, User.email == address))
    if taken is not None:
        raise ValidationFailed(
            _l("Check the highlighted fields."),
            fields={"email": _l("This address already has an account.")},
        )
    entry = {"email": address, "name": name}
    if role != "admin":
        entry["client"] = client.slug
    try:
        provision(session, {INVITE_SECTIONS[role]: [entry]}, now=now, actor=actor)
    except ProvisioningError as exc:
        fields = {path.rsplit(".", 1)[-1]: message for path, message in exc.problems}
        raise ValidationFailed(
            _l("Check the highlighted fields."), fields=fields or {"email": " ".join(exc.errors)}
        ) from None
    user = session.scalar(select(User).where(User.realm == realm, User.email == address))
    send_invitation(session, user, now=now)
    return user


def send_invitation(session: Session, user: User, *, now: datetime) -> bool:
    """Mail a new account's person the invitation to choose their password (committed);
    False when one went out moments ago."""
    queued = passwords.queue_link(session, user, kind="invite", now=now)
    session.commit()
    return queued
