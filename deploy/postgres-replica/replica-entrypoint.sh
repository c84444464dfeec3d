#!/usr/bin/env bash
# A hot standby of $PRIMARY_HOST: a base backup on the first start (an empty volume), then
# the image's own entrypoint starts the server, which streams because of standby.signal.
set -euo pipefail
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  # -R writes standby.signal and primary_conninfo (the password with it, in postgresql.auto.conf,
  # readable by the server's user only); -C -S creates the slot it streams from.
  PGPASSWORD="$(cat /run/secrets/database_replication_password)" gosu postgres \
    pg_basebackup --host "$PRIMARY_HOST" --username scrm_replicator --pgdata "$PGDATA" \
      --write-recovery-conf --wal-method stream --checkpoint fast --create-slot --slot scrm_replica
fi
# Long exports are not cancelled by the primary's vacuum (the primary keeps those rows a little longer).
exec docker-entrypoint.sh postgres -c hot_standby_feedback=on
