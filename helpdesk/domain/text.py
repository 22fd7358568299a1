"""Rules for user-entered text shown to others: no invisible characters that reorder it.

A name like "\u202egnp.exe" displays as "exe.png": the bidirectional override (and embed
and isolate) controls let one piece of text disguise itself and whatever follows it. They
have no use in a subject, a name or a file name, so they are removed there; right-to-left
text itself (Arabic, Hebrew) needs none of them and is left as it is.
"""

from __future__ import annotations

import re

# LRE, RLE, PDF, LRO, RLO (U+202A-U+202E) and LRI, RLI, FSI, PDI (U+2066-U+2069).
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def without_bidi_controls(text: str) -> str:
    """The text without bidirectional embedding, override and isolate controls."""
    return BIDI_CONTROLS.sub("", text)
