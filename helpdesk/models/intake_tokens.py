"""Intake tokens: the secrets a client's integrations file tickets with, several per client.

Only a token's SHA-256 is stored. The operator issues one (shown once), names it after the
integration that uses it, sees when it was last used and revokes it. (The token a
provisioning file sets is kept on the client itself: `Client.intake_token_hash`.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.tenancy import Client
from helpdesk.models.types import UTCDateTime, utcnow

INTAKE_TOKEN_NAME_MAX = 80


class IntakeToken(db.Model):
    """One issued intake token of a client; revoked ones stay, for the record."""

    __tablename__ = "intake_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(INTAKE_TOKEN_NAME_MAX))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Written at most once a minute per server process (services.intake_tokens.note_use).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()

    @property
    def live(self) -> bool:
        """Whether the token still files tickets."""
        return self.revoked_at is None
