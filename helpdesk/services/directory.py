"""The operator's directory of people: who exists, in which role and client, and since when
they last signed in. Read-only; the changes go through user_lifecycle and second_factor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from helpdesk.models import ROLES, Client, User, UserSession

PAGE_SIZE = 50
STATES = ("active", "inactive")


@dataclass(frozen=True)
class Filter:
    """What the list shows: a role, a client, active or not, and text in the name or address."""

    role: str | None = None
    client_id: int | None = None
    state: str | None = None
    text: str = ""
    page: int = 1


@dataclass(frozen=True)
class Person:
    """One row of the directory."""

    user: User
    client: Client | None
    last_sign_in_at: datetime | None
    second_factor: bool


class PeoplePage(Pagination):
    """A page of Person rows (the pager macro reads it as it reads the queues)."""

    def _query_items(self) -> list[Person]:
        args = self._query_args
        last = (
            select(func.max(UserSession.created_at))
            .where(UserSession.user_id == User.id)
            .correlate(User)
            .scalar_subquery()
        )
        rows = args["session"].execute(
            select(User, Client, last)
            .outerjoin(Client, Client.id == User.client_id)
            .where(*args["where"])
            .order_by((User.role == "customer").asc(), func.lower(User.name), User.id)
            .limit(self.per_page)
            .offset((self.page - 1) * self.per_page)
        )
        return [Person(u, c, when, u.totp_enabled_at is not None) for u, c, when in rows]

    def _query_count(self) -> int:
        return self._query_args["total"]


def people(session: Session, wanted: Filter) -> PeoplePage:
    """The people matching `wanted`, staff first, then by name; PAGE_SIZE per page (a page
    past the end shows the last one)."""
    where = []
    if wanted.role in ROLES:
        where.append(User.role == wanted.role)
    if wanted.client_id is not None:
        where.append(User.client_id == wanted.client_id)
    if wanted.state in STATES:
        where.append(User.active.is_(wanted.state == "active"))
    text = wanted.text.strip().lower()
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(func.lower(User.name).like(like, escape="\\"), User.email.like(like, escape="\\"))
        )
    total = session.scalar(select(func.count()).select_from(User).where(*where)) or 0
    page = min(max(1, wanted.page), max(1, -(-total // PAGE_SIZE)))
    return PeoplePage(
        page=page, per_page=PAGE_SIZE, error_out=False, session=session, where=where, total=total
    )


def counts_by_role(session: Session) -> dict[str, int]:
    """How many people there are of each role (active or not)."""
    counts = dict(session.execute(select(User.role, func.count()).group_by(User.role)).all())
    return {role: counts.get(role, 0) for role in ROLES}
