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

# shellcheck source=scripts/lib-venv.sh
source scripts/lib-venv.sh

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
