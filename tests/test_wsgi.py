"""`gunicorn wsgi:app` without the project's gunicorn.conf.py still gets the server's settings."""

import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_wsgi_module_tunes_the_garbage_collector(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hd.db'}",
        "SECRET_KEY": "a-test-secret-of-enough-length-0123",
        "SCHEDULER_ENABLED": "0",
        "HELPDESK_INSTANCE": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, wsgi; print(gc.get_threshold(), gc.get_freeze_count() > 0)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "(5000, 10, 100) True"


def _post_fork(monkeypatch, worker_class: str) -> str | None:
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    monkeypatch.delenv("SOCKETIO_ASYNC_MODE", raising=False)
    worker = SimpleNamespace(cfg=SimpleNamespace(worker_class_str=worker_class))
    conf["post_fork"](None, worker)
    return os.environ.get("SOCKETIO_ASYNC_MODE")


def test_the_gunicorn_recipe_gives_the_app_gevent_only_under_the_gevent_worker(monkeypatch):
    assert _post_fork(monkeypatch, "gevent") == "gevent"
    assert _post_fork(monkeypatch, "sync") is None  # `-k sync` on the command line
