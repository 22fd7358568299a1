"""Reading an inbound e-mail: pure functions from raw bytes to the parts a ticket needs.

No Flask, no database: charsets decoded (ISO-2022-JP, Windows-1252 or whatever the part says),
HTML-only mail turned into plain text through nh3, quoted history and signatures trimmed,
and the headers that mark automatic mail (loops) recognised.
"""

from __future__ import annotations

import email
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

import nh3

# Labels mail programs use for what is really Windows-1252 (as the WHATWG encoding standard does).
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252"}
_MSGID_RE = re.compile(r"<([^<>\s]{1,250})>")
_BLOCK_END_RE = re.compile(r"(?i)<\s*(br\s*/?|/\s*(p|div|li|tr|h[1-6]|blockquote|table|ul|ol))\s*>")
_BLANK_RUN_RE = re.compile(r"\n{3,}")

# The line that opens quoted history, in the languages we serve (one per mail program family).
_QUOTE_HEADERS = [
    re.compile(p)
    for p in (
        r"^On .{0,200}wrote:\s*$",
        r"^Le .{0,200}a écrit\s?:\s*$",
        r"^Am .{0,200}schrieb .{0,120}:\s*$",
        r"^El .{0,200}escribió:\s*$",
        r"^Em .{0,200}escreveu:\s*$",
        r"^.{0,200}(のメッセージ|書きました|wrote)\s*[:：]\s*$",
        r"^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|"
        r"Mensaje original|Mensagem original|元のメッセージ)\s*-{2,}\s*$",
        r"^_{10,}\s*$",  # Outlook's rule above "From: ... Sent: ..."
    )
]
_OUTLOOK_FROM = re.compile(r"^(From|De|Von|差出人)\s*[:：]")
_SIGNATURE_LINES = re.compile(
    r"^(--\s?|Sent from my .{1,40}|Get Outlook for .{1,40}|Enviado desde mi .{1,40})$"
)


@dataclass
class Part:
    """A file that came with the mail, as the sender named and typed it."""

    filename: str
    declared_type: str
    data: bytes


@dataclass
class ParsedMail:
    """What intake needs from one message."""

    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_name: str
    from_addr: str
    content_language: str | None
    text: str
    attachments: list[Part] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    # Where the mail says it went (To, Cc, Delivered-To, X-Original-To): a reply proves its
    # sender by being addressed to a ticket's signed reply address (domain.reply_tags).
    recipients: list[str] = field(default_factory=list)
    # Authentication-Results values, top-most first (mail.authresults decides which count).
    auth_results: list[str] = field(default_factory=list)


def parse(raw: bytes) -> ParsedMail:
    """Parse raw RFC 5322 bytes; damaged structure is tolerated and listed in `defects`."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    defects = [type(d).__name__ for d in msg.defects]
    body_part = _body_part(msg)
    text = ""
    if body_part is not None:
        text = part_text(body_part)
        if body_part.get_content_type() == "text/html":
            text = html_to_text(text)
    from_name, from_addr = parseaddr(_header(msg, "From"))
    return ParsedMail(
        message_id=first_message_id(_header(msg, "Message-ID")),
        in_reply_to=message_ids(_header(msg, "In-Reply-To")),
        references=message_ids(_header(msg, "References")),
        subject=" ".join(_header(msg, "Subject").split()),
        from_name=from_name.strip(),
        from_addr=from_addr.strip(),
        content_language=_first_language(_header(msg, "Content-Language")),
        text=normalize_text(text),
        attachments=list(_attachments(msg, body_part)),
        defects=defects,
        recipients=recipients(msg),
        auth_results=_all_headers(msg, "Authentication-Results"),
    )


def loop_reason(raw: bytes, envelope_from: str | None) -> str | None:
    """Why this mail is automatic (auto-reply, bounce, list mail), or None for a person's mail.

    Answering such mail with a ticket and an acknowledgement is how mail loops start.
    """
    if envelope_from is not None and envelope_from.strip() in ("", "<>"):
        return "null sender (bounce)"
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    auto = (msg.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto[:40]}"
    precedence = (msg.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id"):
        if msg.get(name) is not None and not (
            name == "X-Auto-Response-Suppress" and "autoreply" not in msg.get(name, "").lower()
        ):
            return f"{name} present"
    if msg.get_content_type() == "multipart/report":
        return "multipart/report (delivery or read report)"
    local = parseaddr(msg.get("From") or "")[1].split("@")[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        return f"From {local}"
    return None


def message_ids(value: str) -> list[str]:
    """Every <id> in a header value, in order, without brackets."""
    return _MSGID_RE.findall(value or "")


def first_message_id(value: str) -> str | None:
    """The one <id> of a Message-ID header, or None when it is missing or unreadable."""
    found = message_ids(value)
    return found[0] if found else None


def part_text(part: Message) -> str:
    """A text part decoded by its declared charset, falling back to UTF-8 then Windows-1252."""
    data = part.get_payload(decode=True) or b""
    charset = (part.get_content_charset() or "us-ascii").lower()
    charset = _CHARSET_ALIASES.get(charset, charset)
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def html_to_text(markup: str) -> str:
    """Safe plain text from HTML: nh3 removes every tag (and script/style content)."""
    markup = _BLOCK_END_RE.sub("\n", markup)
    cleaned = nh3.clean(markup, tags=set(), attributes={}, strip_comments=True)
    return html.unescape(cleaned)


def normalize_text(text: str) -> str:
    """Unix newlines, no trailing spaces, no NULs, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUN_RE.sub("\n\n", "\n".join(lines)).strip()


def trim_reply(text: str) -> str:
    """The new part of a reply: quoted history and the signature cut off.

    If trimming would leave nothing (a reply written inside the quote), the text stays whole;
    the original e-mail is kept beside it either way.
    """
    lines = text.split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">") and all(
            not rest.strip() or rest.lstrip().startswith(">") for rest in lines[i:]
        ):
            cut = i
            # The attribution line above the quote ("... wrote:", in any language) goes too.
            above = i - 1
            while above >= 0 and not lines[above].strip():
                above -= 1
            if above > 0 and lines[above].rstrip().endswith((":", "：")):
                cut = above
            break
        if any(p.match(stripped) for p in _QUOTE_HEADERS) or (
            _OUTLOOK_FROM.match(stripped) and i > 0 and not lines[i - 1].strip()
        ):
            cut = i
            break
    kept = trim_signature("\n".join(lines[:cut]))
    return kept if kept else text


def trim_signature(text: str) -> str:
    """The text above a signature delimiter ("-- ") or a "Sent from my phone" line."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i > 0 and _SIGNATURE_LINES.match(line):
            return "\n".join(lines[:i]).strip()
    return text.strip()


def _header(msg: EmailMessage, name: str) -> str:
    # A header the policy cannot parse raises on access; read it as plain text instead.
    try:
        value = msg.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):
        raw = dict(msg.raw_items()).get(name)
        value = str(raw) if raw is not None else None
    return str(value) if value is not None else ""


RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


def recipients(msg: EmailMessage) -> list[str]:
    """The addresses of the headers that say where the mail was delivered, in order."""
    values = [v for name in RECIPIENT_HEADERS for v in _all_headers(msg, name)]
    return [addr.strip() for _name, addr in getaddresses(values) if "@" in addr]


def _all_headers(msg: EmailMessage, name: str) -> list[str]:
    # Every occurrence, top first; one the policy cannot parse is read as plain text.
    found = []
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            found.append(" ".join(str(value).split()))
    return found


def _first_language(value: str) -> str | None:
    tag = value.split(",")[0].strip() if value else ""
    return tag or None


def _body_part(msg: EmailMessage) -> Message | None:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, TypeError, AttributeError):
        part = None
    if part is None and not msg.is_multipart() and msg.get_content_maintype() == "text":
        part = msg
    if part is not None and part.get_content_disposition() == "attachment":
        return None
    return part


def _attachments(msg: EmailMessage, body_part: Message | None):
    for part in msg.walk():
        if part is body_part or part.is_multipart():
            continue
        try:
            filename = part.get_filename()
        except (ValueError, TypeError, IndexError):
            filename = None
        disposition = part.get_content_disposition()
        if disposition != "attachment" and not filename:
            continue  # the HTML twin of the text body, or an unnamed inline part
        data = part.get_payload(decode=True)
        if data is None:
            continue
        yield Part(filename or "", part.get_content_type(), data)
