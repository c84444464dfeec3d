"""The optional read replica overlay (docker-compose.replica.yml) and its secrets."""

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = ("web", "worker", "dispatch-worker", "beat")


def overlay() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.replica.yml").read_text())


def test_the_overlay_adds_a_streaming_replica_of_postgres() -> None:
    replica = overlay()["services"]["postgres-replica"]

    assert (
        replica["image"] == yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["postgres"]["image"]
    )
    assert replica["environment"]["PRIMARY_HOST"] == "postgres"
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    entrypoint = (ROOT / "deploy/postgres-replica/replica-entrypoint.sh").read_text()
    assert "--write-recovery-conf" in entrypoint
    assert "hot_standby_feedback=on" in entrypoint


def test_web_workers_and_beat_read_the_replica_url_from_a_secret_and_migrate_never_does() -> None:
    services = overlay()["services"]

    for name in APP_SERVICES:
        assert services[name]["environment"]["DATABASE_REPLICA_URL_FILE"] == "/run/secrets/database_replica_url"
        assert "database_replica_url" in services[name]["secrets"]
        # The rest of each service's secrets stay as the base file gives them.
        assert "database_url" in services[name]["secrets"]
    assert "migrate" not in services


def test_the_replication_role_may_replicate_and_nothing_else() -> None:
    script = (ROOT / "deploy/postgres/init-replication.sh").read_text()

    assert "LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE" in script
    assert "host replication scrm_replicator all scram-sha-256" in script
    for path in ("deploy/postgres/init-replication.sh", "deploy/postgres-replica/replica-entrypoint.sh"):
        assert subprocess.run(["bash", "-n", str(ROOT / path)], check=False).returncode == 0, path
