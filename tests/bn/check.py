#!/usr/bin/env python3
"""radiculo's inference checked by an independent library: pgmpy's exact inference on the
model exported as a Bayesian network must give the engine's probabilities.

    check.py --bin target/release/radiculo --bif model.bif --xmlbif model.xml [CASES...]

CASES are JSON Lines files (a line is a contract case, or a labelled case with `case`) or JSON
files holding one case; by default eval/cases.jsonl, eval/published.jsonl and
examples/contract-example.json. For every case it runs `radiculo batch --no-next-question`
(the contract's assessment JSON) and, on the network read by pgmpy's BIFReader and by its
XMLBIFReader, `VariableElimination.query` of `condition`, `mechanism` and every
`root__ROOT__SIDE`, with this evidence, read from the case by the naming contract of
docs/bayesian-network.md and nothing else:
  - `age_band`: the state `age_LO_HI` whose range holds the age;
  - `sex`, when given: `female`, `male` or `other`;
  - `duration_band`, when `symptom_duration_days` is given: the state `days_LO_HI` that holds it;
  - each finding answered `present` or `absent`: the variable named by its id with every `.`
    replaced by `__` (an `unknown` answer is no evidence);
  - `pain_score` and `mode` are not in the model (the network must have no variable for them).
It compares every condition's, mechanism's and root-and-side's probability with the engine's,
prints the number of cases and the largest absolute difference per reader, the time per case of
pgmpy and of radiculo and their ratio, and exits 1 when a difference reaches --tolerance (1e-9)
or anything does not match the naming contract. A negative control first shows that the
comparison sees a change of 1% in one table entry.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", category=FutureWarning)

from pgmpy.inference import VariableElimination  # noqa: E402
from pgmpy.readwrite import BIFReader, XMLBIFReader  # noqa: E402

DEFAULT_CASES = ["eval/cases.jsonl", "eval/published.jsonl", "examples/contract-example.json"]


class Mismatch(Exception):
    """The network does not follow the naming contract, or a case cannot be read."""


def read_cases(paths):
    cases = []
    for path in paths:
        text = Path(path).read_text()
        if path.endswith(".jsonl"):
            for n, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    item = json.loads(line)
                    cases.append((f"{path}:{n}", item.get("case", item)))
        else:
            item = json.loads(text)
            cases.append((path, item.get("case", item)))
    return cases


def bands(states, prefix):
    """`PREFIX_LO_HI` state names as (lo, hi, name), checked to tile their range."""
    out = []
    for name in states:
        m = re.fullmatch(prefix + r"_(\d+)_(\d+)", name)
        if not m:
            raise Mismatch(f"state {name!r} is not {prefix}_LO_HI")
        out.append((int(m.group(1)), int(m.group(2)), name))
    for (_, hi, _), (lo, _, name) in zip(out, out[1:]):
        if lo != hi + 1:
            raise Mismatch(f"band {name} does not start the day after the last one")
    return out


def band_of(value, table, what):
    for lo, hi, name in table:
        if lo <= value <= hi:
            return name
    raise Mismatch(f"no band holds {what} {value}")


class Model:
    """One reader's network, its queries and the contract's names in it."""

    def __init__(self, label, model):
        self.label = label
        self.model = model
        self.states = {v: list(model.states[v]) for v in model.nodes()}
        self.inference = VariableElimination(model)
        for name, states in [
            ("mechanism", ["radicular", "referred", "other"]),
            ("sex", ["female", "male", "other"]),
        ]:
            if self.states.get(name) != states:
                raise Mismatch(f"{label}: {name} has states {self.states.get(name)}, not {states}")
        if "condition" not in self.states:
            raise Mismatch(f"{label}: no `condition` variable")
        for name, states in self.states.items():
            if name == "pain_score" or any(s.startswith("score_") for s in states):
                raise Mismatch(f"{label}: {name}: the engine's model does not read the pain score")
        self.roots = sorted(v for v in self.states if v.startswith("root__"))
        for root in self.roots:
            if self.states[root] != ["affected", "not_affected"]:
                raise Mismatch(f"{label}: {root} has states {self.states[root]}")
        self.age_bands = bands(self.states["age_band"], "age")
        self.duration_bands = bands(self.states["duration_band"], "days")
        self.queries = ["condition", "mechanism"] + self.roots

    def evidence(self, case):
        ev = {"age_band": band_of(int(case["age"]), self.age_bands, "age")}
        if case.get("sex") is not None:
            ev["sex"] = case["sex"]
        if case.get("symptom_duration_days") is not None:
            ev["duration_band"] = band_of(int(case["symptom_duration_days"]), self.duration_bands, "duration")
        for item in case.get("evidence") or []:
            if item["state"] not in ("present", "absent"):
                continue
            var = item["id"].replace(".", "__")
            if self.states.get(var) != ["present", "absent"]:
                raise Mismatch(f"{self.label}: finding {item['id']}: variable {var} missing or not present/absent")
            ev[var] = item["state"]
        return ev

    def query(self, evidence):
        """Every output's distribution, one exact query each."""
        out = {}
        for var in self.queries:
            factor = self.inference.query([var], evidence=evidence, show_progress=False)
            out[var] = dict(zip(factor.state_names[var], factor.values.tolist()))
        return out


def largest_difference(bn, assessment):
    """The largest absolute difference between the network's and the engine's probabilities;
    every condition, mechanism and root-and-side of each side must be there."""
    pairs = []
    conditions = {c["id"]: c["probability"] for c in assessment["conditions"]}
    if set(conditions) != set(bn["condition"]):
        raise Mismatch(f"conditions differ: {sorted(set(conditions) ^ set(bn['condition']))}")
    pairs += [(bn["condition"][c], p) for c, p in conditions.items()]
    if set(assessment["mechanism"]) != set(bn["mechanism"]):
        raise Mismatch("mechanisms differ")
    pairs += [(bn["mechanism"][m], p) for m, p in assessment["mechanism"].items()]
    roots = {f"root__{r['root']}__{r['side']}": r["probability"] for r in assessment["roots"]}
    if set(roots) != {v for v in bn if v.startswith("root__")}:
        raise Mismatch("roots differ")
    pairs += [(bn[v]["affected"], p) for v, p in roots.items()]
    return max(abs(a - b) for a, b in pairs)


def run_batch(binary, cases, extra=()):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for _, case in cases:
            f.write(json.dumps(case) + "\n")
        path = f.name
    start = time.perf_counter()
    done = subprocess.run(
        [binary, "batch", path, "--no-next-question", *extra], capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    Path(path).unlink()
    if done.returncode != 0:
        raise Mismatch(f"radiculo batch failed: {done.stderr.strip()}")
    return [json.loads(line) for line in done.stdout.splitlines()], elapsed


def negative_control(model, cases, engine, tolerance):
    """A copy of the network with P(pain present | region neural) of the first region finding a
    case answers present moved by 0.01 must give a difference above the tolerance for it."""
    for (where, case), assessment in zip(cases, engine):
        present = [
            i["id"].replace(".", "__")
            for i in case.get("evidence") or []
            if i["state"] == "present" and i["id"].startswith("pain.") and i["id"].count(".") == 2
        ]
        if present:
            break
    else:
        raise Mismatch("no case answers a region's pain present, for the negative control")
    changed = model.model.copy()
    cpd = changed.get_cpds(present[0]).copy()
    values = cpd.get_values()
    neural = cpd.state_names[cpd.variables[1]].index("neural")
    values[0, neural] += 0.01
    values[1, neural] -= 0.01
    cpd.values = values.reshape(cpd.values.shape)
    changed.remove_cpds(changed.get_cpds(present[0]))
    changed.add_cpds(cpd)
    control = Model(model.label + " (changed)", changed)
    diff = largest_difference(control.query(control.evidence(case)), assessment)
    if not diff > tolerance:
        raise Mismatch(f"negative control: a changed table gives a difference of {diff:.3g} only ({where})")
    print(f"negative control: P(present | neural) of {present[0]} + 0.01 gives a difference of {diff:.3g} ({where})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default="target/release/radiculo")
    parser.add_argument("--bif", required=True)
    parser.add_argument("--xmlbif", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-9)
    parser.add_argument("--repeat", type=int, default=50, help="times radiculo's timing run repeats the cases")
    parser.add_argument("cases", nargs="*", default=DEFAULT_CASES)
    args = parser.parse_args()

    cases = read_cases(args.cases)
    engine, _ = run_batch(args.bin, cases)
    if len(engine) != len(cases):
        raise Mismatch(f"{len(cases)} cases but {len(engine)} assessments")

    models = []
    for label, reader in [("BIF", BIFReader), ("XMLBIF", XMLBIFReader)]:
        path = args.bif if label == "BIF" else args.xmlbif
        start = time.perf_counter()
        model = reader(path).get_model()
        if not model.check_model():
            raise Mismatch(f"{label}: pgmpy's check_model fails")
        loaded = time.perf_counter() - start
        models.append(Model(label, model))
        print(f"{label}: {path} read in {loaded:.2f} s: {len(model.nodes())} variables, {len(model.edges())} edges")

    negative_control(models[0], cases, engine, args.tolerance)

    failed = False
    per_case = {}
    for model in models:
        worst, where = 0.0, None
        start = time.perf_counter()
        for (name, case), assessment in zip(cases, engine):
            diff = largest_difference(model.query(model.evidence(case)), assessment)
            if diff > worst:
                worst, where = diff, name
        per_case[model.label] = (time.perf_counter() - start) / len(cases)
        ok = worst < args.tolerance
        failed |= not ok
        print(
            f"{model.label}: {len(cases)} cases, largest difference {worst:.3g}"
            f"{f' ({where})' if where else ''}: {'ok' if ok else 'ABOVE'} the tolerance {args.tolerance:g}"
        )

    # radiculo's time per case: the same cases, repeated, one thread, compact output, no next
    # question (the assessment's probabilities, triage, explanation and plan), less the time of
    # a run on no case (the process's start and the knowledge base's loading), the best of 3.
    timing = ["--compact", "--threads", "1"]
    start_up = min(run_batch(args.bin, [], timing)[1] for _ in range(3))
    repeated = cases * args.repeat
    elapsed = min(run_batch(args.bin, repeated, timing)[1] for _ in range(3))
    radiculo = (elapsed - start_up) / len(repeated)
    print(
        f"radiculo batch: {radiculo * 1e6:.1f} µs per case ({len(repeated)} cases, one thread, "
        f"best of 3, less {start_up * 1e3:.0f} ms of start-up)"
    )
    for label, seconds in per_case.items():
        print(
            f"pgmpy ({label}): {seconds * 1e3:.1f} ms per case ({len(models[0].queries)} queries each); "
            f"{seconds / radiculo:.0f} times radiculo's"
        )
    if failed:
        print("bn-check: FAILED: the network's probabilities differ from the engine's", file=sys.stderr)
        return 1
    print(f"bn-check: ok: {len(cases)} cases, both readers, largest difference under {args.tolerance:g}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Mismatch as e:
        print(f"bn-check: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
