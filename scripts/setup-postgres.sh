#!/usr/bin/env bash
# Makes sure the PostgreSQL the tests use answers: 127.0.0.1:5432, trust auth, database `test`
# (gateway/tests/store_conformance.rs, gateway/tests/postgres_store.rs, tests/tests/postgres.rs;
# each run works in a schema of its own). These machines and CI run it as a service; on a bare
# Debian machine (as root) it is installed and started. With CODEXKEY_TEST_POSTGRES_URL set, the
# tests use that server instead and nothing is done here.
set -euo pipefail
if [ -n "${CODEXKEY_TEST_POSTGRES_URL:-}" ]; then
    echo "postgres: using CODEXKEY_TEST_POSTGRES_URL"
    exit 0
fi
ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
if ! ready; then
    if ! command -v pg_lsclusters >/dev/null; then
        if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
            echo "postgres missing: run PostgreSQL on 127.0.0.1:5432 or set CODEXKEY_TEST_POSTGRES_URL" >&2
            exit 1
        fi
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi
    # The first cluster (Debian makes one per installed version), trusted on loopback: a test
    # server that holds nothing but throwaway schemas.
    read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
    hba="/etc/postgresql/$version/$cluster/pg_hba.conf"
    if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
        sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    pg_ctlcluster "$version" "$cluster" start || pg_ctlcluster "$version" "$cluster" reload
    for _ in $(seq 1 30); do ready && break; sleep 1; done
    ready || { echo "postgres: the server did not start" >&2; exit 1; }
fi
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
    createdb -h 127.0.0.1 -U postgres test
fi
echo "postgres: ready on 127.0.0.1:5432"
