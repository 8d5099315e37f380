#!/usr/bin/env bash
# The web pages in a real browser: Debian's chromium driven by playwright-core (no browser is
# downloaded), with axe-core for accessibility. Run by scripts/test.sh after the build; on its
# own, after `cargo build --release`:
#   scripts/browser-tests.sh
# It installs Debian's chromium with apt-get when /usr/bin/chromium is missing and it runs as
# root, installs the pinned npm packages of tests/browser (npm ci; the registry must be
# reachable the first time), starts target/release/radiculo serve on a free port with a
# temporary SQLite database, runs tests/browser/*.test.js with node:test, and stops the server.
# Screenshots of every step, at phone (360 px) and desktop (1280 px) widths, are saved in
# target/browser-artifacts/.
#
# Environment:
#   RADICULO_BIN  the binary to test (default target/release/radiculo)
#   CHROMIUM      the browser (default /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly bin=${RADICULO_BIN:-target/release/radiculo}
readonly chromium=${CHROMIUM:-/usr/bin/chromium}
readonly artifacts=$(pwd)/target/browser-artifacts

die() {
  printf '\n!!! browser-tests.sh: %s !!!\n' "$*" >&2
  exit 1
}

[ -x "$bin" ] || die "$bin is missing: run \`cargo build --release\` first"
command -v node >/dev/null || die "node is missing (Node 20 or newer runs the tests)"
command -v npm >/dev/null || die "npm is missing"
command -v python3 >/dev/null || die "python3 is missing (it starts and checks the server)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || die "node $(node --version) is too old: the tests need Node 20 or newer"

# --- the browser ------------------------------------------------------------------------------
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
      || die "apt-get could not install chromium"
  fi
  [ -x "$chromium" ] || die "$chromium is missing: install Debian's chromium (apt-get install chromium)"
fi
"$chromium" --version 2>/dev/null || true

# --- the test dependencies (pinned in package-lock.json) --------------------------------------
if ! (cd tests/browser && npm ls --depth=0 >/dev/null 2>&1); then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in tests/browser"
fi

# --- a server of our own ----------------------------------------------------------------------
# shellcheck source=scripts/lib-server.sh
. scripts/lib-server.sh
start_server

# --- the run ----------------------------------------------------------------------------------
rm -rf "$artifacts"
mkdir -p "$artifacts"
status=0
(
  cd tests/browser
  RADICULO_URL="http://127.0.0.1:$port" ARTIFACTS_DIR="$artifacts" CHROMIUM="$chromium" \
    node --test --test-concurrency=1 --test-reporter=spec ./*.test.js
) || status=$?

stop_server
[ "$status" = 0 ] || die "browser tests failed (screenshots so far in $artifacts)"
echo "browser tests passed; $(find "$artifacts" -name '*.png' | wc -l) screenshots in $artifacts"
