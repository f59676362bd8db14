// One GeoJSON source per store layer, fed with setData from the API. Small layers are loaded
// whole once; large ones (buildings, network, or any layer past WHOLE_LIMIT) by the view's bbox.
import { getFeatures } from "./api.js";
import { problemText } from "./i18n.js";
import { COMPOUND_CLASSES, FOOTWAY_HIGHWAYS, HOUSEHOLD_STEPS, LAYER_LABELS, LAYER_ORDER, STATION_KINDS, isWalkable } from "./domain.js";
import { boxContains, boxHas, labelPoint } from "./geo.js";

/** Buildings and the walking network are too many to draw for a whole city. */
export const DETAIL_MIN_ZOOM = 14;
/** A layer with at most this many features is fetched whole once and never again. */
const WHOLE_LIMIT = 5000;
/** Per-layer cap of features held for one view (keeps the page fast on phones). */
const VIEW_MAX = 40000;
/** At most this many HTML labels at once: DOM markers are expensive. */
const LABEL_CAP = 150;

/** Store layer → settings. labelZoom: from which zoom its names show as HTML labels. */
const CONFIG = {
  districts: { minzoom: 0, labelZoom: 0, labelClass: "lbl-district" },
  streets: { minzoom: 0, labelZoom: 11, labelClass: "lbl-street" },
  communities: { minzoom: 0, labelZoom: 13, labelClass: "lbl-community" },
  compounds: { minzoom: 0, labelZoom: 17, labelClass: "lbl-compound" },
  // Campuses, hospitals, business land, parks: each piece is a dedicated grid (专属网格).
  special_areas: { minzoom: 0, labelZoom: 16, labelClass: "lbl-compound" },
  grids: { minzoom: 0, labelZoom: 14, labelClass: "lbl-grid" },
  buildings: { minzoom: DETAIL_MIN_ZOOM, bboxOnly: true },
  stations: { minzoom: 0 },
  network: { minzoom: DETAIL_MIN_ZOOM, bboxOnly: true },
};

/**
 * Grid fills by household band (contract: `band_status` of basic grids, computed by the server with the band in
 * force; where a server does not send it yet, `households` against the band's min/max). Dedicated grids (专属网格)
 * have no band: grey hatching. Retired grids are not drawn at all.
 */
export const GRID_BANDS = [
  { key: "below", color: "#4a90d9", label: (b) => `不足 ${b.min} 户` },
  { key: "in", color: "#5ab45a", label: (b) => `${b.min}–${b.max} 户 (达标)` },
  { key: "above", color: "#e8590c", label: (b) => `超过 ${b.max} 户` },
];
export const DEDICATED_COLOR = "#9e9e9e";
const UNKNOWN_BAND_COLOR = "#d0d0d0";
export const DEFAULT_BAND = { min: 200, max: 300 };

/** below | in | above | dedicated | unknown, for a grid's properties. */
export function gridBand(p, band = DEFAULT_BAND) {
  if (p.type === "dedicated") return "dedicated";
  if (["below", "in", "above"].includes(p.band_status)) return p.band_status;
  const h = Number(p.households);
  if (p.households == null || !Number.isFinite(h)) return "unknown";
  return h < band.min ? "below" : h > band.max ? "above" : "in";
}

/** The grid's sequence in its community: the last 3 digits of its 15-digit code. */
export const gridSeq = (code) => {
  const s = String(code ?? "");
  return /^\d{4,}$/.test(s) ? s.slice(-3) : s;
};

const matchColor = (prop, entries, fallback) => [
  "match", ["get", prop], ...entries.flatMap((e) => [e.key, e.color]), fallback,
];

/** MapLibre style layers per store layer, in drawing order (later = on top). */
function styleLayers() {
  const isPoint = ["==", ["geometry-type"], "Point"];
  const isRemainder = ["==", ["get", "households_rule"], "compound_remainder"];
  const footway = ["in", ["get", "highway"], ["literal", FOOTWAY_HIGHWAYS]];
  const walkColor = ["case", ["get", "_walkable"], "#6b6b6b", "#c4c4c4"];
  const steps = HOUSEHOLD_STEPS.slice(1).flatMap((s) => [s.min, s.color]);
  const households = ["step", ["coalesce", ["get", "households"], 0], HOUSEHOLD_STEPS[0].color, ...steps];
  return [
    // Grids under compounds. Zoomed out, the grids' band colours are the picture (compounds faint); zoomed in to
    // compounds and buildings, the compound colours take over and match their legend.
    { id: "grids-fill", layer: "grids", type: "fill", filter: ["!=", ["get", "_band"], "dedicated"], paint: {
      "fill-color": ["match", ["get", "_band"], ...GRID_BANDS.flatMap((b) => [b.key, b.color]), UNKNOWN_BAND_COLOR],
      "fill-opacity": 0.55 } },
    { id: "grids-dedicated", layer: "grids", type: "fill", filter: ["==", ["get", "_band"], "dedicated"], paint: {
      "fill-pattern": "gridmap-hatch", "fill-opacity": 0.9 } },
    { id: "compounds-fill", layer: "compounds", type: "fill", paint: {
      "fill-color": matchColor("class", COMPOUND_CLASSES, "#d9d9d9"),
      "fill-opacity": ["interpolate", ["linear"], ["zoom"], 13, 0.15, 16, 0.8] } },
    // A compound's remainder unit (its households no mapped building holds) covers its unmapped land: a faint wash,
    // under the mapped buildings, so it reads as "somewhere here" rather than as one huge building.
    { id: "buildings-remainder", layer: "buildings", type: "fill", filter: ["all", ["!", isPoint], isRemainder], paint: {
      "fill-color": households, "fill-opacity": 0.3 } },
    { id: "buildings-fill", layer: "buildings", type: "fill", filter: ["all", ["!", isPoint], ["!", isRemainder]], paint: { "fill-color": households, "fill-opacity": 0.9 } },
    { id: "buildings-line", layer: "buildings", type: "line", filter: ["all", ["!", isPoint], ["!", isRemainder]], paint: { "line-color": "#8a6d5a", "line-width": 0.5 } },
    { id: "compounds-line", layer: "compounds", type: "line", paint: { "line-color": "#9a7b4f", "line-width": 1, "line-dasharray": [3, 2] } },
    { id: "special-areas-line", layer: "special_areas", type: "line", paint: { "line-color": "#616161", "line-width": 1.2, "line-dasharray": [1, 2] } },
    { id: "grids-line", layer: "grids", type: "line", paint: { "line-color": "#4d5b6a", "line-width": ["interpolate", ["linear"], ["zoom"], 12, 0.6, 16, 1.8] } },
    { id: "network-ways", layer: "network", type: "line", filter: ["!", footway], paint: { "line-color": walkColor, "line-width": 1 } },
    { id: "network-footways", layer: "network", type: "line", filter: footway, paint: { "line-color": walkColor, "line-width": 1, "line-dasharray": [2, 2] } },
    { id: "communities-line", layer: "communities", type: "line", paint: { "line-color": "#2f6db5", "line-width": 2 } },
    { id: "streets-line", layer: "streets", type: "line", paint: { "line-color": "#6a3d9a", "line-width": 2.5, "line-dasharray": [4, 2] } },
    { id: "districts-line", layer: "districts", type: "line", paint: { "line-color": "#3b1f5e", "line-width": 3.5 } },
    { id: "buildings-point", layer: "buildings", type: "circle", filter: isPoint, paint: { "circle-color": households, "circle-radius": 3, "circle-stroke-color": "#8a6d5a", "circle-stroke-width": 0.5 } },
    { id: "stations-circle", layer: "stations", type: "circle", paint: {
      "circle-color": matchColor("kind", STATION_KINDS, "#777777"),
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 3, 16, 7],
      "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } },
  ];
}

/** An 8×8 grey diagonal hatch for dedicated grids (no sprite server: drawn here). */
function hatchImage() {
  const size = 8;
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const stripe = (x + y) % size < 2;
      const [r, g, b, a] = stripe ? [120, 120, 120, 230] : [190, 190, 190, 110];
      data.set([r, g, b, a], i);
    }
  }
  return { width: size, height: size, data };
}

/** Per-layer fixes before setData: computed colours and flags MapLibre expressions cannot derive. */
function prepare(layer, features, band) {
  // A retired grid is kept in the store with its history, never drawn or counted.
  if (layer === "grids") features = features.filter((f) => f.properties?.status !== "retired");
  for (const f of features) {
    f.properties ??= {};
    if (layer === "grids") {
      f.properties.code ??= f.id;
      f.properties._band = gridBand(f.properties, band);
    }
    else if (layer === "network") f.properties._walkable = isWalkable(f.properties);
    else if (layer === "stations") {
      // MapLibre keeps only numeric feature ids: the station's id travels as a property for clicks.
      f.properties._id = f.id;
      // A station drawn as a building outline is shown as its point, as walks start from one.
      if (f.geometry && f.geometry.type !== "Point") f.geometry = { type: "Point", coordinates: labelPoint(f.geometry) };
    }
  }
  return features;
}

/** A grid shows "013 · 258户" (the full code is in the lookup panel); areas their name. */
export function labelText(layer, p) {
  if (layer === "grids") {
    const seq = gridSeq(p.code);
    const what = p.type === "dedicated" ? "专属" : p.households != null && Number.isFinite(Number(p.households)) ? `${p.households}户` : "";
    return [[seq, what].filter(Boolean).join(" · ")];
  }
  return [p.name ?? p.code ?? ""];
}

export class MapLayers {
  /**
   * @param map a maplibregl.Map whose style is loaded
   * @param counts {layer: count} from /api/layers
   */
  constructor(map, counts, { onStatus = () => {}, band = DEFAULT_BAND } = {}) {
    this.map = map;
    this.onStatus = onStatus;
    this.band = band;
    if (!map.hasImage("gridmap-hatch")) map.addImage("gridmap-hatch", hatchImage());
    this.state = {};
    this.controller = null;
    this.labels = new Map();
    for (const layer of LAYER_ORDER) {
      const count = counts[layer] ?? 0;
      this.state[layer] = {
        visible: true,
        whole: !CONFIG[layer].bboxOnly && count <= WHOLE_LIMIT,
        count,
        features: [],
        loadedBox: null,
        complete: false,
      };
      map.addSource(layer, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    }
    for (const { layer, ...spec } of styleLayers()) {
      map.addLayer({ ...spec, source: layer, minzoom: CONFIG[layer].minzoom });
    }
    this.updateCompoundOpacity();
    map.addSource("highlight", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "highlight-line", type: "line", source: "highlight", paint: { "line-color": "#e31a1c", "line-width": 3 } });
  }

  /** Compounds fade out, zoomed out, for the grids' band colours; with no grid in the store they need not. */
  updateCompoundOpacity() {
    const opacity = this.state.grids.count > 0 ? ["interpolate", ["linear"], ["zoom"], 13, 0.15, 16, 0.8] : 0.8;
    this.map.setPaintProperty("compounds-fill", "fill-opacity", opacity);
  }

  styleLayerIds(layer) {
    return styleLayers().filter((s) => s.layer === layer).map((s) => s.id);
  }

  setVisible(layer, visible) {
    this.state[layer].visible = visible;
    for (const id of this.styleLayerIds(layer)) this.map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
    this.updateLabels();
    if (visible) this.refresh();
  }

  /** Forgets what is loaded of the given layers (their data changed in the store) and loads them again. */
  async reload(layers, counts = {}) {
    for (const layer of layers) {
      const st = this.state[layer];
      if (counts[layer] != null) {
        st.count = counts[layer];
        st.whole = !CONFIG[layer].bboxOnly && st.count <= WHOLE_LIMIT;
      }
      st.complete = false;
      st.loadedBox = null;
    }
    this.updateCompoundOpacity();
    await this.refresh();
  }

  /** Fetches a small layer whole (used on start to fit the view); returns its features. */
  async loadWhole(layer, signal) {
    const st = this.state[layer];
    const { features, truncated } = await getFeatures(layer, null, { max: VIEW_MAX, signal });
    this.setFeatures(layer, features);
    st.complete = !truncated;
    st.loadedBox = null;
    return features;
  }

  setFeatures(layer, features) {
    this.state[layer].features = prepare(layer, features, this.band);
    this.map.getSource(layer).setData({ type: "FeatureCollection", features: this.state[layer].features });
  }

  /** A loaded feature by a property value (e.g. a grid by its code), for outlining it. */
  findLoaded(layer, prop, value) {
    return this.state[layer].features.find((f) => (f.properties?.[prop] ?? f.id) === value) ?? null;
  }

  highlight(geometry) {
    const data = geometry ? { type: "Feature", geometry, properties: {} } : { type: "FeatureCollection", features: [] };
    this.map.getSource("highlight").setData(data);
  }

  /** The view's bbox padded by a quarter on each side, so small pans need no new request. */
  paddedView() {
    const b = this.map.getBounds();
    const w = b.getEast() - b.getWest();
    const h = b.getNorth() - b.getSouth();
    return [
      Math.max(-180, b.getWest() - w / 4), Math.max(-85, b.getSouth() - h / 4),
      Math.min(180, b.getEast() + w / 4), Math.min(85, b.getNorth() + h / 4),
    ];
  }

  /** Loads what the view needs; a newer call cancels an older one still running. */
  async refresh() {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    const zoom = this.map.getZoom();
    const b = this.map.getBounds();
    const view = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    const jobs = [];
    const loading = {};
    for (const layer of LAYER_ORDER) {
      const st = this.state[layer];
      if (!st.visible || st.count === 0 || zoom < CONFIG[layer].minzoom) continue;
      if (st.whole ? st.complete : st.complete && st.loadedBox && boxContains(st.loadedBox, view)) continue;
      const box = st.whole ? null : this.paddedView();
      loading[layer] = "…";
      jobs.push(getFeatures(layer, box, {
        max: VIEW_MAX,
        signal: controller.signal,
        onPage: (n, m) => { loading[layer] = `${n}/${m}`; this.reportLoading(loading); },
      }).then(({ features, truncated }) => {
        if (controller.signal.aborted) return;
        this.setFeatures(layer, features);
        st.loadedBox = box;
        st.complete = !truncated;
        delete loading[layer];
        this.reportLoading(loading);
      }));
    }
    this.reportLoading(loading);
    try {
      await Promise.all(jobs);
    } catch (e) {
      if (e.name !== "AbortError") this.onStatus({ error: `加载失败: ${problemText(e)}` });
      return;
    }
    if (!controller.signal.aborted) this.updateLabels();
  }

  reportLoading(loading) {
    const parts = Object.entries(loading).map(([l, p]) => `${LAYER_LABELS[l]} ${p}`);
    this.onStatus({ loading: parts.length ? `加载中: ${parts.join(", ")}` : "" });
  }

  /**
   * HTML labels (no glyph server, so no symbol layers): names of areas and grid codes in view,
   * coarse levels first, capped; markers are reused by key to avoid DOM churn on every move.
   */
  updateLabels() {
    const zoom = this.map.getZoom();
    const b = this.map.getBounds();
    const view = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    const wanted = new Map();
    const placed = []; // screen boxes already taken: a label that would overlap one is skipped
    for (const layer of LAYER_ORDER) {
      const cfg = CONFIG[layer];
      const st = this.state[layer];
      if (cfg.labelZoom == null || !st.visible || zoom < cfg.labelZoom) continue;
      for (const f of st.features) {
        if (wanted.size >= LABEL_CAP) break;
        f._labelAt ??= labelPoint(f.geometry);
        if (!f._labelAt || !boxHas(view, f._labelAt)) continue;
        const lines = labelText(layer, f.properties);
        const p = this.map.project(f._labelAt);
        const w = Math.max(...lines.map((l) => l.length)) * (layer === "grids" ? 6.5 : 13) / 2 + 4;
        const h = lines.length * 8 + 2;
        if (placed.some((b) => Math.abs(b.x - p.x) < b.w + w && Math.abs(b.y - p.y) < b.h + h)) continue;
        placed.push({ x: p.x, y: p.y, w, h });
        // Keyed by the text too: a reload that changes a grid's households replaces its label.
        wanted.set(`${layer}/${f.id}/${lines.join("|")}`, { layer, f, lines });
      }
    }
    for (const [key, marker] of this.labels) {
      if (!wanted.has(key)) { marker.remove(); this.labels.delete(key); }
    }
    for (const [key, { layer, f, lines }] of wanted) {
      if (this.labels.has(key)) continue;
      const el = document.createElement("div");
      el.className = `map-label ${CONFIG[layer].labelClass}${layer === "grids" ? ` lbl-band-${f.properties._band}` : ""}`;
      for (const line of lines) {
        const span = document.createElement("span");
        span.textContent = line;
        el.append(span);
      }
      el.dataset.layer = layer;
      el.dataset.id = String(f.id ?? "");
      const marker = new maplibregl.Marker({ element: el }).setLngLat(f._labelAt).addTo(this.map);
      this.labels.set(key, marker);
    }
  }
}
