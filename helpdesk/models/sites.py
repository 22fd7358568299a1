"""Sites of the provider: agent locations with a time zone, weekly shifts and holidays."""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db


class Site(db.Model):
    """An agent site; its shifts use the same weekly-interval format as calendars."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    shifts: Mapped[dict] = mapped_column(JSON, default=dict)
    holidays: Mapped[list] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"<Site {self.slug}>"
