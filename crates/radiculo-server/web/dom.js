// A small helper to build DOM nodes without HTML strings (so no text is ever parsed as
// markup), and a few shared widgets.

import { t } from "./strings.js";

const SVG_NS = "http://www.w3.org/2000/svg";

// h("p", {class: "x"}, "text", child): an element with attributes and children. Attributes
// starting with "on" are event listeners; `null`, `undefined` and `false` are skipped.
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// The same for SVG elements.
export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let idCounter = 0;
// A unique element id.
export function uid(prefix = "id") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// Replaces the main content with `nodes`, scrolls to the top and moves the focus to the
// first heading, so that screen-reader and keyboard users start at the new page's title.
export function show(main, ...nodes) {
  main.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  window.scrollTo(0, 0);
  const heading = main.querySelector("h1, h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

// A GOV.UK-style error summary: a titled box listing the problems, each a link to its field.
export function errorSummary(title, problems) {
  const box = h(
    "div",
    { class: "error-summary", role: "alert", tabindex: "-1" },
    h("h2", { class: "error-summary-title" }, title),
    h(
      "ul",
      {},
      problems.map((p) =>
        h("li", {}, h("a", { href: `#${p.field}`, onclick: (e) => focusField(e, p.field) }, p.text)),
      ),
    ),
  );
  return box;
}

function focusField(event, id) {
  event.preventDefault();
  const el = document.getElementById(id);
  if (el) {
    el.focus();
    el.scrollIntoView({ block: "center" });
  }
}

// A yes / no / not sure radio group; `value` is "present", "absent", "unknown" or null.
export function answerRadios({ name, legend, hint, value, labels, onchange, legendClass, error }) {
  const hintId = hint ? uid("hint") : null;
  const errorId = error ? uid("error") : null;
  const options = [
    ["present", labels.yes],
    ["absent", labels.no],
    ["unknown", labels.unsure],
  ];
  return h(
    "fieldset",
    {
      class: `answer${error ? " has-error" : ""}`,
      "aria-describedby": [hintId, errorId].filter(Boolean).join(" ") || null,
    },
    h("legend", { class: legendClass || "answer-legend" }, legend),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    error ? h("p", { class: "field-error", id: errorId }, error) : null,
    h(
      "div",
      { class: "radios radios-inline" },
      options.map(([state, label], i) => {
        const id = i === 0 ? name : `${name}-${state}`;
        return h(
          "div",
          { class: "radio" },
          h("input", {
            type: "radio",
            id,
            name,
            value: state,
            checked: value === state,
            "data-answer": state,
            onchange: () => onchange && onchange(state),
          }),
          h("label", { for: id }, label),
        );
      }),
    ),
  );
}

// Fills the page's fixed parts (header, navigation, footer) from the strings file.
export function fillChrome() {
  document.documentElement.lang = t("lang");
  for (const el of document.querySelectorAll("[data-text]")) el.textContent = t(el.dataset.text);
  for (const el of document.querySelectorAll("[data-label]")) el.setAttribute("aria-label", t(el.dataset.label));
}
