#!/usr/bin/env bash
# The dependencies against deny.toml's policy: cargo-deny's licences, bans (duplicate versions,
# wildcards) and sources, and the known vulnerabilities of RustSec's advisory database, through
# both cargo-deny and cargo-audit (RustSec's own client, which also reports yanked crates).
# Installs both tools first (scripts/cargo-tools.sh; only the first run builds them).
#
# The advisory database is a git repository on github.com that each tool clones or updates on
# every run. Where it cannot be fetched, the advisory checks do NOT run: this says so loudly and
# goes on, unless RADICULO_REQUIRE_ADVISORIES=1, which makes that a failure. The licences, bans
# and sources need no network and always run, and fail the test command when they fail.
set -euo pipefail
cd "$(dirname "$0")/.."

PATH="$(scripts/cargo-tools.sh):$PATH"

echo "-- cargo deny: licences, bans, sources"
cargo deny --locked check licenses bans sources

echo "-- advisory database (RustSec)"
if timeout 300 cargo deny fetch db; then
  echo "-- cargo deny: advisories"
  cargo deny --locked check advisories
  # deny.toml's [advisories] ignore list is the one list of accepted advisories: cargo audit gets
  # the same, and fails on what cargo deny fails on (unmaintained, unsound and yanked included).
  ignores=$(python3 - <<'PY'
import tomllib
with open("deny.toml", "rb") as f:
    ignore = tomllib.load(f).get("advisories", {}).get("ignore", [])
for entry in ignore:
    advisory = entry if isinstance(entry, str) else entry.get("id")
    if advisory and advisory.startswith("RUSTSEC-"):
        print(f"--ignore {advisory}")
PY
)
  echo "-- cargo audit"
  # shellcheck disable=SC2086 # one word per flag and id
  cargo audit --deny warnings $ignores
else
  cat >&2 <<'WARN'

!!! WARNING: the RustSec advisory database (https://github.com/rustsec/advisory-db) could not
!!! be fetched from this machine: the check for KNOWN VULNERABILITIES did NOT run (neither
!!! `cargo deny check advisories` nor `cargo audit`), and neither did the checks for unmaintained,
!!! unsound and yanked crates. Licences, bans and sources were checked (above).
!!! To run it: `scripts/supply-chain.sh` on a machine that reaches github.com.

WARN
  if [ "${RADICULO_REQUIRE_ADVISORIES:-0}" = 1 ]; then
    echo "error: RADICULO_REQUIRE_ADVISORIES=1 and the advisory database is out of reach" >&2
    exit 1
  fi
fi
