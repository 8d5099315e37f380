// radiculo's web pages in a real browser: Debian's chromium driven by playwright-core.
//
// Run by scripts/browser-tests.sh, which starts the server and sets RADICULO_URL. Every step
// of every flow, at phone (360 × 740) and desktop (1280 × 900) widths, is screenshotted to
// ARTIFACTS_DIR, scanned with axe-core (no serious or critical violation allowed) and, at
// phone width, checked for horizontal scrolling. Console errors (a Content-Security-Policy
// violation among them) and uncaught page errors fail the test.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const BASE = process.env.RADICULO_URL;
const ARTIFACTS = path.resolve(process.env.ARTIFACTS_DIR || "../../target/browser-artifacts");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const VIEWPORTS = {
  phone: { width: 360, height: 740 },
  desktop: { width: 1280, height: 900 },
};

assert.ok(BASE, "RADICULO_URL must name the running server (scripts/browser-tests.sh sets it)");
mkdirSync(ARTIFACTS, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
});

/// A fresh page at `viewport`, with a checkpoint helper for screenshots and checks. Requests
/// may go only to `base`'s origin (the server under test); console errors that `expected`
/// matches (a request refused on purpose) are not problems.
async function open(viewport, flow, { base = BASE, expected = null } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORTS[viewport], reducedMotion: "reduce" });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !(expected && expected.test(message.text()))) problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // Nothing may be requested from anywhere but the server.
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["http:", "https:"].includes(url.protocol)) return;
    if (url.origin !== new URL(base).origin) problems.push(`request to another origin: ${request.url()}`);
  });
  let step = 0;
  const checkpoint = async (name) => {
    step += 1;
    await page.waitForLoadState("networkidle");
    const file = path.join(ARTIFACTS, `${flow}-${viewport}-${String(step).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    await axeScan(page, `${flow} ${viewport} ${name}`);
    if (viewport === "phone") {
      const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
      assert.ok(width <= 360, `${flow} ${name}: the page scrolls sideways at 360 px (${width} px wide)`);
    }
  };
  const finish = async () => {
    await context.close();
    assert.deepEqual(problems, [], `${flow} ${viewport}: errors in the page`);
  };
  return { page, checkpoint, finish };
}

/// axe-core on the page as it is: no serious or critical violation.
async function axeScan(page, where) {
  // Evaluated through the DevTools protocol, not as a <script> tag, so that the page's
  // Content-Security-Policy (no inline scripts) stays in force for everything else.
  const loaded = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!loaded) await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${where}: axe-core found serious or critical violations`);
}

/// The knowledge base (`/v1/kb`): what each triage level means, in its own words.
async function knowledgeBase() {
  const response = await fetch(`${BASE}/v1/kb`, { headers: { accept: "application/json" } });
  assert.equal(response.status, 200);
  return response.json();
}

// --- The L5 answer policy -------------------------------------------------------------------
// A person with a left L5 radiculopathy from a disc: yes to what fits, no to every warning
// sign and to anything on the right, not sure otherwise; 6 out of 10 for the pain.

const L5_LEFT_REGIONS = new Set(["lateral_leg", "dorsum_foot", "great_toe", "lateral_thigh", "buttock", "posterior_thigh"]);
const L5_YES = new Set([
  "leg_pain_worse_than_back",
  "pain_shooting_electric",
  "cough_sneeze_strain_worse",
  "worse_sitting",
  "onset_sudden",
  "slr.left",
  "weakness.great_toe_extension.left",
  "weakness.ankle_dorsiflexion.left",
]);
const RED_FLAGS_AND_CAUTIONS = new Set([
  "urinary_retention", "urinary_incontinence", "bowel_incontinence", "numbness.saddle", "sexual_dysfunction_new",
  "weakness_progressive", "foot_drop.left", "foot_drop.right",
  "history_of_cancer", "weight_loss_unexplained", "fever", "immunosuppressed", "iv_drug_use", "trauma_significant",
  "osteoporosis", "steroid_use_prolonged", "night_pain_unrelenting",
  "stomach_ulcer_history", "kidney_disease", "anticoagulants", "pregnancy", "heart_disease", "asthma",
  "symptoms_walking_standing", "no_pain_when_seated", "better_bending_forward", "relief_standing_still",
  "stocking_numbness", "hip_pain_weight_bearing", "lateral_hip_pain_lying", "diabetes", "smoker",
  "gait_unsteady", "hand_clumsiness_numbness", "known_aortic_aneurysm", "leg_cold_pale_sudden.left",
  "pulsatile_abdominal_mass", "morning_stiffness_prolonged", "improves_with_exercise", "fibular_compression_risk",
]);
const L5_PAIN_SCORE = 6;

function l5Answer(id) {
  if (L5_YES.has(id)) return "present";
  if (RED_FLAGS_AND_CAUTIONS.has(id)) return "absent";
  const region = /^(pain|numbness|tingling)\.([a-z_]+)\.(left|right)$/.exec(id);
  if (region) return region[3] === "left" && L5_LEFT_REGIONS.has(region[2]) ? "present" : "absent";
  if (id.endsWith(".right")) return "absent";
  return "unknown";
}

const itemName = (id) => `item-${id.replace(/\./g, "-")}`;

/// Welcome → about you, filled in with the mouse.
async function startPatient(page, checkpoint, age = "44") {
  await page.goto(BASE + "/");
  await page.locator("#start").waitFor();
  await checkpoint("welcome");
  await page.click("#start");
  await page.locator("#age").waitFor();
  await page.fill("#age", age);
  await page.check("#sex-female");
  await page.fill("#duration", "3");
  await page.selectOption("#duration-unit", "weeks");
  await checkpoint("about-you");
  await page.click("#continue");
  await page.locator('form[data-question="body_map"]').waitFor();
}

/// Marks `regions` ([kind, region, side]) on the map by clicking their shapes.
async function markMap(page, regions) {
  for (const [kind, region, side] of regions) {
    await page.check(`#kind-${kind}`);
    const shape = page.locator(`[data-region="${region}"][data-side="${side}"]`);
    await shape.click();
    assert.equal(await shape.getAttribute("aria-checked"), "true", `${kind} ${region} ${side} marked`);
  }
}

/// The question on screen: its id, whether it asks for a number (the pain score), and the
/// ids it asks (one, or a group's items).
async function currentQuestion(page) {
  const form = page.locator("form[data-question]");
  const id = await form.getAttribute("data-question");
  const number = (await form.getAttribute("data-kind")) === "number";
  const items = await page.locator("[data-finding]").evaluateAll((els) => els.map((e) => e.dataset.finding));
  return { id, number, items: items.length ? items : [id] };
}

/// Answers the question on screen by `policy` (a number question with `painScore`) and
/// continues.
async function answerQuestion(page, question, policy, painScore = L5_PAIN_SCORE) {
  if (question.number) {
    await page.check(`input[name="answer"][value="${painScore}"]`);
  } else if (question.items.length === 1 && question.id === question.items[0]) {
    await page.check(`input[name="answer"][value="${policy(question.id)}"]`);
  } else {
    for (const id of question.items) {
      await page.check(`input[name="${itemName(id)}"][value="${policy(id)}"]`);
    }
  }
  const before = await page.locator(".progress-count").textContent();
  await page.click("#continue");
  // The next page: another question (its count moves on), the result or the emergency card.
  await page.waitForFunction(
    (text) => {
      const count = document.querySelector(".progress-count");
      return document.querySelector("[data-triage]") || (count && count.textContent !== text);
    },
    before,
  );
}

/// Records the bodies of the page's `/v1/interview` requests and the assessments it gets back.
function recordInterview(page) {
  const record = { requests: [], assessments: [] };
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/v1/interview") {
      record.requests.push(JSON.parse(request.postData()));
    }
  });
  page.on("response", async (response) => {
    if (response.request().method() === "POST" && new URL(response.url()).pathname === "/v1/interview" && response.ok()) {
      record.assessments.push(await response.json());
    }
  });
  return record;
}

/// Marks the L5 areas and answers every question by the L5 policy until the result; `onQuestion`
/// may take a question over (it returns true when it has answered it).
async function l5ToResult(page, checkpoint, onQuestion = async () => false, policy = l5Answer) {
  await startPatient(page, checkpoint);
  await markMap(page, [
    ["pain", "lateral_leg", "left"],
    ["pain", "dorsum_foot", "left"],
  ]);
  await page.click("#continue");
  await page.waitForFunction(() => !document.querySelector('form[data-question="body_map"]'));
  const asked = [];
  for (let n = 0; n < 40; n += 1) {
    if (await page.locator("[data-triage]").count()) break;
    const question = await currentQuestion(page);
    asked.push(question);
    if (!(await onQuestion(question))) await answerQuestion(page, question, policy);
  }
  await page.locator(".lead-root").waitFor();
  return asked;
}

for (const viewport of Object.keys(VIEWPORTS)) {
  test(`patient: an L5 case by the body map and the questions ends with L5 on the left (${viewport})`, async () => {
    const { page, checkpoint, finish } = await open(viewport, "patient-l5");
    await startPatient(page, checkpoint);
    // Pain on the outer shin and the top of the foot, on the person's left: the classic L5
    // territory, and not so conclusive that the interview has no single question to ask.
    await markMap(page, [
      ["pain", "lateral_leg", "left"],
      ["pain", "dorsum_foot", "left"],
    ]);
    // The marks are listed in words too, with the person's own side.
    const marked = await page.locator(".marked").textContent();
    assert.match(marked, /left side/);
    assert.doesNotMatch(marked, /right side/);
    await checkpoint("body-map");
    await page.click("#continue");
    await page.waitForFunction(() => !document.querySelector('form[data-question="body_map"]'));
    const asked = [];
    for (let n = 0; n < 40; n += 1) {
      if (await page.locator("[data-triage]").count()) break;
      const question = await currentQuestion(page);
      asked.push(question);
      await checkpoint(`question-${String(n + 2).padStart(2, "0")}-${question.id.replace(/\./g, "-")}`);
      await answerQuestion(page, question, l5Answer);
    }
    await page.locator(".lead-root").waitFor();
    // The kinds of page were met: groups (the leg pain, the warning signs), the pain score
    // (once) and single questions.
    assert.ok(asked.some((q) => q.items.length > 1), "a group of questions was asked");
    assert.ok(asked.some((q) => q.id === "cauda_equina_screen"), "the cauda equina screen was asked");
    assert.equal(asked.filter((q) => q.number).length, 1, "the pain score was asked once");
    assert.ok(asked.some((q) => !q.number && q.items.length === 1 && q.items[0] === q.id), "a single question was asked");
    assert.equal(await page.locator(".care-card").getAttribute("data-triage") === "emergency", false);
    const lead = page.locator(".lead-root");
    assert.equal(await lead.getAttribute("data-root"), "L5");
    assert.equal(await lead.getAttribute("data-side"), "left");
    assert.match(await lead.textContent(), /L5 on the left side/);
    // The shading is on the person's left leg: darker there than on the right.
    const fill = (side) => page.locator(`[data-region="lateral_leg"][data-side="${side}"]`).getAttribute("fill");
    assert.notEqual(await fill("left"), await fill("right"));
    for (const heading of ["Where the likely nerve root reaches", "What might be causing it", "Why we think so", "When to get help", "This is not a diagnosis"]) {
      assert.ok(await page.getByRole("heading", { name: heading }).count(), `the result has "${heading}"`);
    }
    await checkpoint("result");
    // The download is the assessment as JSON.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download the result (JSON)" }).click()]);
    const saved = JSON.parse(readFileSync(await download.path(), "utf8"));
    assert.equal(saved.roots[0].root, "L5");
    assert.equal(saved.roots[0].side, "left");
    // The care card says what the knowledge base says for the level.
    assert.equal((await page.locator(".care-title").textContent()).trim(), saved.triage.headline);
    // The summary for a doctor, and what printing keeps of it.
    await page.getByRole("button", { name: "Show a summary for your doctor" }).click();
    await page.getByRole("heading", { name: "Summary for your doctor" }).waitFor();
    assert.match(await page.locator("main").textContent(), new RegExp(`Knowledge base version ${saved.kb_version.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    // The doctor's summary words the level as the knowledge base does for clinicians, and
    // gives the pain score.
    assert.equal((await page.locator(".share-triage").textContent()).trim(), saved.triage.clinician_headline);
    assert.equal(await page.locator("[data-pain-score]").getAttribute("data-pain-score"), String(L5_PAIN_SCORE));
    await checkpoint("share");
    await page.emulateMedia({ media: "print" });
    assert.equal(await page.locator(".site-header").isVisible(), false, "print hides the header");
    assert.equal(await page.locator("main .actions").isVisible(), false, "print hides the buttons");
    const file = path.join(ARTIFACTS, `patient-l5-${viewport}-print.png`);
    await page.screenshot({ path: file, fullPage: true });
    await page.emulateMedia({ media: "screen" });
    await finish();
  });

  test(`patient: yes to saddle numbness shows the emergency advice at once (${viewport})`, async () => {
    const { page, checkpoint, finish } = await open(viewport, "patient-emergency");
    await startPatient(page, checkpoint, "52");
    await markMap(page, [["pain", "posterior_thigh", "left"], ["pain", "calf", "left"]]);
    await page.click("#continue");
    await page.waitForFunction(() => !document.querySelector('form[data-question="body_map"]'));
    let reached = false;
    for (let n = 0; n < 40 && !reached; n += 1) {
      assert.equal(await page.locator("[data-triage]").count(), 0, "no result before the screen");
      const question = await currentQuestion(page);
      if (question.items.includes("numbness.saddle")) {
        await checkpoint("cauda-equina-questions");
        // One answer, nothing submitted: the emergency advice comes at once.
        await page.click(`input[name="${itemName("numbness.saddle")}"][value="present"]`);
        await page.locator("#emergency").waitFor({ timeout: 5000 });
        reached = true;
      } else {
        await answerQuestion(page, question, l5Answer);
      }
    }
    assert.ok(reached, "the cauda equina questions were asked");
    assert.equal(await page.locator("#emergency").getAttribute("data-triage"), "emergency");
    // The emergency card's words are the knowledge base's for the emergency level.
    const emergencyLevel = (await knowledgeBase()).levels.find((l) => l.level === "emergency");
    assert.equal((await page.locator("#emergency .care-title").textContent()).trim(), emergencyLevel.headline);
    assert.equal((await page.locator("#emergency .care-who").textContent()).trim(), emergencyLevel.instruction);
    await checkpoint("emergency");
    // A mistaken answer can be taken back; the full result keeps the emergency first.
    await page.click("#mistake");
    await page.locator('form[data-question="cauda_equina_screen"]').waitFor();
    assert.ok(await page.locator(`input[name="${itemName("numbness.saddle")}"][value="present"]`).isChecked());
    // Clicked, not "checked": the page changes at once, before the radio could be re-read.
    await page.click(`input[name="${itemName("urinary_retention")}"][value="present"]`);
    await page.locator("#emergency").waitFor();
    await page.click("#see-result");
    await page.locator(".care-card[data-triage='emergency']").first().waitFor();
    assert.equal((await page.locator(".care-title").textContent()).trim(), emergencyLevel.headline);
    await checkpoint("emergency-result");
    await finish();
  });

  test(`clinician: an examination gives the root, condition and mechanism tables (${viewport})`, async () => {
    const { page, checkpoint, finish } = await open(viewport, "clinician");
    await page.goto(BASE + "/clinician");
    await page.locator("#clinician-form").waitFor();
    await checkpoint("form");
    await page.fill("#age", "41");
    await page.selectOption("#sex", "male");
    await page.fill("#duration", "20");
    await markMap(page, [["pain", "lateral_leg", "left"], ["pain", "dorsum_foot", "left"], ["numbness", "dorsum_foot", "left"]]);
    await page.selectOption('select[name="weakness.great_toe_extension.left"]', "present");
    await page.selectOption('select[name="weakness.great_toe_extension.right"]', "absent");
    await page.selectOption('select[name="slr.left"]', "present");
    await page.selectOption('select[name="reflex_reduced.ankle.left"]', "absent");
    await page.selectOption('select[name="urinary_retention"]', "absent");
    // The v1.1 findings: lateral examinations in the grid, one row per examination.
    for (const family of ["weakness.ankle_inversion", "fibular_head_tinel", "hyperreflexia", "babinski", "ankle_clonus"]) {
      assert.equal(await page.locator(`tr[data-family="${family}"] select`).count(), 2, `${family} has a cell per side`);
    }
    await page.selectOption('select[name="weakness.ankle_inversion.left"]', "present");
    await page.selectOption('select[name="babinski.left"]', "absent");
    // The others in the history and red-flag lists.
    for (const id of ["gait_unsteady", "hand_clumsiness_numbness", "leg_cold_pale_sudden.left", "known_aortic_aneurysm", "morning_stiffness_prolonged",
      "improves_with_exercise", "fibular_compression_risk", "pulsatile_abdominal_mass", "anal_tone_reduced", "post_void_residual_high"]) {
      assert.equal(await page.locator(`select[name="${id}"]`).count(), 1, `${id} can be recorded`);
    }
    await page.fill("#pain-score", "7");
    await checkpoint("exam-entered");
    const request = page.waitForRequest((r) => new URL(r.url()).pathname === "/v1/assess");
    await page.click("#assess");
    const sent = JSON.parse((await request).postData());
    assert.equal(sent.pain_score, 7);
    assert.deepEqual(sent.evidence.find((e) => e.id === "weakness.ankle_inversion.left"), { id: "weakness.ankle_inversion.left", state: "present" });
    await page.locator('[data-table="roots"]').waitFor();
    // The care card is the knowledge base's clinician wording of the level.
    const levels = (await knowledgeBase()).levels;
    const level = await page.locator(".care-card").getAttribute("data-triage");
    assert.equal((await page.locator(".care-title").textContent()).trim(), levels.find((l) => l.level === level).clinician_headline);
    const firstRoot = await page.locator('[data-table="roots"] tbody tr').first().textContent();
    assert.match(firstRoot, /L5/);
    assert.match(firstRoot, /left/);
    assert.match(await page.locator('[data-table="conditions"]').textContent(), /M51\.16/);
    assert.equal(await page.locator('[data-table="mechanism"] tbody tr').count(), 3);
    // Clinicians' probabilities are to a tenth of a percent, with the ends bounded.
    for (const row of await page.locator('[data-table="mechanism"] tbody tr').allTextContents()) {
      assert.match(row, /(\d{1,2}\.\d|<0\.1|>99\.9)%$/, row);
    }
    assert.ok((await page.locator('[data-table="explanation"] tbody tr').count()) > 0);
    assert.match(await page.locator('[data-table="explanation"]').textContent(), /great toe/i);
    await checkpoint("assessment");
    await finish();
  });
}

test("keyboard only: welcome, the body map and the first question", async () => {
  const { page, checkpoint, finish } = await open("desktop", "keyboard");
  await page.goto(BASE + "/");
  await page.locator("#start").waitFor();
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return { id: e.id, region: e.dataset.region, side: e.dataset.side, name: e.getAttribute("name"), value: e.value };
  });
  const tabTo = async (matches, limit = 80) => {
    for (let i = 0; i < limit; i += 1) {
      await page.keyboard.press("Tab");
      if (matches(await focused())) return;
    }
    assert.fail("the element was not reached with Tab");
  };
  await tabTo((f) => f.id === "start");
  await page.keyboard.press("Enter");
  await page.locator("#age").waitFor();
  await tabTo((f) => f.id === "age");
  await page.keyboard.type("38");
  await tabTo((f) => f.name === "sex");
  await page.keyboard.press("Space");
  await tabTo((f) => f.id === "continue");
  await page.keyboard.press("Enter");
  await page.locator('form[data-question="body_map"]').waitFor();
  await tabTo((f) => f.region === "lateral_leg" && f.side === "left");
  await page.keyboard.press("Space");
  await tabTo((f) => f.region === "dorsum_foot" && f.side === "left");
  await page.keyboard.press("Enter");
  const checked = await page.locator('[data-region="lateral_leg"][data-side="left"]').getAttribute("aria-checked");
  assert.equal(checked, "true");
  assert.equal(await page.locator('[data-region="dorsum_foot"][data-side="left"]').getAttribute("aria-checked"), "true");
  await checkpoint("body-map-by-keyboard");
  await tabTo((f) => f.id === "continue");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => !document.querySelector('form[data-question="body_map"]'));
  assert.match(await page.locator(".progress-count").textContent(), /Question 2/);
  // The first question: the first radio of the group, then an answer with the arrow keys.
  await tabTo((f) => f.name === "answer" || (f.name || "").startsWith("item-"));
  await page.keyboard.press("Space");
  await checkpoint("first-question-by-keyboard");
  await finish();
});

test("patient: the pain score is a 0-10 scale; a number is sent as pain_score, a skip as null, and Back undoes it", async () => {
  const { page, checkpoint, finish } = await open("desktop", "pain-score");
  const record = recordInterview(page);
  let seen = 0;
  await l5ToResult(page, checkpoint, async (question) => {
    if (!question.number) return false;
    seen += 1;
    assert.equal(question.id, "pain_score");
    // The scale: every number from 0 to 10, the words for each end from the question.
    const asked = record.assessments.at(-1).next_question;
    assert.equal(asked.kind, "number");
    const values = await page.locator('input[name="answer"]').evaluateAll((els) => els.map((e) => e.value));
    assert.deepEqual(values, Array.from({ length: asked.max - asked.min + 1 }, (_, i) => String(asked.min + i)));
    const ends = await page.locator(".scale-ends").textContent();
    assert.ok(ends.includes(asked.min_label) && ends.includes(asked.max_label), ends);
    assert.ok(!("pain_score" in record.requests.at(-1)), "not sent before it is answered");
    // Next with nothing chosen is an error, not an answer.
    const sentBefore = record.requests.length;
    await page.click("#continue");
    await page.locator(".error-summary").waitFor();
    assert.equal(record.requests.length, sentBefore);
    await checkpoint("pain-score-error");
    // By keyboard: to 0, then the arrow keys up to 7.
    await page.focus('input[name="answer"][value="0"]');
    await page.keyboard.press("Space");
    for (let i = 0; i < 7; i += 1) await page.keyboard.press("ArrowRight");
    assert.ok(await page.locator('input[name="answer"][value="7"]').isChecked());
    await checkpoint("pain-score");
    await page.click("#continue");
    await page.waitForFunction(() => !document.querySelector('form[data-kind="number"]'));
    assert.equal(record.requests.at(-1).pain_score, 7, "the next request carries the pain score");
    // Back undoes it, as it does other answers: the scale again, nothing chosen; Not sure /
    // skip sends null.
    await page.click("#back");
    await page.locator('form[data-kind="number"]').waitFor();
    assert.equal(await page.locator('input[name="answer"]:checked').count(), 0);
    await page.click("#skip");
    await page.waitForFunction(() => !document.querySelector('form[data-kind="number"]'));
    const skipped = record.requests.at(-1);
    assert.ok("pain_score" in skipped && skipped.pain_score === null, "a skip is sent as pain_score: null");
    // Back again, and a number after all.
    await page.click("#back");
    await page.locator('form[data-kind="number"]').waitFor();
    await page.check('input[name="answer"][value="3"]');
    await page.click("#continue");
    await page.waitForFunction(() => !document.querySelector('form[data-kind="number"]'));
    assert.equal(record.requests.at(-1).pain_score, 3);
    return true;
  });
  assert.equal(seen, 1, "the pain score was asked, once");
  // Every later request kept it.
  assert.equal(record.requests.at(-1).pain_score, 3);
  await finish();
});

test("patient: causes and roots are shown as words, with the number one click away", async () => {
  const { page, checkpoint, finish } = await open("desktop", "likelihood");
  const record = recordInterview(page);
  await l5ToResult(page, checkpoint);
  const assessment = record.assessments.at(-1);
  const words = new Set((await knowledgeBase()).likelihood_words.map((w) => w.word));
  const items = page.locator(".prob-words");
  assert.ok((await items.count()) >= 2, "causes and roots are listed");
  for (const word of await items.evaluateAll((els) => els.map((e) => e.dataset.likelihood))) {
    assert.ok(words.has(word), `${word} is one of the knowledge base's words`);
  }
  // The first cause is the assessment's first condition, with its word.
  const first = items.first();
  assert.equal(await first.getAttribute("data-likelihood"), assessment.conditions[0].likelihood);
  assert.equal((await first.locator(".likelihood").textContent()).trim().toLowerCase(), assessment.conditions[0].likelihood);
  // The root's word too.
  assert.ok(await page.locator(`.prob-words[data-likelihood="${assessment.roots[0].likelihood}"]`).count());
  // The number is hidden until asked for, by a click (or Enter on the summary).
  const number = first.locator(".prob-number .prob-value");
  assert.equal(await number.isVisible(), false);
  await first.locator(".prob-number summary").click();
  assert.equal(await number.isVisible(), true);
  assert.match(await number.textContent(), /(\d{1,2}|<1|>99)%/);
  const second = items.nth(1);
  await second.locator(".prob-number summary").focus();
  await page.keyboard.press("Enter");
  assert.equal(await second.locator(".prob-number .prob-value").isVisible(), true);
  await checkpoint("numbers-shown");
  await finish();
});

const MEDICINE_CAUTIONS = new Set(["stomach_ulcer_history", "kidney_disease", "anticoagulants", "pregnancy", "heart_disease", "asthma"]);

test("patient: the care card's headline is the assessment's triage headline", async () => {
  const { page, checkpoint, finish } = await open("phone", "care-card");
  const record = recordInterview(page);
  // Not sure about the medicine cautions: the plan says which to check first.
  await l5ToResult(page, checkpoint, async () => false, (id) => (MEDICINE_CAUTIONS.has(id) ? "unknown" : l5Answer(id)));
  const { triage } = record.assessments.at(-1);
  assert.ok(triage.headline && triage.instruction);
  assert.equal(await page.locator(".care-card").getAttribute("data-triage"), triage.level);
  assert.equal((await page.locator(".care-card .care-title").textContent()).trim(), triage.headline);
  assert.equal((await page.locator(".care-card .care-who").textContent()).trim(), triage.instruction);
  // The plan items that wait for answers list them, in the person's words.
  const findings = new Map((await (await fetch(`${BASE}/v1/findings`)).json()).findings.map((f) => [f.id, f]));
  const waiting = record.assessments.at(-1).plan.filter((p) => p.audience === "patient" && p.unanswered && p.unanswered.length);
  assert.ok(waiting.length, "a plan item waits for the medicine cautions");
  for (const item of waiting) {
    const listed = await page.locator(`[data-plan="${item.id}"] .plan-unanswered li`).allTextContents();
    assert.deepEqual(listed, item.unanswered.map((id) => findings.get(id).patient));
  }
  await checkpoint("result");
  await finish();
});

test("patient: without next_question.kind (an older server), items still mean a group", async () => {
  const { page, checkpoint, finish } = await open("desktop", "no-kind");
  // Every interview answer loses its question's `kind` on the way to the page.
  await page.route("**/v1/interview", async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    if (body.next_question) delete body.next_question.kind;
    await route.fulfill({ response, json: body });
  });
  const asked = await l5ToResult(page, checkpoint);
  assert.ok(asked.some((q) => q.items.length > 1), "groups were asked as checklists");
  assert.ok(asked.some((q) => q.number), "the pain score was asked as a number");
  assert.equal(await page.locator(".lead-root").getAttribute("data-root"), "L5");
  await finish();
});

// --- A CDS Hooks card's link -----------------------------------------------------------------

/// A `patient-view` request for the contract's example case: its Patient (born on 1 January,
/// so of the case's age all this year) and an Observation per answer.
function cdsRequest(kase) {
  const system = "https://w3id.org/radiculo/fhir/CodeSystem/radiculo-finding";
  const observation = (code, value) => ({
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system, code }] },
    subject: { reference: "Patient/123" },
    effectiveDateTime: "2026-12-01T10:00:00Z",
    ...value,
  });
  const entry = kase.evidence.map((e) => observation(e.id, { valueBoolean: e.state === "present" }));
  entry.push(observation("symptom_duration_days", { valueInteger: kase.symptom_duration_days }));
  return {
    hook: "patient-view",
    hookInstance: "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    context: { userId: "Practitioner/example", patientId: "123" },
    prefetch: {
      patient: { resourceType: "Patient", id: "123", gender: kase.sex, birthDate: `${new Date().getUTCFullYear() - kase.age}-01-01` },
      findings: { resourceType: "Bundle", type: "searchset", entry: entry.map((resource) => ({ resource })) },
    },
  };
}

for (const viewport of Object.keys(VIEWPORTS)) {
  test(`clinician: a CDS Hooks card's link fills the form and shows the assessment, its case never sent in a URL (${viewport})`, async () => {
    const kase = JSON.parse(readFileSync(new URL("../../examples/contract-example.json", import.meta.url), "utf8"));
    const response = await fetch(`${BASE}/cds-services/radiculo-triage`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(cdsRequest(kase)),
    });
    assert.equal(response.status, 200);
    const card = (await response.json()).cards[0];
    const link = card.links[0].url;
    assert.ok(link.startsWith(`${BASE}/clinician#case=`), link);

    const { page, checkpoint, finish } = await open(viewport, "clinician-link");
    const urls = [];
    const assessed = [];
    page.on("request", (request) => {
      urls.push(request.url());
      if (request.method() === "POST" && new URL(request.url()).pathname === "/v1/assess") assessed.push(JSON.parse(request.postData()));
    });
    await page.goto(link);
    await page.locator('[data-table="roots"]').waitFor();
    // The form holds the case.
    assert.equal(await page.inputValue("#age"), String(kase.age));
    assert.equal(await page.inputValue("#sex"), kase.sex);
    assert.equal(await page.inputValue("#duration"), String(kase.symptom_duration_days));
    for (const e of kase.evidence) {
      if (/^(pain|numbness|tingling)\./.test(e.id)) {
        const [, region, side] = e.id.split(".");
        const shape = page.locator(`#clinician-form [data-region="${region}"][data-side="${side}"]`);
        assert.equal(await shape.evaluate((el) => el.classList.contains("is-marked")), true, `${e.id} is marked`);
      } else {
        assert.equal(await page.inputValue(`select[name="${e.id}"]`), e.state, e.id);
      }
    }
    // The case was assessed as the link gave it, at the card's level.
    assert.equal(assessed.length, 1);
    assert.deepEqual(
      assessed[0].evidence.map((e) => `${e.id}=${e.state}`).sort(),
      kase.evidence.map((e) => `${e.id}=${e.state}`).sort(),
    );
    assert.equal(await page.locator(".care-card").getAttribute("data-triage"), card.source.topic.code);
    assert.match(await page.locator('[data-table="roots"] tbody tr').first().textContent(), /L5/);
    // The fragment never left the browser, and it is gone from the address.
    assert.ok(!urls.some((u) => u.includes("case=")), urls.join("\n"));
    assert.equal(new URL(page.url()).hash, "");
    assert.match(await page.locator("#status").textContent(), /link/i);
    await checkpoint("from-link");
    await finish();
  });
}

test("clinician: a malformed #case= is ignored and the empty form shown", async () => {
  const { page, finish } = await open("desktop", "clinician-bad-link");
  await page.goto(`${BASE}/clinician#case=not*base64`);
  await page.locator("#clinician-form").waitFor();
  assert.equal(await page.inputValue("#age"), "");
  assert.equal(await page.locator('[data-table="roots"]').count(), 0);
  await page.goto(`${BASE}/clinician#case=${Buffer.from("[1,2]").toString("base64url")}`);
  await page.locator("#clinician-form").waitFor();
  assert.equal(await page.inputValue("#age"), "");
  await finish();
});

// --- An episode's timeline --------------------------------------------------------------------
// Stored records need an API key, and keys are made only by `radiculo keys create` against the
// server's database. With RADICULO_DATABASE_URL naming the database of the server at
// RADICULO_URL, the key is made there; otherwise these tests start a server of their own on a
// free port with a temporary SQLite database (the same binary, RADICULO_BIN or
// target/release/radiculo), make a key in it, and stop it when they are done.

const REPO = path.resolve(new URL("../..", import.meta.url).pathname);
const BIN = path.resolve(REPO, process.env.RADICULO_BIN || "target/release/radiculo");

function createKey(databaseUrl) {
  const out = execFileSync(BIN, ["keys", "create", "--tenant", "browser-tests", "--database-url", databaseUrl], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const secret = /^secret:\s+(\S+)$/m.exec(out);
  assert.ok(secret, `radiculo keys create printed no secret:\n${out}`);
  return secret[1];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function healthy(base) {
  try {
    return (await fetch(`${base}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/// A server whose database this test can make a key in: `{base, key, stop}`.
async function keyedServer() {
  if (process.env.RADICULO_DATABASE_URL) {
    return { base: BASE, key: createKey(process.env.RADICULO_DATABASE_URL), stop: async () => {} };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "radiculo-browser-episodes."));
  const databaseUrl = `sqlite://${dir}/radiculo.db`;
  const key = createKey(databaseUrl);
  // A port chosen free may be taken before the server binds it: try a few.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawn(BIN, ["serve", "--listen", `127.0.0.1:${port}`, "--database-url", databaseUrl, "--rate-limit-per-minute", "0"], {
      env: { ...process.env, RADICULO_LOG: "warn" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    let exited = false;
    const exit = new Promise((resolve) => child.once("exit", (code) => { exited = true; resolve(code); }));
    for (let i = 0; i < 200 && !exited; i += 1) {
      if (await healthy(base)) {
        const stop = async () => {
          if (!exited) child.kill("SIGTERM");
          assert.equal(await exit, 0, "the episode tests' server stopped cleanly");
          rmSync(dir, { recursive: true, force: true });
        };
        return { base, key, stop };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!exited) child.kill("SIGTERM");
    await exit;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error("the episode tests' server did not become healthy");
}

/// `POST`s `body` to `base + route` with the key; the answer's JSON, after checking its status.
async function postJson(server, route, body, status = 201) {
  const response = await fetch(`${server.base}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${server.key}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, status, `${route}: ${text}`);
  return JSON.parse(text);
}

// A worsening course of a left L5 radiculopathy: leg pain at day 10; a weak great toe at day 20;
// new urinary retention at day 30 (an emergency); at day 50 the retention gone, the weakness and
// the pain not.
function episodeCase(day, pain, { weakness = false, retention = false } = {}) {
  const present = ["pain.lateral_leg.left", "pain.dorsum_foot.left", "pain.buttock.left", "leg_pain_worse_than_back", "pain_shooting_electric", "cough_sneeze_strain_worse", "slr.left"];
  const absent = ["urinary_incontinence", "bowel_incontinence", "numbness.saddle", "sexual_dysfunction_new", "weakness_progressive", "history_of_cancer", "fever", "trauma_significant", "weakness.great_toe_extension.right"];
  return {
    age: 46,
    sex: "male",
    symptom_duration_days: day,
    pain_score: pain,
    evidence: [
      ...present.map((id) => ({ id, state: "present" })),
      ...absent.map((id) => ({ id, state: "absent" })),
      { id: "weakness.great_toe_extension.left", state: weakness ? "present" : "absent" },
      { id: "urinary_retention", state: retention ? "present" : "absent" },
    ],
  };
}
const COURSE = [
  episodeCase(10, 7),
  episodeCase(20, 7, { weakness: true }),
  episodeCase(30, 8, { weakness: true, retention: true }),
  episodeCase(50, 7, { weakness: true }),
];

let episodeServer = null;
let episode = null;
/// The server and an episode with the course posted to it, made once for the timeline tests.
async function courseEpisode() {
  if (!episode) {
    episodeServer = await keyedServer();
    const created = await postJson(episodeServer, "/v1/episodes", { subject: "mrn-browser-1" });
    for (const kase of COURSE) await postJson(episodeServer, `/v1/episodes/${created.id}/assessments`, kase);
    const response = await fetch(`${episodeServer.base}/v1/episodes/${created.id}`, {
      headers: { accept: "application/json", authorization: `Bearer ${episodeServer.key}` },
    });
    assert.equal(response.status, 200);
    episode = await response.json();
  }
  return { server: episodeServer, episode };
}

after(async () => {
  await episodeServer?.stop();
});

/// Fills in the key and the episode id and shows the timeline (or its error).
async function showTimeline(page, key, id) {
  await page.fill("#tl-key", key);
  await page.fill("#tl-episode", id);
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith("/v1/episodes/"));
  await page.click("#tl-show");
  await answer;
  await page.waitForFunction(() => !document.getElementById("tl-show").disabled);
}

for (const viewport of Object.keys(VIEWPORTS)) {
  test(`clinician: an episode's timeline draws triage, pain and root per visit, with the alerts marked (${viewport})`, async () => {
    const { server, episode: ep } = await courseEpisode();
    assert.equal(ep.assessments.length, COURSE.length);
    assert.equal(ep.assessments[2].assessment.triage.level, "emergency", "urinary retention with leg pain is an emergency");
    assert.ok(ep.alerts.length >= 1, "the worsening course raised alerts");

    const { page, checkpoint, finish } = await open(viewport, "clinician-timeline", { base: server.base });
    await page.goto(`${server.base}/clinician`);
    await page.locator("#timeline-form").waitFor();
    await page.locator("#timeline").scrollIntoViewIfNeeded();
    await showTimeline(page, server.key, ep.id);
    const chart = page.locator("svg#tl-chart");
    await chart.waitFor();

    // One image to assistive technology, with a summary of the course in words.
    assert.equal(await chart.getAttribute("role"), "img");
    const label = await chart.getAttribute("aria-label");
    assert.match(label, new RegExp(`${COURSE.length} assessments`));
    assert.match(label, /Emergency/);
    // The pain track: a point per assessment, at its score.
    const pains = await page.locator("#tl-chart .tl-pain-point").evaluateAll((els) => els.map((e) => Number(e.dataset.pain)));
    assert.deepEqual(pains, COURSE.map((c) => c.pain_score));
    // The triage track: each visit at its assessment's level, the emergency at visit 3.
    const levels = await page.locator("#tl-chart .tl-level").evaluateAll((els) => els.map((e) => e.dataset.level));
    assert.deepEqual(levels, ep.assessments.map((a) => a.assessment.triage.level));
    assert.equal(await page.locator('#tl-chart .tl-level[data-visit="3"]').getAttribute("data-level"), "emergency");
    // The root track: the leading root of each assessment, L5 on the left first.
    const roots = await page.locator("#tl-chart .tl-root").evaluateAll((els) => els.map((e) => `${e.dataset.root}.${e.dataset.side}`));
    assert.deepEqual(roots, ep.assessments.map((a) => `${a.assessment.roots[0].root}.${a.assessment.roots[0].side}`));
    assert.equal(await page.locator('#tl-chart .tl-root[data-visit="1"] .tl-root-name').textContent(), "L5 left");
    // The axis: visit, date and symptom day.
    assert.match(await page.locator('#tl-chart .tl-axis-label[data-visit="3"]').textContent(), /Visit 3.*Day 30/);
    // The alerts: a marker at each assessment that raised any, titled with their texts.
    const raisedAt = [...new Set(ep.alerts.map((a) => ep.assessments.findIndex((r) => r.id === a.assessment_id) + 1))];
    const markers = page.locator("#tl-chart .tl-alert");
    assert.deepEqual(await markers.evaluateAll((els) => els.map((e) => Number(e.dataset.visit))), raisedAt);
    for (let i = 0; i < raisedAt.length; i += 1) {
      const title = await markers.nth(i).locator("title").textContent();
      for (const alert of ep.alerts.filter((a) => a.assessment_id === ep.assessments[raisedAt[i] - 1].id)) {
        assert.ok(title.includes(alert.text), `the marker at visit ${raisedAt[i]} names "${alert.text}"`);
      }
    }
    // The visit that raised the emergency raised an alert about it.
    assert.ok(raisedAt.includes(3), "visit 3 raised an alert");
    // The table: a row per assessment, and every alert in the row of its assessment.
    const table = page.locator('[data-table="timeline"]');
    assert.equal(await table.locator("tbody tr").count(), COURSE.length);
    assert.match(await table.locator("tbody tr").nth(2).textContent(), /Emergency/);
    const listed = await table.locator("[data-alert-kind]").evaluateAll((els) => els.map((e) => [e.dataset.alertKind, e.textContent]));
    assert.equal(listed.length, ep.alerts.length);
    ep.alerts.forEach((alert, i) => {
      assert.equal(listed[i][0], alert.kind);
      assert.ok(listed[i][1].includes(alert.text), listed[i][1]);
    });
    // The key is kept nowhere but in its field.
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
    assert.ok(!page.url().includes(server.key));
    await checkpoint("timeline");
    await finish();
  });
}

test("clinician: an episode's timeline says clearly when the key or the episode id is wrong", async () => {
  const { server, episode: ep } = await courseEpisode();
  // The 401 and 404 answers are asked for here, and the browser logs each failed request.
  const { page, checkpoint, finish } = await open("desktop", "clinician-timeline-errors", {
    base: server.base,
    expected: /^Failed to load resource: the server responded with a status of (401|404)\b/,
  });
  await page.goto(`${server.base}/clinician`);
  await page.locator("#timeline-form").waitFor();
  // Nothing entered: each field says what it needs, and nothing is sent.
  let sent = 0;
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith("/v1/episodes")) sent += 1;
  });
  await page.click("#tl-show");
  assert.equal(await page.locator("#tl-key").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#tl-episode").getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#tl-key-error").textContent(), /API key/);
  assert.equal(sent, 0);
  await checkpoint("fields-required");
  await showTimeline(page, "not-a-key", ep.id);
  assert.equal(await page.locator("#tl-output .tl-error").getAttribute("data-status"), "401");
  assert.match(await page.locator("#tl-output .tl-error").textContent(), /API key was not accepted/);
  await checkpoint("bad-key");
  await showTimeline(page, server.key, "no-such-episode");
  await page.locator('#tl-output .tl-error[data-status="404"]').waitFor();
  assert.match(await page.locator("#tl-output .tl-error").textContent(), /No episode with this id/);
  assert.equal(await page.locator("#tl-chart").count(), 0);
  await checkpoint("unknown-episode");
  await finish();
});
