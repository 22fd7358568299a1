"""Intake throughput: POST /api/v1/tickets on the real app vs a bare one-row Flask insert.

Runs both servers as real processes on this machine, alternating A B A B ... for
several rounds, and prints req/s for each and the median ratio (min, max).

Then, as a yardstick, the same app answering a request it refuses at validation (422:
token checked, rate limit counted, body parsed, nothing read or written for the
ticket). No filing can be cheaper than that, so its ratio is the ceiling of the first.

    python bench/intake.py [--db sqlite|postgres] [--concurrency 8] [--seconds 5] [--pairs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from procs import drop_database, free_port, new_database, wait_up

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
TOKEN = "bench-intake-token"  # noqa: S105 (a throwaway token for a throwaway database)
PROVISION = f"""
clients:
  - slug: bench
    name: Bench Corp
    timezone: UTC
    default_locale: en
    intake_token: {TOKEN}
"""
SUBJECT = "Printer on the third floor jams on every duplex job"
BODY = ("Since this morning every duplex print job jams at the fuser. " * 8).strip()


def start_app(url: str, tmp: Path) -> tuple[subprocess.Popen, int]:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        HELPDESK_INSTANCE=str(tmp / "instance"),
        SCHEDULER_ENABLED="0",
        SECRET_KEY="bench",
        # A big client's intake token: the limiter runs, but the bench stays under its limit.
        RATELIMIT_API_INTAKE="1000000/minute",
    )
    flask = [PY, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    spec = tmp / "bench.yaml"
    spec.write_text(PROVISION)
    subprocess.run(
        [*flask, "provision", str(spec)], cwd=ROOT, env=env, check=True, capture_output=True
    )
    port = free_port()
    env["PORT"] = str(port)
    proc = subprocess.Popen(
        [PY, "wsgi.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_up(port, proc)
    return proc, port


def start_bare(url: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, PORT=str(port))
    proc = subprocess.Popen(
        [PY, str(ROOT / "bench" / "bare_intake.py")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_up(port, proc)
    return proc, port


def drive(
    port: int, concurrency: int, seconds: float, subject: str = SUBJECT, expect: int = 201
) -> tuple[float, int]:
    """Closed-loop load: each worker posts as fast as answers come. Returns (req/s, errors).

    An answer other than `expect` counts as an error.
    """
    url = f"http://127.0.0.1:{port}/api/v1/tickets"
    done = [0] * concurrency
    errors = [0] * concurrency
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        n = 0
        while time.monotonic() < stop:
            n += 1
            payload = {
                "subject": subject,
                "body": BODY,
                "priority": "high",
                "requester": {"email": f"user{(i * 7919 + n) % 200}@bench.test", "name": "Bench"},
            }
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            response = session.post(url, json=payload, headers=headers, timeout=30)
            if response.status_code == expect:
                done[i] += 1
            else:
                errors[i] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        app_url, bare_url = new_database(args.db, tmp, "app"), new_database(args.db, tmp, "bare")
        app_proc, app_port = start_app(app_url, tmp)
        bare_proc, bare_port = start_bare(bare_url)
        try:
            drive(app_port, args.concurrency, 1.0)  # warm up both
            drive(bare_port, args.concurrency, 1.0)
            ratios, app_rates, bare_rates, app_errors = [], [], [], 0
            for i in range(args.pairs):
                app_rate, errs = drive(app_port, args.concurrency, args.seconds)
                bare_rate, _ = drive(bare_port, args.concurrency, args.seconds)
                app_errors += errs
                app_rates.append(app_rate)
                bare_rates.append(bare_rate)
                ratios.append(app_rate / bare_rate)
                print(
                    f"pair {i + 1}: app {app_rate:7.1f} req/s   bare {bare_rate:7.1f} req/s   "
                    f"ratio {app_rate / bare_rate:.2f}"
                )
            refused_rate, refused_errors = drive(
                app_port, args.concurrency, args.seconds, subject="", expect=422
            )
            refused_ratio = refused_rate / statistics.median(bare_rates)
        finally:
            for proc in (app_proc, bare_proc):
                proc.terminate()
                proc.wait(timeout=10)
            drop_database(app_url)
            drop_database(bare_url)
    print(
        f"intake on {args.db}, concurrency {args.concurrency}: "
        f"app median {statistics.median(app_rates):.1f} req/s, "
        f"bare median {statistics.median(bare_rates):.1f} req/s, "
        f"ratio median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); app errors {app_errors} "
        f"(target ratio >= 0.6)"
    )
    print(
        f"yardstick: app refusing the same request at validation (422) "
        f"{refused_rate:.1f} req/s, ratio {refused_ratio:.2f} to the bare median; "
        f"errors {refused_errors}. A filing's ratio cannot exceed this."
    )


if __name__ == "__main__":
    main()
