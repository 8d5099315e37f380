#!/usr/bin/env bash
# The Python virtualenvs of the FHIR and CDS Hooks checkers in tests/fhir/ (see its README):
#   scripts/fhir-venv.sh
# creates, when missing or when an installed version differs from the pins below,
#   target/fhir-venv       fhir.resources 6.4.0 with pydantic 1: the FHIR R4 (4.0.1) models, the
#                          main check; plus jsonschema for the CDS Hooks schemas
#   target/fhir-r4b-venv   fhir.resources 8.3.0 (pydantic 2), whose fhir.resources.R4B package
#                          holds the FHIR R4B (4.3.0) models: the second check (validate.py --r4b)
# and prints the path of each one's python. PyPI must be reachable the first time: if pip fails,
# so does this script. As root it installs Debian's python3-venv when `python3 -m venv` fails.
# Then, for instance:
#   target/fhir-venv/bin/python tests/fhir/test_validate.py
#   target/fhir-venv/bin/python tests/fhir/validate.py out.json
#   target/fhir-r4b-venv/bin/python tests/fhir/validate.py --r4b out.json
#
# Environment:
#   FHIR_VENV_QUIET=1  print only the python paths
set -euo pipefail
cd "$(dirname "$0")/.."

# The pins, each verified to install on Python 3.11. The jsonschema format checkers for "uri"
# and "date-time" need rfc3986-validator and rfc3339-validator; without them jsonschema passes
# those formats silently.
readonly r4_venv=target/fhir-venv
readonly r4_pins="fhir.resources==6.4.0 pydantic==1.10.27 jsonschema==4.26.0 rfc3339-validator==0.1.4 rfc3986-validator==0.1.1"
readonly r4b_venv=target/fhir-r4b-venv
readonly r4b_pins="fhir.resources==8.3.0 fhir-core==1.1.12 pydantic==2.14.4 jsonschema==4.26.0 rfc3339-validator==0.1.4 rfc3986-validator==0.1.1"

say() { [ "${FHIR_VENV_QUIET:-0}" = 1 ] || echo "fhir-venv.sh: $*"; }
die() {
  printf '\n!!! fhir-venv.sh: %s !!!\n' "$*" >&2
  exit 1
}

command -v python3 >/dev/null || die "python3 is missing"

# `python3 -m venv` needs ensurepip, which Debian ships apart in python3-venv.
venv_works() {
  local probe
  probe=$(mktemp -d)
  if python3 -m venv "$probe/v" >/dev/null 2>&1 && [ -x "$probe/v/bin/pip" ]; then
    rm -rf "$probe"
    return 0
  fi
  rm -rf "$probe"
  return 1
}
ensure_venv_module() {
  venv_works && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "python3 -m venv fails: installing Debian's python3-venv"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null; } \
      || die "apt-get could not install python3-venv"
  fi
  venv_works || die "python3 -m venv does not work: install python3-venv"
}

# True when every pin of $2 is installed, at that version, in the virtualenv $1.
pins_installed() {
  local venv=$1 pins=$2
  [ -x "$venv/bin/python" ] || return 1
  # shellcheck disable=SC2086  # the pins are words
  "$venv/bin/python" - $pins <<'EOF' 2>/dev/null
import sys
from importlib import metadata
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    if metadata.version(name) != version:
        sys.exit(1)
EOF
}

# make_venv DIR "PINS" IMPORT-CHECK
make_venv() {
  local venv=$1 pins=$2 check=$3
  if pins_installed "$venv" "$pins"; then
    say "$venv is up to date ($pins)"
  else
    ensure_venv_module
    say "creating $venv with $pins"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "cannot create the virtualenv $venv"
    # shellcheck disable=SC2086  # the pins are words
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install --quiet $pins \
      || { rm -rf "$venv"; die "pip could not install $pins into $venv (is PyPI reachable?)"; }
    pins_installed "$venv" "$pins" || die "$venv does not hold the pinned versions after pip install"
  fi
  "$venv/bin/python" -c "$check" || die "$venv is broken: the import check failed ($check)"
}

make_venv "$r4_venv" "$r4_pins" \
  'import fhir.resources, pydantic, jsonschema, rfc3339_validator, rfc3986_validator
from fhir.resources.observation import Observation
assert fhir.resources.__version__ == "6.4.0" and pydantic.VERSION.startswith("1."), "wrong versions"'
make_venv "$r4b_venv" "$r4b_pins" \
  'import jsonschema, rfc3339_validator, rfc3986_validator
from fhir.resources.R4B.observation import Observation'

r4_python=$(cd "$r4_venv/bin" && pwd)/python
r4b_python=$(cd "$r4b_venv/bin" && pwd)/python
say "FHIR R4 (fhir.resources 6.4.0):   $r4_python"
say "FHIR R4B (fhir.resources 8.3.0):  $r4b_python"
if [ "${FHIR_VENV_QUIET:-0}" = 1 ]; then
  echo "$r4_python"
  echo "$r4b_python"
fi
