#!/usr/bin/env bash
# Installs the cargo subcommands the test command uses beyond the toolchain (cargo-deny and
# cargo-audit, for scripts/supply-chain.sh), each at a pinned version, with its own Cargo.lock
# (--locked), from crates.io, into target/cargo-tools. An install already there at the pinned
# version is reused, so only the first run on a clean checkout builds them (5 to 15 minutes on
# 2 cores, cargo-audit the longer). Prints the directory of the binaries:
#   PATH="$(scripts/cargo-tools.sh):$PATH"
# To move to newer versions, change the pins below and check that both still build with the
# workspace's toolchain (cargo-deny 0.20 and cargo-audit 0.22 need Rust 1.88).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DENY_VERSION=0.20.2
CARGO_AUDIT_VERSION=0.22.2
# RADICULO_CARGO_TOOLS moves them elsewhere (a directory kept between clean checkouts, say).
root="${RADICULO_CARGO_TOOLS:-$PWD/target/cargo-tools}"

# install CRATE VERSION [cargo install flags...]: unless $root/bin/CRATE says it is VERSION.
install() {
  local crate=$1 version=$2
  shift 2
  local have
  # `cargo-deny deny --version` says "cargo-deny 0.20.2", `cargo-audit audit --version`
  # "cargo-audit-audit 0.22.2": the last word is the version.
  have=$("$root/bin/$crate" "${crate#cargo-}" --version 2>/dev/null || true)
  if [ "${have##* }" = "$version" ]; then
    return 0
  fi
  echo "installing $crate $version into $root (once per checkout)" >&2
  cargo install --quiet --locked --root "$root" "$@" "$crate@$version" >&2
}

install cargo-deny "$CARGO_DENY_VERSION"
# cargo-audit's default feature only adds `cargo audit bin` (scanning compiled binaries), which
# the test command does not use; without it there is less to build.
install cargo-audit "$CARGO_AUDIT_VERSION" --no-default-features
echo "$root/bin"
