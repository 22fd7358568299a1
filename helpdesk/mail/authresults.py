"""Authentication-Results (RFC 8601): what the receiving relay found out about a mail's sender.

Pure functions. A header of this kind is only worth what its author is: anyone can write one
into a mail they send. So only headers whose authserv-id is the one configured for our own
receiving relay (MAIL_AUTHSERV_ID) count, and of those only the top-most, the one our relay
added last; a relay that adds its own should also remove older ones with its id (RFC 8601 5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_AROUND_SIGNS = re.compile(r"\s*([=/])\s*")
_QUOTED = re.compile(r"\x00(\d+)\x00")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The property that names the domain each method vouches for.
_DOMAIN_OF = {"dmarc": "header.from", "spf": "smtp.mailfrom"}


@dataclass(frozen=True)
class Result:
    """One method's verdict: `spf=pass smtp.mailfrom=example.com` (names in lower case)."""

    method: str
    result: str
    props: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthResults:
    """One Authentication-Results header: who wrote it and what each method found."""

    authserv_id: str
    results: tuple[Result, ...]


def parse_header(value: str) -> AuthResults | None:
    """Read one header value; None when it names no authserv-id.

    Comments (nested, with escapes) are dropped, quoted strings kept whole, white space
    around `=` and `/` allowed, method versions (`dkim/1`) ignored; a part that is not
    `method=result` (such as `none`) is skipped rather than failing the whole header.
    """
    text, quoted = _without_comments(_CONTROL.sub(" ", value or ""))
    parts = _AROUND_SIGNS.sub(r"\1", text).split(";")
    head = parts[0].split()
    if not head:
        return None
    results = []
    for part in parts[1:]:
        words = part.split()
        if not words:
            continue
        method, sign, result = words[0].partition("=")
        if not sign or not method or not result:
            continue
        props = {}
        for word in words[1:]:
            name, sign, prop = word.partition("=")
            if sign and name:
                props[_unquote(name, quoted).lower()] = _unquote(prop, quoted)
        results.append(
            Result(method.split("/")[0].lower(), _unquote(result, quoted).lower(), props)
        )
    return AuthResults(_unquote(head[0], quoted).lower(), tuple(results))


def sender_proof(headers: list[str], *, authserv_id: str, from_domain: str) -> str | None:
    """`"dmarc"` or `"spf"` when our relay's top-most header vouches for the From domain.

    `headers` are the mail's Authentication-Results values, top first. DMARC counts when it
    passed with `header.from` the From domain; SPF when it passed for exactly that domain
    (`smtp.mailfrom`), so the envelope sender the relay checked is the From domain's own.
    With no authserv-id configured nothing counts.
    """
    trusted = authserv_id.strip().lower()
    domain = from_domain.strip().lower().rstrip(".")
    if not trusted or not domain:
        return None
    for value in headers:
        parsed = parse_header(value)
        if parsed is None or parsed.authserv_id != trusted:
            continue
        passed = {
            (r.method, domain_of(r.props.get(_DOMAIN_OF[r.method])))
            for r in parsed.results
            if r.result == "pass" and r.method in _DOMAIN_OF
        }
        for method in ("dmarc", "spf"):
            if (method, domain) in passed:
                return method
        return None  # the top-most of ours decides; older ones below it may be forged
    return None


def domain_of(value: str | None) -> str:
    """The domain of `user@example.com`, `<user@example.com>` or `example.com`, lower case."""
    if not value:
        return ""
    return value.strip().strip("<>").rpartition("@")[2].strip().lower().rstrip(".")


def _without_comments(value: str) -> tuple[str, list[str]]:
    """The value with each comment made a space and each quoted string a numbered marker."""
    out: list[str] = []
    quoted: list[str] = []
    depth, i = 0, 0
    while i < len(value):
        ch = value[i]
        if depth:
            if ch == "\\":
                i += 1
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
        elif ch == "(":
            depth = 1
            out.append(" ")
        elif ch == '"':
            i, text = _quoted_string(value, i + 1)
            quoted.append(text)
            out.append(f"\x00{len(quoted) - 1}\x00")
        else:
            out.append(ch)
        i += 1
    return "".join(out), quoted


def _quoted_string(value: str, i: int) -> tuple[str, str]:
    # From just after the opening quote to the closing one (or the end): its index and text.
    text = []
    while i < len(value) and value[i] != '"':
        if value[i] == "\\" and i + 1 < len(value):
            i += 1
        text.append(value[i])
        i += 1
    return i, "".join(text)


def _unquote(word: str, quoted: list[str]) -> str:
    return _QUOTED.sub(lambda m: quoted[int(m.group(1))], word)
