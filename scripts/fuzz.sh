#!/usr/bin/env bash
# Runs every fuzz target under fuzz/ (fuzz/README.md says what each asserts) for FUZZ_SECONDS
# each with libFuzzer, through `cargo +nightly fuzz`, and fails on the first crash, naming the
# input libFuzzer saved under fuzz/artifacts/TARGET/ and the command that replays it.
#
# Installs cargo-fuzz first, at a pinned version with its own Cargo.lock (--locked), from
# crates.io, into the directory scripts/cargo-tools.sh uses (target/cargo-tools, or
# RADICULO_CARGO_TOOLS); an install already there at the pinned version is reused. Needs the
# nightly toolchain (`rustup toolchain install nightly`): libFuzzer's instrumentation is a
# nightly compiler flag. The first build of the targets takes about 3 minutes on 2 cores; after
# it, the default run (5 targets x 20 s) takes about 2 minutes.
#
# Longer runs, to look for crashes rather than to guard against regressions:
#   FUZZ_SECONDS=3600 scripts/fuzz.sh                  # an hour per target
#   FUZZ_SECONDS=600 FUZZ_TARGETS="engine interview_step" scripts/fuzz.sh
#   FUZZ_SANITIZER=address FUZZ_SECONDS=3600 scripts/fuzz.sh
# Each target's corpus (fuzz/corpus/TARGET, not committed) grows from run to run, so later runs
# start where earlier ones stopped. A crash becomes a regression test in the crate it belongs to
# (fuzz/README.md).
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_TARGETS    the targets to run, space-separated (default: all, as `cargo fuzz list`)
#   FUZZ_SANITIZER  none (default) or address: the crates forbid unsafe code, so AddressSanitizer
#                   only checks dependencies, at a quarter of the speed
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.1
seconds="${FUZZ_SECONDS:-20}"
sanitizer="${FUZZ_SANITIZER:-none}"
root="${RADICULO_CARGO_TOOLS:-$PWD/target/cargo-tools}"

# cargo-fuzz, as scripts/cargo-tools.sh installs its tools (`cargo-fuzz --version` says
# "cargo-fuzz 0.13.1").
have=$("$root/bin/cargo-fuzz" --version 2>/dev/null || true)
if [ "${have##* }" != "$CARGO_FUZZ_VERSION" ]; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION into $root (once per checkout)" >&2
  cargo install --quiet --locked --root "$root" "cargo-fuzz@$CARGO_FUZZ_VERSION" >&2
fi
PATH="$root/bin:$PATH"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is missing: rustup toolchain install nightly" >&2
  exit 1
fi

# The fuzz workspace's own build directory, whatever the caller set for the main one.
unset CARGO_TARGET_DIR
fuzz() { cargo +nightly fuzz "$@"; }

targets="${FUZZ_TARGETS:-$(fuzz list)}"

echo "-- building the fuzz targets (sanitizer: $sanitizer)"
fuzz build --sanitizer "$sanitizer"
# The targets are run from this one build (as `cargo fuzz run` would, but without building
# again before each, which would let a change made meanwhile fail as if it were a crash).
bin="fuzz/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

# The seed corpora, made afresh from the repository's own inputs on each run (libFuzzer keeps
# what it finds beside them): fuzz/seeds/TARGET is committed, the rest comes from examples/,
# the contract's test cases and kb/.
corpus=fuzz/corpus
mkdir -p "$corpus"
for t in $targets; do
  mkdir -p "$corpus/$t"
  if [ -d "fuzz/seeds/$t" ]; then
    cp fuzz/seeds/"$t"/* "$corpus/$t/"
  fi
done
if [ -d "$corpus/case_parser" ]; then
  cp crates/radiculo-contract/tests/cases/*.json "$corpus/case_parser/"
  cp examples/contract-example.json "$corpus/case_parser/example-0.json"
  n=0
  while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" >"$corpus/case_parser/example-$n.json"
  done <examples/cases.jsonl
fi
if [ -d "$corpus/fhir_reader" ]; then
  cp examples/cds-request.json "$corpus/fhir_reader/"
fi
if [ -d "$corpus/kb_loader" ]; then
  # A seed per knowledge-base file, replacing that file whole: a first byte of 0x80 plus the
  # file's index in radiculo_kb::embedded(), whose order is read from its include_str! lines.
  i=0
  for file in $(sed -n 's|.*include_str!("../../../kb/\([a-z]*\.toml\)").*|\1|p' crates/radiculo-kb/src/lib.rs); do
    { printf "\\$(printf '%03o' $((128 + i)))"; cat "kb/$file"; } >"$corpus/kb_loader/whole-$file"
    i=$((i + 1))
  done
fi

failed=()
for t in $targets; do
  echo "-- fuzz $t: ${seconds}s"
  log=$(mktemp)
  start=$SECONDS
  # The interview's input is a list of answers read as it goes: let libFuzzer make long inputs
  # from the start (without it, a short run never gets past the first few questions).
  options=()
  if [ "$t" = interview_step ]; then
    options=(-len_control=0 -max_len=512)
  fi
  mkdir -p "fuzz/artifacts/$t"
  if "$bin/$t" "$corpus/$t" -artifact_prefix="fuzz/artifacts/$t/" -max_total_time="$seconds" \
      -print_final_stats=1 "${options[@]}" >"$log" 2>&1; then
    grep -a -E '^#[0-9]+[[:space:]]+DONE' "$log" || true
    grep -a -E '^stat::number_of_executed_units' "$log" || true
    echo "   $t: no crash in $((SECONDS - start)) s"
  else
    grep -a -A2 'panicked at' "$log" || true
    tail -n 25 "$log"
    echo "fuzz: $t FAILED; the input is under fuzz/artifacts/$t/. Replay it with" >&2
    echo "  cargo +nightly fuzz run --sanitizer $sanitizer $t fuzz/artifacts/$t/<file>" >&2
    failed+=("$t")
  fi
  rm -f "$log"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s with no crash"
