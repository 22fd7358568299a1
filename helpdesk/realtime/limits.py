"""Per-socket rate limits: token buckets kept in memory for each connection.

Each limited event has a setting in Flask-Limiter's notation (RATELIMIT_CHAT_LINES,
RATELIMIT_CHAT_TYPING, RATELIMIT_CHAT_READS: "20 per 10 seconds"), read when a socket's
bucket is made; an empty setting or RATELIMIT_ENABLED=0 lets every event through, as for
the HTTP limits.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from limits import parse

SETTINGS = {
    "send_message": "RATELIMIT_CHAT_LINES",
    "typing": "RATELIMIT_CHAT_TYPING",
    "read": "RATELIMIT_CHAT_READS",
}


@functools.lru_cache(maxsize=32)
def parse_rule(text: str) -> tuple[float, float]:
    """(events, per seconds) of a setting such as "20 per 10 seconds" or "30/minute"."""
    item = parse(text)
    return float(item.amount), float(item.get_expiry())


def rule_for(config: Mapping, event: str) -> tuple[float, float] | None:
    """The limit of an event under these settings; None when it is not limited."""
    if not config.get("RATELIMIT_ENABLED", True):
        return None
    text = config.get(SETTINGS[event]) or ""
    return parse_rule(text) if text.strip() else None


@dataclass
class Bucket:
    """`rate` events per `per` seconds, with bursts up to `rate`."""

    rate: float
    per: float
    tokens: float = field(default=-1.0)
    stamp: float = field(default_factory=time.monotonic)

    def take(self, now: float | None = None) -> float:
        """0 if an event may pass now, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        if self.tokens < 0:
            self.tokens = self.rate
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate / self.per)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) * self.per / self.rate


class SocketLimits:
    """Buckets per (socket id, event); forgotten when the socket disconnects."""

    def __init__(self):
        self._buckets: dict[tuple[str, str], Bucket | None] = {}
        self._lock = threading.Lock()

    def check(self, sid: str, event: str, config: Mapping) -> float:
        """0 if the event may pass, else the seconds until it may (under `config`'s rule,
        read when the socket first sends the event)."""
        key = (sid, event)
        with self._lock:
            if key not in self._buckets:
                rule = rule_for(config, event)
                self._buckets[key] = Bucket(*rule) if rule is not None else None
            bucket = self._buckets[key]
            return bucket.take() if bucket is not None else 0.0

    def forget(self, sid: str) -> None:
        """Drop a closed socket's buckets."""
        with self._lock:
            for key in [k for k in self._buckets if k[0] == sid]:
                del self._buckets[key]
