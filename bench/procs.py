"""Shared by the bench scripts: free ports, waiting for a server, throwaway databases."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Wait until the server process accepts connections; stop the bench if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def new_database(kind: str, tmp: Path, name: str) -> str:
    """A fresh SQLite file under `tmp`, or a fresh PostgreSQL database named after `name`."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / (name + '.sqlite')}"
    db = f"hd_bench_{name}_{os.getpid()}"
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"


def drop_database(url: str) -> None:
    """Drop a database made by new_database (SQLite files go with their folder)."""
    if url.startswith("postgresql"):
        db = url.rsplit("/", 1)[1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db])
