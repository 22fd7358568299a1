"""`gunicorn wsgi:app` without the project's gunicorn.conf.py still gets the server's settings."""

import subprocess
import sys
from pathlib import Path

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
