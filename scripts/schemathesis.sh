#!/usr/bin/env bash
# Property-based API tests with schemathesis: the running server against its own OpenAPI
# document. Run by scripts/test.sh after the build; on its own, after `cargo build --release`:
#   scripts/schemathesis.sh
# It installs schemathesis 4.32.5 into a virtualenv under target/ (reused when present; PyPI
# must be reachable the first time: if pip fails, so does this script), starts
# target/release/radiculo serve on a free port with a temporary SQLite database and no rate
# limit, creates an API key, and runs every phase (examples, coverage, fuzzing, stateful) over
# every operation with the key, checking that nothing answers 5xx and that every response
# conforms to the document (status code, content type, headers, body schema).
#
# Environment:
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 10: about a
#                              thousand requests in all, most of them from the coverage phase)
#   SCHEMATHESIS_SEED          the random seed (default 1, so that runs are reproducible)
#   RADICULO_BIN               the binary to test (default target/release/radiculo)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly version=4.32.5
readonly venv=target/schemathesis-venv
readonly bin=${RADICULO_BIN:-target/release/radiculo}
readonly max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-10}
readonly seed=${SCHEMATHESIS_SEED:-1}
readonly checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance

die() {
  printf '\n!!! schemathesis.sh: %s !!!\n' "$*" >&2
  exit 1
}

[ -x "$bin" ] || die "$bin is missing: run \`cargo build --release\` first"
command -v python3 >/dev/null || die "python3 is missing"

# --- schemathesis in its own virtualenv -------------------------------------------------------
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$version"; then
  echo "installing schemathesis $version into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "cannot create the virtualenv $venv"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install --quiet "schemathesis==$version" \
    || { rm -rf "$venv"; die "pip could not install schemathesis==$version (is PyPI reachable?)"; }
fi
"$venv/bin/schemathesis" --version | grep -qF "$version" || die "schemathesis $version is not installed in $venv"
schemathesis=$(cd "$venv/bin" && pwd)/schemathesis

# --- a server of our own ----------------------------------------------------------------------
# shellcheck source=scripts/lib-server.sh
. scripts/lib-server.sh
start_server
base="http://127.0.0.1:$port"

secret=$("$abs_bin" keys create --tenant "schemathesis-$$-$RANDOM" --database-url "$database_url" 2>/dev/null \
  | awk '$1 == "secret:" { print $2 }')
[ -n "$secret" ] || die "radiculo keys create printed no secret"

# --- the run ----------------------------------------------------------------------------------
# From the temporary directory, so that schemathesis' caches (.hypothesis, .schemathesis) do
# not land in the source tree. The JUnit report goes to target/schemathesis-report.
report_dir=$(pwd)/target/schemathesis-report
mkdir -p "$report_dir"
status=0
(
  cd "$tmp"
  "$schemathesis" run "$base/openapi.json" --url "$base" \
    -H "Authorization: Bearer $secret" \
    --checks "$checks" \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --wait-for-schema 20 \
    --no-color \
    --report junit --report-junit-path "$report_dir/junit.xml"
) || status=$?

# The server must still be up, and stop cleanly.
healthy "$port" || { cat "$tmp/server.log" >&2; die "the server is not healthy after the run"; }
if grep -qE ' (ERROR|WARN) ' "$tmp/server.log"; then
  echo "the server logged errors or warnings during the run:" >&2
  grep -E ' (ERROR|WARN) ' "$tmp/server.log" >&2
  [ "$status" != 0 ] || status=1
fi
stop_server
[ "$status" = 0 ] || die "schemathesis found failures (exit $status; seed $seed, $max_examples examples per operation; JUnit report in $report_dir)"
echo "schemathesis: no failures (seed $seed, $max_examples examples per operation)"
