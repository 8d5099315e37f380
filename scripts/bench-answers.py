#!/usr/bin/env python3
"""Cost per case against the number of answers, for BENCHMARKS.md.

For each number of answers k, `radiculo generate --min-answers k --max-answers k` writes
COUNT random contract cases (seeded), and `radiculo batch` assesses them (full form, with the
next question, to /dev/null), on one thread and on every core. Each figure is the best of
ROUNDS runs (the least disturbed by other work on a shared machine); the table gives
microseconds of wall time per case and cases a second.

Usage: scripts/bench-answers.py [--bin target/release/radiculo] [--count 20000] [--rounds 3]
                                [--answers 1,2,4,7,10,16,24,30,45,60] [--compact]
"""

import argparse
import os
import subprocess
import tempfile
import time


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default="target/release/radiculo")
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--answers", default="1,2,4,7,10,16,24,30,45,60")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--compact", action="store_true")
    args = p.parse_args()
    extra = ["--compact"] if args.compact else []
    print(f"{args.count} cases a run, best of {args.rounds}; {os.cpu_count()} cores;"
          f" {'compact' if args.compact else 'full'} form, with the next question\n")
    print("| answers | one thread: µs a case | cases a second | every core: µs a case | cases a second |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for k in (int(x) for x in args.answers.split(",")):
            path = os.path.join(tmp, f"k{k}.jsonl")
            with open(path, "w") as f:
                subprocess.run(
                    [args.bin, "generate", "--count", str(args.count), "--seed", str(args.seed),
                     "--min-answers", str(k), "--max-answers", str(k)],
                    check=True, stdout=f)
            one = min(timed([args.bin, "batch", "--threads", "1", path, "-o", "/dev/null", *extra])
                      for _ in range(args.rounds))
            every = min(timed([args.bin, "batch", path, "-o", "/dev/null", *extra])
                        for _ in range(args.rounds))
            print(f"| {k} | {one / args.count * 1e6:.1f} | {args.count / one:,.0f} "
                  f"| {every / args.count * 1e6:.1f} | {args.count / every:,.0f} |")


if __name__ == "__main__":
    main()
