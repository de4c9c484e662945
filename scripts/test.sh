#!/usr/bin/env bash
# The whole test suite: formatting, lints, then every test in the workspace (unit tests, the
# in-process HTTP tests and the end-to-end tests of the real `codexkey` binary).
# Needs the Rust toolchain; installs the rest itself (the Python SDKs into .tools/venv from
# PyPI, dbus and gnome-keyring from Debian for the keyring test, prometheus from Debian for the
# metrics test, postgresql from Debian for the PostgreSQL store's tests when no server runs).
# Extra arguments go to `cargo test` (e.g. a test name filter), in both passes.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all --check
# No module imports a module that imports it back (see the README's Architecture section).
python3 scripts/module-cycles.py
cargo clippy --workspace --all-targets --locked -- -D warnings
# The end-to-end tests run target/debug/codexkey, which `cargo test` alone does not build.
cargo build --workspace --bins --locked
scripts/setup-python.sh # the venv: the Python SDKs (python_sdks.rs), openapi-spec-validator, pyotp (2FA tests)
scripts/setup-keyring.sh # a Secret Service for tests/tests/cli_keyring.rs
scripts/setup-npm.sh # Claude Code and Codex CLI in .tools/npm for tests/tests/real_tools.rs
scripts/setup-prometheus.sh # the Prometheus server tests/tests/metrics.rs scrapes the gateway with
scripts/setup-postgres.sh # the PostgreSQL the store tests and tests/tests/postgres.rs run on
cargo test --workspace --locked "$@"
# The HTTP, CLI and data-plane tests (codexkey-tests' integration tests) again with every test
# gateway on PostgreSQL, each in a scratch schema of its own; tests of what only the SQLite store
# has say so and skip themselves. Selected by excluding the other crates rather than with
# `-p codexkey-tests`, which resolves features for that crate alone and would rebuild the
# binaries: this way they are the ones the first pass ran.
CODEXKEY_TEST_STORE=postgres cargo test --workspace --exclude codexkey-gateway \
    --exclude codexkey-common --locked --test '*' "$@"
