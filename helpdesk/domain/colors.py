"""Colours a client's brand may use: parsing, WCAG contrast, and the shades derived from one."""

from __future__ import annotations

import re

HEX = re.compile(r"#[0-9a-fA-F]{6}")
# WCAG 2 AA for normal text: the accent carries white button labels and is the links' colour.
MIN_CONTRAST = 4.5
WHITE = "#ffffff"


def normalize(value: str) -> str | None:
    """ "#RRGGBB" in lower case, or None when the text is not such a colour."""
    value = value.strip()
    return value.lower() if HEX.fullmatch(value) else None


def _channels(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def luminance(color: str) -> float:
    """Relative luminance (WCAG 2) of "#rrggbb"."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(color: str, other: str, share: float) -> str:
    """`color` with `share` (0..1) of `other` mixed in, as "#rrggbb"."""
    mixed = (
        round(c * (1 - share) + o * share)
        for c, o in zip(_channels(color), _channels(other), strict=True)
    )
    return "#" + "".join(f"{c:02x}" for c in mixed)


def shades(accent: str) -> dict[str, str]:
    """The portal's colour variables for an accent: itself, a darker hover, a pale tint."""
    return {
        "primary": accent,
        "primary-hover": mix(accent, "#000000", 0.18),
        "primary-soft": mix(accent, WHITE, 0.9),
        "focus": accent,
    }
