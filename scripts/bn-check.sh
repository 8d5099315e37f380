#!/usr/bin/env bash
# The engine's inference checked by an independent library: the model exported as a discrete
# Bayesian network (`radiculo kb export`, BIF and XMLBIF) is read by pgmpy, and its exact
# inference (VariableElimination) must give the engine's condition, mechanism and root-and-side
# probabilities for every labelled and published case and the contract's example, to 1e-9
# (tests/bn/check.py; docs/bayesian-network.md). On its own, after `cargo build --release`:
#   scripts/bn-check.sh [CASES...]
# It installs pgmpy into a virtualenv under target/ (reused while the pins below are installed;
# PyPI must be reachable the first time: if pip fails, so does this script), writes both
# formats to a temporary directory and runs the check, which prints the number of cases, the
# largest difference per reader, and the time per case of pgmpy and of radiculo. It takes
# about half a minute, most of it pgmpy reading the BIF file (about 4 s) and querying (about
# 30 ms a case per reader).
#
# Environment:
#   RADICULO_BIN  the binary to test (default target/release/radiculo)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly bin=${RADICULO_BIN:-target/release/radiculo}
venv=target/bn-venv
# pgmpy 1.1.2 and what it reads and infers with, pinned (checked to install on Python 3.11
# without torch, in about 25 s).
pins="pgmpy==1.1.2 numpy==2.4.6 pandas==3.1.1 scipy==1.17.1 networkx==3.6.1 pyparsing==3.3.3 opt_einsum==3.4.0"

die() {
  printf '\n!!! bn-check.sh: %s !!!\n' "$*" >&2
  exit 1
}

[ -x "$bin" ] || die "$bin is missing: run \`cargo build --release\` first"
command -v python3 >/dev/null || die "python3 is missing"

say() { echo "bn-check.sh: $*"; }
# shellcheck source=scripts/lib-venv.sh
source scripts/lib-venv.sh
make_venv "$venv" "$pins" 'import pgmpy.readwrite, pgmpy.inference'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" kb export --format bif -o "$tmp/radiculo.bif" || die "radiculo kb export --format bif failed"
"$bin" kb export --format xmlbif -o "$tmp/radiculo.xml" || die "radiculo kb export --format xmlbif failed"
"$venv/bin/python" tests/bn/check.py --bin "$bin" --bif "$tmp/radiculo.bif" --xmlbif "$tmp/radiculo.xml" "$@" \
  || die "the Bayesian-network check failed"
