"""Production configuration: hardened, and loud when something is missing."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SCRM_ENV": "production",
    "SECRET_KEY": "x7#Qm2!vP9zL4@kR8wN1$tY6^bH3&jD5*fG0(sA)eU-cV+oI=pK",
    "ALLOWED_HOSTS": "scrm.bank.example",
    "DATABASE_URL": "postgres://scrm:secret@db.internal:5432/scrm",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "PII_ENCRYPTION_KEYS": "k2026:" + base64.b64encode(b"p" * 32).decode(),
    "PII_BLIND_INDEX_KEY": "a-long-random-blind-index-key",
    "AUDIT_CHAIN_KEYS": "a2026:" + base64.b64encode(b"a" * 32).decode(),
    "AUDIT_SIGNING_KEY": base64.b64encode(b"s" * 32).decode(),
    "PUBLIC_BASE_URL": "https://scrm.bank.example",
    "WECOM_CORP_ID": "ww0bank000000001",
    "WECOM_AGENT_ID": "1000005",
    "WECOM_CORP_SECRET": "a-corp-secret-from-the-admin-console",
    "WECOM_CALLBACK_TOKEN": "callbacktoken",
    "WECOM_CALLBACK_AES_KEY": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only the variables a production host would have: nothing from this test run's own set-up.
    leaked = ("DATABASE_", "REDIS_", "SCRM_", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {key: value for key, value in os.environ.items() if not key.startswith(leaked)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check_without_warnings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DEBUG": "true"}, "DEBUG must be off in production"),
        ({"SECRET_KEY": ""}, "SECRET_KEY (or SECRET_KEY_FILE) must be set in production"),
        ({"PII_ENCRYPTION_KEYS": ""}, "PII_ENCRYPTION_KEYS (or PII_ENCRYPTION_KEYS_FILE) must be set"),
        ({"DATABASE_URL": ""}, "DATABASE_URL and REDIS_URL must be set in production"),
        ({"SCRM_ENV": "prod"}, "SCRM_ENV must be one of"),
        ({"WECOM_CORP_SECRET": ""}, "WECOM_CORP_SECRET (or WECOM_CORP_SECRET_FILE) must be set"),
        ({"WECOM_CALLBACK_AES_KEY": ""}, "WECOM_CALLBACK_AES_KEY (or WECOM_CALLBACK_AES_KEY_FILE) must be set"),
        ({"WECOM_CORP_ID": ""}, "WECOM_CORP_ID (or WECOM_CORP_ID_FILE) must be set"),
        ({"WECOM_SANDBOX_URL": "http://127.0.0.1:8001"}, "WECOM_SANDBOX_URL must not be set in production"),
    ],
)
def test_production_refuses_to_start_misconfigured(override: dict[str, str], message: str) -> None:
    result = manage("check", env={**PRODUCTION_ENV, **override})

    assert result.returncode != 0
    assert message in result.stderr


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(PRODUCTION_ENV["SECRET_KEY"] + "\n")
    env = {**PRODUCTION_ENV, "SECRET_KEY": "", "SECRET_KEY_FILE": str(secret_file)}

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stderr
