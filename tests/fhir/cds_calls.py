#!/usr/bin/env python3
"""Calls a running radiculo's CDS Hooks service and writes what went each way, for validate.py.

    cds_calls.py BASE_URL API_KEY CASES.jsonl OUT_DIR

For each contract case in CASES.jsonl (a line is a case, or a labelled case with `case`), it
writes a `patient-view` request as an EHR would send it (the Patient, with a birth date that
gives the case's age today, and a searchset Bundle with an Observation per answer, in the shape
radiculo's results Bundle writes), POSTs it to BASE_URL/cds-services/radiculo-triage, and
answers each card with feedback POSTed to .../feedback with API_KEY. Into OUT_DIR, as JSON
Lines: discovery.jsonl (GET /cds-services), request.jsonl, response.jsonl, feedback.jsonl. Then
three calls that are not assessments: a Patient without a birth date (one `info` card), findings
`null` (no card) and no findings key (412). It exits 1 when a call does not answer as that, and
prints how many documents of each kind it wrote. Standard library only.
"""

import datetime
import json
import sys
import urllib.request
import uuid
from pathlib import Path

FINDING = "https://w3id.org/radiculo/fhir/CodeSystem/radiculo-finding"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


def call(method, url, body=None, key=None):
    headers = {"accept": "application/json"}
    data = None
    if body is not None:
        headers["content-type"] = "application/json"
        data = json.dumps(body).encode()
    if key:
        headers["authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def observation(patient_id, code, value, exam=False):
    o = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "exam" if exam else "survey"}]}],
        "code": {"coding": [{"system": FINDING, "code": code}], "text": code},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": "2026-12-01T10:00:00Z",
    }
    o.update(value)
    return o


def request_for(case, n):
    patient_id = f"p{n}"
    entries = []
    for e in case.get("evidence", []):
        if e["state"] == "unknown":
            value = {"dataAbsentReason": {"coding": [{"system": DATA_ABSENT_REASON, "code": "asked-unknown", "display": "Asked But Unknown"}]}}
        else:
            value = {"valueBoolean": e["state"] == "present"}
        entries.append(observation(patient_id, e["id"], value))
    for field in ("symptom_duration_days", "pain_score"):
        if case.get(field) is not None:
            entries.append(observation(patient_id, field, {"valueInteger": case[field]}))
    year = datetime.date.today().year - case["age"]
    patient = {"resourceType": "Patient", "id": patient_id, "birthDate": f"{year}-01-01"}
    if case.get("sex"):
        patient["gender"] = case["sex"]
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "https://ehr.example.org/fhir",
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
        "prefetch": {
            "patient": patient,
            "findings": {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(entries),
                "entry": [
                    {"fullUrl": f"https://ehr.example.org/fhir/Observation/{patient_id}-{i}", "resource": dict(r, id=f"{patient_id}-{i}"), "search": {"mode": "match"}}
                    for i, r in enumerate(entries)
                ],
            },
        },
    }


def main():
    base, key, cases_file, out = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    written = {kind: [] for kind in ("discovery", "request", "response", "feedback")}
    status, discovery = call("GET", f"{base}/cds-services")
    if status != 200:
        failed.append(f"GET /cds-services answered {status}: {discovery}")
    else:
        written["discovery"].append(discovery)
    lines = [line for line in Path(cases_file).read_text().splitlines() if line.strip()]
    for n, line in enumerate(lines):
        case = json.loads(line)
        case = case.get("case", case)
        request = request_for(case, n)
        written["request"].append(request)
        status, response = call("POST", f"{base}/cds-services/radiculo-triage", request)
        if status != 200 or len(response.get("cards", [])) != 1:
            failed.append(f"{case.get('id', n)}: answered {status}: {response}")
            continue
        written["response"].append(response)
        card = response["cards"][0]
        # radiculo's cards have no suggestions, and CDS Hooks asks `accepted` feedback to name
        # the suggestions accepted: a client reports them overridden, with or without a reason.
        item = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-05T10:05:31Z"}
        if n % 2:
            item["overrideReason"] = {"userComment": "seen in clinic"}
        elif n % 3:
            item["overrideReason"] = {"reason": {"system": "http://example.org/override-reasons", "code": "already-referred", "display": "Already referred"}}
        feedback = {"feedback": [item]}
        written["feedback"].append(feedback)
        status, stored = call("POST", f"{base}/cds-services/radiculo-triage/feedback", feedback, key)
        if status != 200:
            failed.append(f"{case.get('id', n)}: feedback answered {status}: {stored}")
    # The answers that are not an assessment: findings without an age (an info card that says
    # so), no findings at all (no card), and no findings key (412: radiculo cannot fetch them).
    first = json.loads(lines[0])
    request = request_for(first.get("case", first), len(lines))
    del request["prefetch"]["patient"]["birthDate"]
    written["request"].append(request)
    status, response = call("POST", f"{base}/cds-services/radiculo-triage", request)
    if status == 200 and [c["indicator"] for c in response.get("cards", [])] == ["info"]:
        written["response"].append(response)
    else:
        failed.append(f"without a birth date: answered {status}: {response}")
    request = dict(request, prefetch=dict(request["prefetch"], findings=None))
    written["request"].append(request)
    status, response = call("POST", f"{base}/cds-services/radiculo-triage", request)
    if status == 200 and response.get("cards") == []:
        written["response"].append(response)
    else:
        failed.append(f"without findings: answered {status}: {response}")
    request = dict(request, prefetch={"patient": request["prefetch"]["patient"]})
    status, response = call("POST", f"{base}/cds-services/radiculo-triage", request)
    if status != 412:
        failed.append(f"without the findings key: answered {status}, not 412: {response}")
    for kind, documents in written.items():
        with open(out / f"{kind}.jsonl", "w") as f:
            for d in documents:
                f.write(json.dumps(d) + "\n")
    print(", ".join(f"{len(d)} {kind}" for kind, d in written.items()))
    for failure in failed[:10]:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
