#!/usr/bin/env bash
# The FHIR R4 resources radiculo writes, checked by an independent library: the Python
# `fhir.resources` models (6.4.0 for R4 4.0.1; 8.3.0's R4B models as a second opinion), plus
# the checks of tests/fhir/validate.py that the models do not make (see tests/fhir/README.md).
# Run by scripts/test.sh after the build; on its own, after `cargo build --release`:
#   scripts/fhir-check.sh
# It installs the checkers into virtualenvs under target/ (scripts/fhir-venv.sh), runs their
# self-test (every check shown able to fail), then writes every definition with the CLI and
# validates each one with both model versions.
#
# Environment:
#   RADICULO_BIN  the binary to test (default target/release/radiculo)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly bin=${RADICULO_BIN:-target/release/radiculo}
die() {
  printf '\n!!! fhir-check.sh: %s !!!\n' "$*" >&2
  exit 1
}
[ -x "$bin" ] || die "$bin is missing: run \`cargo build --release\` first"

FHIR_VENV_QUIET=1 scripts/fhir-venv.sh >/dev/null || die "cannot install the FHIR checkers"
readonly r4=target/fhir-venv/bin/python
readonly r4b=target/fhir-r4b-venv/bin/python

echo "the checkers' self-test"
"$r4" tests/fhir/test_validate.py 2>&1 | tail -n 1

tmp=$(mktemp -d /tmp/radiculo-fhir-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Every definition, one JSON document a line.
one_line() { python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))'; }
{
  "$bin" fhir questionnaire | one_line
  "$bin" fhir capability | one_line
  for id in radiculo-finding radiculo-condition radiculo-triage-level radiculo-red-flag radiculo-nerve-root; do
    "$bin" fhir code-system "$id" | one_line
    "$bin" fhir value-set "$id" | one_line
  done
} >"$tmp/definitions.jsonl"

for file in "$tmp"/*.jsonl; do
  name=$(basename "$file")
  echo "$name: $(wc -l <"$file") resources, FHIR R4 (fhir.resources 6.4.0), then R4B (8.3.0)"
  out=$("$r4" tests/fhir/validate.py "$file") || { grep -v '^ok ' <<<"$out"; die "$name is not valid FHIR R4"; }
  out=$("$r4b" tests/fhir/validate.py --r4b "$file") || { grep -v '^ok ' <<<"$out"; die "$name fails the R4B models"; }
done
echo "every FHIR resource is valid"
