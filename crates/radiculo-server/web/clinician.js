// The clinician page: the patient's details, the body map, the examination per side in a
// grid, history (with the pain score), red flags and medicine cautions; assessed by
// `/v1/assess` in clinician mode, with every table of the assessment. Every finding comes from
// `/v1/findings`, so new findings appear without changing this page: a finding with a side
// that is an examination (its category, or an examiner's finding such as a Babinski sign) is
// a row of the grid; every other finding is in the list of its category. Below the form, an
// episode's timeline (timeline.js): its stored assessments over time, read with an API key.
//
// A link may hand the page a case in its fragment (`/clinician#case=` and the contract case as
// unpadded base64url JSON), as radiculo's CDS Hooks card does: a fragment is never sent to a
// server, so the health data in it reaches no server log. The page fills the form from it,
// assesses it as it is, and removes the fragment from the address and the history entry.

import { fillChrome, h, show } from "./dom.js";
import { t } from "./strings.js";
import { assess, loadReference } from "./api.js";
import { bodyMap, KINDS, findingId, regionKey, swatch } from "./bodymap.js";
import { clinicianResults } from "./results.js";
import { timelineSection } from "./timeline.js";

const main = document.getElementById("main");
const REGION_FINDING = /^(pain|numbness|tingling)\.([a-z_]+)\.(left|right)$/;

let reference = null;
const marks = new Map();
let kind = "pain";
let map = null;

// A finding family's name: its clinician text without the side.
function familyName(def) {
  return def.clinician
    .replace(/,?\s*\b(left|right)\b\s*,?/i, " ")
    .replace(/\s+/g, " ")
    .replace(/\s([:;)])/g, "$1")
    .trim();
}

function stateSelect(id, label) {
  return h(
    "select",
    { class: "input state-select", id: `f-${id}`, name: id, "aria-label": label },
    h("option", { value: "" }, t("clin_state_unknown")),
    h("option", { value: "present" }, t("clin_state_present")),
    h("option", { value: "absent" }, t("clin_state_absent")),
  );
}

// A finding of the examination grid: an examination with a side (not the body map).
function inGrid(f) {
  return Boolean(f.side) && (f.category === "exam" || f.examiner) && !REGION_FINDING.test(f.id);
}

// The examination grid: one row per examination, a column per side.
function examGrid() {
  const families = new Map();
  for (const f of reference.findings) {
    if (!inGrid(f)) continue;
    const family = f.side ? f.id.slice(0, -(f.side.length + 1)) : f.id;
    if (!families.has(family)) families.set(family, {});
    families.get(family)[f.side || "none"] = f;
  }
  const rows = [...families].map(([family, sides]) => {
    const any = sides.left || sides.right || sides.none;
    const name = familyName(any);
    const cell = (side) => {
      const def = sides[side];
      return h("td", {}, def ? stateSelect(def.id, `${name}, ${t(side === "left" ? "clin_exam_left" : "clin_exam_right")}`) : "—");
    };
    return h("tr", { "data-family": family }, h("th", { scope: "row" }, name), cell("left"), cell("right"));
  });
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-labelledby": "exam-title", tabindex: "0" },
    h(
      "table",
      { class: "table exam-grid" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("clin_exam_finding")), h("th", { scope: "col" }, t("clin_exam_left")), h("th", { scope: "col" }, t("clin_exam_right")))),
      h("tbody", {}, rows),
    ),
  );
}

// A compact list of the findings of `categories` that are neither on the body map nor in
// the examination grid; `extra` comes first (the pain score in the history).
function findingList(categories, titleKey, extra = null) {
  const defs = reference.findings.filter(
    (f) => categories.includes(f.category) && !inGrid(f) && !REGION_FINDING.test(f.id) && f.id !== "pain.low_back",
  );
  if (!defs.length && !extra) return null;
  return h(
    "fieldset",
    { class: "panel finding-list", "data-list": titleKey },
    h("legend", { class: "label-big" }, t(titleKey)),
    extra,
    h(
      "div",
      { class: "finding-grid" },
      defs.map((f) => h("div", { class: "finding-row" }, h("label", { for: `f-${f.id}` }, f.clinician), stateSelect(f.id, null))),
    ),
  );
}

// The pain score (0-10), optional.
function painField() {
  return h(
    "div",
    { class: "field pain-field" },
    h("label", { for: "pain-score" }, t("clin_pain_label")),
    h("p", { class: "field-error", id: "pain-error", role: "status" }, ""),
    h("input", { id: "pain-score", name: "pain-score", type: "text", inputmode: "numeric", class: "input input-short", autocomplete: "off", "aria-describedby": "pain-error" }),
  );
}

function page() {
  document.title = `${t("clin_title")} – ${t("app_name")}`;
  map = bodyMap({
    reference,
    interactive: true,
    marks,
    canMark: (k, region, side) => reference.byId.has(findingId(k, region, side)),
    currentKind: () => kind,
  });
  const kinds = h(
    "fieldset",
    { class: "field kind-picker" },
    h("legend", {}, t("map_kind_label")),
    h(
      "div",
      { class: "radios radios-inline" },
      KINDS.map((k) =>
        h("div", { class: "radio" },
          h("input", { type: "radio", name: "kind", id: `kind-${k}`, value: k, checked: k === kind, onchange: () => { kind = k; map.repaint(); } }),
          h("label", { for: `kind-${k}` }, swatch(k), t(`kind_${k}`))),
      ),
    ),
  );
  const results = h("div", { id: "results", class: "results" });
  const form = h(
    "form",
    { novalidate: true, id: "clinician-form", onsubmit: submit },
    h(
      "fieldset",
      { class: "panel" },
      h("legend", { class: "label-big" }, t("clin_patient")),
      h(
        "div",
        { class: "inline-fields" },
        h("div", {}, h("label", { for: "age" }, t("clin_age_label")), h("input", { id: "age", name: "age", type: "text", inputmode: "numeric", class: "input input-short", required: true, autocomplete: "off" })),
        h("div", {}, h("label", { for: "sex" }, t("clin_sex_label")),
          h("select", { id: "sex", name: "sex", class: "input" },
            h("option", { value: "" }, t("clin_sex_unknown")),
            ["female", "male", "other"].map((x) => h("option", { value: x }, t(`sex_${x}`))))),
        h("div", {}, h("label", { for: "duration" }, t("clin_duration_label")), h("input", { id: "duration", name: "duration", type: "text", inputmode: "numeric", class: "input input-short", autocomplete: "off" })),
      ),
      h("p", { class: "field-error", id: "age-error", role: "status" }, ""),
    ),
    h("section", { class: "panel", "aria-labelledby": "map-title" }, h("h2", { id: "map-title" }, t("clin_map_title")), kinds, map),
    h("section", { class: "panel", "aria-labelledby": "exam-title" }, h("h2", { id: "exam-title" }, t("clin_exam_title")), h("p", { class: "hint" }, t("clin_exam_hint")), examGrid()),
    findingList(["exam"], "clin_exam_other_title"),
    findingList(["symptom", "history"], "clin_history_title", painField()),
    findingList(["red_flag"], "clin_red_flags_title"),
    findingList(["modifier"], "clin_modifiers_title"),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button", id: "assess" }, t("clin_assess")),
      h("button", { type: "reset", class: "button button-secondary", onclick: () => { marks.clear(); setTimeout(() => map.repaint()); results.replaceChildren(); } }, t("clin_reset")),
    ),
    h("p", { class: "status", id: "status", role: "status", "aria-live": "polite" }, ""),
  );
  show(main, h("h1", {}, t("clin_title")), h("p", { class: "lead" }, t("clin_intro")), form, results, timelineSection(reference));
}

async function submit(event) {
  event.preventDefault();
  const form = event.target;
  const age = form.age.value.trim();
  const ageError = document.getElementById("age-error");
  if (!/^\d{1,3}$/.test(age) || Number(age) < 16 || Number(age) > 110) {
    ageError.textContent = t("age_error");
    form.age.setAttribute("aria-invalid", "true");
    form.age.focus();
    return;
  }
  ageError.textContent = "";
  form.age.removeAttribute("aria-invalid");
  const pain = form["pain-score"].value.trim();
  const painError = document.getElementById("pain-error");
  if (pain !== "" && (!/^\d{1,2}$/.test(pain) || Number(pain) > 10)) {
    painError.textContent = t("clin_pain_error");
    form["pain-score"].setAttribute("aria-invalid", "true");
    form["pain-score"].focus();
    return;
  }
  painError.textContent = "";
  form["pain-score"].removeAttribute("aria-invalid");
  const evidence = [];
  for (const select of form.querySelectorAll("select.state-select")) {
    if (select.value) evidence.push({ id: select.name, state: select.value });
  }
  // With anything marked, the map is a complete record: unmarked regions are absent.
  if (marks.size) {
    for (const f of reference.findings) {
      const m = REGION_FINDING.exec(f.id);
      if (!m && f.id !== "pain.low_back") continue;
      const key = m ? regionKey(m[2], m[3]) : "low_back";
      const kindOf = m ? m[1] : "pain";
      const set = marks.get(key);
      evidence.push({ id: f.id, state: set && set.has(kindOf) ? "present" : "absent" });
    }
  }
  const kase = { age: Number(age), mode: "clinician", evidence };
  if (form.sex.value) kase.sex = form.sex.value;
  if (/^\d{1,5}$/.test(form.duration.value.trim())) kase.symptom_duration_days = Number(form.duration.value.trim());
  if (pain !== "") kase.pain_score = Number(pain);
  await assessAndShow(kase);
}

// Assesses `kase` and shows the tables, focusing their title; whether it could.
async function assessAndShow(kase) {
  const status = document.getElementById("status");
  status.textContent = t("checking");
  const results = document.getElementById("results");
  try {
    const assessment = await assess(kase);
    results.replaceChildren(...clinicianResults({ assessment, reference, outline: new Set(marks.keys()) }).flat().filter(Boolean));
    status.textContent = "";
    const title = document.getElementById("results-title");
    title.setAttribute("tabindex", "-1");
    title.focus();
    return true;
  } catch (error) {
    status.textContent = `${t("error_title")}: ${error.message}`;
    return false;
  }
}

// The case in the address's fragment (`#case=…`), or null when there is none or it is not a
// JSON object.
function caseFromFragment() {
  const match = /^#case=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  if (!match) return null;
  try {
    const base64 = match[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const kase = JSON.parse(new TextDecoder().decode(bytes));
    return kase && typeof kase === "object" && !Array.isArray(kase) ? kase : null;
  } catch {
    return null;
  }
}

// Fills the form with a contract case: the patient's details, the body map from its present
// region findings, and every other finding's select.
function fillForm(kase) {
  const form = document.getElementById("clinician-form");
  const whole = (n) => (Number.isInteger(n) && n >= 0 ? String(n) : "");
  form.age.value = whole(kase.age);
  form.sex.value = ["female", "male", "other"].includes(kase.sex) ? kase.sex : "";
  form.duration.value = whole(kase.symptom_duration_days);
  form["pain-score"].value = whole(kase.pain_score);
  marks.clear();
  for (const e of Array.isArray(kase.evidence) ? kase.evidence : []) {
    if (!e || typeof e.id !== "string") continue;
    const m = REGION_FINDING.exec(e.id);
    if (m || e.id === "pain.low_back") {
      if (e.state !== "present") continue;
      const key = m ? regionKey(m[2], m[3]) : "low_back";
      if (!marks.has(key)) marks.set(key, new Set());
      marks.get(key).add(m ? m[1] : "pain");
      continue;
    }
    const select = form.querySelector(`select.state-select[name="${CSS.escape(e.id)}"]`);
    if (select) select.value = e.state === "present" || e.state === "absent" ? e.state : "";
  }
  map.repaint();
}

async function start() {
  try {
    reference = await loadReference();
  } catch {
    show(main, h("h1", {}, t("error_title")), h("p", {}, t("error_body")));
    return;
  }
  page();
  const kase = caseFromFragment();
  if (window.location.hash) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  if (kase) {
    fillForm(kase);
    // Assessed as it came, not as the form would send it (the form records every unmarked
    // body-map region as absent).
    if (await assessAndShow(kase)) document.getElementById("status").textContent = t("clin_from_link");
  }
}

fillChrome();
start();
