"""Helpers for the e-mail tests: the .eml fixtures in tests/mail/eml/."""

from __future__ import annotations

from pathlib import Path

EML = Path(__file__).parent / "eml"


def eml(name: str) -> bytes:
    """The bytes of a fixture mail in tests/mail/eml/."""
    return (EML / name).read_bytes()
