// radiculo's web pages in a real browser: Debian's chromium driven by playwright-core.
//
// Run by scripts/browser-tests.sh, which starts the server and sets RADICULO_URL. Every step
// of every flow, at phone (360 × 740) and desktop (1280 × 900) widths, is screenshotted to
// ARTIFACTS_DIR, scanned with axe-core (no serious or critical violation allowed) and, at
// phone width, checked for horizontal scrolling. Console errors (a Content-Security-Policy
// violation among them) and uncaught page errors fail the test.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
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

/// A fresh page at `viewport`, with a checkpoint helper for screenshots and checks.
async function open(viewport, flow) {
  const context = await browser.newContext({ viewport: VIEWPORTS[viewport], reducedMotion: "reduce" });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // Nothing may be requested from anywhere but the server.
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["http:", "https:"].includes(url.protocol)) return;
    if (url.origin !== new URL(BASE).origin) problems.push(`request to another origin: ${request.url()}`);
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

// --- The L5 answer policy -------------------------------------------------------------------
// A person with a left L5 radiculopathy from a disc: yes to what fits, no to every warning
// sign and to anything on the right, not sure otherwise.

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
]);

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

/// The question on screen: its id, and the ids it asks (one, or a group's items).
async function currentQuestion(page) {
  const form = page.locator("form[data-question]");
  const id = await form.getAttribute("data-question");
  const items = await page.locator("[data-finding]").evaluateAll((els) => els.map((e) => e.dataset.finding));
  return { id, items: items.length ? items : [id] };
}

/// Answers the question on screen by `policy` and continues.
async function answerQuestion(page, question, policy) {
  if (question.items.length === 1 && question.id === question.items[0]) {
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
    // Both kinds of page were met: groups (the warning signs) and single questions.
    assert.ok(asked.some((q) => q.items.length > 1), "a group of questions was asked");
    assert.ok(asked.some((q) => q.items.length === 1 && q.items[0] === q.id), "a single question was asked");
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
    // The summary for a doctor, and what printing keeps of it.
    await page.getByRole("button", { name: "Show a summary for your doctor" }).click();
    await page.getByRole("heading", { name: "Summary for your doctor" }).waitFor();
    assert.match(await page.locator("main").textContent(), new RegExp(`Knowledge base version ${saved.kb_version.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
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
    assert.match(await page.locator("#emergency").textContent(), /Call your local emergency number now/);
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
    await checkpoint("exam-entered");
    await page.click("#assess");
    await page.locator('[data-table="roots"]').waitFor();
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
