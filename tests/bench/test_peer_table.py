"""The peer benchmark's pure parts: the scripts' JSON lines, ratios, verdicts, RSS growth."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bench.peertable import (
    Row,
    compare,
    format_table,
    parse_phases,
    summarize,
    verdict_line,
    warnings,
)

BENCH = Path(__file__).resolve().parents[2] / "bench"

# Shaped like django_helpdesk_bench.sh's stderr: log lines with the JSON lines between them.
PEER_OUTPUT = """\
[21:23:01] machine: 2 cores;  21:23:01 up 17 min,  load average: 2.87, 1.75, 0.87
{"phase":"smoke_api","sent": 1, "errors": 0, "server_cpu_ms_per_req": 30.0, "p99_ms": 42.6}
{"phase":"list_html","server_cpu_ms_per_req": 8.0, "k": 5, "median_ms": 7.6}
{"phase":"list_json","server_cpu_ms_per_req": 106.0, "k": 5, "median_ms": 108.0}
[21:23:40] API run 1/2: 1500 POSTs @ c=16
{"phase":"api_token","sent": 1500, "errors": 0, "hit_time_bound": false, "rps": 25.0, \
"server_cpu_ms_per_req": 15.0, "p50_ms": 340.0, "p99_ms": 2000.0, "rss_peak_mib": 156.0}
{"phase":"api_token","sent": 1500, "errors": 0, "hit_time_bound": false, "rps": 27.0, \
"server_cpu_ms_per_req": 17.0, "p50_ms": 360.0, "p99_ms": 2200.0, "rss_peak_mib": 158.0}
{"phase":"idle_mem","server_procs": 3, "rss_mib": 156.2, "pss_mib": 122.2}
{not json at all
"""

# Shaped like project_side.sh's stdout.
PROJECT_OUTPUT = """\
{"phase":"api_token","sent": 1500, "errors": 0, "hit_time_bound": false, "rps": 110.0, \
"server_cpu_ms_per_req": 7.5, "p50_ms": 120.0, "p99_ms": 300.0, "rss_peak_mib": 250.0}
{"phase":"api_token","sent": 1500, "errors": 2, "hit_time_bound": false, "rps": 100.0, \
"server_cpu_ms_per_req": 6.5, "p50_ms": 140.0, "p99_ms": 500.0, "rss_peak_mib": 252.0}
{"phase":"queue_html","server_cpu_ms_per_req": 8.0, "k": 5}
{"phase":"list_json","server_cpu_ms_per_req": 10.0, "k": 5}
{"phase":"count","tickets":10000}
"""


@pytest.fixture
def rows() -> list[Row]:
    peer = summarize(parse_phases(PEER_OUTPUT))
    project = summarize(parse_phases(PROJECT_OUTPUT))
    return compare(peer, project)


def by_label(rows: list[Row], start: str) -> Row:
    return next(r for r in rows if r.label.startswith(start))


def test_only_json_lines_with_a_phase_are_read_and_log_lines_are_skipped():
    phases = parse_phases(PEER_OUTPUT + '{"no_phase": 1}\n')
    assert [p["phase"] for p in phases] == [
        "smoke_api",
        "list_html",
        "list_json",
        "api_token",
        "api_token",
        "idle_mem",
    ]


def test_intake_figures_are_medians_over_the_runs_and_smoke_runs_do_not_count():
    peer = summarize(parse_phases(PEER_OUTPUT))
    assert peer["intake_runs"] == 2
    assert peer["intake_cpu_ms"] == 16.0
    assert peer["intake_p99_ms"] == 2100.0
    assert peer["list_json_cpu_ms"] == 106.0
    assert peer["queue_html_cpu_ms"] is None


def test_intake_cpu_at_less_than_half_the_peer_still_misses_the_fifth_target(rows):
    cpu = by_label(rows, "intake: server CPU")
    assert cpu.ratio == pytest.approx(7.0 / 16.0)
    assert cpu.verdict == "FAIL"


def test_p99_at_a_fifth_of_the_peer_passes(rows):
    p99 = by_label(rows, "intake: p99")
    assert p99.ratio == pytest.approx(400.0 / 2100.0)
    assert p99.verdict == "pass"


def test_list_pages_are_compared_with_the_peer_list_json(rows):
    queue = by_label(rows, 'queue "All"')
    listing = by_label(rows, "GET /tickets")
    assert queue.ratio == pytest.approx(8.0 / 106.0) and queue.verdict == "pass"
    assert listing.ratio == pytest.approx(10.0 / 106.0) and listing.verdict == "pass"


def test_figures_without_a_target_are_shown_for_information(rows):
    assert by_label(rows, "intake: throughput").verdict == "info"
    assert by_label(rows, "intake: RSS").ratio == pytest.approx(251.0 / 157.0)


def test_a_missing_side_gives_no_ratio_and_the_verdict_says_so():
    project = summarize(parse_phases(PROJECT_OUTPUT))
    rows = compare(summarize([]), project)
    assert all(r.ratio is None and r.verdict == "n/a" for r in rows)
    assert "targets met: 0 of 4" in verdict_line(rows)
    assert "peer: no intake runs in its output" in warnings(summarize([]), project)


def test_the_verdict_line_names_the_missed_targets(rows):
    line = verdict_line(rows)
    assert line.startswith("targets met: 3 of 4; MISSED: intake: server CPU per filing")


def test_the_table_has_a_line_per_row_with_ratio_target_and_verdict(rows):
    lines = format_table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[0].split() == ["figure", "unit", "peer", "project", "ratio", "target", "verdict"]
    cpu = lines[2]
    assert "16.0" in cpu and "7.00" in cpu and "0.438" in cpu and "<= 0.2" in cpu
    assert cpu.endswith("FAIL")


def test_errors_in_the_project_runs_are_reported():
    project = summarize(parse_phases(PROJECT_OUTPUT))
    assert warnings(summarize(parse_phases(PEER_OUTPUT)), project) == ["project: 2 intake errors"]


def test_memory_growth_counts_from_chunk_two_and_calls_under_five_percent_stable(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))  # memory.py imports its sibling procs.py
    spec = importlib.util.spec_from_file_location("bench_memory", BENCH / "memory.py")
    memory = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(memory)
    series = [
        {"chunk": 0, "workers_mib": 200.0},
        {"chunk": 1, "workers_mib": 240.0},
        {"chunk": 2, "workers_mib": 250.0},
        {"chunk": 3, "workers_mib": 255.0},
        {"chunk": 4, "workers_mib": 260.0},
    ]
    assert memory.growth(series) == {
        "from_chunk": 2,
        "to_chunk": 4,
        "growth_mib": 10.0,
        "growth_pct": 4.0,
        "stable": True,
    }
    series.append({"chunk": 5, "workers_mib": 265.0})
    assert memory.growth(series)["stable"] is False
