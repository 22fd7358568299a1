"""Helpers for the e-mail tests: the .eml fixtures in tests/mail/eml/, and replies that prove
their sender (to the signed reply address, or vouched for by a relay)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from helpdesk.domain.reply_tags import tagged_address

EML = Path(__file__).parent / "eml"


def eml(name: str) -> bytes:
    """The bytes of a fixture mail in tests/mail/eml/."""
    return (EML / name).read_bytes()


def reply_address(ticket, user=None) -> str:
    """The ticket's signed reply address for its requester (or `user`), as our mail gives it."""
    return tagged_address(
        ticket.client.inbound_email,
        secret=current_app.config["SECRET_KEY"],
        ticket_id=ticket.id,
        user_id=(user or ticket.requester).id,
    )


def vouched(raw: bytes, *, by: str, verdict: str) -> bytes:
    """The mail with an Authentication-Results header on top, as relay `by` would add it."""
    return f"Authentication-Results: {by};\r\n {verdict}\r\n".encode() + raw
