"""Schemas of `PATCH /users/{id}`: an admin deactivates or reactivates a person."""

from __future__ import annotations

from datetime import datetime

from helpdesk.schemas.common import Request, Response, Role


class UserUpdate(Request):
    """The active flag: false signs the user out everywhere and hands off their tickets."""

    active: bool


class UserAccount(Response):
    """A person's account as the operator sees it."""

    id: int
    email: str
    name: str
    role: Role
    client: str | None
    active: bool
    last_sign_in_at: datetime | None
    sessions_ended: int
    tokens_revoked: int
    sockets_closed: int
    handed_off: list[int]
