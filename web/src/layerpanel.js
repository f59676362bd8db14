// The layer panel: one checkbox per store layer (Chinese label + count from /api/layers)
// and the legends that explain the colours.
import { COMPOUND_CLASSES, HOUSEHOLD_STEPS, LAYER_LABELS, LAYER_ORDER, STATION_KINDS } from "./domain.js";
import { DEDICATED_COLOR, DEFAULT_BAND, DETAIL_MIN_ZOOM, GRID_BANDS } from "./layers.js";
import { el } from "./panel.js";

const swatch = (color, shape = "box") => el("span", { class: `swatch swatch-${shape}`, style: `--c:${color}` });
const legend = (items, shape) => el("ul", { class: "legend" },
  ...items.map((i) => el("li", {}, swatch(i.color, shape), i.label)));

const LEGENDS = {
  grids: (band) => el("ul", { class: "legend grid-legend" },
    ...GRID_BANDS.map((b) => el("li", { "data-band": b.key }, swatch(b.color), b.label(band))),
    el("li", { "data-band": "dedicated" }, swatch(DEDICATED_COLOR, "hatch"), "专属网格 (不计户数)")),
  compounds: () => legend(COMPOUND_CLASSES),
  buildings: () => legend(HOUSEHOLD_STEPS),
  stations: () => legend(STATION_KINDS, "dot"),
  network: () => el("ul", { class: "legend" },
    el("li", {}, el("span", { class: "swatch swatch-line" }), "道路"),
    el("li", {}, el("span", { class: "swatch swatch-line dashed" }), "步行道 (footway)"),
    el("li", {}, el("span", { class: "swatch swatch-line grey" }), "不可步行")),
};

/**
 * @param root the panel's <section>
 * @param layers [{layer, label, count}] from /api/layers
 * @param onToggle (layer, visible) => void
 */
export function buildLayerPanel(root, layers, onToggle, { band = DEFAULT_BAND } = {}) {
  const byKey = Object.fromEntries(layers.map((l) => [l.layer, l]));
  const list = root.querySelector(".layer-list");
  const items = LAYER_ORDER.map((key) => {
    const info = byKey[key] ?? { layer: key, label: LAYER_LABELS[key], count: 0 };
    const box = el("input", { type: "checkbox", "data-layer": key });
    box.checked = true;
    box.addEventListener("change", () => onToggle(key, box.checked));
    const details = LEGENDS[key]?.(band);
    const hint = [key === "buildings" || key === "network"
      ? el("span", { class: "zoom-hint muted" }, `≥${DETAIL_MIN_ZOOM}级显示`) : null];
    return el("li", { class: "layer-item", "data-layer": key },
      el("label", {}, box,
        el("span", { class: "layer-label" }, LAYER_LABELS[key] ?? info.label),
        el("span", { class: "layer-count" }, Number(info.count ?? 0).toLocaleString("zh-CN")),
        ...hint),
      // The grid legend is open: band colours are what a planner reads the map by.
      details ? el("details", key === "grids" && info.count > 0 ? { open: "" } : {}, el("summary", {}, "图例"), details) : null);
  });
  list.replaceChildren(...items);

  const toggle = root.querySelector(".panel-toggle");
  toggle.addEventListener("click", () => {
    root.classList.toggle("collapsed");
    toggle.setAttribute("aria-expanded", String(!root.classList.contains("collapsed")));
  });
  // Phones start with the panel folded: the map is what a field worker needs first.
  if (window.matchMedia("(max-width: 700px)").matches) {
    root.classList.add("collapsed");
    toggle.setAttribute("aria-expanded", "false");
  }
}

/** New counts from /api/layers (after an accept or a save). */
export function updateLayerCounts(root, layers) {
  for (const l of layers) {
    const count = root.querySelector(`.layer-item[data-layer="${l.layer}"] .layer-count`);
    if (count) count.textContent = Number(l.count ?? 0).toLocaleString("zh-CN");
  }
}

/** Greys the detail layers' hint while the map is zoomed out too far to show them. */
export function updateZoomHints(root, zoom) {
  root.classList.toggle("below-detail-zoom", zoom < DETAIL_MIN_ZOOM);
}
