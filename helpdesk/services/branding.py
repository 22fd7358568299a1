"""A client's branding: the accent colour of its portal and mails, and its logo.

The colour must keep white text readable on it (WCAG AA, 4.5:1): it is the background of
the portal's buttons and the colour of its links. The logo is a small PNG, JPEG, GIF or WebP
image (never SVG, which can carry scripts), recognised by its bytes, not its name. Every
change is audited with the values before and after; changing the client's columns writes a
new world version, so every process serves the new brand within WORLD_CACHE_SECONDS.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.domain import colors
from helpdesk.models import Client, ClientLogo, User
from helpdesk.services import audit
from helpdesk.services.errors import ValidationFailed

LOGO_MAX_BYTES = 256 * 1024
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def logo_type(data: bytes) -> str | None:
    """The image type the bytes are, among those a logo may be; None for anything else."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_accent(value: str) -> str | None:
    """The accent as stored ("" -> None: the portal's own tone); ValidationFailed otherwise."""
    if not value.strip():
        return None
    color = colors.normalize(value)
    if color is None:
        raise _refused("accent_color", _l("Use a colour written as #rrggbb, e.g. #1d5fc4."))
    ratio = colors.contrast(color, colors.WHITE)
    if ratio < colors.MIN_CONTRAST:
        raise _refused(
            "accent_color",
            _l(
                "White text on %(color)s has a contrast of %(ratio)s:1; buttons and links need "
                "at least 4.5:1. Choose a darker colour.",
                color=color,
                ratio=f"{ratio:.1f}",
            ),
        )
    return color


def _refused(field: str, message) -> ValidationFailed:
    return ValidationFailed(_l("Check the highlighted fields."), fields={field: message})


def set_branding(
    session: Session,
    client: Client,
    *,
    accent: str,
    logo: bytes | None,
    remove_logo: bool,
    actor: User,
    now: datetime,
) -> bool:
    """Store the client's accent colour and logo (committed, audited); False if nothing changed.

    `logo` None keeps the stored one (unless `remove_logo`); ValidationFailed names the bad
    field and stores nothing.
    """
    color = check_accent(accent)
    content_type = None
    if logo is not None:
        if len(logo) > LOGO_MAX_BYTES:
            raise _refused(
                "logo", _l("The logo may have at most %(kb)s KB.", kb=LOGO_MAX_BYTES // 1024)
            )
        content_type = logo_type(logo)
        if content_type is None:
            raise _refused("logo", _l("Use a PNG, JPEG, GIF or WebP image."))
    before = {"accent_color": client.accent_color, "logo_sha256": client.logo_sha256}
    client.accent_color = color
    stored = session.get(ClientLogo, client.id)
    if logo is not None:
        if stored is None:
            stored = ClientLogo(client_id=client.id, content_type=content_type, data=logo)
            session.add(stored)
        stored.content_type, stored.data, stored.updated_at = content_type, logo, now
        client.logo_sha256 = hashlib.sha256(logo).hexdigest()
    elif remove_logo:
        if stored is not None:
            session.delete(stored)
        client.logo_sha256 = None
    after = {"accent_color": client.accent_color, "logo_sha256": client.logo_sha256}
    if after == before:
        session.rollback()
        return False
    audit.record_request(
        session,
        "client_branding",
        actor=actor,
        client_id=client.id,
        now=now,
        data={"client": client.slug, "before": before, "after": after},
    )
    session.commit()
    return True


def logo_of(session: Session, slug: str) -> ClientLogo | None:
    """The stored logo of the client with this slug."""
    stmt = select(ClientLogo).join(Client, Client.id == ClientLogo.client_id)
    return session.scalar(stmt.where(Client.slug == slug))
