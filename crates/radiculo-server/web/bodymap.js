// The body map: front and back views of the lower back and both legs, drawn as SVG from the
// shape table below. Region ids and sides are the contract's (`pain.REGION.SIDE`, …); region
// names come from `/v1/kb`. Every region shape carries `data-region` and `data-side` (none
// for the lower back, which has no side), is focusable and is toggled with a click, Enter or
// Space.
//
// Sides are the person's own: on the front view the person faces us, so their left leg is on
// the right of the picture; on the back view their left leg is on the left.

import { s, h, uid } from "./dom.js";
import { t } from "./strings.js";

// Drawing units of one view; the leg on the left of the picture is drawn here and mirrored
// (x -> WIDTH - x) for the other leg.
const WIDTH = 220;
const HEIGHT = 452;

// The shapes of the leg on the left of the picture, outer side at small x.
const FRONT = {
  groin: [[56, 78], [106, 100], [106, 116], [86, 110]],
  lateral_thigh: [[34, 62], [56, 78], [60, 200], [48, 200], [38, 130]],
  anterior_thigh: [[56, 78], [86, 110], [80, 200], [60, 200]],
  medial_thigh: [[86, 110], [106, 116], [102, 150], [94, 200], [80, 200]],
  knee: [[48, 203], [94, 203], [97, 222], [92, 242], [54, 242], [47, 222]],
  lateral_leg: [[54, 245], [72, 245], [72, 352], [63, 352], [52, 290]],
  medial_leg: [[72, 245], [92, 245], [94, 282], [84, 352], [72, 352]],
  lateral_foot: [[56, 355], [64, 355], [62, 398], [64, 416], [52, 414], [49, 398]],
  dorsum_foot: [[64, 355], [82, 355], [84, 393], [77, 396], [78, 417], [64, 416], [62, 398]],
  medial_foot: [[82, 355], [89, 356], [95, 392], [84, 393]],
  great_toe: [[77, 396], [95, 394], [97, 414], [89, 419], [78, 417]],
};
const BACK = {
  buttock: [[38, 62], [108, 62], [108, 118], [90, 126], [56, 124], [40, 108]],
  posterior_thigh: [[40, 108], [56, 124], [90, 126], [108, 118], [94, 203], [50, 203]],
  calf: [[54, 245], [92, 245], [95, 272], [86, 352], [60, 352], [50, 275]],
  heel: [[60, 355], [86, 355], [85, 380], [61, 380]],
  sole: [[58, 384], [88, 384], [92, 420], [74, 428], [55, 420]],
};
// Parts drawn for shape only (not regions of the contract).
const FRONT_OUTLINE = [[40, 8], [180, 8], [188, 60], [176, 80], [110, 102], [44, 80], [32, 60]];
const BACK_KNEE = [[50, 206], [94, 206], [92, 242], [54, 242]];
const LOW_BACK = [[42, 8], [178, 8], [184, 59], [36, 59]];

// The finding id for marking `kind` on `region` (`low_back` has no side).
export function findingId(kind, region, side) {
  return side ? `${kind}.${region}.${side}` : `${kind}.${region}`;
}

// The key of a region on a side in the maps below.
export function regionKey(region, side) {
  return side ? `${region}.${side}` : region;
}

// The kinds a person can mark, in legend order.
export const KINDS = ["pain", "numbness", "tingling"];

const points = (pts) => pts.map(([x, y]) => `${x},${y}`).join(" ");
const mirror = (pts) => pts.map(([x, y]) => [WIDTH - x, y]);

// A region's name for people: "shin (outer side), left side".
export function regionName(reference, region, side) {
  const def = reference.kb.regions.find((r) => r.id === region);
  const name = region === "low_back" ? t("map_low_back") : def ? def.patient : region;
  if (!side) return capitalise(name);
  return t("map_region_label", {
    region: capitalise(name),
    side: t(side === "left" ? "side_left_leg" : "side_right_leg"),
  });
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Pattern definitions for the three kinds (fill, hatching, dots: never colour alone).
function defs(prefix) {
  return s(
    "defs",
    {},
    s(
      "pattern",
      { id: `${prefix}-numbness`, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
      s("rect", { width: 2.5, height: 6, fill: "#1d4ed8" }),
    ),
    s(
      "pattern",
      { id: `${prefix}-tingling`, width: 6, height: 6, patternUnits: "userSpaceOnUse" },
      s("circle", { cx: 3, cy: 3, r: 1.6, fill: "#6b21a8" }),
    ),
  );
}

// The fill of an overlay for `kind`.
function kindFill(prefix, kind) {
  return kind === "pain" ? "#c2410c" : `url(#${prefix}-${kind})`;
}

// A small legend swatch for `kind`.
export function swatch(kind) {
  const prefix = uid("sw");
  return s(
    "svg",
    { class: "swatch", viewBox: "0 0 20 20", width: 20, height: 20, "aria-hidden": "true", focusable: "false" },
    defs(prefix),
    s("rect", { x: 1, y: 1, width: 18, height: 18, rx: 3, fill: "#f1f3f5", stroke: "#5b6670" }),
    s("rect", { x: 1, y: 1, width: 18, height: 18, rx: 3, fill: kindFill(prefix, kind), "fill-opacity": kind === "pain" ? 0.85 : 1, stroke: "#5b6670" }),
  );
}

// The body map.
///
// Options: `reference` (from `loadReference`), `interactive`, `marks` (a Map from
// `regionKey` to a Set of kinds), `canMark(kind, region, side)`, `currentKind()` and
// `onChange()` for the interactive map; `shade` (a Map from `regionKey` to 0..1) and
// `label` for the results map.
export function bodyMap(options) {
  const prefix = uid("bm");
  const wrap = h("div", { class: "bodymap" });
  const shapes = [];
  const figure = (title, view) => {
    const svg = s("svg", {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: "bodymap-svg",
      role: options.interactive ? "group" : "img",
      "aria-label": options.interactive ? `${t("map_figure_label")}: ${title}` : options.label,
      focusable: "false",
    });
    svg.append(defs(prefix));
    const outer = [];
    if (view === "front") {
      svg.append(s("polygon", { class: "outline", points: points(FRONT_OUTLINE) }));
      addLeg(svg, FRONT, "right", false, outer);
      addLeg(svg, FRONT, "left", true, outer);
      sideLabels(svg, "right", "left");
    } else {
      addRegion(svg, "low_back", null, LOW_BACK, outer);
      svg.append(s("polygon", { class: "outline", points: points(BACK_KNEE) }));
      svg.append(s("polygon", { class: "outline", points: points(mirror(BACK_KNEE)) }));
      addLeg(svg, BACK, "left", false, outer);
      addLeg(svg, BACK, "right", true, outer);
      sideLabels(svg, "left", "right");
    }
    return h("figure", { class: "bodymap-view" }, h("figcaption", { class: "bodymap-caption" }, title), svg);
  };
  const sideLabels = (svg, leftOfPicture, rightOfPicture) => {
    const label = (x, side) =>
      s("text", { x, y: HEIGHT - 8, "text-anchor": "middle", class: "side-label", "aria-hidden": "true" },
        t(side === "left" ? "map_left" : "map_right"));
    svg.append(label(72, leftOfPicture), label(WIDTH - 72, rightOfPicture));
  };
  const addLeg = (svg, table, side, mirrored, outer) => {
    for (const [region, pts] of Object.entries(table)) {
      addRegion(svg, region, side, mirrored ? mirror(pts) : pts, outer);
    }
  };
  const addRegion = (svg, region, side, pts, outer) => {
    const key = regionKey(region, side);
    const name = regionName(options.reference, region, side);
    const g = s("g", { class: "region-group" });
    const base = s("polygon", {
      points: points(pts),
      class: "region",
      "data-region": region,
      "data-side": side,
      "data-key": key,
    });
    g.append(base);
    const shape = { key, region, side, name, base, g, pts };
    if (options.interactive) {
      base.setAttribute("tabindex", "0");
      base.setAttribute("role", "checkbox");
      base.addEventListener("click", () => toggle(shape));
      base.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          toggle(shape);
        }
      });
    } else {
      const value = options.shade ? options.shade.get(key) || 0 : 0;
      // The attribute says what it is; the style property (allowed by the page's CSP, unlike a
      // style attribute) makes it win over the stylesheet's default fill.
      base.setAttribute("fill", shadeColour(value));
      base.style.fill = shadeColour(value);
      base.setAttribute("data-shade", String(shadeStep(value)));
      base.setAttribute("aria-hidden", "true");
      if (options.outline && options.outline.has(key)) {
        g.append(s("polygon", { points: points(pts), class: "marked-outline", "aria-hidden": "true" }));
      }
    }
    svg.append(g);
    outer.push(shape);
    shapes.push(shape);
  };
  const toggle = (shape) => {
    const kind = options.currentKind();
    if (!options.canMark(kind, shape.region, shape.side)) {
      options.onRefused && options.onRefused(shape);
      return;
    }
    const set = options.marks.get(shape.key) || new Set();
    if (set.has(kind)) set.delete(kind);
    else set.add(kind);
    if (set.size) options.marks.set(shape.key, set);
    else options.marks.delete(shape.key);
    paint(shape);
    options.onChange && options.onChange();
  };
  const paint = (shape) => {
    for (const old of shape.g.querySelectorAll(".overlay")) old.remove();
    const set = options.marks.get(shape.key) || new Set();
    for (const kind of KINDS) {
      if (!set.has(kind)) continue;
      shape.g.append(
        s("polygon", {
          points: points(shape.pts),
          class: `overlay overlay-${kind}`,
          fill: kindFill(prefix, kind),
          "aria-hidden": "true",
        }),
      );
    }
    const kind = options.currentKind();
    const usable = options.canMark(kind, shape.region, shape.side);
    shape.base.setAttribute("aria-checked", String(set.has(kind)));
    shape.base.setAttribute("aria-disabled", String(!usable));
    const marked = KINDS.filter((k) => set.has(k)).map((k) => t(`kind_${k}`).toLowerCase());
    shape.base.setAttribute(
      "aria-label",
      marked.length ? t("map_region_marked", { name: shape.name, kinds: marked.join(", ") }) : shape.name,
    );
    shape.base.classList.toggle("is-marked", set.size > 0);
  };
  wrap.append(figure(t("map_front"), "front"), figure(t("map_back"), "back"));
  if (options.interactive) {
    for (const shape of shapes) paint(shape);
  }
  // Repaints every shape (after the kind being marked changes).
  wrap.repaint = () => shapes.forEach(paint);
  return wrap;
}

// The fill of a results-map region whose involvement is `value` (0..1): five steps from
// the background grey to a deep teal, so that the steps read in greyscale too.
const STEPS = ["#f1f3f5", "#cfe8e6", "#8ccbc5", "#3f9c94", "#0f5f58"];
export function shadeStep(value) {
  if (value < 0.05) return 0;
  if (value < 0.2) return 1;
  if (value < 0.4) return 2;
  if (value < 0.6) return 3;
  return 4;
}
export function shadeColour(value) {
  return STEPS[shadeStep(value)];
}

// The legend of the results map.
export function shadeLegend() {
  const item = (fill, text, cls = "") =>
    h(
      "li",
      {},
      s("svg", { class: "swatch", viewBox: "0 0 20 20", width: 20, height: 20, "aria-hidden": "true", focusable: "false" },
        s("rect", { x: 1, y: 1, width: 18, height: 18, rx: 3, fill, stroke: "#5b6670", class: cls })),
      text,
    );
  return h(
    "ul",
    { class: "legend" },
    item(STEPS[1], t("dermatome_legend_low")),
    item(STEPS[4], t("dermatome_legend_high")),
    item("#ffffff", t("dermatome_legend_marked"), "legend-marked"),
  );
}
