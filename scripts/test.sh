#!/usr/bin/env bash
# The whole test suite: formatting, lints, then every test in the workspace (unit tests, the
# in-process HTTP tests and the end-to-end tests of the real `codexkey` binary).
# Needs only the Rust toolchain. Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The end-to-end tests run target/debug/codexkey, which `cargo test` alone does not build.
cargo build --workspace --bins --locked
cargo test --workspace --locked "$@"
