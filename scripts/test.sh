#!/usr/bin/env bash
# Runs every test radiculo has: formatting, lints, the knowledge-base lint, unit, property,
# integration, CLI and server tests (on SQLite and on a throwaway PostgreSQL), and the
# evaluation of the labelled and the published cases against their thresholds, the FHIR
# resources it writes against an independent FHIR library, the README's examples, a short run of
# every fuzz target and a 60-second soak of the server on both databases.
# It needs the Rust toolchain; it installs Debian's postgresql itself where that is missing and
# it runs as root, and so does chromium for the browser tests (which also need Node 20 and npm).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "throwaway PostgreSQL cluster"
if out=$(scripts/pg-cluster.sh start); then
  eval "$out"
  trap 'scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR"' EXIT
  echo "PostgreSQL at $RADICULO_TEST_DATABASE_URL"
else
  scripts/pg-cluster.sh missing # fails under CI=true; a local run goes on, saying what it skips
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (deny warnings)"
cargo clippy --workspace --all-targets --release -- -D warnings

step "supply chain: licences, bans and sources (cargo deny); known vulnerabilities (cargo deny, cargo audit)"
scripts/supply-chain.sh

step "build"
cargo build --release --workspace

step "knowledge-base lint"
./target/release/radiculo kb lint

step "unit, property, integration and CLI tests"
cargo test --workspace --release

step "the model as a Bayesian network: pgmpy's exact inference gives the engine's probabilities"
scripts/bn-check.sh

step "README: every example runs as written"
scripts/readme-examples.sh

step "schemathesis: the running server against its OpenAPI document"
scripts/schemathesis.sh

step "FHIR: every resource radiculo writes, validated by fhir.resources (R4, and R4B)"
scripts/fhir-check.sh

step "browser tests (chromium, playwright-core, axe-core)"
scripts/browser-tests.sh

step "fuzzing: each target for 20 s (cargo +nightly fuzz; fuzz/README.md)"
scripts/fuzz.sh

step "soak: a steady mixed load for 60 s on SQLite and on PostgreSQL (no errors; memory and descriptors flat)"
scripts/soak.sh

step "evaluation of the labelled development cases"
./target/release/radiculo eval eval/cases.jsonl --check --max-under-triage 0

step "evaluation of the published case reports: no under-triage, and better than naive Bayes"
./target/release/radiculo eval eval/published.jsonl --check --max-under-triage 0 --beat-baseline \
  --min-triage 0.9 --min-root 0.5 --min-condition 0.4

step "simulated adaptive interviews on both sets: the same triage as with every answer"
./target/release/radiculo eval --interview eval/cases.jsonl --check --min-same-triage 1 | tail -n 12
./target/release/radiculo eval --interview eval/published.jsonl --check --min-same-triage 1 | tail -n 12
