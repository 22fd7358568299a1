"""Memory under a long run: the workers' RSS after every 2,000 filings, and its growth.

Serves the app as ../shared/bench/project_side.sh does (gunicorn -k sync -w 2 from the
repository root, SQLite, rate limits and scheduler off, the world-bench.yaml world), files
--filings tickets through POST /api/v1/tickets with peer_load.py in chunks of --chunk at
concurrency 16, and after each chunk reads VmRSS from /proc/<pid>/status of each gunicorn
worker. The first chunk is the warm-up (caches, imported modules, SQLite's page cache);
growth is measured from the end of chunk 2 to the end of the run, and the verdict is
"stable" when the workers' total RSS grew less than 5% over it.

    python bench/memory.py [--filings 20000] [--chunk 2000] [--conc 16]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from procs import free_port, wait_up

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SCRIPTS = ROOT.parent / "shared" / "bench"
BIN = Path(sys.executable).parent
STABLE_PCT = 5.0
TOKEN = "benchco-intake-0001"  # the intake token in world-bench.yaml
BODY = (
    '{"subject":"Memory ticket c%d-{i}","body":"Printer on floor {i} is jammed",'
    '"requester":{"email":"m%d-{i}@example.com"},"priority":"normal"}'
)


def workers(master: int) -> list[int]:
    """The pids whose parent is `master` (gunicorn's workers), in pid order."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            found.append(int(entry))
    return sorted(found)


def rss_mib(pid: int) -> float | None:
    """VmRSS of one process in MiB, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def growth(series: list[dict], base_chunk: int = 2) -> dict:
    """Workers' total RSS growth from the end of chunk `base_chunk` to the last sample.

    Each sample has "chunk" and "workers_mib" (the sum over workers).
    """
    base = next(s for s in series if s["chunk"] == base_chunk)
    end = series[-1]
    mib = end["workers_mib"] - base["workers_mib"]
    pct = 100 * mib / base["workers_mib"] if base["workers_mib"] else 0.0
    return {
        "from_chunk": base_chunk,
        "to_chunk": end["chunk"],
        "growth_mib": round(mib, 1),
        "growth_pct": round(pct, 1),
        "stable": pct < STABLE_PCT,
    }


def serve(tmp: Path, world: Path) -> tuple[subprocess.Popen, int, dict]:
    """A fresh database, migrated and provisioned, served by gunicorn -k sync -w 2."""
    env = {k: v for k, v in os.environ.items() if k not in ("GUNICORN_ARGS", "WORLD")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'hd.db'}",
        SECRET_KEY="memory-bench-0123456789abcdef",
        RATELIMIT_ENABLED="0",
        SCHEDULER_ENABLED="0",
    )
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    quiet = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([*flask, "db", "upgrade"], stderr=subprocess.DEVNULL, **quiet)
    subprocess.run([*flask, "provision", str(world)], **quiet)
    port = free_port()
    log = (tmp / "server.log").open("w")
    server = [str(BIN / "gunicorn"), "--no-control-socket", "-k", "sync", "-w", "2"]
    proc = subprocess.Popen(
        [*server, "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=dict(env, HOST="127.0.0.1", PORT=str(port)),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_up(port, proc)
    # The master listens before its workers have imported the app: wait for both, each answering.
    deadline = time.monotonic() + 60
    while len(workers(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    for _ in range(10):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=30).read()
    return proc, port, env


def file_chunk(args: argparse.Namespace, port: int, master: int, chunk: int) -> dict:
    """One chunk of filings through peer_load.py; its JSON line."""
    cmd = [
        sys.executable, str(args.scripts / "peer_load.py"), "post",
        f"http://127.0.0.1:{port}/api/v1/tickets", "--json", BODY % (chunk, chunk),
        "-H", f"Authorization: Bearer {TOKEN}", "--ok-status", "201", "--rss-pid", str(master),
        "--n", str(args.chunk), "--concurrency", str(args.conc), "--max-seconds", "600",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def sample(chunk: int, filed: int, master: int, load: dict | None) -> dict:
    """RSS of the master and each worker after a chunk, with the chunk's own figures."""
    pids = workers(master)
    each = [round(rss_mib(pid) or 0.0, 1) for pid in pids]
    return {
        "chunk": chunk,
        "filed": filed,
        "worker_pids": pids,
        "worker_mib": each,
        "workers_mib": round(sum(each), 1),
        "master_mib": round(rss_mib(master) or 0.0, 1),
        "rps": load and load["rps"],
        "errors": load and load["errors"],
        "server_cpu_ms": load and load.get("server_cpu_ms_per_req"),
        "loadavg": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=20000)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--conc", type=int, default=16)
    parser.add_argument("--scripts", type=Path, default=SCRIPTS, help="the shared bench folder")
    args = parser.parse_args()
    chunks = args.filings // args.chunk
    if chunks < 3:
        parser.error("need at least 3 chunks: one warm-up, the base (chunk 2), one more")

    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"== memory: {chunks} x {args.chunk} filings @ c={args.conc}, gunicorn -k sync -w 2, "
          f"SQLite; {started}, {os.cpu_count()} cores, load average "
          f"{[round(x, 2) for x in os.getloadavg()]} ==")  # fmt: skip
    series = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        proc, port, _ = serve(tmp, args.scripts / "world-bench.yaml")
        try:
            series.append(sample(0, 0, proc.pid, None))
            head = (
                "chunk  filed  req/s  errors  cpu ms/filing  workers RSS MiB (each)  master  load"
            )
            print(head)
            print(_row(series[0]))
            for chunk in range(1, chunks + 1):
                load = file_chunk(args, port, proc.pid, chunk)
                series.append(sample(chunk, chunk * args.chunk, proc.pid, load))
                print(_row(series[-1]), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        tickets = sqlite3.connect(tmp / "hd.db").execute("select count(*) from tickets")
        count = tickets.fetchone()[0]

    result = growth(series)
    restarted = len({tuple(s["worker_pids"]) for s in series}) > 1
    word = "stable" if result["stable"] else "GROWING"
    print(f"tickets in the database: {count} (filed {chunks * args.chunk})")
    print(
        f"growth of the workers' RSS from the end of chunk {result['from_chunk']} to the end of "
        f"chunk {result['to_chunk']}: {result['growth_mib']:+.1f} MiB "
        f"({result['growth_pct']:+.1f}%)"
    )
    print(f"verdict: {word} ('stable' means under {STABLE_PCT:g}% growth after the warm-up chunk)")
    if restarted:
        print("note: a worker was replaced during the run; its RSS series restarts there")
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    saved = {"date": started, "args": vars(args) | {"scripts": str(args.scripts)},
             "series": series, "growth": result, "tickets": count}  # fmt: skip
    (OUT / f"{stamp}-memory.json").write_text(json.dumps(saved, indent=1))
    return 0


def _row(s: dict) -> str:
    each = ", ".join(f"{m:.1f}" for m in s["worker_mib"])
    rps = "-" if s["rps"] is None else f"{s['rps']:.0f}"
    errors = "-" if s["errors"] is None else str(s["errors"])
    cpu = "-" if s["server_cpu_ms"] is None else f"{s['server_cpu_ms']:.2f}"
    return (
        f"{s['chunk']:>5}  {s['filed']:>5}  {rps:>5}  {errors:>6}  {cpu:>13}  "
        f"{s['workers_mib']:>7.1f} ({each})  {s['master_mib']:>6.1f}  {s['loadavg']:.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
