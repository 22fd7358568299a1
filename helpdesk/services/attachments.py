"""Attachment storage: safe names, types sniffed from the bytes, files kept by SHA-256.

Files live under ATTACHMENTS_DIR (the instance folder, never static/), at a path derived
from their SHA-256, so the same file sent twice is stored once and a name from a sender
never reaches the file system.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.domain.text import without_bidi_controls
from helpdesk.models import ID_MAX, Attachment, Message, Ticket

log = logging.getLogger(__name__)

FILENAME_MAX = 120
OCTET_STREAM = "application/octet-stream"
# The only types served as themselves; everything else downloads as application/octet-stream.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
)
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def sniff(data: bytes) -> str:
    """The content type the bytes show, for a small allow-list; else application/octet-stream."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _is_plain_text(data):
        return "text/plain"
    return OCTET_STREAM


def _is_plain_text(data: bytes) -> bool:
    if not data or b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # Markup is not plain text: served as text it could still be read as a page somewhere.
    head = text[:512].lstrip().lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<svg", "<script")):
        return False
    return all(ch.isprintable() or ch in "\n\r\t\f" for ch in text[:4096])


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A display name without paths, control characters or leading dots, at most 120 chars."""
    name = without_bidi_controls(unicodedata.normalize("NFC", name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_CHARS.sub("_", name).strip().lstrip(".").strip()
    if not name:
        return fallback
    if len(name) > FILENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot and stem else ""
        name = name[: FILENAME_MAX - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return name


def path_for(root: str | Path, sha256: str) -> Path:
    """Where the bytes with this digest live under the storage root."""
    if not _SHA256_RE.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return Path(root) / sha256[:2] / sha256


def store_bytes(root: str | Path, data: bytes) -> str:
    """Write the bytes (once per content) and return their SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(root, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed: a reader never sees half a file.
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest


@dataclass(frozen=True)
class Limits:
    """Size limits in bytes: per file, and for all the files of one message."""

    per_file: int
    per_message: int


def attach_files(
    session: Session,
    *,
    root: str | Path,
    ticket: Ticket,
    message: Message | None,
    files: list[tuple[str, bytes]],
    limits: Limits,
) -> tuple[list[Attachment], list[str]]:
    """Store files for a ticket message within the limits; returns (attachments, skipped names).

    Rows are added to the session, not committed: they belong to the caller's transaction.
    """
    kept: list[Attachment] = []
    skipped: list[str] = []
    total = 0
    for name, data in files:
        filename = safe_filename(name)
        if len(data) > limits.per_file or total + len(data) > limits.per_message:
            skipped.append(filename)
            log.warning(
                "attachment %r (%d bytes) of ticket %s over the size limit: not stored",
                filename,
                len(data),
                ticket.reference,
            )
            continue
        total += len(data)
        kept.append(
            add_attachment(
                session, root=root, ticket=ticket, message=message, filename=filename, data=data
            )
        )
    return kept, skipped


def add_attachment(
    session: Session,
    *,
    root: str | Path,
    ticket: Ticket,
    message: Message | None,
    filename: str,
    data: bytes,
    content_type: str | None = None,
    original: bool = False,
) -> Attachment:
    """Store one file and add its row (uncommitted); the type is sniffed unless given."""
    digest = store_bytes(root, data)
    attachment = Attachment(
        ticket=ticket,
        message=message,
        filename=safe_filename(filename),
        content_type=content_type or sniff(data),
        size=len(data),
        sha256=digest,
        original=original,
    )
    session.add(attachment)
    return attachment


def _visible(ticket: Ticket, *, internal: bool, originals: bool):
    stmt = select(Attachment).where(Attachment.ticket_id == ticket.id)
    if not originals:
        stmt = stmt.where(Attachment.original.is_(False))
    if not internal:
        stmt = stmt.outerjoin(Message, Attachment.message_id == Message.id).where(
            (Attachment.message_id.is_(None)) | (Message.internal.is_(False))
        )
    return stmt


def ticket_attachments(
    session: Session, ticket: Ticket, *, internal: bool, originals: bool
) -> list[Attachment]:
    """A ticket's files in thread order, with or without internal notes' files and originals."""
    stmt = _visible(ticket, internal=internal, originals=originals)
    return list(session.scalars(stmt.order_by(Attachment.id)))


def find_attachment(
    session: Session, ticket: Ticket, attachment_id: object, *, internal: bool, originals: bool
) -> Attachment | None:
    """The ticket's attachment with this id if the viewer may have it, else None (404)."""
    if not isinstance(attachment_id, int) or not 0 < attachment_id <= ID_MAX:
        return None
    stmt = _visible(ticket, internal=internal, originals=originals)
    return session.scalar(stmt.where(Attachment.id == attachment_id))
