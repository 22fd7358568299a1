"""The audit log: append-only security events (sign-ins, token issue, admin changes, exports)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db
from helpdesk.models.types import UTCDateTime, utcnow

AUDIT_KINDS = (
    "login",
    "login_failed",
    "logout",
    "registered",
    "settings_changed",
    "password_reset_requested",
    "password_set",
    "token_issued",
    "token_revoked",
    "email_confirmed",
    "confirmation_requested",
    "registration_voided",
    "sessions_ended",
    "second_factor_enrolled",
    "second_factor_removed",
    "second_factor_reset",
    "second_factor_failed",
    "recovery_code_used",
    "second_factor_policy",
    "reply_held",
    "reply_accepted",
    "reply_discarded",
    "provision",
    "export",
    "user_deactivated",
    "user_reactivated",
    "client_branding",
)
USER_AGENT_MAX = 200
IP_MAX = 45  # an IPv6 address in text


class AuditEvent(db.Model):
    """Who did what, from where and when. Rows are only ever added (see the hooks below).

    `actor_id` is empty for a failed sign-in even when the e-mail belongs to someone: the log
    must not tell which accounts exist. `client_id` is the tenant the event concerns, if any.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_kind_at", "kind", "at"),
        Index("ix_audit_events_client_id_at", "client_id", "at"),
        Index("ix_audit_events_actor_id_at", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    ip: Mapped[str | None] = mapped_column(String(IP_MAX))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppendOnlyError(RuntimeError):
    """An audit event was about to be changed or deleted."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper, _connection, target: AuditEvent) -> None:
    raise AppendOnlyError(f"audit event {target.id} is append-only")
