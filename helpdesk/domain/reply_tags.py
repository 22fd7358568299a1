"""Signed reply addresses: the address a ticket's mail asks to be answered at proves the reply.

Mail about ticket 17 to Kei says `Reply-To: support+t17.<mac>@acme.test`: the client's inbound
address with a tag in its local part. The mac is an HMAC (SHA-256, the app's secret key) over
the inbound address, the ticket id and the id of the user the mail went to, so a tag taken from
one ticket, or from mail to one person, proves nothing for another ticket or another person.
Only someone who received our mail knows it; a stranger who merely writes Kei's address into
From cannot make one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

MAC_CHARS = 16  # base32 characters: 80 bits, lower case (mail servers may fold local parts)
_PURPOSE = b"helpdesk.reply-tag"
_TAG_RE = re.compile(r"^(?P<base>.+)\+t(?P<ticket>[1-9][0-9]{0,9})\.(?P<mac>[a-z2-7]{16})$")


@dataclass(frozen=True)
class Tag:
    """A tag read from an address: the inbound address it was added to, a ticket id, a mac."""

    base: str
    ticket_id: int
    mac: str


def _mac(secret: str | bytes, inbound: str, ticket_id: int, user_id: int) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    text = b"\x00".join(
        (_PURPOSE, inbound.strip().lower().encode(), str(ticket_id).encode(), str(user_id).encode())
    )
    digest = hmac.new(key, text, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:MAC_CHARS]


def tagged_address(inbound: str, *, secret: str | bytes, ticket_id: int, user_id: int) -> str:
    """The inbound address with the tag for this ticket and recipient in its local part."""
    local, _at, domain = inbound.strip().rpartition("@")
    return f"{local}+t{ticket_id}.{_mac(secret, inbound, ticket_id, user_id)}@{domain}"


def read_tag(address: str) -> Tag | None:
    """The tag of an address such as `support+t17.abcd...@acme.test`, or None if it has none."""
    local, at, domain = address.strip().strip("<>").lower().rpartition("@")
    found = _TAG_RE.match(local) if at and domain else None
    if found is None:
        return None
    return Tag(f"{found['base']}@{domain}", int(found["ticket"]), found["mac"])


def proves(
    tag: Tag | None, *, secret: str | bytes, inbound: str, ticket_id: int, user_id: int
) -> bool:
    """Whether the tag is the one we made for this inbound address, ticket and user."""
    if tag is None or not secret or tag.ticket_id != ticket_id:
        return False
    if tag.base != inbound.strip().lower():
        return False
    return hmac.compare_digest(tag.mac, _mac(secret, inbound, ticket_id, user_id))
