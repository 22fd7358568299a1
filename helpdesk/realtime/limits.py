"""Per-socket rate limits: token buckets kept in memory for each connection."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


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

    def __init__(self, rules: dict[str, tuple[float, float]]):
        self.rules = rules
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._lock = threading.Lock()

    def check(self, sid: str, event: str) -> float:
        """0 if the event may pass, else the seconds until it may."""
        rate, per = self.rules[event]
        with self._lock:
            bucket = self._buckets.setdefault((sid, event), Bucket(rate, per))
            return bucket.take()

    def forget(self, sid: str) -> None:
        """Drop a closed socket's buckets."""
        with self._lock:
            for key in [k for k in self._buckets if k[0] == sid]:
                del self._buckets[key]
