#!/usr/bin/env bash
# First start of the postgres container only (docker-entrypoint-initdb.d): the two roles
# scrm runs with, and the database, owned by the owner role. The superuser is for the DBA.
#   scrm_owner  owns the schema; only the migrate service connects as it.
#   scrm_app    web, workers and beat; migrate grants it row privileges (scrm.core.database_roles).
set -euo pipefail
psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set owner_password="$(cat /run/secrets/database_owner_password)" \
  --set app_password="$(cat /run/secrets/database_app_password)" <<'SQL'
CREATE ROLE scrm_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE scrm_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE scrm OWNER scrm_owner;
SQL
