"""E-mail addresses as identities: one syntax check and one spelling everywhere."""

from __future__ import annotations

import functools

from email_validator import EmailNotValidError, validate_email

EMAIL_MAX = 254


class BadAddress(ValueError):
    """Not a usable e-mail address; the message says why."""


def normalize_email(value: object) -> str:
    """The address trimmed and lower-cased after a syntax check (no DNS; `.test` allowed)."""
    if not isinstance(value, str) or not value.strip():
        raise BadAddress("an e-mail address is required")
    if len(value.strip()) > EMAIL_MAX:
        raise BadAddress(f"an e-mail address has at most {EMAIL_MAX} characters")
    return _normalized(value.strip())


@functools.lru_cache(maxsize=4096)
def _normalized(address: str) -> str:
    # The check is pure but not cheap (about 0.1 ms, twice per API filing): the
    # addresses seen recently (customers who write again) are remembered. Refusals are not.
    try:
        result = validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise BadAddress(str(exc)) from None
    return result.normalized.lower()
