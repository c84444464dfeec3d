"""The production deployment: one image, five services, configuration from the environment."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


WORKERS = {"worker-realtime": "realtime", "worker-dispatch": "dispatch", "worker-bulk": "bulk"}


def test_compose_runs_postgres_redis_web_workers_and_beat() -> None:
    services = compose()["services"]

    assert {"postgres", "redis", "web", *WORKERS, "beat"} <= set(services)
    assert {services[name]["image"] for name in ("web", *WORKERS, "beat", "migrate")} == {"scrm:latest"}
    for name in WORKERS:
        assert services[name]["command"][:4] == ["celery", "-A", "scrm", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "scrm", "beat"]


def _queues(command: list[str]) -> set[str]:
    return set(command[command.index("--queues") + 1].split(","))


def test_each_queue_has_a_worker_service_of_its_own_so_each_scales_on_its_own() -> None:
    services = compose()["services"]
    workers = {name: service for name, service in services.items() if "worker" in service.get("command", [])}

    assert {name: _queues(service["command"]) for name, service in workers.items()} == {
        name: {queue} for name, queue in WORKERS.items()
    }
    # No fixed container name or host port, which `docker compose up --scale worker-bulk=N` would refuse.
    assert not [name for name in WORKERS if {"container_name", "ports"} & set(services[name])]
    # make run's single worker takes all three.
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile.dev").read_text().splitlines() if line)
    assert _queues(procfile["worker"].split()) == {"realtime", "dispatch", "bulk"}


def test_app_services_run_in_production_mode_with_secrets_from_files() -> None:
    environment = compose()["services"]["web"]["environment"]

    assert environment["SCRM_ENV"] == "production"
    assert "SECRET_KEY" not in environment
    assert environment["SECRET_KEY_FILE"].startswith("/run/secrets/")
    assert environment["PII_ENCRYPTION_KEYS_FILE"].startswith("/run/secrets/")


def test_only_the_migrate_service_holds_the_database_owner_s_credentials() -> None:
    services = compose()["services"]
    app_services = [name for name, service in services.items() if service.get("image") == "scrm:latest"]

    holders = [name for name in app_services if "DATABASE_OWNER_URL_FILE" in services[name]["environment"]]
    assert holders == ["migrate"]
    assert [name for name in app_services if "database_owner_url" in services[name]["secrets"]] == ["migrate"]
    assert all(services[name]["environment"]["DATABASE_URL_FILE"] for name in app_services)


def test_postgres_starts_with_an_owner_and_an_application_role_neither_a_superuser() -> None:
    postgres = compose()["services"]["postgres"]
    init = ROOT / "deploy" / "postgres" / "init-roles.sh"
    script = init.read_text()
    secrets = (ROOT / "deploy" / "make-secrets.sh").read_text()

    assert f"./deploy/postgres/{init.name}:/docker-entrypoint-initdb.d/10-scrm-roles.sh:ro" in postgres["volumes"]
    assert "CREATE ROLE scrm_owner LOGIN NOSUPERUSER" in script
    assert "CREATE ROLE scrm_app LOGIN NOSUPERUSER" in script
    assert "CREATE DATABASE scrm OWNER scrm_owner" in script
    assert "postgres://scrm_app:" in secrets
    assert "postgres://scrm_owner:" in secrets


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_the_image_leaves_out_the_wecom_sandbox_the_tests_and_the_bench() -> None:
    patterns = dockerignore_patterns()
    left_out = ("wecom_sandbox", "tests", "bench")

    assert (ROOT / "wecom_sandbox" / "__main__.py").is_file()
    assert set(left_out) <= set(patterns)
    assert not [p for p in patterns if p.startswith("!") and p.lstrip("!/").startswith(left_out)]


def compose_client() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def test_compose_file_validates() -> None:
    client = compose_client()
    if client is None:
        pytest.skip("no docker compose client on this machine")
    command = [*client, "config", "--quiet"]

    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
