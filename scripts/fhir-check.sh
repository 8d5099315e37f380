#!/usr/bin/env bash
# The FHIR R4 resources radiculo writes, checked by an independent library: the Python
# `fhir.resources` models (6.4.0 for R4 4.0.1; 8.3.0's R4B models as a second opinion), plus
# the checks of tests/fhir/validate.py that the models do not make (see tests/fhir/README.md).
# Run by scripts/test.sh after the build; on its own, after `cargo build --release`:
#   scripts/fhir-check.sh
# It installs the checkers into virtualenvs under target/ (scripts/fhir-venv.sh), runs their
# self-test (every check shown able to fail), then writes every definition with the CLI and
# validates each one with both model versions; then does the same for every labelled case's
# QuestionnaireResponse and results Bundles. Then the CDS Hooks documents: it starts
# `radiculo serve` (scripts/lib-server.sh), calls the CDS service for every labelled case
# (tests/fhir/cds_calls.py: a patient-view request as an EHR would send it, the card, feedback
# about it stored with a key) and checks the discovery response and each request, response and
# feedback request against tests/fhir/cds-hooks/*.schema.json (validate.py --cds). Last, with
# the same server and key, an episode of a worsening course read as FHIR
# (/fhir/EpisodeOfCare/{id}: a Bundle with a results Bundle per assessment) is validated whole.
#
# Environment:
#   RADICULO_BIN  the binary to test (default target/release/radiculo)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly bin=${RADICULO_BIN:-target/release/radiculo}
die() {
  printf '\n!!! fhir-check.sh: %s !!!\n' "$*" >&2
  exit 1
}
[ -x "$bin" ] || die "$bin is missing: run \`cargo build --release\` first"

FHIR_VENV_QUIET=1 scripts/fhir-venv.sh >/dev/null || die "cannot install the FHIR checkers"
readonly r4=target/fhir-venv/bin/python
readonly r4b=target/fhir-r4b-venv/bin/python

echo "the checkers' self-test"
"$r4" tests/fhir/test_validate.py 2>&1 | tail -n 1

# $tmp (removed on exit) and, for the CDS Hooks documents, a server of its own.
# shellcheck source=scripts/lib-server.sh
. scripts/lib-server.sh

# Every definition, one JSON document a line.
one_line() { python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))'; }
{
  "$bin" fhir questionnaire | one_line
  "$bin" fhir capability | one_line
  for id in radiculo-finding radiculo-condition radiculo-triage-level radiculo-red-flag radiculo-nerve-root; do
    "$bin" fhir code-system "$id" | one_line
    "$bin" fhir value-set "$id" | one_line
  done
  "$bin" fhir operation-definition radiculo-assess | one_line
} >"$tmp/definitions.jsonl"

# Every labelled and published case and the example: its answers as a completed
# QuestionnaireResponse, the results Bundle of `$assess` on that response (which carries the
# response and a Patient), and the Bundle of `assess --format fhir` on the whole case (which
# carries its examination findings too).
mkdir "$tmp/cases"
python3 - "$tmp/cases" eval/cases.jsonl eval/published.jsonl <<'PY'
import json, sys
out = sys.argv[1]
n = 0
for path in sys.argv[2:]:
    for line in open(path):
        if line.strip():
            n += 1
            json.dump(json.loads(line)["case"], open(f"{out}/{n:04}.json", "w"))
PY
cp examples/contract-example.json "$tmp/cases/example.json"
for case in "$tmp"/cases/*.json; do
  "$bin" fhir response "$case" >"$tmp/response.json"
  one_line <"$tmp/response.json" >>"$tmp/responses.jsonl"
  "$bin" fhir assess "$tmp/response.json" | one_line >>"$tmp/assessed-responses.jsonl"
  "$bin" assess --format fhir "$case" | one_line >>"$tmp/case-bundles.jsonl"
done
rm "$tmp/response.json"

# Adaptive interviews (`fhir next-question`, as POST /fhir/Questionnaire/$next-question): a
# person with left sciatica, one with cauda equina symptoms (an emergency) and a clinician
# (through Parameters, `mode` clinician) answer each question appended until the response is
# completed; every response on the way is checked, and the completed ones go to `fhir assess`.
adaptive() {
  python3 - "$bin" "$1" <<'PY'
import json, subprocess, sys
binary, person = sys.argv[1], json.loads(sys.argv[2])
def answer(item):
    link = item["linkId"]
    if item["type"] == "group":
        nested = [a for a in map(answer, item.get("item", [])) if a]
        return {"linkId": link, "item": nested} if nested else None
    number = {"age": "age", "symptom_duration_days": "days", "pain_score": "pain"}.get(link)
    if number:
        return {"linkId": link, "answer": [{"valueInteger": person[number]}]}
    if link == "sex":
        coding = {"system": "http://hl7.org/fhir/administrative-gender", "code": person["sex"]}
    else:
        code = "Y" if link in person["yes"] else "N"
        coding = {"system": "http://terminology.hl7.org/CodeSystem/v2-0136", "code": code}
    return {"linkId": link, "answer": [{"valueCoding": coding}]}
response = {"resourceType": "QuestionnaireResponse", "status": "in-progress",
            "authored": "2026-12-05T10:00:00Z"}
for _ in range(200):
    body = response
    if person.get("mode"):
        body = {"resourceType": "Parameters", "parameter": [
            {"name": "questionnaire-response", "resource": response},
            {"name": "mode", "valueCode": person["mode"]}]}
    out = subprocess.run([binary, "fhir", "next-question"], input=json.dumps(body),
                         capture_output=True, text=True, check=True)
    response = json.loads(out.stdout)
    print(json.dumps(response))
    if response["status"] == "completed":
        break
    reply = answer(response["contained"][0]["item"][-1])
    if reply:
        response.setdefault("item", []).append(reply)
else:
    sys.exit("the adaptive interview did not end")
PY
}
{
  adaptive '{"age": 47, "sex": "male", "days": 20, "pain": 6, "yes": ["pain.low_back", "pain.buttock.left", "pain.calf.left", "leg_pain_worse_than_back"]}'
  adaptive '{"age": 52, "sex": "female", "days": 2, "pain": 8, "yes": ["pain.low_back", "numbness.saddle", "urinary_retention"]}'
  adaptive '{"age": 47, "sex": "male", "days": 20, "pain": 6, "mode": "clinician", "yes": ["pain.low_back", "pain.calf.left", "leg_pain_worse_than_back", "slr.left", "weakness.ankle_dorsiflexion.left"]}'
} >"$tmp/adaptive.jsonl" || die "an adaptive interview failed"
grep -c '"status": "completed"' "$tmp/adaptive.jsonl" | grep -qx 3 || die "not every adaptive interview completed"
grep '"status": "completed"' "$tmp/adaptive.jsonl" | while read -r completed; do
  "$bin" fhir assess - <<<"$completed" | one_line
done >"$tmp/adaptive-assessed.jsonl"

for file in "$tmp"/*.jsonl; do
  name=$(basename "$file")
  echo "$name: $(wc -l <"$file") resources, FHIR R4 (fhir.resources 6.4.0), then R4B (8.3.0)"
  out=$("$r4" tests/fhir/validate.py "$file") || { grep -v '^ok ' <<<"$out"; die "$name is not valid FHIR R4"; }
  out=$("$r4b" tests/fhir/validate.py --r4b "$file") || { grep -v '^ok ' <<<"$out"; die "$name fails the R4B models"; }
done
echo "every FHIR resource is valid"

# CDS Hooks: the running server's discovery and cards, the requests an EHR sends and the
# feedback about each card, each checked against the CDS Hooks 2.0 schemas.
start_server
secret=$("$abs_bin" keys create --tenant "fhir-check-$$" --database-url "$database_url" 2>/dev/null \
  | awk '$1 == "secret:" { print $2 }')
[ -n "$secret" ] || die "radiculo keys create printed no secret"
python3 tests/fhir/cds_calls.py "http://127.0.0.1:$port" "$secret" eval/cases.jsonl "$tmp/cds" \
  || die "the CDS Hooks service did not answer every call"
for kind in discovery request response feedback; do
  file="$tmp/cds/$kind.jsonl"
  [ -s "$file" ] || die "no CDS Hooks $kind documents were written"
  echo "cds $kind: $(wc -l <"$file") documents, CDS Hooks 2.0 schema"
  out=$("$r4" tests/fhir/validate.py --cds "$kind" "$file") || { grep -v '^ok ' <<<"$out"; die "a CDS Hooks $kind document is not valid"; }
done
echo "every CDS Hooks document is valid"

# An episode as FHIR (GET /fhir/EpisodeOfCare/{id}): a course getting worse (left L5 radicular
# pain, then a new weakness, then urinary retention) posted to an episode with the key above,
# read back as one Bundle (the EpisodeOfCare, each assessment's results Bundle, a
# DetectedIssue per alert), its shape checked, then the whole Bundle, nested Bundles entry by
# entry, and the 404 for an unknown episode validated with both model versions.
python3 - "http://127.0.0.1:$port" "$secret" "$tmp/episode" <<'PY' || die "the episode could not be read as FHIR"
import json, sys, urllib.error, urllib.request
base, key, out = sys.argv[1:]
def call(method, path, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), json.load(e)
def visit(days, pain, extra):
    evidence = [{"id": i, "state": "present"} for i in
                ["pain.lateral_leg.left", "numbness.dorsum_foot.left", "slr.left", *extra]]
    evidence.append({"id": "cough_sneeze_strain_worse", "state": "unknown"})
    return {"age": 44, "sex": "male", "symptom_duration_days": days, "pain_score": pain, "evidence": evidence}
status, _, episode = call("POST", "/v1/episodes", {"subject": "fhir-check-subject-1"})
assert status == 201, (status, episode)
course = [visit(10, 7, []), visit(20, 7, ["weakness.great_toe_extension.left"]),
          visit(30, 8, ["weakness.great_toe_extension.left", "urinary_retention"])]
for case in course:
    status, _, record = call("POST", f"/v1/episodes/{episode['id']}/assessments", case)
    assert status == 201, (status, record)
status, media, bundle = call("GET", f"/fhir/EpisodeOfCare/{episode['id']}")
assert (status, media) == (200, "application/fhir+json"), (status, media, bundle)
kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
assert bundle["type"] == "collection" and kinds[0] == "EpisodeOfCare", kinds
assert kinds[1:1 + len(course)] == ["Bundle"] * len(course), kinds
issues = kinds[1 + len(course):]
assert issues and set(issues) == {"DetectedIssue"}, kinds
assert bundle["entry"][0]["resource"]["patient"] == {"type": "Patient", "identifier": {"value": "fhir-check-subject-1"}}
json.dump(bundle, open(f"{out}.json", "w"))
status, media, outcome = call("GET", "/fhir/EpisodeOfCare/00000000-0000-4000-8000-000000000000")
assert (status, media, outcome["resourceType"]) == (404, "application/fhir+json", "OperationOutcome"), (status, outcome)
json.dump(outcome, open(f"{out}-not-found.json", "w"))
print(f"episode: an EpisodeOfCare, {len(course)} results Bundles, {len(issues)} DetectedIssues")
PY
stop_server
for file in "$tmp/episode.json" "$tmp/episode-not-found.json"; do
  name=$(basename "$file")
  echo "$name: FHIR R4 (fhir.resources 6.4.0), then R4B (8.3.0)"
  out=$("$r4" tests/fhir/validate.py "$file") || { grep -v '^ok ' <<<"$out"; die "$name is not valid FHIR R4"; }
  out=$("$r4b" tests/fhir/validate.py --r4b "$file") || { grep -v '^ok ' <<<"$out"; die "$name fails the R4B models"; }
done
echo "the episode's Bundle is valid"
