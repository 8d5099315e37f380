#!/usr/bin/env bash
# Runs every example in README.md as written (tests/readme/check_readme.py says how): the shell
# blocks against a server of its own on a free port, and the blocks that show a file compared
# with that file. Run by scripts/test.sh after the build; on its own, after
# `cargo build --release`:
#   scripts/readme-examples.sh
set -euo pipefail
cd "$(dirname "$0")/.."

readonly bin=${RADICULO_BIN:-target/release/radiculo}
die() {
  printf '\n!!! readme-examples.sh: %s !!!\n' "$*" >&2
  exit 1
}
[ -x "$bin" ] || die "$bin is missing: run cargo build --release first"
# shellcheck source=scripts/lib-server.sh
source scripts/lib-server.sh
start_server

work="$tmp/work"
mkdir -p "$work" "$tmp/bin"
for dir in examples eval docs; do ln -s "$PWD/$dir" "$work/$dir"; done
ln -s "$abs_bin" "$tmp/bin/radiculo"
PATH="$tmp/bin:$PATH" RADICULO_DATABASE_URL="$database_url" \
  python3 tests/readme/check_readme.py "$PWD/README.md" "$port" "$work"
stop_server
