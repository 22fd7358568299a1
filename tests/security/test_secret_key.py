"""No secret key in the code: one is generated per installation and kept; a bad one stops it."""

from __future__ import annotations

import re
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import config
from config import Config, installation_secret

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_env_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)


def test_a_missing_key_is_generated_once_with_owner_only_permissions(tmp_path, no_env_key):
    instance = tmp_path / "instance"
    key = installation_secret(instance)
    path = instance / "secret_key"
    assert len(key) == 64 and re.fullmatch(r"[0-9a-f]+", key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert installation_secret(instance) == key
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no temporary left


def test_another_installation_gets_another_key(tmp_path, no_env_key):
    assert installation_secret(tmp_path / "a") != installation_secret(tmp_path / "b")


def test_processes_starting_at_once_agree_on_one_key(tmp_path, no_env_key):
    instance = tmp_path / "instance"
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: installation_secret(instance), range(32)))
    assert len(keys) == 1
    assert [p.name for p in instance.iterdir()] == ["secret_key"]


def test_the_environment_key_wins_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert installation_secret(tmp_path / "instance") == "from-the-environment"
    assert not (tmp_path / "instance").exists()


def test_an_empty_key_file_stops_the_app_with_a_clear_message(tmp_path, no_env_key):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(SystemExit, match="secret key file .* is empty") as stopped:
        installation_secret(tmp_path)
    assert "SECRET_KEY" in str(stopped.value)
    assert (tmp_path / "secret_key").read_text() == "\n"  # not silently replaced


def test_an_unreadable_key_file_stops_the_app_with_a_clear_message(tmp_path, no_env_key):
    (tmp_path / "secret_key").mkdir()  # unreadable as a file, even for root
    with pytest.raises(SystemExit, match="cannot read the secret key file"):
        installation_secret(tmp_path)


def test_create_app_uses_the_installation_key(tmp_path, monkeypatch, no_env_key):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    monkeypatch.setattr(config.installation_secret, "__defaults__", (tmp_path,))
    settings = Config.resolve()
    assert settings["SECRET_KEY"] == (tmp_path / "secret_key").read_text()


def test_no_secret_key_has_a_literal_default_in_the_code():
    assert Config.SECRET_KEY is None
    literal = re.compile(r"SECRET_KEY\s*[:=]\s*[\"']")
    for path in [ROOT / "config.py", ROOT / "wsgi.py", *(ROOT / "helpdesk").rglob("*.py")]:
        assert not literal.search(path.read_text(encoding="utf-8")), path
