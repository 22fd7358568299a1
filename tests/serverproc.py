"""Helpers for tests that run real server processes: ports, polling, Redis, fresh databases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
from sqlalchemy import create_engine, make_url, text


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ROOT = Path(__file__).resolve().parents[1]


def run_checked(args: list[str], *, env: dict, what: str, timeout: float = 120) -> str:
    """Run `python ARGS...` in the project folder; fail naming `what`, else its stdout."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{what} failed:\n{done.stderr}"
    return done.stdout


def redis_reachable(url: str) -> bool:
    """Whether the Redis server at `url` answers a ping."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def wait_until(
    check: Callable[[], object], what: str, *, timeout: float, interval: float = 0.05
) -> object:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Database:
    """A fresh database: a SQLite file, or a new PostgreSQL database when DATABASE_URL says so."""

    def __init__(self, tmp: Path, prefix: str):
        server = os.environ.get("DATABASE_URL", "")
        self.admin_url = None
        if server.startswith(("postgres://", "postgresql")):
            url = make_url(server.replace("postgres://", "postgresql://", 1)).set(
                drivername="postgresql+psycopg"
            )
            self.name = f"hd_{prefix}_{uuid.uuid4().hex[:12]}"
            self.admin_url = url.set(database="postgres")
            self.url = url.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{tmp / (prefix + '.sqlite')}"

    def create(self) -> None:
        """Create the empty PostgreSQL database (SQLite makes its file on first use)."""
        if self.admin_url is not None:
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        """Drop the PostgreSQL database, closing connections still open to it."""
        if self.admin_url is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()
