// An episode's timeline on the clinician page: one person's stored assessments over time
// (`GET /v1/episodes/{id}`, with an API key), drawn as an SVG chart of three aligned tracks
// (triage level, pain score, most likely nerve root) with the course's alerts marked at the
// assessments that raised them, and the same data as a table below it.
//
// The chart is built with DOM calls (`s()`, never markup from data) and styled by classes
// only, as the Content-Security-Policy wants. It is one image to assistive technology (its
// label says what it shows); the table is its accessible equivalent and the copy to paste.
// The API key is kept only in its field: it is not stored anywhere by this page.

import { h, s } from "./dom.js";
import { STRINGS, t, percent } from "./strings.js";
import { readEpisode } from "./api.js";
import { LEVELS, clinicianTable, levelTexts } from "./results.js";

// The chart's geometry, in CSS pixels (the SVG is drawn at its on-screen size, so its text
// stays the page's size on a phone). Columns narrower than MIN_COLUMN make the chart wider
// than its box, which then scrolls sideways; columns wider than MAX_COLUMN would spread a
// short course across the page.
const LABEL_WIDTH = 70;
const MIN_COLUMN = 52;
const MAX_COLUMN = 180;
const ALERT_ROW = { top: 4, height: 28 };
const TRIAGE_TITLE_Y = 50;
const BAND = { top: 58, height: 18 };
const PAIN_TITLE_Y = BAND.top + LEVELS.length * BAND.height + 24;
const PAIN = { top: PAIN_TITLE_Y + 16, height: 96 };
const ROOT_TITLE_Y = PAIN.top + PAIN.height + 28;
const ROOT_Y = ROOT_TITLE_Y + 20;
const AXIS_Y = ROOT_Y + 26;
const HEIGHT = AXIS_Y + 54;

let kb = null;
// What is on screen, for redrawing the chart when its box changes width.
let shown = null;

// The timeline section: the key and episode fields, and where the timeline is shown.
export function timelineSection(reference) {
  kb = reference.kb;
  const field = (id, label, input, hint = null) =>
    h(
      "div",
      { class: "field tl-field" },
      h("label", { for: id }, label),
      hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
      h("p", { class: "field-error", id: `${id}-error`, role: "status" }, ""),
      input,
    );
  const form = h(
    "form",
    { novalidate: true, id: "timeline-form", class: "tl-form", onsubmit: submit },
    field(
      "tl-key",
      t("tl_key_label"),
      h("input", {
        id: "tl-key",
        name: "key",
        type: "password",
        class: "input tl-input",
        autocomplete: "off",
        spellcheck: "false",
        "aria-describedby": "tl-key-hint tl-key-error",
      }),
      t("tl_key_hint"),
    ),
    field(
      "tl-episode",
      t("tl_episode_label"),
      h("input", {
        id: "tl-episode",
        name: "episode",
        type: "text",
        class: "input tl-input",
        autocomplete: "off",
        spellcheck: "false",
        "aria-describedby": "tl-episode-error",
      }),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button", id: "tl-show" }, t("tl_show"))),
    h("p", { class: "status", id: "tl-status", role: "status", "aria-live": "polite" }, ""),
  );
  return h(
    "section",
    { class: "panel timeline", id: "timeline", "aria-labelledby": "timeline-title" },
    h("h2", { id: "timeline-title" }, t("tl_title")),
    h("p", { class: "hint" }, t("tl_intro")),
    form,
    h("div", { id: "tl-output", class: "tl-output" }),
  );
}

// Marks `input` as wrong with `message`, or clears it (`message` null); whether it was fine.
function check(input, message) {
  const error = document.getElementById(`${input.id}-error`);
  error.textContent = message || "";
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  return !message;
}

async function submit(event) {
  event.preventDefault();
  const form = event.target;
  const key = form.key.value.trim();
  const id = form.episode.value.trim();
  const idOk = check(form.episode, id ? null : t("tl_episode_error"));
  const keyOk = check(form.key, key ? null : t("tl_key_error"));
  if (!keyOk || !idOk) {
    (keyOk ? form.episode : form.key).focus();
    return;
  }
  const status = document.getElementById("tl-status");
  const output = document.getElementById("tl-output");
  const button = document.getElementById("tl-show");
  status.textContent = t("tl_loading");
  button.disabled = true;
  let episode;
  try {
    episode = await readEpisode(id, key);
  } catch (error) {
    shown = null;
    output.replaceChildren(
      h("div", { class: "error-summary tl-error", role: "alert", "data-status": error.status || "" }, h("h3", { class: "error-summary-title" }, t("error_title")), h("p", {}, errorText(error))),
    );
    status.textContent = "";
    return;
  } finally {
    button.disabled = false;
  }
  shown = { episode, visits: visitsOf(episode) };
  output.replaceChildren(...timeline(shown));
  status.textContent = t("tl_shown", { n: shown.visits.length });
  const title = document.getElementById("tl-result-title");
  title.setAttribute("tabindex", "-1");
  title.focus();
}

// What went wrong, for a clinician: the usual answers in words, anything else with the API's
// own detail.
function errorText(error) {
  switch (error.status) {
    case undefined:
      return t("tl_error_network");
    case 401:
      return t("tl_error_401");
    case 404:
      return t("tl_error_404");
    case 429:
      return t("tl_error_429");
    case 503:
      return t("tl_error_503");
    default:
      return t("tl_error_other", { detail: error.message });
  }
}

// One visit per stored assessment, oldest first, with what the chart and the table show and
// the alerts it raised.
function visitsOf(episode) {
  const visits = (episode.assessments || []).map((record, i) => {
    const kase = record.case || {};
    const assessment = record.assessment || {};
    const triage = assessment.triage || {};
    // A level this page does not know (a newer server) is shown as urgent, never as less.
    const level = LEVELS.includes(triage.level) ? triage.level : "urgent";
    const top = (assessment.roots || [])[0] || null;
    return {
      n: i + 1,
      id: record.id,
      created: new Date(record.created_at),
      createdText: record.created_at,
      day: Number.isInteger(kase.symptom_duration_days) ? kase.symptom_duration_days : null,
      level,
      levelLabel: levelTexts({ level }, kb).label || level,
      pain: Number.isInteger(kase.pain_score) ? kase.pain_score : null,
      root: top,
      alerts: [],
    };
  });
  const byId = new Map(visits.map((v) => [v.id, v]));
  for (const alert of episode.alerts || []) {
    const visit = byId.get(alert.assessment_id);
    if (visit) visit.alerts.push(alert);
  }
  return visits;
}

const sideWord = (side) => t(side === "left" ? "side_left" : "side_right");
const rootText = (root) => (root ? t("tl_root_full", { root: root.root, side: sideWord(root.side), percent: percent(root.probability) }) : t("tl_not_recorded"));
const painText = (pain) => (pain === null ? t("tl_not_recorded") : String(pain));
// An alert kind's short name; a kind this page does not know (a newer server) as it is sent.
const alertKind = (kind) => (STRINGS[`tl_alert_${kind}`] !== undefined ? t(`tl_alert_${kind}`) : String(kind).replace(/_/g, " "));

function dateShort(visit) {
  return Number.isNaN(visit.created.getTime()) ? visit.createdText : visit.created.toLocaleDateString(t("lang"), { day: "numeric", month: "short" });
}

function dateLong(visit) {
  return Number.isNaN(visit.created.getTime())
    ? visit.createdText
    : visit.created.toLocaleString(t("lang"), { dateStyle: "medium", timeStyle: "short" });
}

// The timeline of `shown`: a title, the episode's facts, the chart and the table.
function timeline({ episode, visits }) {
  const created = new Date(episode.created_at);
  const alerts = visits.reduce((n, v) => n + v.alerts.length, 0);
  const facts = t("tl_episode_facts", {
    subject: episode.subject,
    date: Number.isNaN(created.getTime()) ? episode.created_at : created.toLocaleDateString(t("lang"), { dateStyle: "medium" }),
    n: visits.length,
    alerts,
  });
  const title = h("h3", { id: "tl-result-title", class: "tl-result-title" }, t("tl_result_title"));
  if (!visits.length) return [title, h("p", {}, facts), h("p", {}, t("tl_empty"))];
  return [
    title,
    h("p", { class: "tl-facts" }, facts),
    h(
      "figure",
      { class: "tl-figure" },
      // A region that can take the focus, so that a chart wider than its box can be scrolled
      // with the keyboard.
      h("div", { class: "tl-chart-wrap", id: "tl-chart-wrap", tabindex: "0", role: "region", "aria-label": t("tl_chart_region") }, chart(visits, chartWidth())),
      h("figcaption", { class: "hint" }, t("tl_chart_caption")),
    ),
    table(visits),
  ];
}

// The width of the chart's box (the output area, which the figure fills).
function chartWidth() {
  const output = document.getElementById("tl-output");
  return Math.max(240, Math.floor(output ? output.clientWidth : 640));
}

// The SVG chart of `visits` for a box `width` pixels wide (wider when the columns would be
// too narrow: the box then scrolls sideways).
function chart(visits, width) {
  const column = Math.min(MAX_COLUMN, Math.max(MIN_COLUMN, (width - LABEL_WIDTH) / visits.length));
  const svgWidth = Math.ceil(LABEL_WIDTH + column * visits.length);
  const right = svgWidth;
  const x = (v) => LABEL_WIDTH + column * (v.n - 0.5);
  const bandY = (level) => BAND.top + LEVELS.indexOf(level) * BAND.height + BAND.height / 2;
  const painY = (pain) => PAIN.top + ((10 - pain) / 10) * PAIN.height;
  const title = (text) => s("title", {}, text);
  const label = (text, y, attrs = {}) => s("text", { x: 0, y, class: "tl-label", ...attrs }, text);

  const alertVisits = visits.filter((v) => v.alerts.length);
  const summary = t("tl_chart_label", {
    n: visits.length,
    levels: visits.map((v) => v.levelLabel).join(", "),
    pains: visits.map((v) => painText(v.pain)).join(", "),
    roots: visits.map((v) => rootText(v.root)).join("; "),
    alerts: alertVisits.length
      ? alertVisits.map((v) => `${t("tl_visit", { n: v.n })} (${v.alerts.map((a) => alertKind(a.kind)).join(", ")})`).join("; ")
      : t("tl_chart_no_alerts"),
  });

  // Columns: a light stripe on every other one, and a dashed guide through every track at
  // an assessment that raised alerts.
  const columns = visits.map((v) =>
    s("rect", { class: `tl-column${v.n % 2 ? "" : " tl-column-even"}`, x: x(v) - column / 2, y: ALERT_ROW.top, width: column, height: AXIS_Y - ALERT_ROW.top }),
  );
  const guides = alertVisits.map((v) => s("line", { class: "tl-alert-line", x1: x(v), x2: x(v), y1: ALERT_ROW.top + ALERT_ROW.height, y2: AXIS_Y }));

  // The alerts: a warning triangle with the number of alerts, titled with their texts.
  const alertMarks = alertVisits.map((v) => {
    const cx = x(v);
    const cy = ALERT_ROW.top + ALERT_ROW.height / 2;
    const texts = v.alerts.map((a) => `${alertKind(a.kind)}: ${a.text}`).join("; ");
    return s(
      "g",
      { class: "tl-alert", "data-visit": v.n, "data-count": v.alerts.length, "data-kinds": v.alerts.map((a) => a.kind).join(" ") },
      title(t("tl_alert_marker", { n: v.n, count: v.alerts.length, texts })),
      s("path", { class: "tl-alert-icon", d: `M${cx} ${cy - 11} L${cx + 12} ${cy + 10} H${cx - 12} Z` }),
      s("text", { class: "tl-alert-count", x: cx, y: cy + 7, "text-anchor": "middle" }, String(v.alerts.length)),
    );
  });

  // Triage: a band per level, most urgent on top; a point per visit at its level.
  const bands = LEVELS.map((level, i) => [
    s("rect", { class: `tl-band tl-band-${level}`, x: LABEL_WIDTH, y: BAND.top + i * BAND.height, width: right - LABEL_WIDTH, height: BAND.height }),
    label(levelTexts({ level }, kb).label || level, BAND.top + i * BAND.height + BAND.height / 2 + 4, { class: "tl-label tl-band-label" }),
  ]);
  const triageLine = s("polyline", { class: "tl-triage-line", points: visits.map((v) => `${x(v)},${bandY(v.level)}`).join(" ") });
  const triagePoints = visits.map((v) =>
    s(
      "circle",
      { class: `tl-level tl-level-${v.level}`, cx: x(v), cy: bandY(v.level), r: 6.5, "data-visit": v.n, "data-level": v.level },
      title(t("tl_point_triage", { n: v.n, level: v.levelLabel })),
    ),
  );

  // Pain: a 0-10 scale with lines at 0, 5 and 10; a line through the scores given (broken
  // where one was not recorded) and a point with its number at each.
  const grid = [0, 5, 10].map((p) => [
    s("line", { class: "tl-grid", x1: LABEL_WIDTH, x2: right, y1: painY(p), y2: painY(p) }),
    s("text", { class: "tl-label tl-tick", x: LABEL_WIDTH - 8, y: painY(p) + 4, "text-anchor": "end" }, String(p)),
  ]);
  const runs = [];
  let run = [];
  for (const v of visits) {
    if (v.pain === null) {
      if (run.length) runs.push(run);
      run = [];
    } else run.push(v);
  }
  if (run.length) runs.push(run);
  const painLines = runs
    .filter((r) => r.length > 1)
    .map((r) => s("polyline", { class: "tl-pain-line", points: r.map((v) => `${x(v)},${painY(v.pain)}`).join(" ") }));
  const painPoints = visits
    .filter((v) => v.pain !== null)
    .map((v) =>
      s(
        "g",
        { class: "tl-pain", "data-visit": v.n },
        title(t("tl_point_pain", { n: v.n, pain: v.pain })),
        s("circle", { class: "tl-pain-point", cx: x(v), cy: painY(v.pain), r: 5, "data-visit": v.n, "data-pain": v.pain }),
        s("text", { class: "tl-value", x: x(v), y: painY(v.pain) - 9, "text-anchor": "middle" }, String(v.pain)),
      ),
    );

  // The most likely root: its name and side, and its probability below.
  const roots = visits.map((v) =>
    s(
      "text",
      { class: "tl-root", x: x(v), y: ROOT_Y, "text-anchor": "middle", "data-visit": v.n, "data-root": v.root ? v.root.root : "", "data-side": v.root ? v.root.side : "" },
      title(t("tl_point_root", { n: v.n, root: rootText(v.root) })),
      v.root
        ? [
            s("tspan", { x: x(v), dy: 0, class: "tl-root-name" }, t("tl_root", { root: v.root.root, side: sideWord(v.root.side) })),
            s("tspan", { x: x(v), dy: 15 }, percent(v.root.probability)),
          ]
        : "—",
    ),
  );

  // The axis: each visit's number, date and symptom day.
  const axis = [
    s("line", { class: "tl-axis", x1: LABEL_WIDTH, x2: right, y1: AXIS_Y, y2: AXIS_Y }),
    visits.map((v) =>
      s(
        "text",
        { class: "tl-axis-label", x: x(v), y: AXIS_Y + 16, "text-anchor": "middle", "data-visit": v.n },
        s("tspan", { x: x(v), dy: 0, class: "tl-axis-visit" }, t("tl_visit", { n: v.n })),
        s("tspan", { x: x(v), dy: 15 }, dateShort(v)),
        v.day === null ? null : s("tspan", { x: x(v), dy: 15 }, t("tl_day", { n: v.day })),
      ),
    ),
  ];

  return s(
    "svg",
    {
      class: "tl-chart",
      id: "tl-chart",
      role: "img",
      "aria-label": summary,
      width: svgWidth,
      height: HEIGHT,
      viewBox: `0 0 ${svgWidth} ${HEIGHT}`,
      "data-visits": visits.length,
      "data-width": width,
    },
    columns,
    guides,
    label(t("tl_track_alerts"), ALERT_ROW.top + ALERT_ROW.height / 2 + 4),
    alertMarks,
    label(t("tl_track_triage"), TRIAGE_TITLE_Y, { class: "tl-label tl-track-title" }),
    bands,
    triageLine,
    triagePoints,
    label(t("tl_track_pain"), PAIN_TITLE_Y, { class: "tl-label tl-track-title" }),
    grid,
    painLines,
    painPoints,
    label(t("tl_track_root"), ROOT_TITLE_Y, { class: "tl-label tl-track-title" }),
    roots,
    axis,
  );
}

// The same data as a table: a row per assessment, with its alerts.
function table(visits) {
  return clinicianTable(
    [t("tl_col_visit"), t("tl_col_date"), t("tl_col_day"), t("tl_col_triage"), t("tl_col_pain"), t("tl_col_root"), t("tl_col_alerts")],
    visits.map((v) => [
      t("tl_visit", { n: v.n }),
      dateLong(v),
      v.day === null ? t("tl_not_recorded") : String(v.day),
      h("span", { "data-level": v.level }, v.levelLabel),
      painText(v.pain),
      rootText(v.root),
      v.alerts.length
        ? h(
            "ul",
            { class: "tl-alert-list" },
            v.alerts.map((a) => h("li", { "data-alert-kind": a.kind }, h("strong", {}, t("tl_alert_kind", { kind: alertKind(a.kind) })), " ", a.text, h("span", { class: "source" }, ` [${a.source}]`))),
          )
        : t("clin_none"),
    ]),
    t("tl_table_caption"),
    { "data-table": "timeline" },
  );
}

// The chart follows its box's width (a phone turned, a window resized).
let pending = false;
window.addEventListener("resize", () => {
  if (pending || !shown || !shown.visits.length) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const wrap = document.getElementById("tl-chart-wrap");
    const old = document.getElementById("tl-chart");
    if (!wrap || !old) return;
    const width = chartWidth();
    if (width !== Number(old.dataset.width)) old.replaceWith(chart(shown.visits, width));
  });
});
