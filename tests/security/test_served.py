"""Real server processes configured only by environment: behind an HTTPS proxy (Secure
cookies, HSTS from X-Forwarded-Proto), sharing sign-in limits through Redis, and still limiting
(in memory, without a 500) while the Redis storage is unreachable."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.serverproc import Database, free_port, redis_reachable, wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
PROVISION = """
clients:
  - {slug: acme, name: Acme, timezone: UTC, default_locale: en, intake_token: served-intake-token}
supervisors:
  - {email: sam@acme.test, name: Sam, password: served-password, client: acme}
"""


@contextlib.contextmanager
def serving(tmp: Path, count: int, **settings: str):
    """`count` processes of `python wsgi.py` on one fresh database, configured by environment."""
    database = Database(tmp, "served")
    database.create()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOCKETIO_", "RATELIMIT_"))}
    env |= {
        "DATABASE_URL": database.url,
        "HELPDESK_INSTANCE": str(tmp / "instance"),
        "SCHEDULER_ENABLED": "0",
        "HELPDESK_HTTPS": "1",
        "TRUSTED_PROXIES": "1",
        "RATELIMIT_LOGIN_ACCOUNT": "2/minute",
        "RATELIMIT_LOGIN_ADDRESS": "",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    env.pop("SECRET_KEY", None)  # the installation key: the processes must agree on it
    spec = tmp / "served.yaml"
    spec.write_text(PROVISION)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    procs, urls, logs = [], [], []
    try:
        for args in (["db", "upgrade"], ["provision", str(spec)]):
            done = subprocess.run(
                [*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
        for n in range(count):
            port = free_port()
            log = (tmp / f"server{n}.log").open("wb")
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [sys.executable, "wsgi.py"],
                    cwd=ROOT,
                    env=env | {"PORT": str(port)},
                    stdout=log,
                    stderr=log,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_until(lambda url=url: _answers(url), f"{url} to answer", timeout=30)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
        for log in logs:
            log.close()
        database.drop()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two processes on one database, limits kept in Redis."""
    if not redis_reachable(REDIS_URL):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    with serving(tmp_path_factory.mktemp("served"), 2, RATELIMIT_STORAGE_URI=REDIS_URL) as urls:
        yield urls


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/api/v1/openapi.json", timeout=5).ok
    except requests.RequestException:
        return False


PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.50"}


def post_login(url: str, email: str, password: str) -> requests.Response:
    """Sign in through the form as a browser behind the proxy would (CSRF token, Referer).

    The cookie is sent by hand: it is Secure, and this hop to the server is plain HTTP.
    """
    form = requests.get(url + "/login", headers=PROXY, timeout=10)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text).group(1)
    cookie = f"session={form.cookies['session']}"
    return requests.post(
        url + "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers={**PROXY, "Cookie": cookie, "Referer": url.replace("http:", "https:") + "/login"},
        allow_redirects=False,
        timeout=10,
    )


@pytest.mark.redis
def test_behind_the_https_proxy_the_session_cookie_is_secure_and_hsts_is_sent(servers):
    response = post_login(servers[0], "sam@acme.test", "served-password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(("/", "https://"))
    session = next(c for c in response.cookies if c.name == "session")
    assert session.secure and session.has_nonstandard_attr("HttpOnly")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    # Both processes generated nothing of their own: the one installation key signs for both.
    cookie = f"session={session.value}"
    other = requests.get(
        servers[1] + "/supervisor/tickets",
        headers={**PROXY, "Cookie": cookie},
        allow_redirects=False,
        timeout=10,
    )
    assert other.status_code == 200


@pytest.mark.redis
def test_failed_sign_ins_are_counted_across_processes_in_redis(servers):
    email = f"nobody-{uuid.uuid4().hex[:8]}@acme.test"  # a fresh account: a fresh counter
    first, second = servers
    assert post_login(first, email, "guess-1").status_code == 200
    assert post_login(second, email, "guess-2").status_code == 200
    refused = post_login(first, email, "guess-3")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert post_login(second, email, "guess-4").status_code == 429


def test_with_the_limit_storage_unreachable_sign_in_still_works_and_is_still_limited(
    tmp_path,
):
    with serving(tmp_path, 1, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0") as [url]:
        assert post_login(url, "sam@acme.test", "served-password").status_code == 302
        assert post_login(url, "sam@acme.test", "guess-1").status_code == 200
        assert post_login(url, "sam@acme.test", "guess-2").status_code == 200
        refused = post_login(url, "sam@acme.test", "guess-3")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
