"""Benchmark: 5-day SLA due times on a New York business calendar against bare datetime addition.

Run as `python bench/sla_due.py`. Starts are random minutes of 2026-2027, so most fall on
nights, weekends or holidays. The two loops run alternately (due, bare, due, bare, ...) because
this machine's core speed drifts; the figure to read is the median ratio of the pairs.
"""

import itertools
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpdesk.domain.calendar import BusinessCalendar, _local_day_spans  # noqa: E402

TARGET_MINUTES = 2400  # five 8-hour business days
PAIRS = 5
DUE_SECONDS = 0.4  # per round: about 2 s of due() in all
BARE_SECONDS = 0.2
HOLIDAYS = [
    "2026-01-01",
    "2026-01-19",
    "2026-05-25",
    "2026-07-03",
    "2026-09-07",
    "2026-11-26",
    "2026-11-27",
    "2026-12-25",
    "2027-01-01",
    "2027-05-31",
    "2027-07-05",
    "2027-11-25",
    "2027-12-24",
]


def timed(step, starts, seconds):
    """Calls of `step` per second over consecutive batches of `starts`, for about `seconds`."""
    batches = [starts[i : i + 500] for i in range(0, len(starts), 500)]
    calls, began = 0, time.perf_counter()
    for batch in itertools.cycle(batches):
        for start in batch:
            step(start)
        calls += len(batch)
        elapsed = time.perf_counter() - began
        if elapsed >= seconds:
            return calls / elapsed


def main():
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    calendar = BusinessCalendar.from_spec(
        "America/New_York", {day: ["09:00-17:00"] for day in weekdays}, HOLIDAYS
    )
    rng = random.Random(2026)
    origin = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [origin + timedelta(minutes=rng.randrange(2 * 365 * 1440)) for _ in range(20_000)]
    target = timedelta(minutes=TARGET_MINUTES)

    _local_day_spans.cache_clear()  # the calendar caches each local day's spans
    began = time.perf_counter()
    dues = [calendar.due(start, TARGET_MINUTES) for start in starts[:2000]]
    cold = 2000 / (time.perf_counter() - began)
    for start, due in zip(starts[:200], dues, strict=False):
        assert calendar.elapsed(start, due) == target, (start, due)

    def with_calendar(start):
        return calendar.due(start, TARGET_MINUTES)

    def bare(start):
        return start + target

    print(f"due() of {TARGET_MINUTES} business minutes from {len(starts)} random starts")
    print(f"first pass (empty day cache): {cold:,.0f} due/s")
    ratios = []
    for n in range(1, PAIRS + 1):
        due_rate = timed(with_calendar, starts, DUE_SECONDS)
        bare_rate = timed(bare, starts, BARE_SECONDS)
        ratios.append(bare_rate / due_rate)
        print(
            f"pair {n}: due() {due_rate:,.0f}/s   start + timedelta {bare_rate:,.0f}/s"
            f"   ratio {ratios[-1]:,.0f}x"
        )
    print(
        f"median ratio {statistics.median(ratios):,.0f}x"
        f" (min {min(ratios):,.0f}x, max {max(ratios):,.0f}x)"
    )


if __name__ == "__main__":
    main()
