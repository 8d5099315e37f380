// The patient questionnaire: welcome, about you, then the adaptive interview (`/v1/interview`)
// one question per page (by the question's `kind`: one finding, a group of findings, or a
// number such as the pain score), the body map for the body-map group, an emergency card as
// soon as an answer makes the case an emergency, and the results.
//
// Answers live in this page's memory only: nothing is written to storage, and nothing is sent
// anywhere but this origin's API.

import { fillChrome, h, show, errorSummary, answerRadios } from "./dom.js";
import { t, list } from "./strings.js";
import { interview, loadReference } from "./api.js";
import { bodyMap, KINDS, findingId, regionKey, regionName, swatch } from "./bodymap.js";
import { patientResults, sharePage, triageIcon, levelTexts } from "./results.js";

const main = document.getElementById("main");
const labels = () => ({ yes: t("answer_yes"), no: t("answer_no"), unsure: t("answer_unsure") });

// The whole state of one questionnaire.
const state = {
  about: { age: "", sex: "", durationNumber: "", durationUnit: "days" },
  evidence: new Map(), // finding id -> present | absent | unknown, in the order answered
  marks: new Map(), // body-map regionKey -> Set of kinds
  // The answers to number questions, by the question's id, which is the case's field
  // (`pain_score`): a whole number, or null when skipped (which tells the server it was asked).
  numbers: new Map(),
  history: [], // [{evidence, marks, numbers, assessment}] before each answer, for Back
  assessment: null, // the latest assessment, whose next_question is on screen
  reference: null,
};

function kase() {
  const a = state.about;
  const k = { age: Number(a.age), mode: "patient", evidence: [...state.evidence].map(([id, st]) => ({ id, state: st })) };
  if (a.sex) k.sex = a.sex;
  for (const [field, value] of state.numbers) k[field] = value;
  if (a.durationNumber !== "") {
    const factor = { days: 1, weeks: 7, months: 30 }[a.durationUnit];
    k.symptom_duration_days = Number(a.durationNumber) * factor;
  }
  return k;
}

// The regions the person marked (their outline on the results map).
function markedKeys() {
  return new Set(state.marks.keys());
}

// --- pages -----------------------------------------------------------------------------------

function welcome() {
  document.title = `${t("welcome_title")} – ${t("app_name")}`;
  show(
    main,
    h("h1", {}, t("welcome_title")),
    h("p", { class: "lead" }, t("welcome_lead")),
    h(
      "div",
      { class: "callout callout-emergency", role: "note" },
      h("h2", {}, t("welcome_emergency_title")),
      h("p", {}, t("welcome_emergency")),
    ),
    h("h2", {}, t("welcome_is_title")),
    h("ul", {}, list("welcome_is").map((x) => h("li", {}, x))),
    h("h2", {}, t("welcome_is_not_title")),
    h("ul", {}, list("welcome_is_not").map((x) => h("li", {}, x))),
    h("p", { class: "hint" }, t("welcome_privacy")),
    h("button", { type: "button", class: "button button-start", id: "start", onclick: about }, t("start"), " ›"),
  );
}

function about(problems = []) {
  if (problems instanceof Event) problems = [];
  const a = state.about;
  const has = (field) => problems.find((p) => p.field === field);
  const sexes = ["female", "male", "other", ""];
  const form = h(
    "form",
    { novalidate: true, onsubmit: submitAbout },
    h(
      "div",
      { class: `field${has("age") ? " has-error" : ""}` },
      h("label", { for: "age", class: "label-big" }, t("age_label")),
      h("p", { class: "hint", id: "age-hint" }, t("age_hint")),
      has("age") ? h("p", { class: "field-error", id: "age-error" }, has("age").text) : null,
      h("input", {
        id: "age", name: "age", type: "text", inputmode: "numeric", autocomplete: "off", class: "input input-short",
        value: a.age, "aria-describedby": has("age") ? "age-hint age-error" : "age-hint", "aria-invalid": has("age") ? "true" : null,
      }),
    ),
    h(
      "fieldset",
      { class: "field" },
      h("legend", { class: "label-big" }, t("sex_label")),
      h(
        "div",
        { class: "radios" },
        sexes.map((sex) => {
          const id = sex ? `sex-${sex}` : "sex-skip";
          return h("div", { class: "radio" },
            h("input", { type: "radio", name: "sex", id, value: sex, checked: a.sex === sex && (sex !== "" || a.sexAnswered) }),
            h("label", { for: id }, sex ? t(`sex_${sex}`) : t("sex_skip")));
        }),
      ),
    ),
    h(
      "fieldset",
      { class: `field${has("duration") ? " has-error" : ""}` },
      h("legend", { class: "label-big" }, t("duration_label")),
      h("p", { class: "hint" }, t("duration_hint")),
      has("duration") ? h("p", { class: "field-error" }, has("duration").text) : null,
      h(
        "div",
        { class: "inline-fields" },
        h("div", {}, h("label", { for: "duration" }, t("duration_number")),
          h("input", { id: "duration", name: "duration", type: "text", inputmode: "numeric", class: "input input-short", value: a.durationNumber, "aria-invalid": has("duration") ? "true" : null })),
        h("div", {}, h("label", { for: "duration-unit" }, t("duration_unit")),
          h("select", { id: "duration-unit", name: "duration-unit", class: "input" },
            ["days", "weeks", "months"].map((u) => h("option", { value: u, selected: a.durationUnit === u }, t(`duration_${u}`))))),
      ),
    ),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "button", id: "continue" }, t("continue")),
      h("button", { type: "button", class: "button button-secondary", onclick: welcome }, t("back"))),
  );
  show(
    main,
    problems.length ? errorSummary(t("error_summary_title"), problems) : null,
    h("h1", {}, t("about_title")),
    form,
  );
  if (problems.length) main.querySelector(".error-summary").focus();
}

async function submitAbout(event) {
  event.preventDefault();
  const form = event.target;
  const a = state.about;
  a.age = form.age.value.trim();
  const sex = form.querySelector('input[name="sex"]:checked');
  a.sex = sex ? sex.value : "";
  a.sexAnswered = Boolean(sex);
  a.durationNumber = form.duration.value.trim();
  a.durationUnit = form["duration-unit"].value;
  const problems = [];
  const age = Number(a.age);
  if (!/^\d{1,3}$/.test(a.age) || age < 16 || age > 110) problems.push({ field: "age", text: t("age_error") });
  if (a.durationNumber !== "" && !/^\d{1,4}$/.test(a.durationNumber)) problems.push({ field: "duration", text: t("duration_error") });
  if (problems.length) return about(problems);
  state.evidence = new Map();
  state.marks = new Map();
  state.numbers = new Map();
  state.history = [];
  await step();
}

// Sends the answers so far and shows what comes next.
async function step() {
  setBusy(true);
  try {
    state.assessment = await interview(kase());
  } catch (error) {
    return failure(error, step);
  } finally {
    setBusy(false);
  }
  route(state.assessment);
}

// How a question is asked follows its `kind`: `number` (a scale), `group` (a checklist, or
// the body map), `finding` (one yes / no question). Without a `kind`, a question with `items`
// is a group, one with a `min` and a `max` a number, and any other one finding.
function route(assessment) {
  if (assessment.triage.level === "emergency") return emergency(assessment, { fromAnswer: true });
  const q = assessment.next_question;
  if (!q) return results(assessment);
  const kind = q.kind || (q.items ? "group" : Number.isInteger(q.min) && Number.isInteger(q.max) ? "number" : "finding");
  if (kind === "number") return numberPage(q);
  if (kind === "group" || (kind !== "finding" && q.items)) return q.id === "body_map" ? mapPage(q) : groupPage(q);
  return singlePage(q);
}

// The state before an answer, for Back.
function snapshot() {
  return { evidence: new Map(state.evidence), marks: cloneMarks(state.marks), numbers: new Map(state.numbers), assessment: state.assessment };
}

// Records an answer (so that Back can undo it) and moves on.
function answer(entries) {
  state.history.push(snapshot());
  for (const [id, st] of entries) state.evidence.set(id, st);
  return step();
}

// Records the answer to a number question (the pain score; null when skipped) and moves on.
function answerNumber(id, value) {
  state.history.push(snapshot());
  state.numbers.set(id, value);
  return step();
}

function back() {
  const last = state.history.pop();
  if (!last) return about();
  state.evidence = last.evidence;
  state.marks = last.marks;
  state.numbers = last.numbers;
  state.assessment = last.assessment;
  route(last.assessment);
}

function cloneMarks(marks) {
  return new Map([...marks].map(([k, v]) => [k, new Set(v)]));
}

function progress() {
  return h(
    "div",
    { class: "progress" },
    h("p", { class: "progress-count" }, t("question_progress", { n: state.history.length + 1 })),
    h("p", { class: "hint" }, t("question_progress_hint")),
  );
}

function whyAsked(q) {
  return q.why ? h("details", { class: "why-asked" }, h("summary", {}, t("why_asked")), h("p", {}, q.why)) : null;
}

// A status line whose space is always reserved, so nothing moves when it fills.
function statusLine() {
  return h("p", { class: "status", id: "status", role: "status", "aria-live": "polite" }, "");
}

function setBusy(busy) {
  const status = document.getElementById("status");
  if (status) status.textContent = busy ? t("checking") : "";
  for (const b of main.querySelectorAll("button")) b.disabled = busy;
  main.setAttribute("aria-busy", String(busy));
}

function navButtons(continueId = "continue", { label = t("continue"), extra = null } = {}) {
  return h(
    "div",
    { class: "actions" },
    h("button", { type: "submit", class: "button", id: continueId }, label),
    extra,
    h("button", { type: "button", class: "button button-secondary", id: "back", onclick: back }, t("back")),
  );
}

function mapPage(q) {
  const items = new Set(q.items);
  const marks = state.marks;
  let kind = "pain";
  const canMark = (k, region, side) => items.has(findingId(k, region, side));
  const summary = h("div", { class: "marked", "aria-live": "polite" });
  const renderSummary = () => {
    const rows = KINDS.map((k) => {
      const where = [...marks].filter(([, set]) => set.has(k)).map(([key]) => {
        const [region, side] = key.split(".");
        return regionName(state.reference, region, side);
      });
      return where.length ? h("li", {}, swatch(k), h("strong", {}, `${t(`kind_${k}`)}: `), where.join("; ")) : null;
    }).filter(Boolean);
    summary.replaceChildren(
      h("h2", { class: "marked-title" }, t("map_marked_title")),
      rows.length ? h("ul", { class: "legend marked-list" }, rows) : h("p", { class: "hint" }, t("map_marked_none")),
    );
  };
  const refused = h("p", { class: "status", role: "status", "aria-live": "polite" }, "");
  const map = bodyMap({
    reference: state.reference,
    interactive: true,
    marks,
    canMark,
    currentKind: () => kind,
    onChange: () => {
      refused.textContent = "";
      renderSummary();
    },
    onRefused: (shape) => {
      refused.textContent = t("map_not_for_kind", { region: shape.name });
    },
  });
  const kinds = h(
    "fieldset",
    { class: "field kind-picker" },
    h("legend", { class: "label-big" }, t("map_kind_label")),
    h(
      "div",
      { class: "radios radios-inline" },
      KINDS.map((k) =>
        h("div", { class: "radio" },
          h("input", { type: "radio", name: "kind", id: `kind-${k}`, value: k, checked: k === kind, onchange: () => { kind = k; refused.textContent = ""; map.repaint(); } }),
          h("label", { for: `kind-${k}` }, swatch(k), t(`kind_${k}`))),
      ),
    ),
  );
  renderSummary();
  const form = h(
    "form",
    {
      novalidate: true,
      "data-question": q.id,
      onsubmit: (event) => {
        event.preventDefault();
        // Marked areas are present; every other area of the map is absent, as the question
        // says ("leave the rest blank").
        const entries = q.items.map((id) => {
          const parts = id.split(".");
          const key = parts.length === 3 ? regionKey(parts[1], parts[2]) : parts[1];
          const set = marks.get(key);
          return [id, set && set.has(parts[0]) ? "present" : "absent"];
        });
        answer(entries);
      },
    },
    kinds,
    h("p", { class: "hint" }, t("map_how")),
    h("p", { class: "hint" }, t("map_sides_note")),
    map,
    refused,
    summary,
    statusLine(),
    navButtons(),
  );
  document.title = `${t("map_title")} – ${t("app_name")}`;
  show(main, progress(), h("h1", {}, t("map_title")), h("p", { class: "lead" }, q.text), whyAsked(q), form);
}

function singlePage(q, error = null) {
  let value = state.evidence.get(q.id) || null;
  const form = h(
    "form",
    {
      novalidate: true,
      "data-question": q.id,
      onsubmit: (event) => {
        event.preventDefault();
        if (!value) return singlePage(q, t("answer_required"));
        answer([[q.id, value]]);
      },
    },
    answerRadios({
      name: "answer",
      legend: q.text,
      legendClass: "question-legend",
      value,
      labels: labels(),
      error,
      onchange: (v) => {
        value = v;
        if (v === "present") emergencyCheck([[q.id, v]], () => singlePage(q));
      },
    }),
    whyAsked(q),
    statusLine(),
    navButtons(),
  );
  document.title = `${q.text} – ${t("app_name")}`;
  show(main, progress(), error ? errorSummary(t("error_summary_title"), [{ field: "answer", text: error }]) : null, form);
  // The legend is the page's question: make it the page heading for assistive technology.
  const legend = form.querySelector("legend");
  legend.setAttribute("role", "heading");
  legend.setAttribute("aria-level", "1");
  legend.setAttribute("tabindex", "-1");
  if (!error) legend.focus({ preventScroll: true });
}

// A number question (the pain score): a scale of radio buttons from `min` to `max`, the
// words for each end from the question, Next, and Not sure / skip (sent as null).
function numberPage(q, error = null) {
  const min = Number.isInteger(q.min) ? q.min : 0;
  const max = Number.isInteger(q.max) ? q.max : 10;
  let value = Number.isInteger(state.numbers.get(q.id)) ? state.numbers.get(q.id) : null;
  const ends = { [min]: q.min_label, [max]: q.max_label };
  const options = [];
  for (let n = min; n <= max; n += 1) {
    const id = n === min ? "answer" : `answer-${n}`;
    options.push(
      // The whole box is the label, so that it is one large target.
      h(
        "label",
        { class: "scale-option", for: id },
        h("input", { type: "radio", id, name: "answer", value: String(n), checked: value === n, onchange: () => { value = n; } }),
        h("span", { class: "scale-number" }, String(n), ends[n] ? h("span", { class: "visually-hidden" }, ` (${ends[n]})`) : null),
      ),
    );
  }
  const errorId = error ? "scale-error" : null;
  const form = h(
    "form",
    {
      novalidate: true,
      "data-question": q.id,
      "data-kind": "number",
      onsubmit: (event) => {
        event.preventDefault();
        if (value === null) return numberPage(q, t("scale_required"));
        answerNumber(q.id, value);
      },
    },
    h(
      "fieldset",
      { class: `answer scale-field${error ? " has-error" : ""}`, "aria-describedby": errorId },
      h("legend", { class: "question-legend" }, q.text),
      error ? h("p", { class: "field-error", id: errorId }, error) : null,
      h("div", { class: `scale scale-${max - min + 1}` }, options),
      q.min_label || q.max_label
        ? h(
            "div",
            { class: "scale-ends", "aria-hidden": "true" },
            h("span", {}, q.min_label ? t("scale_end", { n: min, label: q.min_label }) : ""),
            h("span", {}, q.max_label ? t("scale_end", { n: max, label: q.max_label }) : ""),
          )
        : null,
    ),
    whyAsked(q),
    statusLine(),
    navButtons("continue", {
      label: t("scale_next"),
      extra: h("button", { type: "button", class: "button button-secondary", id: "skip", onclick: () => answerNumber(q.id, null) }, t("scale_skip")),
    }),
  );
  document.title = `${q.text} – ${t("app_name")}`;
  show(main, progress(), error ? errorSummary(t("error_summary_title"), [{ field: "answer", text: error }]) : null, form);
  const legend = form.querySelector("legend");
  legend.setAttribute("role", "heading");
  legend.setAttribute("aria-level", "1");
  legend.setAttribute("tabindex", "-1");
  if (!error) legend.focus({ preventScroll: true });
}

function groupPage(q, missing = null) {
  const values = new Map(q.items.map((id) => [id, state.evidence.get(id) || null]));
  const rows = q.items.map((id) => {
    const def = state.reference.byId.get(id);
    const name = `item-${id.replace(/\./g, "-")}`;
    return answerRadios({
      name,
      legend: def ? def.question_patient || def.patient : id,
      value: values.get(id),
      labels: labels(),
      error: missing && !values.get(id) ? t("answer_required") : null,
      onchange: (v) => {
        values.set(id, v);
        if (v === "present") {
          emergencyCheck([...values].filter(([, st]) => st), () => groupPage(q));
        }
      },
    });
  });
  for (const [i, row] of rows.entries()) row.setAttribute("data-finding", q.items[i]);
  const form = h(
    "form",
    {
      novalidate: true,
      "data-question": q.id,
      onsubmit: (event) => {
        event.preventDefault();
        const unanswered = [...values].filter(([, v]) => !v);
        if (unanswered.length) {
          for (const [id, v] of values) if (v) state.evidence.set(id, v);
          return groupPage(q, unanswered.map(([id]) => id));
        }
        answer([...values]);
      },
    },
    h("div", { class: "group-items" }, rows),
    whyAsked(q),
    statusLine(),
    navButtons(),
  );
  document.title = `${q.text} – ${t("app_name")}`;
  show(
    main,
    progress(),
    missing
      ? errorSummary(t("error_summary_title"), missing.map((id) => ({ field: `item-${id.replace(/\./g, "-")}`, text: `${t("group_answer_required")}: ${(state.reference.byId.get(id) || {}).question_patient || id}` })))
      : null,
    h("h1", {}, q.text),
    h("p", { class: "hint" }, t("group_hint")),
    form,
  );
  if (missing) main.querySelector(".error-summary").focus();
}

let checkToken = 0;
// Asks the API straight away whether the answers given so far on this page make the case
// an emergency, and if they do, shows the emergency advice at once.
async function emergencyCheck(entries, returnTo) {
  const token = ++checkToken;
  const trial = kase();
  const given = new Map(entries);
  trial.evidence = [...new Map([...state.evidence, ...given])].map(([id, st]) => ({ id, state: st }));
  let assessment;
  try {
    assessment = await interview(trial);
  } catch {
    return; // The answer is checked again when the page is submitted.
  }
  if (token !== checkToken || assessment.triage.level !== "emergency") return;
  // Keep the answers, so that the full result and "go back" both see them.
  state.pending = { entries: [...given], returnTo };
  emergency(assessment, { fromAnswer: false });
}

// The emergency card, shown at once: the level's headline and instruction from the knowledge
// base (the assessment's triage), and the reasons.
function emergency(assessment, { fromAnswer }) {
  const texts = levelTexts(assessment.triage, state.reference.kb);
  document.title = `${texts.headline} – ${t("app_name")}`;
  const mistake = () => {
    if (fromAnswer) return back();
    const pending = state.pending;
    state.pending = null;
    for (const [id, st] of pending.entries) state.evidence.set(id, st);
    pending.returnTo();
  };
  const seeResult = () => {
    if (!fromAnswer && state.pending) {
      state.history.push(snapshot());
      for (const [id, st] of state.pending.entries) state.evidence.set(id, st);
      state.pending = null;
    }
    results(assessment);
  };
  show(
    main,
    h(
      "section",
      { class: "care-card care-emergency emergency-now", "data-triage": "emergency", id: "emergency", "aria-labelledby": "emergency-title" },
      h("div", { class: "care-head" }, triageIcon("emergency"),
        h("div", {}, h("p", { class: "care-level" }, texts.label), h("h1", { class: "care-title", id: "emergency-title" }, texts.headline))),
      h(
        "div",
        { class: "care-body" },
        h("p", { class: "care-who" }, texts.instruction),
        h("ul", { class: "care-reasons" }, assessment.triage.reasons.filter((r) => r.level === "emergency").map((r) => h("li", {}, r.text))),
        h("p", {}, t("emergency_show")),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "button", id: "see-result", onclick: seeResult }, t("emergency_see_result")),
      h("button", { type: "button", class: "button button-secondary", id: "mistake", onclick: mistake }, t("emergency_mistake")),
    ),
  );
}

function results(assessment) {
  document.title = `${t("result_title")} – ${t("app_name")}`;
  state.assessment = assessment;
  show(
    main,
    patientResults({
      assessment,
      reference: state.reference,
      evidence: state.evidence,
      outline: markedKeys(),
      onShare: share,
      onRestart: () => {
        state.evidence = new Map();
        state.marks = new Map();
        state.numbers = new Map();
        state.history = [];
        welcome();
      },
    }),
  );
}

function share() {
  document.title = `${t("share_title")} – ${t("app_name")}`;
  show(
    main,
    sharePage({
      assessment: state.assessment,
      reference: state.reference,
      kase: kase(),
      evidence: state.evidence,
      outline: markedKeys(),
      onBack: () => results(state.assessment),
    }),
  );
}

function failure(error, retry) {
  show(
    main,
    h("h1", {}, t("error_title")),
    h("p", {}, t("error_body")),
    error && error.problem && error.problem.detail ? h("p", { class: "muted" }, error.problem.detail) : null,
    h("button", { type: "button", class: "button", onclick: retry }, t("error_retry")),
  );
}

async function start() {
  try {
    state.reference = await loadReference();
  } catch (error) {
    return failure(error, start);
  }
  welcome();
}

fillChrome();
start();
