#!/usr/bin/env bash
# The role a streaming replica connects as (docker-compose.replica.yml), and the pg_hba.conf
# line that lets it: the image's own "host all all all" line does not cover replication.
# Runs on the first start of an empty primary; on an existing one run it once (as the
# superuser, inside the container) and reload the server.
set -euo pipefail
psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set replication_password="$(cat /run/secrets/database_replication_password)" <<'SQL'
CREATE ROLE scrm_replicator LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'replication_password';
-- A slot keeps the WAL a stopped replica still needs, but never more than this much.
ALTER SYSTEM SET max_slot_wal_keep_size = '16GB';
SQL
echo "host replication scrm_replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
