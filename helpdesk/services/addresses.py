"""E-mail addresses as identities: one syntax check and one spelling everywhere."""

from __future__ import annotations

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
    try:
        result = validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise BadAddress(str(exc)) from None
    return result.normalized.lower()
