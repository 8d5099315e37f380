#!/usr/bin/env python3
"""Self-test of validate.py: every check is shown passing a good example and failing a bad one.

    target/fhir-venv/bin/python tests/fhir/test_validate.py

Plain unittest. The R4B cases run validate.py --r4b with target/fhir-r4b-venv/bin/python and
are skipped when that virtualenv is missing (scripts/fhir-venv.sh makes both).
"""

import copy
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import validate  # noqa: E402

R4B_PYTHON = ROOT / "target" / "fhir-r4b-venv" / "bin" / "python"
SPEC_COMMIT = "9eb3da2ae1c06d96f67e4c290d98a3514cfb7d93"

U1 = "urn:uuid:6a1c7c1e-3b0a-4e43-9d56-0c2f1f7a9f01"
U2 = "urn:uuid:6a1c7c1e-3b0a-4e43-9d56-0c2f1f7a9f02"
U3 = "urn:uuid:6a1c7c1e-3b0a-4e43-9d56-0c2f1f7a9f03"

OBSERVATION = {
    "resourceType": "Observation",
    "id": "odi-1",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "72133-2"}], "text": "Oswestry Disability Index"},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2024-03-01T10:00:00Z",
    "valueQuantity": {"value": 42.5, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
}

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-05-01", "active": True}


def bundle(*entries, type_="collection"):
    return {
        "resourceType": "Bundle",
        "id": "b1",
        "type": type_,
        "entry": [{"fullUrl": url, "resource": res} for url, res in entries],
    }


def with_subject(resource, reference):
    resource = copy.deepcopy(resource)
    resource["subject"] = {"reference": reference}
    return resource


def card(**changes):
    c = {
        "uuid": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
        "summary": "Consider conservative care for 6 weeks before imaging",
        "indicator": "info",
        "detail": "No red flags were reported.",
        "source": {
            "label": "radiculo",
            "url": "https://example.org/radiculo",
            "topic": {"system": "http://example.org/topics", "code": "sciatica"},
        },
        "links": [{"label": "Guideline", "url": "https://example.org/guideline", "type": "absolute"}],
    }
    c.update(changes)
    return {k: v for k, v in c.items() if v is not None}


def suggestion(resource=None, **changes):
    s = {
        "label": "Record the risk assessment",
        "uuid": "e56e1945-20b3-4393-8503-a1a20fd73152",
        "actions": [
            {
                "type": "create",
                "description": "Create a RiskAssessment",
                "resource": resource
                or {
                    "resourceType": "RiskAssessment",
                    "id": "ra-1",
                    "status": "final",
                    "subject": {"reference": "Patient/p1"},
                    "prediction": [{"outcome": {"text": "persistent pain at 12 months"}, "probabilityDecimal": 0.2}],
                },
            }
        ],
    }
    s.update(changes)
    return s


DISCOVERY = {
    "services": [
        {
            "hook": "patient-view",
            "title": "Radiculopathy triage",
            "description": "Triage of back-related leg pain",
            "id": "radiculo-triage",
            "prefetch": {
                "patient": "Patient/{{context.patientId}}",
                "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
                "user": "Practitioner/{{userPractitionerId}}",
            },
        },
        {
            "hook": "order-sign",
            "description": "Imaging appropriateness",
            "id": "radiculo-imaging",
            "usageRequirements": "Needs prefetch of the patient.",
            "extension": {"org.example.tier": "gold"},
        },
    ]
}

REQUEST = {
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "https://fhir.example.org",
    "hook": "patient-view",
    "fhirAuthorization": {
        "access_token": "some-opaque-fhir-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Observation.read",
        "subject": "cds-service4",
    },
    "context": {"userId": "Practitioner/example", "patientId": "p1"},
    "prefetch": {"patient": PATIENT, "conditions": None},
}

FEEDBACK = {
    "feedback": [
        {
            "card": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
            "outcome": "accepted",
            "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
            "outcomeTimestamp": "2021-12-11T10:05:31Z",
        },
        {
            "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
            "outcome": "overridden",
            "overrideReason": {
                "reason": {"code": "d7ecf885", "system": "https://example.com/cds-hooks/override-reason-system"},
                "userComment": "A comment entered by the clinician.",
            },
            "outcomeTimestamp": "2020-12-11T00:00:00Z",
        },
    ]
}


class FhirChecks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = validate.Fhir()

    def errors(self, resource):
        return self.fhir.errors(resource)

    def assertFails(self, resource, *fragments):
        errors = self.errors(resource)
        self.assertTrue(errors, f"expected a failure for {json.dumps(resource)[:200]}")
        text = "; ".join(errors)
        for fragment in fragments:
            self.assertIn(fragment, text)
        return text

    # the models
    def test_valid_observation(self):
        self.assertEqual(self.errors(OBSERVATION), [])

    def test_fhir_resources_6_4_0_rejects_extra_fields_itself(self):
        import fhir.resources
        import pydantic
        from fhir.resources.observation import Observation

        self.assertEqual(fhir.resources.__version__, "6.4.0")
        self.assertTrue(pydantic.VERSION.startswith("1."))
        with self.assertRaises(pydantic.ValidationError) as caught:
            Observation.parse_obj(dict(OBSERVATION, foo=1))
        self.assertIn("extra fields not permitted", str(caught.exception))

    def test_unknown_key(self):
        self.assertFails(dict(OBSERVATION, foo=1), "foo: extra fields not permitted")

    def test_unknown_nested_key(self):
        bad = copy.deepcopy(OBSERVATION)
        bad["code"]["coding"][0]["colour"] = "red"
        self.assertFails(bad, "code.coding[0].colour: extra fields not permitted")

    def test_missing_required_element(self):
        self.assertFails({k: v for k, v in OBSERVATION.items() if k != "status"}, "status")

    def test_two_choice_values(self):
        self.assertFails(dict(OBSERVATION, valueString="x"), "valueQuantity")

    def test_bad_date(self):
        self.assertFails(dict(OBSERVATION, effectiveDateTime="2024-13-45"), "effectiveDateTime")

    def test_unknown_resource_type(self):
        self.assertFails({"resourceType": "Observaton", "status": "final"}, "resourceType: unknown resourceType")
        self.assertFails({"resourceType": "Coding", "code": "x"}, "unknown resourceType 'Coding'")

    def test_bundle_entry_resource_is_validated(self):
        self.assertFails(bundle((U1, dict(PATIENT, foo=1))), "entry[0].resource.foo: extra fields not permitted")

    def test_bundle_entry_unknown_resource_type(self):
        self.assertFails(bundle((U1, {"resourceType": "Nope"})), "entry[0].resource.resourceType: unknown resourceType")

    def test_contained_resource_is_validated(self):
        bad = dict(OBSERVATION, contained=[dict(PATIENT, foo=1)], subject={"reference": "#p1"})
        self.assertFails(bad, "contained[0].foo: extra fields not permitted")

    # JSON rules
    def test_null_empty_string_array_object(self):
        self.assertFails(dict(OBSERVATION, issued=None), "issued: null is not allowed")
        self.assertFails(dict(OBSERVATION, valueQuantity={"value": 1, "unit": ""}), "valueQuantity.unit: empty string")
        self.assertFails(dict(OBSERVATION, category=[]), "category: empty array")
        self.assertFails(dict(OBSERVATION, valueQuantity={}), "valueQuantity: empty object")

    def test_null_allowed_in_paired_primitive_array(self):
        patient = dict(
            PATIENT,
            name=[{"given": ["Jane", "Q"], "_given": [None, {"extension": [{"url": "http://example.org/x", "valueString": "i"}]}]}],
        )
        self.assertEqual(self.errors(patient), [])
        patient["name"][0]["given"] = ["Jane", None]
        patient["name"][0]["_given"] = [None, None]
        self.assertEqual(self.errors(patient), [])  # aligned nulls: legal JSON, nothing coerced
        del patient["name"][0]["_given"]
        self.assertFails(patient, "name[0].given[1]: null is not allowed")

    def test_names_the_models_accept_but_fhir_json_has_not(self):
        self.assertFails(dict(PATIENT, fhir_comments=["x"]), "fhir_comments: not an element")
        self.assertFails(dict(PATIENT, gender__ext={"extension": [{"url": "http://e.org/x", "valueString": "y"}]}),
                         "gender__ext: dropped by the model")
        self.assertFails(dict(PATIENT, resource_type="Patient"), "resource_type: dropped by the model")

    def test_json_types_not_coerced(self):
        self.assertFails(dict(PATIENT, active="true"), "active: JSON string 'true' where FHIR has a boolean")
        self.assertFails(dict(OBSERVATION, valueQuantity={"value": "1.5"}), "valueQuantity.value: JSON string")
        self.assertFails(dict(PATIENT, id=12), "id")

    def test_codes_from_complete_lists(self):
        self.assertFails(dict(PATIENT, gender="f"), "gender: code 'f' is not one of")
        self.assertFails(bundle((U1, PATIENT), type_="heap"), "type: code 'heap'")
        self.assertEqual(self.errors(dict(PATIENT, gender="unknown")), [])

    def test_duplicate_json_key(self):
        with self.assertRaises(validate.InputError):
            validate.loads('{"resourceType": "Patient", "gender": "male", "gender": "female"}')

    # Bundles
    def test_bundle_with_resolved_urn_uuid_references(self):
        good = bundle((U1, PATIENT), (U2, with_subject(OBSERVATION, U1)))
        self.assertEqual(self.errors(good), [])

    def test_bundle_dangling_urn_uuid_reference(self):
        bad = bundle((U1, PATIENT), (U2, with_subject(OBSERVATION, U3)))
        self.assertFails(bad, f"entry[1].resource.subject.reference: reference '{U3}' does not resolve")

    def test_bundle_dangling_reference_inside_contained(self):
        obs = dict(OBSERVATION, contained=[dict(PATIENT, id="c1", link=[{"other": {"reference": U3}, "type": "seealso"}])])
        obs["subject"] = {"reference": "#c1"}
        self.assertFails(bundle((U2, obs)), "entry[0].resource.contained[0].link[0].other.reference")

    def test_bundle_duplicate_full_urls(self):
        bad = bundle((U1, PATIENT), (U1, OBSERVATION))
        self.assertFails(bad, f"entry[1].fullUrl: duplicate fullUrl '{U1}' (also entry[0])")

    def test_bundle_malformed_urn_uuid(self):
        self.assertFails(bundle(("urn:uuid:1234", PATIENT)), "entry[0].fullUrl: 'urn:uuid:1234' is not a urn:uuid:")

    def test_nested_bundle_resolves_against_outer(self):
        inner = bundle((U3, with_subject(OBSERVATION, U1)))
        inner["id"] = "inner"
        self.assertEqual(self.errors(bundle((U1, PATIENT), (U2, inner))), [])
        inner["entry"][0]["resource"] = with_subject(OBSERVATION, "urn:uuid:00000000-0000-4000-8000-000000000000")
        self.assertFails(bundle((U1, PATIENT), (U2, inner)), "entry[1].resource.entry[0].resource.subject.reference")

    def test_nested_bundle_entries_are_checked_entry_by_entry(self):
        # An episode's Bundle holds each assessment's results Bundle: every entry of a nested
        # Bundle goes through its own model and every check above, with the nested path.
        def episode(inner_resource, inner_url=U3):
            inner = bundle((inner_url, inner_resource))
            inner["id"] = "inner"
            return bundle((U1, PATIENT), (U2, inner))

        self.assertEqual(self.errors(episode(with_subject(OBSERVATION, U1))), [])
        self.assertFails(episode(dict(OBSERVATION, foo=1)), "entry[1].resource.entry[0].resource.foo: extra fields not permitted")
        self.assertFails(episode({k: v for k, v in OBSERVATION.items() if k != "status"}),
                         "entry[1].resource.entry[0].resource.status")
        self.assertFails(episode(dict(PATIENT, gender="f")), "entry[1].resource.entry[0].resource.gender: code 'f'")
        self.assertFails(episode(dict(PATIENT, active="true")), "entry[1].resource.entry[0].resource.active: JSON string")
        self.assertFails(episode(dict(PATIENT, id="")), "entry[1].resource.entry[0].resource.id: empty string")
        self.assertFails(episode(PATIENT, inner_url="urn:uuid:1234"), "entry[1].resource.entry[0].fullUrl")
        # The outer Bundle's entries do not see into a nested one, nor one nested Bundle into
        # its sibling: only the enclosing Bundles' fullUrls are known inside.
        self.assertFails(bundle((U1, with_subject(OBSERVATION, U3)), (U2, bundle((U3, PATIENT)))),
                         f"entry[0].resource.subject.reference: reference '{U3}' does not resolve")
        sibling = bundle((U1, bundle((U3, PATIENT))), (U2, bundle((U3.replace("f03", "f04"), with_subject(OBSERVATION, U3)))))
        self.assertFails(sibling, f"entry[1].resource.entry[0].resource.subject.reference: reference '{U3}' does not resolve")

    # contained
    def test_contained_reference_resolves(self):
        qr = {
            "resourceType": "QuestionnaireResponse",
            "status": "in-progress",
            "questionnaire": "#q",
            "contained": [{"resourceType": "Questionnaire", "id": "q", "status": "active"}],
        }
        self.assertEqual(self.errors(qr), [])
        self.assertFails(dict(OBSERVATION, subject={"reference": "#nobody"}), "subject.reference: reference '#nobody' does not resolve")

    def test_contained_must_be_referred_to(self):
        bad = dict(OBSERVATION, contained=[dict(PATIENT, id="c1")])
        self.assertFails(bad, "contained[0]: contained resource 'c1' is not referred to from its container (dom-3)")


class Cli(unittest.TestCase):
    def run_cli(self, *args, stdin=None, python=None):
        cmd = [str(python or sys.executable), str(HERE / "validate.py"), *args]
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)

    def test_json_lines_and_exit_code(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "out.jsonl"
            path.write_text("\n".join(json.dumps(r) for r in (OBSERVATION, dict(OBSERVATION, foo=1), PATIENT)) + "\n")
            result = self.run_cli(str(path))
        lines = result.stdout.splitlines()
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(lines[0], "ok Observation odi-1")
        self.assertTrue(lines[1].startswith(f"FAIL {path}:2 Observation: foo: extra fields not permitted"), lines[1])
        self.assertEqual(lines[2], "ok Patient p1")

    def test_pretty_json_from_stdin(self):
        result = self.run_cli("-", stdin=json.dumps(bundle((U1, PATIENT)), indent=2))
        self.assertEqual((result.returncode, result.stdout), (0, "ok Bundle b1\n"), result.stderr)
        result = self.run_cli("-", stdin="\n\n{\"resourceType\": \"Patient\", \"gender\": 1, \"gender\": 2}\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn("FAIL -:3 -: duplicate JSON key 'gender'", result.stdout)

    def test_cds_cli(self):
        doc = {"cards": [card(suggestions=[suggestion()], selectionBehavior="at-most-one")]}
        result = self.run_cli("--cds", "response", "-", stdin=json.dumps(doc))
        self.assertEqual((result.returncode, result.stdout), (0, "ok cds-response -\nok RiskAssessment ra-1\n"), result.stderr)
        result = self.run_cli("--cds", "request", "-", stdin=json.dumps(REQUEST))
        self.assertEqual(result.stdout, f"ok cds-request {REQUEST['hookInstance']}\nok Patient p1\n")
        result = self.run_cli("--cds", "response", "-", stdin=json.dumps({"cards": [card(indicator="hard-stop")]}))
        self.assertEqual(result.returncode, 1)
        self.assertTrue(result.stdout.startswith("FAIL -:1 cds-response: cards[0].indicator: 'hard-stop' is not one of"), result.stdout)

    def test_usage_error(self):
        self.assertEqual(self.run_cli("--cds", "nope", "x.json").returncode, 2)

    @unittest.skipUnless(R4B_PYTHON.exists(), "target/fhir-r4b-venv is missing (run scripts/fhir-venv.sh)")
    def test_r4b_models(self):
        good = bundle((U1, PATIENT), (U2, with_subject(OBSERVATION, U1)))
        bad = bundle((U1, PATIENT), (U2, with_subject(dict(OBSERVATION, foo=1), U3)))
        stdin = json.dumps(good) + "\n" + json.dumps(bad) + "\n" + json.dumps(dict(PATIENT, active="yes")) + "\n"
        result = self.run_cli("--r4b", "-", stdin=stdin, python=R4B_PYTHON)
        lines = result.stdout.splitlines()
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(lines[0], "ok Bundle b1")
        self.assertIn("entry[1].resource.foo: Extra inputs are not permitted", lines[1])
        self.assertIn(f"reference '{U3}' does not resolve", lines[1])
        self.assertTrue(lines[2].startswith("FAIL -:3 Patient: active"), lines[2])
        probe = "import fhir.resources.R4B.patient as m, fhir.resources; print(fhir.resources.__version__)"
        version = subprocess.run([str(R4B_PYTHON), "-c", probe], capture_output=True, text=True, check=True)
        self.assertEqual(version.stdout.strip(), "8.3.0")


class CdsChecks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fhir = validate.Fhir()
        cls.cds = {kind: validate.Cds(kind, fhir) for kind in validate.CDS_KINDS}

    def errors(self, kind, doc):
        return self.cds[kind].errors(doc)[0]

    def assertValid(self, kind, doc):
        self.assertEqual(self.errors(kind, doc), [])

    def assertFails(self, kind, doc, *fragments):
        errors = self.errors(kind, doc)
        self.assertTrue(errors, f"expected a failure for {json.dumps(doc)[:300]}")
        text = "; ".join(errors)
        for fragment in fragments:
            self.assertIn(fragment, text)

    def test_schemas_are_draft_2020_12_and_cite_the_spec(self):
        import jsonschema

        for kind in validate.CDS_KINDS:
            schema = json.loads((validate.SCHEMA_DIR / f"{kind}.schema.json").read_text())
            self.assertEqual(schema["$schema"], "https://json-schema.org/draft/2020-12/schema")
            jsonschema.Draft202012Validator.check_schema(schema)
            self.assertIn(SPEC_COMMIT, schema["$comment"])

    # response
    def test_valid_response(self):
        self.assertValid("response", {"cards": []})
        self.assertValid(
            "response",
            {
                "cards": [
                    card(suggestions=[suggestion(isRecommended=True)], selectionBehavior="at-most-one",
                         overrideReasons=[{"code": "refused", "system": "http://example.org/override", "display": "Patient refused"}]),
                    card(uuid=None, indicator="critical", links=[
                        {"label": "App", "url": "https://smart.example.org/launch", "type": "smart", "appContext": "{\"a\":1}"}
                    ]),
                ],
                "systemActions": [{"type": "delete", "description": "Remove the order", "resourceId": "ServiceRequest/sr-1"}],
                "extension": {"org.example.trace": "abc"},
            },
        )

    def test_summary_length(self):
        self.assertValid("response", {"cards": [card(summary="x" * 139)]})
        self.assertValid("response", {"cards": [card(summary="é" * 139)]})  # characters, not bytes
        self.assertFails("response", {"cards": [card(summary="x" * 140)]}, "cards[0].summary", "is too long")
        self.assertFails("response", {"cards": [card(summary="")]}, "cards[0].summary")

    def test_bad_indicator(self):
        self.assertFails("response", {"cards": [card(indicator="hard-stop")]}, "cards[0].indicator: 'hard-stop' is not one of")

    def test_suggestions_without_selection_behavior(self):
        self.assertFails("response", {"cards": [card(suggestions=[suggestion()])]},
                         "cards[0]: 'selectionBehavior' is a required property")
        self.assertFails("response", {"cards": [card(suggestions=[suggestion()], selectionBehavior="all")]},
                         "cards[0].selectionBehavior")

    def test_at_most_one_recommended(self):
        two = [suggestion(isRecommended=True), suggestion(isRecommended=True, uuid="0f6a4cc0-8e0b-4c9e-9b9f-3d2a9d1f0c11")]
        self.assertValid("response", {"cards": [card(suggestions=two, selectionBehavior="any")]})
        self.assertFails("response", {"cards": [card(suggestions=two, selectionBehavior="at-most-one")]}, "cards[0].suggestions")

    def test_required_card_fields(self):
        self.assertFails("response", {"cards": [card(source=None)]}, "'source' is a required property")
        self.assertFails("response", {"cards": [card(source={"url": "https://example.org"})]}, "cards[0].source: 'label'")
        self.assertFails("response", {}, "'cards' is a required property")

    def test_links(self):
        self.assertFails("response", {"cards": [card(links=[{"label": "x", "url": "https://e.org", "type": "absolute", "appContext": "a"}])]},
                         "cards[0].links[0]")
        self.assertFails("response", {"cards": [card(links=[{"label": "x", "url": "https://e.org", "type": "relative"}])]},
                         "cards[0].links[0].type")
        self.assertFails("response", {"cards": [card(links=[{"label": "x", "url": "not a url", "type": "absolute"}])]},
                         "cards[0].links[0].url")

    def test_override_reasons_need_display(self):
        self.assertFails("response", {"cards": [card(overrideReasons=[{"code": "x", "system": "http://e.org"}])]},
                         "cards[0].overrideReasons[0]: 'display' is a required property")

    def test_actions(self):
        no_resource = suggestion()
        del no_resource["actions"][0]["resource"]
        self.assertFails("response", {"cards": [card(suggestions=[no_resource], selectionBehavior="any")]},
                         "cards[0].suggestions[0].actions[0]: 'resource' is a required property")
        bad_type = suggestion()
        bad_type["actions"][0]["type"] = "upsert"
        self.assertFails("response", {"cards": [card(suggestions=[bad_type], selectionBehavior="any")]},
                         "cards[0].suggestions[0].actions[0].type")
        self.assertFails("response", {"cards": [], "systemActions": [{"type": "delete", "resourceId": "ServiceRequest/1"}]},
                         "systemActions[0]: 'description' is a required property")

    def test_fhir_resource_in_action_is_validated(self):
        bad = suggestion(resource=dict(OBSERVATION, foo=1))
        self.assertFails("response", {"cards": [card(suggestions=[bad], selectionBehavior="any")]},
                         "cards[0].suggestions[0].actions[0].resource.foo: extra fields not permitted")
        self.assertFails("response", {"cards": [], "systemActions": [
            {"type": "update", "description": "d", "resource": dict(PATIENT, gender="f")}]},
            "systemActions[0].resource.gender: code 'f'")

    def test_unique_uuids(self):
        self.assertFails("response", {"cards": [card(), card()]}, "cards[1].uuid: uuid '4e0a3a1e")

    # discovery
    def test_valid_discovery(self):
        self.assertValid("discovery", DISCOVERY)
        self.assertValid("discovery", {"services": []})

    def test_bad_discovery(self):
        self.assertFails("discovery", {}, "'services' is a required property")
        bad = copy.deepcopy(DISCOVERY)
        del bad["services"][0]["description"]
        self.assertFails("discovery", bad, "services[0]: 'description' is a required property")
        bad = copy.deepcopy(DISCOVERY)
        bad["services"][0]["prefetch"]["x"] = "Observation?patient={{context.patient.id}}"
        self.assertFails("discovery", bad, "services[0].prefetch.x")
        bad = copy.deepcopy(DISCOVERY)
        bad["services"].append(copy.deepcopy(bad["services"][0]))
        self.assertFails("discovery", bad, "services[2]: id 'radiculo-triage' with hook 'patient-view' again")
        same_id_other_hook = copy.deepcopy(DISCOVERY)
        same_id_other_hook["services"][1]["id"] = "radiculo-triage"
        self.assertValid("discovery", same_id_other_hook)
        self.assertFails("discovery", {"services": [dict(DISCOVERY["services"][1], extension="x")]}, "services[0].extension")

    # request
    def test_valid_request(self):
        self.assertValid("request", REQUEST)
        minimal = {k: REQUEST[k] for k in ("hook", "hookInstance", "context")}
        self.assertValid("request", minimal)

    def test_bad_request(self):
        self.assertFails("request", dict(REQUEST, hookInstance="12345"), "hookInstance")
        self.assertFails("request", {k: v for k, v in REQUEST.items() if k != "fhirServer"},
                         "'fhirServer' is a dependency of 'fhirAuthorization'")
        auth = dict(REQUEST["fhirAuthorization"], token_type="bearer")
        self.assertFails("request", dict(REQUEST, fhirAuthorization=auth), "fhirAuthorization.token_type")
        auth = {k: v for k, v in REQUEST["fhirAuthorization"].items() if k != "subject"}
        self.assertFails("request", dict(REQUEST, fhirAuthorization=auth), "'subject' is a required property")
        self.assertFails("request", dict(REQUEST, prefetch={"patient": dict(PATIENT, foo=1)}),
                         "prefetch.patient.foo: extra fields not permitted")
        self.assertFails("request", dict(REQUEST, prefetch={"user": "123"}), "prefetch.user")

    # feedback
    def test_valid_feedback(self):
        self.assertValid("feedback", FEEDBACK)

    def test_bad_feedback(self):
        def first(**changes):
            item = dict(FEEDBACK["feedback"][0], **changes)
            return {"feedback": [{k: v for k, v in item.items() if v is not None}]}

        self.assertFails("feedback", first(acceptedSuggestions=None), "'acceptedSuggestions' is a required property")
        self.assertFails("feedback", first(outcome="ignored"), "feedback[0].outcome")
        self.assertFails("feedback", first(outcomeTimestamp="2021-12-11T10:05:31+02:00"), "feedback[0].outcomeTimestamp")
        self.assertFails("feedback", first(outcomeTimestamp="2021-12-11 10:05"), "feedback[0].outcomeTimestamp")
        self.assertFails("feedback", first(outcome="overridden", acceptedSuggestions=None, overrideReason={}),
                         "feedback[0].overrideReason")
        self.assertFails("feedback", {"feedback": []}, "feedback")


def main():
    # The plain closing line 'N passed, N failed' after unittest's own summary.
    result = unittest.main(exit=False, verbosity=1).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"fhir-validate: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
