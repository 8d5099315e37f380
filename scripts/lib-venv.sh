# Sourced by the scripts that check radiculo with Python libraries from PyPI (fhir-venv.sh,
# bn-check.sh): a virtualenv under target/ holding exact pins, made once and reused while every
# pin is installed at its version. As root it installs Debian's python3-venv when
# `python3 -m venv` fails. Before sourcing: `say` (a progress line) and `die` (report and exit).
#
#   make_venv DIR "PINS" IMPORT-CHECK

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
