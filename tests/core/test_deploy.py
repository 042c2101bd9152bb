from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ESSAIM_", "DJANGO_", "PYTEST")) and key != "DATABASE_URL"
    }
    env.update(
        {
            "ESSAIM_ENV": "production",
            "ESSAIM_SECRET_KEY": secrets.token_urlsafe(60),
            "ESSAIM_ALLOWED_HOSTS": "asso.example.org",
            "ESSAIM_CSRF_TRUSTED_ORIGINS": "https://asso.example.org",
            "DATABASE_URL": "postgres://essaim:secret@127.0.0.1:5432/essaim",
            "ESSAIM_VAR_DIR": str(tmp_path / "var"),
        }
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_nothing_in_production(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr


def test_check_deploy_with_redis_and_rq(tmp_path):
    env = production_env(
        tmp_path, ESSAIM_REDIS_URL="redis://127.0.0.1:6379/1", ESSAIM_TASK_BACKEND="rq"
    )
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["ESSAIM_SECRET_KEY"])
def test_production_refuses_to_start_without_secret(tmp_path, missing):
    env = production_env(tmp_path)
    del env[missing]
    result = manage(env, "check", "--deploy")
    assert result.returncode != 0
    assert "ESSAIM_SECRET_KEY" in result.stderr
