"""Users of every role, agent attributes (languages, skills, clients) and API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from helpdesk.extensions import db
from helpdesk.models.sites import Site
from helpdesk.models.tenancy import Client
from helpdesk.models.types import UTCDateTime, utcnow

ROLES = ("customer", "agent", "supervisor", "admin")
PRESENCE = ("online", "away", "offline")
STAFF_REALM = 0  # customers log in per client (realm = client id); staff share realm 0

agent_clients = Table(
    "agent_clients",
    db.Model.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    # Routing asks "who serves client X": the primary key leads with the user.
    Index("ix_agent_clients_client_id", "client_id"),
)


class User(UserMixin, db.Model):
    """A person: customer or supervisor of one client, or an agent or admin of the provider."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("realm", "email"),
        Index("ix_users_client_role", "client_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    realm: Mapped[int] = mapped_column(Integer, default=STAFF_REALM)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Agent attributes; NULL or empty for other roles.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    serves_all_clients: Mapped[bool] = mapped_column(Boolean, default=False)
    presence: Mapped[str] = mapped_column(String(16), default="offline")
    presence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last request or socket event of an online agent: idle past a limit means away.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shift_override: Mapped[dict | None] = mapped_column(JSON)
    # password_mark() when provisioning last set the password: if the mark differs now, the
    # person chose their own since, and provisioning keeps it (unless forced).
    provisioned_password_mark: Mapped[str | None] = mapped_column(String(16))
    # When the person proved they read this mailbox (a confirmation or password link) or an
    # operator vouched for it (provisioning); a portal account cannot sign in before.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff second factor: the TOTP secret (base32), when it was enrolled, and the last time
    # step accepted (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    client: Mapped[Client | None] = relationship()
    site: Mapped[Site | None] = relationship()
    served_clients: Mapped[list[Client]] = relationship(secondary=agent_clients)
    languages: Mapped[list[AgentLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="AgentLanguage.language"
    )
    skills: Mapped[list[AgentSkill]] = relationship(
        cascade="all, delete-orphan", order_by="AgentSkill.skill"
    )

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether the password matches; False for users without one."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def password_mark(self) -> str:
        """A short digest of the stored password hash: it changes whenever the password does."""
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]

    def get_id(self) -> str:
        """Flask-Login's session id: the user's id and the mark of the password signed in with.

        A new password changes the mark, so every session and remember-me cookie signed in
        with the old one is signed out (helpdesk.auth's user loader checks it).
        """
        return f"{self.id}.{self.password_mark()}"

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.active

    @property
    def is_staff(self) -> bool:
        """Agents and admins work for the provider."""
        return self.role in ("agent", "admin")

    @property
    def language_codes(self) -> list[str]:
        """The agent's languages as locale codes."""
        return [lang.language for lang in self.languages]

    @property
    def skill_names(self) -> list[str]:
        """The agent's skills."""
        return [s.skill for s in self.skills]

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class AgentLanguage(db.Model):
    """A language an agent speaks (a Babel locale code such as ja or pt_BR)."""

    __tablename__ = "agent_languages"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)


class AgentSkill(db.Model):
    """A skill (ticket category) an agent handles."""

    __tablename__ = "agent_skills"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ApiToken(db.Model):
    """A user's API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The user's password_mark() when the token was issued: a new password ends the token.
    password_mark: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(80))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
