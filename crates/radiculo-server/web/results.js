// What an assessment looks like on a page: the triage care card, the dermatome picture, the
// likely causes, why, the plan; the clinician tables; the summary for a doctor; the download.

import { h, s } from "./dom.js";
import { t, percent, percentFine } from "./strings.js";
import { bodyMap, regionKey, regionName, shadeLegend } from "./bodymap.js";

export const LEVELS = ["emergency", "urgent", "soon", "routine", "self_care"];

// What a triage level means, in the knowledge base's one wording: the assessment's own
// `headline`, `instruction`, `clinician_headline` and `clinician_instruction`, or, from a server
// that does not send them, `/v1/kb`'s `levels` (for an unknown level, the urgent one's), and
// the level's `label` from `/v1/kb`. The pages never word a level themselves.
export function levelTexts(triage, kb) {
  const levels = (kb && kb.levels) || [];
  const known = levels.find((l) => l.level === triage.level) || levels.find((l) => l.level === "urgent") || {};
  const pick = (field) => triage[field] || known[field] || "";
  return {
    label: known.label || "",
    headline: pick("headline"),
    instruction: pick("instruction"),
    clinician_headline: pick("clinician_headline"),
    clinician_instruction: pick("clinician_instruction"),
  };
}

// The word for a probability: the API's `likelihood`, or, from a server that does not send
// it, the first of `/v1/kb`'s `likelihood_words` whose threshold the probability reaches.
export function likelihoodWord(item, kb) {
  if (item.likelihood) return item.likelihood;
  const words = (kb && kb.likelihood_words) || [];
  const word = words.find((w) => item.probability >= w.at_least);
  return word ? word.word : "";
}

function capitalise(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

// The icon of each triage level (drawn, so that no icon font or image is needed).
export function triageIcon(level) {
  const attrs = { class: "triage-icon", viewBox: "0 0 24 24", width: 32, height: 32, "aria-hidden": "true", focusable: "false" };
  const stroke = { fill: "none", stroke: "currentColor", "stroke-width": 2.2, "stroke-linecap": "round", "stroke-linejoin": "round" };
  switch (level) {
    case "emergency":
      return s("svg", attrs, s("path", { ...stroke, d: "M12 3 L22 20 H2 Z" }), s("path", { ...stroke, d: "M12 9 V14" }), s("circle", { cx: 12, cy: 17, r: 1.2, fill: "currentColor" }));
    case "urgent":
      return s("svg", attrs, s("circle", { ...stroke, cx: 12, cy: 12, r: 9 }), s("path", { ...stroke, d: "M12 7 V12 L15.5 14" }));
    case "soon":
    case "routine":
      return s("svg", attrs, s("rect", { ...stroke, x: 3, y: 5, width: 18, height: 16, rx: 2 }), s("path", { ...stroke, d: "M3 10 H21 M8 3 V7 M16 3 V7" }));
    default:
      return s("svg", attrs, s("path", { ...stroke, d: "M3 11 L12 4 L21 11 V20 H3 Z" }), s("path", { ...stroke, d: "M10 20 V14 H14 V20" }));
  }
}

// The care card of a triage level: colour, icon and words together, the words from the
// knowledge base (`levelTexts`). `reasons` are the assessment's triage reasons; `clinician`
// shows the clinicians' wording, and the reasons' clinical texts and sources.
export function triageCard(triage, { clinician = false, kb = null } = {}) {
  // A level this page does not know (a newer server) is shown as urgent, never as less: an
  // unknown answer must not read as reassurance.
  const level = LEVELS.includes(triage.level) ? triage.level : "urgent";
  // The person reads the reasons for the level given; a clinician reads every rule that fired.
  const reasons = (triage.reasons || []).filter((r) => clinician || r.level === level);
  const texts = levelTexts(triage, kb);
  return h(
    "section",
    { class: `care-card care-${level}`, "data-triage": level, "aria-labelledby": "care-title" },
    h(
      "div",
      { class: "care-head" },
      triageIcon(level),
      h(
        "div",
        {},
        h("p", { class: "care-level" }, texts.label),
        h("h2", { class: "care-title", id: "care-title" }, clinician ? texts.clinician_headline : texts.headline),
      ),
    ),
    h(
      "div",
      { class: "care-body" },
      h("p", { class: "care-who" }, clinician ? texts.clinician_instruction : texts.instruction),
      reasons.length
        ? [
            h("h3", { class: "care-reasons-title" }, t("triage_reasons")),
            h(
              "ul",
              { class: "care-reasons" },
              reasons.map((r) =>
                h("li", {}, clinician ? [r.clinician_text, h("span", { class: "source" }, ` [${r.source}]`)] : r.text),
              ),
            ),
          ]
        : null,
    ),
  );
}

// P(region involved) on each side from the root probabilities and the roots' territories:
// 1 − Π(1 − P(root, side) × coverage(root, region)).
export function involvement(assessment, kb) {
  const shade = new Map();
  const territory = new Map(kb.root_territories.map((r) => [r.root, r.regions]));
  for (const side of ["left", "right"]) {
    for (const region of kb.regions) {
      let none = 1;
      for (const r of assessment.roots) {
        if (r.side !== side) continue;
        const c = (territory.get(r.root) || []).find((x) => x.region === region.id);
        if (c) none *= 1 - r.probability * c.coverage;
      }
      shade.set(regionKey(region.id, side), 1 - none);
    }
  }
  return shade;
}

// The dermatome picture: the body map shaded by involvement, marked regions outlined. With
// `words`, the leading root's likelihood is a word (for the person), otherwise a number.
export function dermatome(assessment, reference, outline, { words = false } = {}) {
  const top = assessment.roots[0];
  const sideWord = top ? t(top.side === "left" ? "side_left" : "side_right") : "";
  const summary = !top
    ? ""
    : words
      ? t("dermatome_summary_words", { root: top.root, side: sideWord, likelihood: likelihoodWord(top, reference.kb) })
      : t("dermatome_summary", { root: top.root, side: sideWord, percent: percent(top.probability) });
  return h(
    "section",
    { class: "panel dermatome", "aria-labelledby": "dermatome-title" },
    h("h2", { id: "dermatome-title" }, t("dermatome_title")),
    h("p", {}, t("dermatome_intro")),
    top ? h("p", { class: "lead-root", "data-root": top.root, "data-side": top.side }, h("strong", {}, summary)) : null,
    assessment.mechanism && assessment.mechanism.radicular < reference.kb.presentation.radicular_at_least
      ? h("p", { class: "hint" }, t("dermatome_none"))
      : null,
    bodyMap({
      reference,
      interactive: false,
      shade: involvement(assessment, reference.kb),
      outline,
      label: top ? t("dermatome_figure_label", { root: top.root, side: sideWord }) : t("map_figure_label"),
    }),
    shadeLegend(),
  );
}

// A probability bar with its words (the number is always written, never only drawn).
function bar(name, p) {
  return h(
    "div",
    { class: "prob" },
    h("div", { class: "prob-label" }, h("span", {}, name), h("span", { class: "prob-value" }, percent(p))),
    h("div", { class: "prob-track", "aria-hidden": "true" }, h("div", { class: `prob-fill w-${Math.round(p * 20) * 5}` })),
  );
}

// The same for the person: the likelihood in words first, the number one click away.
function wordBar(name, item, kb) {
  const word = likelihoodWord(item, kb);
  return h(
    "div",
    { class: "prob prob-words", "data-likelihood": word },
    h("div", { class: "prob-label" }, h("span", {}, name), h("strong", { class: "likelihood" }, capitalise(word))),
    h("div", { class: "prob-track", "aria-hidden": "true" }, h("div", { class: `prob-fill w-${Math.round(item.probability * 20) * 5}` })),
    h(
      "details",
      { class: "prob-number" },
      h("summary", {}, t("likelihood_show"), h("span", { class: "visually-hidden" }, t("likelihood_show_for", { name }))),
      h("p", { class: "prob-value" }, t("likelihood_number", { percent: percent(item.probability) })),
    ),
  );
}

// A plan item, with the findings it still waits for (`unanswered`) listed under it in the
// reader's words (the item's text introduces them).
function planItem(p, reference, { clinician = false } = {}) {
  const open = (p.unanswered || []).map((id) => {
    const def = reference.byId.get(id);
    return h("li", { "data-unanswered": id }, def ? (clinician ? def.clinician : def.patient) : id);
  });
  return [p.text, open.length ? h("ul", { class: "plan-unanswered" }, open) : null];
}

// A target's name in plain words.
function targetName(target, assessment, clinician) {
  const root = /^(L\d|S\d)\.(left|right)$/.exec(target);
  if (root) return `${root[1]} ${t(root[2] === "left" ? "side_left" : "side_right")}`;
  const condition = assessment.conditions.find((c) => c.id === target);
  if (condition) return clinician ? condition.name : condition.patient_name;
  if (["radicular", "referred", "other"].includes(target)) return t(`mechanism_${target}`);
  return target;
}

// The results for the person.
export function patientResults({ assessment, reference, evidence, outline, onShare, onRestart }) {
  const kb = reference.kb;
  const show = kb.presentation;
  const conditions = assessment.conditions.filter((c) => c.probability >= show.condition_shown_at_least).slice(0, 4);
  const rest = assessment.conditions.filter((c) => !conditions.includes(c) && c.probability >= show.condition_listed_at_least);
  const texts = levelTexts(assessment.triage, kb);
  // The level's instruction is on the care card already; the plan may repeat it word for word.
  const patientPlan = assessment.plan.filter((p) => p.audience === "patient" && p.text !== texts.instruction);
  const helpTopics = new Set(show.help_topics);
  const plan = patientPlan.filter((p) => !helpTopics.has(p.topic));
  const help = patientPlan.filter((p) => helpTopics.has(p.topic));
  return [
    h("h1", {}, t("result_title")),
    triageCard(assessment.triage, { kb }),
    assessment.red_flags.length
      ? h(
          "section",
          { class: "panel warning-panel", "aria-labelledby": "flags-title" },
          h("h2", { id: "flags-title" }, t("red_flags_title")),
          h("ul", {}, assessment.red_flags.map((f) => h("li", {}, f.text))),
        )
      : null,
    disclaimer(assessment),
    dermatome(assessment, reference, outline, { words: true }),
    h(
      "section",
      { class: "panel", "aria-labelledby": "causes-title" },
      h("h2", { id: "causes-title" }, t("causes_title")),
      h("p", { class: "hint" }, t("causes_intro")),
      h("div", { class: "probs" }, conditions.map((c) => wordBar(c.patient_name, c, kb))),
      rest.length
        ? h(
            "details",
            {},
            h("summary", {}, t("causes_more")),
            h("div", { class: "probs" }, rest.map((c) => wordBar(c.patient_name, c, kb))),
          )
        : null,
      h("h3", {}, t("roots_title")),
      h(
        "div",
        { class: "probs" },
        assessment.roots.filter((r) => r.probability >= show.root_shown_at_least).slice(0, 3).map((r) => wordBar(targetName(`${r.root}.${r.side}`, assessment), r, kb)),
      ),
    ),
    whySection(assessment, reference, evidence),
    plan.length
      ? h("section", { class: "panel", "aria-labelledby": "plan-title" }, h("h2", { id: "plan-title" }, t("plan_title")), h("ul", { class: "plan" }, plan.map((p) => h("li", { "data-plan": p.id }, planItem(p, reference)))))
      : null,
    help.length
      ? h(
          "section",
          { class: "panel", "aria-labelledby": "help-title" },
          h("h2", { id: "help-title" }, t("help_title")),
          h("ul", { class: "plan" }, help.map((p) => h("li", { "data-plan": p.id }, planItem(p, reference)))),
        )
      : null,
    h(
      "div",
      { class: "actions no-print" },
      h("button", { type: "button", class: "button", onclick: onShare }, t("share_button")),
      h("button", { type: "button", class: "button button-secondary", onclick: () => download(assessment) }, t("download_button")),
      h("button", { type: "button", class: "button button-secondary", onclick: onRestart }, t("restart")),
    ),
    h("p", { class: "kb-version" }, t("kb_version", { version: assessment.kb_version })),
  ];
}

function disclaimer(assessment) {
  return h(
    "section",
    { class: "disclaimer", "aria-labelledby": "disclaimer-title" },
    h("h2", { id: "disclaimer-title" }, t("disclaimer_title")),
    h("p", {}, assessment.disclaimer),
  );
}

// "Why we think so": the findings that moved the leading root (or, when a nerve root is
// unlikely, the leading condition) the most.
function whySection(assessment, reference, evidence) {
  const targets = assessment.explanation_targets.map((x) => x.target);
  const top = assessment.roots[0];
  const rootTarget = top && `${top.root}.${top.side}`;
  const target =
    assessment.mechanism.radicular >= reference.kb.presentation.radicular_at_least && targets.includes(rootTarget)
      ? rootTarget
      : targets.find((x) => x === (assessment.conditions[0] && assessment.conditions[0].id)) || targets[0];
  const items = assessment.explanation
    .filter((e) => e.target === target && Math.abs(e.weight) >= reference.kb.presentation.why_weight_at_least)
    .slice(0, 8);
  const row = (e) => {
    const def = reference.byId.get(e.finding);
    const said = (evidence.get(e.finding) || e.state) === "present" ? t("why_you_said_yes") : t("why_you_said_no");
    return h(
      "li",
      { class: e.weight > 0 ? "why-up" : "why-down" },
      h("span", { class: "why-dir" }, e.weight > 0 ? `▲ ${t("why_up")}` : `▼ ${t("why_down")}`),
      h("span", {}, `${said} ${def ? def.patient : e.finding}`),
    );
  };
  return h(
    "section",
    { class: "panel", "aria-labelledby": "why-title" },
    h("h2", { id: "why-title" }, t("why_title")),
    target ? h("p", {}, t("why_intro", { target: targetName(target, assessment) })) : null,
    items.length ? h("ul", { class: "why" }, items.map(row)) : h("p", {}, t("why_none")),
  );
}

// Downloads the assessment exactly as the API gave it.
export function download(assessment) {
  const blob = new Blob([JSON.stringify(assessment, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: `radiculo-assessment-${new Date().toISOString().slice(0, 10)}.json`, class: "visually-hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The printable summary for a doctor.
export function sharePage({ assessment, reference, kase, evidence, outline, onBack }) {
  const answer = { present: t("share_present"), absent: t("share_absent"), unknown: t("share_unknown") };
  const reported = [...evidence.entries()];
  const present = reported.filter(([, st]) => st === "present");
  const other = reported.filter(([id, st]) => st !== "present" && !/^(pain|numbness|tingling)\.[a-z_]+\.(left|right)$/.test(id));
  const findingRows = (rows) =>
    rows.map(([id, state]) => {
      const def = reference.byId.get(id);
      return h("tr", {}, h("td", {}, def ? def.clinician : id, h("br"), h("span", { class: "muted" }, id)), h("td", {}, answer[state]));
    });
  const level = LEVELS.includes(assessment.triage.level) ? assessment.triage.level : "urgent";
  const texts = levelTexts(assessment.triage, reference.kb);
  const pain = kase.pain_score;
  return [
    h("h1", {}, t("share_title")),
    h("p", {}, t("share_intro")),
    h("p", { class: "muted" }, t("share_date", { date: new Date().toLocaleString() }), " · ", t("kb_version", { version: assessment.kb_version })),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("share_age")),
      h("dd", {}, String(kase.age)),
      h("dt", {}, t("share_sex")),
      h("dd", {}, kase.sex ? t(`sex_${kase.sex}`) : t("share_not_given")),
      h("dt", {}, t("share_duration")),
      h("dd", {}, kase.symptom_duration_days !== undefined ? t("share_duration_days", { n: kase.symptom_duration_days }) : t("share_not_given")),
      h("dt", {}, t("share_pain")),
      h("dd", { "data-pain-score": pain === undefined ? "" : String(pain) }, pain === undefined ? t("share_not_given") : pain === null ? t("share_pain_skipped") : String(pain)),
    ),
    h("h2", {}, t("share_result")),
    h("p", { class: `share-triage care-${level}-text`, "data-triage-level": level }, h("strong", {}, texts.clinician_headline)),
    h("p", {}, texts.clinician_instruction),
    h("p", { class: "muted" }, t("share_told", { headline: texts.headline })),
    h("ul", {}, assessment.triage.reasons.map((r) => h("li", {}, r.clinician_text))),
    assessment.red_flags.length ? h("ul", {}, assessment.red_flags.map((f) => h("li", {}, h("strong", {}, f.clinician_text)))) : null,
    clinicianTable([t("col_root"), t("col_side"), t("col_probability")], assessment.roots.slice(0, 4).map((r) => [r.root, r.side, percent(r.probability)]), t("clin_roots_title")),
    clinicianTable(
      [t("col_condition"), t("col_icd10"), t("col_probability")],
      assessment.conditions.slice(0, 5).map((c) => [c.name, c.icd10, percent(c.probability)]),
      t("clin_conditions_title"),
    ),
    dermatome(assessment, reference, outline),
    h("h2", {}, t("share_findings")),
    h(
      "table",
      { class: "table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("share_finding")), h("th", { scope: "col" }, t("share_answer")))),
      h("tbody", {}, findingRows(present), findingRows(other)),
    ),
    h("p", { class: "muted" }, assessment.disclaimer),
    h(
      "div",
      { class: "actions no-print" },
      h("button", { type: "button", class: "button", onclick: () => window.print() }, t("print_button")),
      h("button", { type: "button", class: "button button-secondary", onclick: () => download(assessment) }, t("download_button")),
      h("button", { type: "button", class: "button button-secondary", onclick: onBack }, t("share_back")),
    ),
  ];
}

// A table with a caption, column headers and rows of cells (strings or nodes).
export function clinicianTable(columns, rows, caption, attrs = {}) {
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h(
      "table",
      { class: "table", ...attrs },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.length ? null : h("tr", {}, h("td", { colspan: columns.length }, t("clin_none"))), rows.map((cells) => h("tr", {}, cells.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c)))))),
    ),
  );
}

// Every table a clinician needs.
export function clinicianResults({ assessment, reference, outline }) {
  const finding = (id) => {
    const def = reference.byId.get(id);
    return def ? def.clinician : id;
  };
  const a = assessment;
  const nq = a.next_question;
  const explanationRow = (e) => [
    targetName(e.target, a, true),
    finding(e.finding),
    e.state,
    (e.weight >= 0 ? "+" : "") + e.weight.toFixed(2),
    e.source,
  ];
  return [
    h("h2", { id: "results-title", class: "results-title" }, t("clin_results_title")),
    triageCard(a.triage, { clinician: true, kb: reference.kb }),
    clinicianTable(
      [t("clin_red_flags"), t("col_level"), t("col_finding"), t("col_source")],
      a.red_flags.map((f) => [f.clinician_text, levelTexts({ level: f.min_level }, reference.kb).label, f.findings.join(", "), f.source]),
      t("clin_red_flags"),
      { "data-table": "red-flags" },
    ),
    clinicianTable(
      [t("col_root"), t("col_side"), t("col_probability"), t("col_likelihood")],
      a.roots.map((r) => [r.root, r.side, percentFine(r.probability), likelihoodWord(r, reference.kb)]),
      t("clin_roots_title"),
      { "data-table": "roots" },
    ),
    clinicianTable(
      [t("col_condition"), t("col_icd10"), t("col_snomed"), t("col_mechanism"), t("col_probability"), t("col_likelihood")],
      a.conditions.map((c) => [c.name, `${c.icd10} ${c.icd10_display}`, c.snomed || "—", c.mechanism, percentFine(c.probability), likelihoodWord(c, reference.kb)]),
      t("clin_conditions_title"),
      { "data-table": "conditions" },
    ),
    clinicianTable(
      [t("col_mechanism"), t("col_probability")],
      ["radicular", "referred", "other"].map((m) => [t(`mechanism_${m}`), percentFine(a.mechanism[m])]),
      t("clin_mechanism_title"),
      { "data-table": "mechanism" },
    ),
    clinicianTable(
      [t("col_target"), t("col_prior"), t("col_posterior")],
      a.explanation_targets.map((x) => [targetName(x.target, a, true), percentFine(x.prior_probability), percentFine(x.posterior_probability)]),
      t("clin_targets_title"),
      { "data-table": "targets" },
    ),
    clinicianTable(
      [t("col_target"), t("col_finding"), t("col_state"), t("col_weight"), t("col_source")],
      a.explanation.filter((e) => Math.abs(e.weight) >= reference.kb.presentation.clinician_weight_at_least).map(explanationRow),
      t("clin_explanation_title"),
      { "data-table": "explanation" },
    ),
    h(
      "details",
      { class: "no-print" },
      h("summary", {}, t("clin_explanation_all", { n: a.explanation.length })),
      clinicianTable(
        [t("col_target"), t("col_finding"), t("col_state"), t("col_weight"), t("col_source")],
        a.explanation.map(explanationRow),
        t("clin_explanation_all", { n: a.explanation.length }),
        { "data-table": "explanation-all" },
      ),
    ),
    clinicianTable(
      [t("col_advice"), t("col_audience"), t("col_topic"), t("col_source")],
      a.plan.map((p) => [h("div", { "data-plan": p.id }, planItem(p, reference, { clinician: true })), p.audience, p.topic, p.source]),
      t("clin_plan_title"),
      { "data-table": "plan" },
    ),
    h(
      "section",
      { class: "panel" },
      h("h3", {}, t("clin_next_title")),
      nq ? h("p", {}, h("strong", {}, nq.text), h("br"), h("span", { class: "muted" }, nq.why)) : h("p", {}, t("clin_next_none")),
    ),
    dermatome(a, reference, outline),
    disclaimer(a),
    h(
      "div",
      { class: "actions no-print" },
      h("button", { type: "button", class: "button", onclick: () => window.print() }, t("print_button")),
      h("button", { type: "button", class: "button button-secondary", onclick: () => download(a) }, t("download_button")),
    ),
    h("p", { class: "kb-version" }, t("kb_version", { version: a.kb_version })),
  ];
}

export { regionName };
