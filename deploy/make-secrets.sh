#!/usr/bin/env bash
# Generate fresh secrets for docker-compose.yml into deploy/secrets/ (never committed).
set -euo pipefail
cd "$(dirname "$0")/secrets"
umask 077
rand() { python3 -c "import secrets; print(secrets.token_urlsafe($1))"; }
[[ -f secret_key ]] || rand 50 > secret_key
[[ -f pii_blind_index_key ]] || rand 32 > pii_blind_index_key
[[ -f pii_encryption_keys ]] || python3 -c "import base64, os, datetime; print(f'k{datetime.date.today():%Y%m%d}:' + base64.b64encode(os.urandom(32)).decode())" > pii_encryption_keys
[[ -f audit_chain_keys ]] || python3 -c "import base64, os, datetime; print(f'a{datetime.date.today():%Y%m%d}:' + base64.b64encode(os.urandom(32)).decode())" > audit_chain_keys
[[ -f audit_signing_key ]] || python3 -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())" > audit_signing_key
[[ -f postgres_password ]] || rand 24 > postgres_password
[[ -f database_owner_password ]] || rand 24 > database_owner_password
[[ -f database_app_password ]] || rand 24 > database_app_password
[[ -f database_replication_password ]] || rand 24 > database_replication_password
# The application's role, and the owner's (for the migrate service only).
[[ -f database_url ]] || echo "postgres://scrm_app:$(cat database_app_password)@postgres:5432/scrm" > database_url
[[ -f database_owner_url ]] || echo "postgres://scrm_owner:$(cat database_owner_password)@postgres:5432/scrm" > database_owner_url
# The same application role on the read replica (docker-compose.replica.yml only).
[[ -f database_replica_url ]] || echo "postgres://scrm_app:$(cat database_app_password)@postgres-replica:5432/scrm" > database_replica_url
echo "secrets written to $(pwd)"
