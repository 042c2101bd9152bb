"""The settings file: safe defaults, environment overrides, SQLite tuned for concurrency."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def run_settings(tmp_path: Path, expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter with only the given variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ESSAIM_", "DATABASE_URL"))}
    clean.update({"ESSAIM_VAR_DIR": str(tmp_path), **env})
    code = f"import config.settings as s; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_and_french_is_default():
    assert settings.DEBUG is False
    assert settings.LANGUAGE_CODE == "fr"
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.USE_TZ is True


def test_secret_key_is_generated_once_under_var(tmp_path):
    first = run_settings(tmp_path, "s.SECRET_KEY")
    second = run_settings(tmp_path, "s.SECRET_KEY")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").read_text().strip() == first.stdout.strip()
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = run_settings(tmp_path, "s.SECRET_KEY", ESSAIM_ENV="production")
    assert result.returncode != 0
    assert "ESSAIM_SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_database_url_selects_postgresql(tmp_path):
    result = run_settings(
        tmp_path,
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME']",
        DATABASE_URL="postgres://essaim@db.example:5432/essaim",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "essaim"]


def test_default_database_is_sqlite_under_var(tmp_path):
    result = run_settings(tmp_path, "s.DATABASES['default']['NAME']")
    assert result.stdout.strip() == str(tmp_path / "essaim.sqlite3")


def test_unknown_task_backend_is_refused(tmp_path):
    result = run_settings(tmp_path, "s.TASKS", ESSAIM_TASK_BACKEND="carrier-pigeon")
    assert result.returncode != 0
    assert "ESSAIM_TASK_BACKEND" in result.stderr


def test_redis_url_switches_the_cache(tmp_path):
    result = run_settings(
        tmp_path, "s.CACHES['default']['BACKEND']", ESSAIM_REDIS_URL="redis://127.0.0.1:6379/1"
    )
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only settings")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 10000
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    # The test database lives in memory, where WAL does not apply: check the option itself.
    assert "journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]
