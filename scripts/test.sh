#!/usr/bin/env bash
# Runs every test radiculo has: formatting, lints, the knowledge-base lint, unit, property,
# integration and CLI tests, and the evaluation of the labelled cases against their thresholds.
# It needs only the Rust toolchain; it installs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (deny warnings)"
cargo clippy --workspace --all-targets --release -- -D warnings

step "build"
cargo build --release --workspace

step "knowledge-base lint"
./target/release/radiculo kb lint

step "unit, property, integration and CLI tests"
cargo test --workspace --release

step "evaluation of the labelled development cases"
./target/release/radiculo eval eval/cases.jsonl --check

step "simulated adaptive interviews on the same cases"
./target/release/radiculo eval --interview eval/cases.jsonl --check | tail -n 12
