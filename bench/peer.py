"""Side by side with django-helpdesk: run the peer's benchmark, then the project's, print ratios.

Runs ../shared/bench/django_helpdesk_bench.sh (django-helpdesk from PyPI) and then
../shared/bench/project_side.sh (this checkout), never both at once, with the same N, CONC
and RUNS, on the same server shape (gunicorn -w 2 sync, SQLite, one new connection per
request). Both print one JSON line per phase (the peer also keeps them in
$PEER_DIR/results.jsonl); this script reads them and prints, for intake, the agent queue page
and the ticket list JSON, peer / project / ratio project:peer / target / verdict, with the
date, the machine and the load average before each side. Server CPU per request (utime +
stime of master and workers) is the figure that survives a busy machine; wall-clock ones
(throughput, p50, p99) move with whatever else runs.

    python bench/peer.py [--runs 3] [--n 2000] [--conc 16] [--skip-peer] [--json FILE]

Exits 0 when a target is missed (a measurement, not a test); 1 when a side's script failed.
Raw output goes to bench/out/<stamp>-{peer,project}.{log,json} and <stamp>-run.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from peertable import compare, format_table, parse_phases, summarize, verdict_line, warnings
from procs import free_port

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SCRIPTS = ROOT.parent / "shared" / "bench"
# Knobs a caller's environment must not leak into either script.
LEAKY = ("DATABASE_URL", "GUNICORN_ARGS", "LIST", "WORLD", "MAXS", "SKIP_FORM", "BASIC_N")


def machine() -> dict:
    """Date, architecture, CPU model and cores, Python: the table's header."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    venv_python = subprocess.run(["python3", "-V"], capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "arch": platform.machine(),
        "cpu_model": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "python3_for_venvs": venv_python,
    }


def _pump(stream, sink, echo: str | None) -> None:
    """Copy a child's stream into `sink`; echo its non-JSON lines to stderr as progress."""
    for line in stream:
        sink.append(line)
        if echo and not line.lstrip().startswith("{") and line.strip():
            print(f"  [{echo}] {line.rstrip()}", file=sys.stderr, flush=True)


def run_script(name: str, script: Path, env: dict, cwd: Path, stamp: str) -> tuple[int, str, str]:
    """Run one side's script to the end: (exit code, its JSON-bearing output, last error line).

    Everything it printed is kept in bench/out/<stamp>-<name>.log.
    """
    print(f"-- {name}: {script.name} (N={env['N']} CONC={env['CONC']} RUNS={env['RUNS']})",
          file=sys.stderr, flush=True)  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen(
        ["bash", str(script)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: list[str] = []
    err: list[str] = []
    pumps = [
        threading.Thread(target=_pump, args=(proc.stdout, out, None)),
        threading.Thread(target=_pump, args=(proc.stderr, err, name)),
    ]
    for t in pumps:
        t.start()
    rc = proc.wait()
    for t in pumps:
        t.join()
    stdout, stderr = "".join(out), "".join(err)
    (OUT / f"{stamp}-{name}.log").write_text(f"== stdout ==\n{stdout}\n== stderr ==\n{stderr}")
    print(f"-- {name}: exit {rc} after {time.monotonic() - started:.0f} s", file=sys.stderr)
    return rc, stdout if name == "project" else stdout + stderr, _last_line(stderr)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def base_env(args: argparse.Namespace) -> dict:
    """The caller's environment without stray knobs, plus N, CONC, RUNS and a free PORT."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY}
    env.update(N=str(args.n), CONC=str(args.conc), RUNS=str(args.runs), PORT=str(free_port()))
    return env


def run_peer(args: argparse.Namespace, stamp: str) -> dict:
    """django-helpdesk's side; its JSON lines are read back from $PEER_DIR/results.jsonl."""
    peer_dir = Path(os.environ.get("PEER_DIR") or Path(tempfile.gettempdir()) / "peer")
    env = base_env(args)
    env.update(PEER_DIR=str(peer_dir), REUSE_VENV="1")
    if not args.peer_full:  # the public form and basic-auth runs are not compared: skip them
        env.update(SKIP_FORM="1", BASIC_N="0")
    doc = side_doc("peer", args)
    rc, output, last = run_script(
        "peer", args.scripts / "django_helpdesk_bench.sh", env, ROOT, stamp
    )
    results = peer_dir / "results.jsonl"
    text = results.read_text() if rc == 0 and results.exists() else output
    versions = peer_dir / "versions.txt"
    doc.update(
        returncode=rc,
        last_error=last if rc else "",
        log=f"bench/out/{stamp}-peer.log",
        phases=parse_phases(text),
        versions=" ".join(versions.read_text().split()) if versions.exists() else "",
    )
    return doc


def run_project(args: argparse.Namespace, stamp: str) -> dict:
    """This checkout's side, run from the repository root (the script reads requirements.txt)."""
    doc = side_doc("project", args)
    rc, output, last = run_script(
        "project", args.scripts / "project_side.sh", base_env(args), ROOT, stamp
    )
    doc.update(
        returncode=rc,
        last_error=last if rc else "",
        log=f"bench/out/{stamp}-project.log",
        phases=parse_phases(output),
    )
    return doc


def side_doc(name: str, args: argparse.Namespace) -> dict:
    """What is known about a side before it runs: when, the load, the knobs."""
    return {
        "side": name,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        "knobs": {"N": args.n, "CONC": args.conc, "RUNS": args.runs},
    }


def newest_saved_peer() -> dict | None:
    """The newest peer side saved by an earlier run that has intake figures, if any."""
    for path in sorted(OUT.glob("*-peer.json"), reverse=True):
        doc = json.loads(path.read_text())
        if any(p.get("phase") == "api_token" for p in doc.get("phases", [])):
            doc["reused_from"] = str(path.relative_to(ROOT))
            return doc
    return None


def report(meta: dict, peer: dict, project: dict) -> tuple[str, dict]:
    """The printed report and everything behind it, for --json."""
    peer_sum, project_sum = summarize(peer["phases"]), summarize(project["phases"])
    rows = compare(peer_sum, project_sum)
    knobs = project["knobs"]
    lines = [
        f"== Helpdesk vs django-helpdesk, {meta['date']} ==",
        f"machine: {meta['arch']}, {meta['cpu_model']}, {meta['cores']} cores; "
        f"Python {meta['python']} (venvs: {meta['python3_for_venvs']})",
        f"knobs: N={knobs['N']} CONC={knobs['CONC']} RUNS={knobs['RUNS']} "
        "(intake figures are medians over the runs); gunicorn -w 2 sync, SQLite, 10,000 tickets "
        "for the list pages",
        f"peer: {peer.get('versions') or 'django-helpdesk'}; measured {peer['date']}, "
        f"load average before {peer['loadavg_before']}"
        + (f" (REUSED from {peer['reused_from']})" if peer.get("reused_from") else ""),
        f"project: measured {project['date']}, load average before {project['loadavg_before']}",
        "",
        format_table(rows),
        "",
        verdict_line(rows),
    ]
    notes = warnings(peer_sum, project_sum)
    if peer["knobs"] != knobs:
        notes.append(f"the reused peer results were measured with {peer['knobs']}")
    notes.append(
        "ratio = project / peer (lower is better except throughput); the list pages' server "
        "CPU comes from 5 GETs at 10 ms clock ticks, so it moves in steps of about 2 ms"
    )
    for side in (peer, project):
        if side.get("returncode"):
            failed = f"{side['side']}: its script FAILED (exit {side['returncode']})"
            notes.insert(0, f"{failed}: {side.get('last_error', '')!r}; see {side.get('log')}")
    lines += [f"note: {n}" for n in notes]
    everything = {
        "meta": meta,
        "peer": peer,
        "project": project,
        "summary": {"peer": peer_sum, "project": project_sum},
        "rows": [
            dict(vars(r), ratio=r.ratio, verdict=r.verdict)
            for r in rows  # dataclass fields plus the two derived ones
        ],
    }
    return "\n".join(lines), everything


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="intake runs per side (RUNS)")
    parser.add_argument("--n", type=int, default=2000, help="POSTs per intake run (N)")
    parser.add_argument("--conc", type=int, default=16, help="client concurrency (CONC)")
    parser.add_argument("--skip-peer", action="store_true", help="reuse the newest saved peer run")
    parser.add_argument("--peer-full", action="store_true", help="also the peer's form/basic runs")
    parser.add_argument("--json", type=Path, help="also save everything to this file")
    parser.add_argument("--scripts", type=Path, default=SCRIPTS, help="the shared bench folder")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    meta = machine()
    if args.skip_peer:
        peer = newest_saved_peer()
        if peer is None:
            print("--skip-peer: no saved peer results under bench/out/", file=sys.stderr)
            return 1
        print(f"-- peer: reusing {peer['reused_from']} ({peer['date']})", file=sys.stderr)
    else:
        peer = run_peer(args, stamp)
        (OUT / f"{stamp}-peer.json").write_text(json.dumps(peer, indent=1))
    project = run_project(args, stamp)
    (OUT / f"{stamp}-project.json").write_text(json.dumps(project, indent=1))

    text, everything = report(meta, peer, project)
    print(text)
    for path in [OUT / f"{stamp}-run.json", *([args.json] if args.json else [])]:
        path.write_text(json.dumps(everything, indent=1))
    print(f"raw output: {OUT.relative_to(ROOT)}/{stamp}-*", file=sys.stderr)
    failed = any(side.get("returncode") or not side["phases"] for side in (peer, project))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
