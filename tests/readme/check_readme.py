"""Runs the README's examples as written, so that what a newcomer copies works.

Usage: check_readme.py README PORT WORKDIR

- A ```sh block is run with bash (`set -euo pipefail`), in WORKDIR (which holds links to the
  repository's `examples/`, `eval/` and `docs/`), with `radiculo` on PATH and
  RADICULO_DATABASE_URL set to the running server's database (so `radiculo keys create` makes
  keys that server knows). `localhost:8080` and `127.0.0.1:8080`, the README's address, become
  the test server's port: the only change made to what is written. `curl` fails on an HTTP
  error status (it runs with `--fail-with-body`), unless the block is marked as showing one.
- A block marked `<!-- readme: file PATH -->` (on the line before its fence) must be exactly
  the file PATH of the repository.
- `<!-- readme: not run: REASON -->` skips a block (a server that runs until stopped, this very
  test, an interactive terminal). `<!-- readme: http error shown -->` runs a block whose point
  is an error answer, with plain `curl`.
- Every `examples/...` path the README names must exist.

Exits 1 with every failure listed.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

MARK = re.compile(r"^<!-- readme: (.*?) -->$")
FENCE = re.compile(r"^```(\w*)\s*$")


def blocks(text):
    """(line number, info string, marker or None, body) for each fenced block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, info = i, m.group(1)
        marker = None
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0 and (mm := MARK.match(lines[j].strip())):
            marker = mm.group(1)
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            sys.exit(f"README line {start + 1}: a code block is never closed")
        i += 1
        yield start + 1, info, marker, "\n".join(body) + "\n"


def main():
    readme, port, workdir = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    repo = readme.parent
    text = readme.read_text()
    failures = []
    ran = checked = skipped = 0

    for path in sorted(set(re.findall(r"\bexamples/[\w.\-/]+\w", text))):
        if not (repo / path).exists():
            failures.append(f"the README names {path}, which does not exist")

    for line, info, marker, body in blocks(text):
        where = f"README line {line}"
        if marker and marker.startswith("not run:"):
            skipped += 1
            continue
        if marker and marker.startswith("file "):
            path = marker[len("file ") :].strip()
            checked += 1
            try:
                actual = (repo / path).read_text()
            except OSError as e:
                failures.append(f"{where}: {path}: {e}")
                continue
            if actual != body:
                failures.append(f"{where}: the block is not exactly {path}")
            continue
        if info != "sh":
            continue
        if marker not in (None, "http error shown"):
            failures.append(f"{where}: unknown marker `{marker}`")
            continue
        script = re.sub(r"\b(localhost|127\.0\.0\.1):8080\b", f"127.0.0.1:{port}", body)
        prelude = "set -euo pipefail\n"
        if marker is None:
            prelude += 'curl() { command curl --fail-with-body "$@"; }\n'
        ran += 1
        try:
            done = subprocess.run(
                ["bash", "-c", prelude + script],
                cwd=workdir,
                capture_output=True,
                text=True,
                timeout=300,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            failures.append(f"{where}: still running after 300 s")
            continue
        if done.returncode != 0:
            failures.append(
                f"{where}: exit {done.returncode}\n--- block\n{body}--- stdout (end)\n"
                f"{done.stdout[-2000:]}\n--- stderr (end)\n{done.stderr[-2000:]}"
            )
        else:
            print(f"ok  {where}: {body.splitlines()[0][:90]}")

    print(f"README: {ran} sh blocks run, {checked} file copies checked, {skipped} not run")
    if failures:
        print("\n".join(["", "FAILED:"] + failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
