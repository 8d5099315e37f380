#!/usr/bin/env python3
"""Independent checker of FHIR resources and CDS Hooks 2.0 documents (see README.md beside it).

    validate.py [--r4b] FILE...              FHIR resources
    validate.py --cds KIND [--r4b] FILE...   CDS Hooks documents; KIND: discovery, request,
                                             response or feedback

A FILE of `-` is standard input. A file holds one JSON document (pretty-printed or not) or JSON
Lines, one document a line. For each document it prints `ok <resourceType> <id or ->` (for
CDS documents `ok cds-<kind> <hookInstance or ->`, then one `ok` line for each FHIR resource
embedded in it) or `FAIL <file>:<line> <resourceType or cds-kind>: <path>: <error>[; ...]`, and
exits with 1 when any document failed (2 on a usage error).

FHIR checks: the model of fhir.resources 6.4.0 (FHIR R4 4.0.1) for the resourceType, or with
--r4b that of fhir.resources.R4B (fhir.resources 8.x; FHIR R4B 4.3.0), parsed strictly: unknown
keys are errors (the models forbid extra fields), required elements, cardinality, choice types,
primitive formats, and every nested resource (Bundle.entry.resource, contained, ...) by its own
model. On top of the models:
  - JSON: duplicate keys, NaN/Infinity, null (outside primitive arrays paired with `_x`),
    empty strings, arrays and objects, and `fhir_comments` (DSTU2 only) are errors;
  - names: a Python field name the models also accept (resource_type, gender__ext) is an
    error (found by the round trip below: the model drops it);
  - JSON types: a string where FHIR wants a boolean or a number (or the reverse) is an error,
    although pydantic would coerce it (checked by comparing the input with the model's output);
  - codes: a `code` element whose model lists its complete set of values (the list pydantic
    carries as enum_values and does not enforce) must hold one of them; lists the model marks
    incomplete with `+` are not checked;
  - nested resourceTypes must exist (the models fail without a path otherwise);
  - in each Bundle, entry.fullUrl values are unique, urn:uuid: values are well formed, and every
    Reference.reference of the form urn:uuid:... inside its entries resolves to the fullUrl of
    an entry (of that Bundle or of an enclosing one);
  - in each resource with `contained`: every reference `#id` resolves to a contained resource,
    and each contained resource is referred to from the container (FHIR invariant dom-3).

CDS checks: the JSON Schema (Draft 2020-12) cds-hooks/KIND.schema.json with format assertion on
(uuid, uri, date-time), and on top of it: discovery (id, hook) pairs unique; response card and
suggestion uuids unique; the FHIR resources in response actions (cards[].suggestions[].actions[]
.resource, systemActions[].resource) and in a request's prefetch and top-level context values
go through the FHIR checks above.
"""

import argparse
import importlib
import json
import re
import sys
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent / "cds-hooks"
CDS_KINDS = ("discovery", "request", "response", "feedback")
RESOURCE_TYPE_RE = re.compile(r"^[A-Z][A-Za-z]+$")
URN_UUID_RE = re.compile(
    r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
MAX_ERRORS = 20


# --- paths -----------------------------------------------------------------------------------
def join(path, part):
    """Appends a key or an index to a dotted path: a.b[0].c"""
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else str(part)


def fmt_loc(prefix, loc):
    path = prefix
    for part in loc:
        if part == "__root__":
            continue
        if isinstance(part, str) and part.isdigit():
            part = int(part)
        path = join(path, part)
    return path or "(root)"


# --- reading ---------------------------------------------------------------------------------
class InputError(Exception):
    pass


def _pairs(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise InputError(f"duplicate JSON key {key!r}")
        obj[key] = value
    return obj


def _constant(name):
    raise InputError(f"{name} is not JSON")


def loads(text):
    return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)


def read_documents(name):
    """Yields (line, document or None, error or None) for each document of the file."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        yield 0, None, f"cannot read: {e}"
        return
    stripped = text.lstrip()
    if not stripped:
        yield 1, None, "no JSON document in the file"
        return
    first_line = text[: len(text) - len(stripped)].count("\n") + 1
    try:
        yield first_line, loads(text), None
        return
    except InputError as e:
        yield first_line, None, str(e)
        return
    except json.JSONDecodeError as e:
        if "Extra data" not in e.msg:
            yield e.lineno, None, f"invalid JSON: {e.msg} (line {e.lineno} column {e.colno})"
            return
    # JSON Lines
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, loads(line), None
        except (InputError, json.JSONDecodeError) as e:
            yield number, None, f"invalid JSON line: {e}"


# --- FHIR ------------------------------------------------------------------------------------
class Fhir:
    def __init__(self, r4b=False):
        self.package = "fhir.resources.R4B" if r4b else "fhir.resources"
        import pydantic

        self.base_model = pydantic.BaseModel
        self.resource_base = importlib.import_module(f"{self.package}.resource").Resource
        self.classes = {}

    def model(self, resource_type):
        """The model class of a resource type, or None if there is no such resource."""
        if resource_type in self.classes:
            return self.classes[resource_type]
        cls = None
        if isinstance(resource_type, str) and RESOURCE_TYPE_RE.match(resource_type):
            try:
                module = importlib.import_module(f"{self.package}.{resource_type.lower()}")
                cls = getattr(module, resource_type, None)
            except ImportError:
                cls = None
            if not (isinstance(cls, type) and issubclass(cls, self.resource_base)):
                cls = None
        self.classes[resource_type] = cls
        return cls

    # The entry point: a list of "path: message" strings, empty when the resource is valid.
    def errors(self, resource, prefix=""):
        if not isinstance(resource, dict):
            return [f"{prefix or '(root)'}: expected a JSON object (a FHIR resource)"]
        resource_type = resource.get("resourceType")
        if self.model(resource_type) is None:
            return [f"{join(prefix, 'resourceType')}: unknown resourceType {resource_type!r}"]
        errors = []
        unknown_nested = self._json_errors(resource, prefix, errors)
        if not unknown_nested:
            errors += self._model_errors(resource, prefix)
        errors += self._reference_errors(resource, prefix)
        return errors

    # -- JSON-level rules the models do not enforce
    def _json_errors(self, node, path, errors, parent=None, key=None):
        """Nulls, empties and unknown nested resourceTypes; True if one of the last was seen."""
        unknown = False
        if node is None:
            # allowed only as an item of a primitive array paired with its `_x` array (or the
            # reverse), to keep the two aligned; parent and key are given only for such items
            paired = (
                isinstance(parent, dict)
                and key is not None
                and (key[1:] if key.startswith("_") else "_" + key) in parent
            )
            if not paired:
                errors.append(f"{path}: null is not allowed here in FHIR JSON")
        elif isinstance(node, str):
            if node == "":
                errors.append(f"{path}: empty string is not allowed in FHIR JSON")
        elif isinstance(node, list):
            if not node:
                errors.append(f"{path}: empty array is not allowed in FHIR JSON")
            for i, item in enumerate(node):
                item_path = join(path, i)
                if item is None and parent is not None:
                    # allowed only in a primitive array paired with its `_x` array (or reverse)
                    self._json_errors(None, item_path, errors, parent, key)
                else:
                    unknown |= self._json_errors(item, item_path, errors)
        elif isinstance(node, dict):
            if not node:
                errors.append(f"{path}: empty object is not allowed in FHIR JSON")
            if path and "resourceType" in node and self.model(node["resourceType"]) is None:
                errors.append(
                    f"{join(path, 'resourceType')}: unknown resourceType {node['resourceType']!r}"
                )
                unknown = True
            for k, v in node.items():
                if k == "fhir_comments":  # DSTU2 JSON comments; the models still accept them
                    errors.append(f"{join(path, k)}: not an element of FHIR R4/R4B JSON")
                    continue
                if isinstance(v, list):
                    unknown |= self._json_errors(v, join(path, k), errors, node, k)
                else:
                    unknown |= self._json_errors(v, join(path, k), errors)
        return unknown

    # -- the model, then what it lets through
    def _model_errors(self, resource, prefix):
        cls = self.model(resource["resourceType"])
        parse = getattr(cls, "model_validate", None) or cls.parse_obj
        try:
            parsed = parse(resource)
        except Exception as e:  # noqa: BLE001 - any failure of the model is a finding
            list_errors = getattr(e, "errors", None)
            if callable(list_errors):
                try:
                    return [f"{fmt_loc(prefix, err.get('loc', ()))}: {err.get('msg')}" for err in list_errors()]
                except Exception:  # noqa: BLE001
                    pass
            return [f"{prefix or '(root)'}: {type(e).__name__}: {e}"]
        errors = []
        self._type_errors(resource, self._dump(parsed), prefix, errors)
        self._code_errors(parsed, prefix, errors)
        return errors

    @staticmethod
    def _dump(parsed):
        if hasattr(parsed, "model_dump_json"):
            return json.loads(parsed.model_dump_json(by_alias=True, exclude_none=True))
        return json.loads(parsed.json())

    @staticmethod
    def _json_type(value):
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, (int, float)):
            return "number"
        if isinstance(value, str):
            return "string"
        if isinstance(value, list):
            return "array"
        return "object"

    def _type_errors(self, raw, out, path, errors):
        """The input against the model's own output: a differing JSON type means coercion."""
        if isinstance(raw, dict) and isinstance(out, dict):
            for k, v in raw.items():
                if k in out:
                    self._type_errors(v, out[k], join(path, k), errors)
                elif v is not None:
                    errors.append(f"{join(path, k)}: dropped by the model (not a FHIR element here)")
            return
        if isinstance(raw, list) and isinstance(out, list):
            if len(raw) == len(out):
                for i, (a, b) in enumerate(zip(raw, out)):
                    self._type_errors(a, b, join(path, i), errors)
            return
        got, want = self._json_type(raw), self._json_type(out)
        if got != want and "null" not in (got, want):
            errors.append(f"{path or '(root)'}: JSON {got} {raw!r} where FHIR has a {want}")

    def _fields(self, model):
        """(alias, value, enum values or None) of each set field of a parsed model."""
        fields = getattr(type(model), "model_fields", None)
        if fields is not None:  # pydantic 2
            for name, info in fields.items():
                extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
                yield info.alias or name, getattr(model, name, None), extra.get("enum_values")
        else:  # pydantic 1
            for name, field in model.__fields__.items():
                yield field.alias, getattr(model, name, None), field.field_info.extra.get("enum_values")

    def _code_errors(self, model, path, errors):
        for alias, value, enum in self._fields(model):
            if value is None:
                continue
            field_path = join(path, alias)
            values = value if isinstance(value, list) else [value]
            for i, item in enumerate(values):
                item_path = join(field_path, i) if isinstance(value, list) else field_path
                if isinstance(item, self.base_model):
                    self._code_errors(item, item_path, errors)
                elif enum and "+" not in enum and isinstance(item, str) and item not in enum:
                    errors.append(f"{item_path}: code {item!r} is not one of {enum}")

    # -- references
    def _reference_errors(self, resource, prefix):
        errors = []
        checked = set()  # the Bundles checked already, nested ones with their outer Bundle
        for path, res, is_contained in self._resources(resource, prefix):
            if res.get("resourceType") == "Bundle" and id(res) not in checked:
                self._bundle_errors(res, path, errors, checked)
            if not is_contained:
                self._contained_errors(res, path, errors)
        return errors

    def _resources(self, node, path, contained=False):
        """Every resource in the tree: (path, dict, is it a contained resource), root first."""
        if isinstance(node, dict):
            if "resourceType" in node:
                yield path, node, contained
            for k, v in node.items():
                yield from self._resources(v, join(path, k), k == "contained")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from self._resources(item, join(path, i), contained)

    @staticmethod
    def _strings(node, path, key=None, stop_at_resources=True, root=True):
        """(path, key, value) of the strings under node, not entering other resources."""
        if isinstance(node, dict):
            if stop_at_resources and not root and "resourceType" in node:
                return
            for k, v in node.items():
                yield from Fhir._strings(v, join(path, k), k, stop_at_resources, False)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from Fhir._strings(item, join(path, i), key, stop_at_resources, False)
        elif isinstance(node, str):
            yield path, key, node

    def _bundle_errors(self, bundle, path, errors, checked, outer=frozenset()):
        checked.add(id(bundle))
        entries = bundle.get("entry")
        if not isinstance(entries, list):
            return
        seen = {}
        for i, entry in enumerate(entries):
            full_url = entry.get("fullUrl") if isinstance(entry, dict) else None
            if not isinstance(full_url, str):
                continue
            url_path = join(join(join(path, "entry"), i), "fullUrl")
            if full_url in seen:
                errors.append(f"{url_path}: duplicate fullUrl {full_url!r} (also entry[{seen[full_url]}])")
            else:
                seen[full_url] = i
            if full_url.startswith("urn:uuid:") and not URN_UUID_RE.match(full_url):
                errors.append(f"{url_path}: {full_url!r} is not a urn:uuid: followed by a UUID")
        known = frozenset(outer | set(seen))
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                continue
            res_path = join(join(join(path, "entry"), i), "resource")
            self._bundle_refs(entry["resource"], res_path, known, errors, checked)

    def _bundle_refs(self, node, path, known, errors, checked):
        """urn:uuid references in an entry's resource (contained ones included); a nested
        Bundle is checked on its own, with the fullUrls around it also known."""
        if isinstance(node, dict):
            if node.get("resourceType") == "Bundle":
                self._bundle_errors(node, path, errors, checked, known)
                return
            for k, v in node.items():
                if k == "reference" and isinstance(v, str) and v.startswith("urn:uuid:"):
                    if v not in known:
                        errors.append(
                            f"{join(path, k)}: reference {v!r} does not resolve to the fullUrl of any Bundle entry"
                        )
                else:
                    self._bundle_refs(v, join(path, k), known, errors, checked)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                self._bundle_refs(item, join(path, i), known, errors, checked)

    def _contained_errors(self, resource, path, errors):
        contained = resource.get("contained")
        contained = contained if isinstance(contained, list) else []
        ids = {c.get("id") for c in contained if isinstance(c, dict)}
        # the container's own elements, and its contained resources (they may refer to each other)
        strings = list(self._strings({k: v for k, v in resource.items() if k != "contained"}, path))
        for i, c in enumerate(contained):
            strings += self._strings(c, join(join(path, "contained"), i))
        fragments = set()
        for spath, key, value in strings:
            if not value.startswith("#"):
                continue
            fragments.add(value[1:])
            if key == "reference" and value != "#" and value[1:] not in ids:
                errors.append(f"{spath}: reference {value!r} does not resolve to a contained resource")
        for i, c in enumerate(contained):
            if not isinstance(c, dict):
                continue
            refers_back = any(v == "#" for _, _, v in self._strings(c, ""))
            if c.get("id") and c.get("id") not in fragments and not refers_back:
                errors.append(
                    f"{join(join(path, 'contained'), i)}: contained resource {c.get('id')!r} is not referred to "
                    "from its container (dom-3)"
                )
            if not c.get("id"):
                errors.append(f"{join(join(path, 'contained'), i)}.id: a contained resource needs an id")


# --- CDS Hooks -------------------------------------------------------------------------------
class Cds:
    def __init__(self, kind, fhir):
        import jsonschema

        self.kind = kind
        self.fhir = fhir
        schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
        cls = jsonschema.Draft202012Validator
        cls.check_schema(schema)
        self.validator = cls(schema, format_checker=cls.FORMAT_CHECKER)

    def errors(self, doc):
        """(errors, [(resourceType, id)] of the FHIR resources embedded and valid)"""
        errors = []
        for e in sorted(self.validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
            errors.append(f"{fmt_loc('', e.absolute_path)}: {e.message}")
        embedded_ok = []
        if not isinstance(doc, dict):
            return errors, embedded_ok
        for path, resource in self._embedded(doc):
            found = self.fhir.errors(resource, path)
            errors += found
            if not found:
                embedded_ok.append((resource.get("resourceType"), resource.get("id", "-")))
        getattr(self, f"_extra_{self.kind}", lambda doc, errors: None)(doc, errors)
        return errors, embedded_ok

    def _embedded(self, doc):
        def listed(value):
            return value if isinstance(value, list) else []

        def dicts(value):
            return [(i, v) for i, v in enumerate(listed(value)) if isinstance(v, dict)]

        if self.kind == "response":
            for c, card in dicts(doc.get("cards")):
                for s, sug in dicts(card.get("suggestions")):
                    for a, action in dicts(sug.get("actions")):
                        if isinstance(action.get("resource"), dict):
                            yield f"cards[{c}].suggestions[{s}].actions[{a}].resource", action["resource"]
            for a, action in dicts(doc.get("systemActions")):
                if isinstance(action.get("resource"), dict):
                    yield f"systemActions[{a}].resource", action["resource"]
        elif self.kind == "request":
            for name in ("prefetch", "context"):
                values = doc.get(name)
                if isinstance(values, dict):
                    for key, value in values.items():
                        if isinstance(value, dict) and "resourceType" in value:
                            yield f"{name}.{key}", value

    @staticmethod
    def _extra_discovery(doc, errors):
        seen = {}
        services = doc.get("services")
        for i, service in enumerate(services if isinstance(services, list) else []):
            if isinstance(service, dict):
                pair = (service.get("id"), service.get("hook"))
                if pair in seen:
                    errors.append(
                        f"services[{i}]: id {pair[0]!r} with hook {pair[1]!r} again (also services[{seen[pair]}])"
                    )
                seen.setdefault(pair, i)

    @staticmethod
    def _extra_response(doc, errors):
        seen = {}
        cards = doc.get("cards")
        for c, card in enumerate(cards if isinstance(cards, list) else []):
            if not isinstance(card, dict):
                continue
            items = [(f"cards[{c}].uuid", card.get("uuid"))]
            suggestions = card.get("suggestions")
            for s, sug in enumerate(suggestions if isinstance(suggestions, list) else []):
                if isinstance(sug, dict):
                    items.append((f"cards[{c}].suggestions[{s}].uuid", sug.get("uuid")))
            for path, uuid in items:
                if isinstance(uuid, str):
                    if uuid in seen:
                        errors.append(f"{path}: uuid {uuid!r} is not unique (also {seen[uuid]})")
                    seen.setdefault(uuid, path)


# --- the command -----------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--r4b", action="store_true", help="check against the FHIR R4B models")
    parser.add_argument("--cds", choices=CDS_KINDS, metavar="KIND", help="check CDS Hooks documents of KIND")
    parser.add_argument("files", nargs="+", metavar="FILE")
    args = parser.parse_args(argv)

    fhir = Fhir(r4b=args.r4b)
    cds = Cds(args.cds, fhir) if args.cds else None
    failed = False
    for name in args.files:
        for line, doc, read_error in read_documents(name):
            label = f"cds-{args.cds}" if cds else (doc.get("resourceType") if isinstance(doc, dict) else None)
            label = label if isinstance(label, str) else "-"
            if read_error:
                errors, embedded = [read_error], []
            elif cds:
                errors, embedded = cds.errors(doc)
            else:
                errors, embedded = fhir.errors(doc), []
            if errors:
                failed = True
                shown = errors[:MAX_ERRORS]
                more = f"; (+{len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
                print(f"FAIL {name}:{line} {label}: " + "; ".join(shown) + more)
                continue
            if cds:
                ident = doc.get("hookInstance", "-") if args.cds == "request" else "-"
            else:
                ident = doc.get("id", "-")
            print(f"ok {label} {ident}")
            for resource_type, resource_id in embedded:
                print(f"ok {resource_type} {resource_id}")
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
