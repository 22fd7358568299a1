"""The pure half of bench/peer.py: parse the peer scripts' JSON lines, compare, print the table.

No processes and no clock here, so tests/bench/test_peer_table.py can feed it canned lines.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

# Where a ratio project/peer must land (at most this); None: shown for comparison only.
INTAKE_CPU_TARGET = 0.2
INTAKE_P99_TARGET = 0.2
LIST_CPU_TARGET = 0.1


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure on both sides, their ratio and its verdict."""

    label: str
    unit: str
    peer: float | None
    project: float | None
    target: float | None  # the ratio project/peer must be at most this; None: no target

    @property
    def ratio(self) -> float | None:
        """project / peer, or None when either side is missing or the peer's figure is 0."""
        if self.peer is None or self.project is None or self.peer == 0:
            return None
        return self.project / self.peer

    @property
    def verdict(self) -> str:
        """ "pass" or "FAIL" against the target, "info" without one, "n/a" without figures."""
        if self.ratio is None:
            return "n/a"
        if self.target is None:
            return "info"
        return "pass" if self.ratio <= self.target else "FAIL"


def parse_phases(text: str) -> list[dict]:
    """The JSON objects with a "phase" in a script's output; log lines and noise are skipped."""
    phases = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and "phase" in obj:
            phases.append(obj)
    return phases


def _median(phases: Iterable[dict], phase: str, key: str) -> float | None:
    values = [p[key] for p in phases if p.get("phase") == phase and p.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(phases: list[dict]) -> dict[str, float | None]:
    """One side's figures: medians over its intake runs, and its list pages' server CPU."""
    intake = [p for p in phases if p.get("phase") == "api_token"]
    return {
        "intake_runs": len(intake),
        "intake_errors": sum(p.get("errors", 0) for p in intake),
        "intake_time_bound": any(p.get("hit_time_bound") for p in intake),
        "intake_cpu_ms": _median(phases, "api_token", "server_cpu_ms_per_req"),
        "intake_rps": _median(phases, "api_token", "rps"),
        "intake_p50_ms": _median(phases, "api_token", "p50_ms"),
        "intake_p99_ms": _median(phases, "api_token", "p99_ms"),
        "intake_rss_peak_mib": _median(phases, "api_token", "rss_peak_mib"),
        "queue_html_cpu_ms": _median(phases, "queue_html", "server_cpu_ms_per_req"),
        "list_html_cpu_ms": _median(phases, "list_html", "server_cpu_ms_per_req"),
        "list_json_cpu_ms": _median(phases, "list_json", "server_cpu_ms_per_req"),
    }


def compare(peer: dict, project: dict) -> list[Row]:
    """The table's rows from two summaries (see summarize); the list pages face the peer's JSON."""
    return [
        Row("intake: server CPU per filing", "ms", peer["intake_cpu_ms"],
            project["intake_cpu_ms"], INTAKE_CPU_TARGET),
        Row("intake: throughput", "req/s", peer["intake_rps"], project["intake_rps"], None),
        Row("intake: p50", "ms", peer["intake_p50_ms"], project["intake_p50_ms"], None),
        Row("intake: p99", "ms", peer["intake_p99_ms"], project["intake_p99_ms"],
            INTAKE_P99_TARGET),
        Row("intake: RSS peak, master + 2 workers", "MiB", peer["intake_rss_peak_mib"],
            project["intake_rss_peak_mib"], None),
        Row('queue "All" page (HTML) vs peer list JSON: server CPU', "ms/page",
            peer["list_json_cpu_ms"], project["queue_html_cpu_ms"], LIST_CPU_TARGET),
        Row("GET /tickets?per_page=25 vs peer list JSON: server CPU", "ms/page",
            peer["list_json_cpu_ms"], project["list_json_cpu_ms"], LIST_CPU_TARGET),
    ]  # fmt: skip


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"  # 0.196 must not print as a passing "0.20"


def format_table(rows: list[Row]) -> str:
    """A fixed-width text table: figure, unit, peer, project, ratio, target, verdict."""
    head = ("figure", "unit", "peer", "project", "ratio", "target", "verdict")
    body = [
        (
            r.label,
            r.unit,
            _num(r.peer),
            _num(r.project),
            _ratio(r.ratio),
            "-" if r.target is None else f"<= {r.target:g}",
            r.verdict,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]

    def fmt(line: tuple[str, ...]) -> str:
        cells = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(head), rule, *(fmt(line) for line in body)])


def verdict_line(rows: list[Row]) -> str:
    """One sentence: how many targets were met, and which were missed."""
    judged = [r for r in rows if r.verdict in ("pass", "FAIL")]
    missed = [r.label for r in judged if r.verdict == "FAIL"]
    unknown = [r.label for r in rows if r.target is not None and r.verdict == "n/a"]
    text = f"targets met: {len(judged) - len(missed)} of {len(judged) + len(unknown)}"
    if missed:
        text += "; MISSED: " + "; ".join(missed)
    if unknown:
        text += "; no figures for: " + "; ".join(unknown)
    return text


def warnings(peer: dict, project: dict) -> list[str]:
    """What makes a run's figures doubtful: errors, runs cut short by the time bound."""
    notes = []
    for side, s in (("peer", peer), ("project", project)):
        if s["intake_runs"] == 0:
            notes.append(f"{side}: no intake runs in its output")
        if s["intake_errors"]:
            notes.append(f"{side}: {s['intake_errors']} intake errors")
        if s["intake_time_bound"]:
            notes.append(f"{side}: an intake run hit its time bound (fewer requests than asked)")
    return notes
