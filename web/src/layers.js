// The store's layers on the map. The dense ones (buildings, grids, compounds, the walking network) are drawn from the
// server's vector tiles (GET /tiles/{layer}/{z}/{x}/{y}.mvt, docs/tiles.md): MapLibre fetches what the view needs, and a
// write only changes the tile URL's `?v=` (the layer version), so unchanged layers are never fetched again. Small
// layers (districts, streets, communities, special areas, stations) are one GeoJSON each, fetched whole once — fewer
// bytes than their tiles at every zoom — unless a store holds more than WHOLE_LIMIT of them, then they are tiled too.
import { getFeatures, getLayers } from "./api.js";
import { problemText } from "./i18n.js";
import { COMPOUND_CLASSES, FOOTWAY_HIGHWAYS, HOUSEHOLD_STEPS, LAYER_LABELS, LAYER_ORDER, STATION_KINDS, walkableExpression } from "./domain.js";
import { bboxOf, boxHas, labelPoint } from "./geo.js";

/** Buildings and the walking network are too many to draw for a whole city. */
export const DETAIL_MIN_ZOOM = 14;
/** A small layer with at most this many features is fetched whole once; past it, it is tiled. */
const WHOLE_LIMIT = 5000;
/** Cap of features of a small layer fetched whole (keeps the page fast on phones). */
const VIEW_MAX = 40000;
/** At most this many HTML labels at once: DOM markers are expensive. */
const LABEL_CAP = 150;
/** Always drawn from tiles: the layers that grow with a city (issue 11). */
const TILED = new Set(["buildings", "grids", "compounds", "network"]);

/**
 * Store layer → settings. minzoom: from which zoom the layer is drawn (for a tiled layer also the first zoom whose
 * tiles are fetched: a low-zoom tile reads every feature under it, docs/tiles.md). maxzoom: the last zoom of tiles;
 * deeper, MapLibre over-zooms them (outlines and grids need no more than z14's 0.6 m, buildings and roads z16's
 * 0.15 m). labelZoom: from which zoom names show as HTML labels.
 */
const CONFIG = {
  districts: { minzoom: 0, maxzoom: 12, labelZoom: 0, labelClass: "lbl-district" },
  streets: { minzoom: 0, maxzoom: 12, labelZoom: 11, labelClass: "lbl-street" },
  communities: { minzoom: 0, maxzoom: 14, labelZoom: 13, labelClass: "lbl-community" },
  compounds: { minzoom: 10, maxzoom: 14, labelZoom: 17, labelClass: "lbl-compound" },
  // Campuses, hospitals, business land, parks: each piece is a dedicated grid (专属网格).
  special_areas: { minzoom: 0, maxzoom: 14, labelZoom: 16, labelClass: "lbl-compound" },
  grids: { minzoom: 8, maxzoom: 14, labelZoom: 14, labelClass: "lbl-grid" },
  buildings: { minzoom: DETAIL_MIN_ZOOM, maxzoom: 16 },
  stations: { minzoom: 0, maxzoom: 14 },
  network: { minzoom: DETAIL_MIN_ZOOM, maxzoom: 16 },
};

/** The tile URL of a layer at a layer version: a new version is a new URL, so MapLibre fetches the layer again. */
export const tileUrl = (layer, version) => `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt?v=${encodeURIComponent(version ?? 0)}`;

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

/** gridBand as a style expression (tiles carry `band_status`, `type` and `households`; no per-feature JavaScript). */
export function bandExpression(band = DEFAULT_BAND) {
  const households = ["to-number", ["get", "households"], 0];
  return ["case",
    ["==", ["get", "type"], "dedicated"], "dedicated",
    ["in", ["coalesce", ["get", "band_status"], ""], ["literal", ["below", "in", "above"]]], ["get", "band_status"],
    ["!", ["has", "households"]], "unknown",
    ["<", households, band.min], "below",
    [">", households, band.max], "above",
    "in"];
}

/** A retired grid is kept in the store with its history, never drawn or counted. */
const NOT_RETIRED = ["!=", ["get", "status"], "retired"];

/** The grid's sequence in its community: the last 3 digits of its 15-digit code. */
export const gridSeq = (code) => {
  const s = String(code ?? "");
  return /^\d{4,}$/.test(s) ? s.slice(-3) : s;
};

const matchColor = (prop, entries, fallback) => [
  "match", ["get", prop], ...entries.flatMap((e) => [e.key, e.color]), fallback,
];

/** MapLibre style layers per store layer, in drawing order (later = on top). */
function styleLayers(band = DEFAULT_BAND) {
  const bandOf = bandExpression(band);
  const isPoint = ["==", ["geometry-type"], "Point"];
  const isRemainder = ["==", ["get", "households_rule"], "compound_remainder"];
  const footway = ["in", ["get", "highway"], ["literal", FOOTWAY_HIGHWAYS]];
  const walkColor = ["case", walkableExpression(), "#6b6b6b", "#c4c4c4"];
  const steps = HOUSEHOLD_STEPS.slice(1).flatMap((s) => [s.min, s.color]);
  const households = ["step", ["coalesce", ["get", "households"], 0], HOUSEHOLD_STEPS[0].color, ...steps];
  return [
    // Grids under compounds. Zoomed out, the grids' band colours are the picture (compounds faint); zoomed in to
    // compounds and buildings, the compound colours take over and match their legend.
    { id: "grids-fill", layer: "grids", type: "fill", filter: ["all", NOT_RETIRED, ["!=", bandOf, "dedicated"]], paint: {
      "fill-color": ["match", bandOf, ...GRID_BANDS.flatMap((b) => [b.key, b.color]), UNKNOWN_BAND_COLOR],
      "fill-opacity": 0.55 } },
    { id: "grids-dedicated", layer: "grids", type: "fill", filter: ["all", NOT_RETIRED, ["==", bandOf, "dedicated"]], paint: {
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
    { id: "grids-line", layer: "grids", type: "line", filter: NOT_RETIRED, paint: { "line-color": "#4d5b6a", "line-width": ["interpolate", ["linear"], ["zoom"], 12, 0.6, 16, 1.8] } },
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

/** Per-layer fixes before setData of a layer fetched whole (tiled layers are drawn as the tiles are). */
function prepare(layer, features) {
  if (layer === "grids") features = features.filter((f) => f.properties?.status !== "retired");
  for (const f of features) {
    f.properties ??= {};
    f.properties.id ??= f.id;
    if (layer === "grids") f.properties.code ??= f.id;
    else if (layer === "stations") {
      // MapLibre keeps only numeric feature ids: the station's id travels as a property for clicks.
      f.properties._id = f.id;
      // A station drawn as a building outline is shown as its point, as walks start from one.
      if (f.geometry && f.geometry.type !== "Point") f.geometry = { type: "Point", coordinates: labelPoint(f.geometry) };
    }
  }
  return features;
}

/** Rough size of a piece of a feature (its bbox area; a point or line its bbox too), to keep the largest of a feature's tile pieces. */
function pieceSize(geometry) {
  const b = bboxOf(geometry);
  return b ? (b[2] - b[0]) * (b[3] - b[1]) + 1e-12 * geometry.coordinates.length : 0;
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
   * @param versions {layer: version} from /api/layers (the tiles' `?v=`)
   */
  constructor(map, counts, { onStatus = () => {}, band = DEFAULT_BAND, versions = {} } = {}) {
    this.map = map;
    this.onStatus = onStatus;
    this.band = band;
    if (!map.hasImage("gridmap-hatch")) map.addImage("gridmap-hatch", hatchImage());
    this.state = {};
    this.controller = null;
    this.labels = new Map();
    const self = this;
    for (const layer of LAYER_ORDER) {
      const count = counts[layer] ?? 0;
      const tiled = TILED.has(layer) || count > WHOLE_LIMIT;
      this.state[layer] = {
        visible: true,
        tiled,
        whole: !tiled,
        count,
        version: versions[layer] ?? 0,
        loaded: [],
        complete: false,
        // A tiled layer's features are those of its loaded tiles, one per id (the largest piece: tiles cut areas).
        get features() { return this.tiled ? self.loadedFeatures(layer) : this.loaded; },
      };
      const { minzoom, maxzoom } = CONFIG[layer];
      if (tiled) {
        map.addSource(layer, { type: "vector", tiles: [tileUrl(layer, this.state[layer].version)], minzoom, maxzoom, promoteId: "id" });
      } else {
        map.addSource(layer, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      }
    }
    for (const { layer, ...spec } of styleLayers(band)) {
      const tiled = this.state[layer].tiled;
      map.addLayer({ ...spec, source: layer, ...(tiled ? { "source-layer": layer } : {}), minzoom: CONFIG[layer].minzoom });
    }
    this.updateCompoundOpacity();
    map.addSource("highlight", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "highlight-line", type: "line", source: "highlight", paint: { "line-color": "#e31a1c", "line-width": 3 } });
    // Labels of tiled layers follow the tiles: when new ones have loaded (idle) and after a move.
    const relabel = debounce(() => this.updateLabels(), 150);
    map.on("idle", relabel);
    map.on("moveend", relabel);
  }

  /** Whether a layer is drawn from vector tiles (else from one GeoJSON fetched whole). */
  isTiled(layer) {
    return Boolean(this.state[layer]?.tiled);
  }

  /** Compounds fade out, zoomed out, for the grids' band colours; with no grid in the store they need not. */
  updateCompoundOpacity() {
    const opacity = this.state.grids.count > 0 ? ["interpolate", ["linear"], ["zoom"], 13, 0.15, 16, 0.8] : 0.8;
    this.map.setPaintProperty("compounds-fill", "fill-opacity", opacity);
  }

  styleLayerIds(layer) {
    return styleLayers(this.band).filter((s) => s.layer === layer).map((s) => s.id);
  }

  setVisible(layer, visible) {
    this.state[layer].visible = visible;
    // A tiled layer whose style layers are all hidden fetches no tiles (MapLibre loads only sources in use).
    for (const id of this.styleLayerIds(layer)) this.map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
    this.updateLabels();
    if (visible) this.refresh();
  }

  /**
   * The given layers changed in the store: a tiled layer gets its new layer version in the tile URL (MapLibre fetches
   * its tiles again; a layer whose version did not move is left alone), a whole layer is fetched again.
   * @param counts {layer: count}, @param versions {layer: version} from /api/layers (asked here when not given)
   */
  async reload(layers, counts = {}, versions = null) {
    if (!versions) {
      const list = await getLayers();
      versions = Object.fromEntries(list.map((l) => [l.layer, l.version]));
      counts = { ...Object.fromEntries(list.map((l) => [l.layer, l.count])), ...counts };
    }
    for (const layer of layers) {
      const st = this.state[layer];
      if (!st) continue;
      if (counts[layer] != null) st.count = counts[layer];
      const version = versions[layer];
      const moved = version == null || version !== st.version;
      if (version != null) st.version = version;
      if (st.tiled) {
        if (moved) this.map.getSource(layer).setTiles([tileUrl(layer, st.version)]);
      } else if (moved) st.complete = false;
    }
    this.updateCompoundOpacity();
    await this.refresh();
  }

  /** Fetches a small layer whole (used on start to fit the view); returns its features. */
  async loadWhole(layer, signal) {
    const st = this.state[layer];
    if (st.tiled) return [];
    const { features, truncated } = await getFeatures(layer, null, { max: VIEW_MAX, signal });
    this.setFeatures(layer, features);
    st.complete = !truncated;
    return features;
  }

  setFeatures(layer, features) {
    this.state[layer].loaded = prepare(layer, features);
    this.map.getSource(layer).setData({ type: "FeatureCollection", features: this.state[layer].loaded });
  }

  /**
   * The features of a tiled layer in its loaded tiles, one per id: the largest piece, with `_labelAt` inside it.
   * Retired grids are left out, as they are not drawn.
   */
  loadedFeatures(layer) {
    const best = new Map();
    for (const f of this.map.querySourceFeatures(layer, { sourceLayer: layer })) {
      const p = f.properties ?? {};
      const id = String(p.id ?? f.id ?? "");
      if (layer === "grids" && p.status === "retired") continue;
      const geometry = f.geometry;
      const size = pieceSize(geometry);
      const had = best.get(id);
      if (had && had.size >= size) continue;
      best.set(id, { size, feature: { type: "Feature", id, properties: layer === "grids" ? { code: id, ...p } : p, geometry } });
    }
    return [...best.values()].map((b) => b.feature);
  }

  /** A loaded feature by a property value (e.g. a grid by its code); of a tiled layer, its largest loaded piece. */
  findLoaded(layer, prop, value) {
    return this.state[layer].features.find((f) => (f.properties?.[prop] ?? f.id) === value) ?? null;
  }

  highlight(geometry) {
    const data = geometry ? { type: "Feature", geometry, properties: {} } : { type: "FeatureCollection", features: [] };
    this.map.getSource("highlight").setData(data);
  }

  /** Loads the small layers fetched whole (once, and again after a reload); tiled layers load themselves. */
  async refresh() {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    const zoom = this.map.getZoom();
    const jobs = [];
    const loading = {};
    for (const layer of LAYER_ORDER) {
      const st = this.state[layer];
      if (st.tiled || !st.visible || st.count === 0 || zoom < CONFIG[layer].minzoom || st.complete) continue;
      loading[layer] = "…";
      jobs.push(getFeatures(layer, null, {
        max: VIEW_MAX,
        signal: controller.signal,
        onPage: (n, m) => { loading[layer] = `${n}/${m}`; this.reportLoading(loading); },
      }).then(({ features }) => {
        if (controller.signal.aborted) return;
        this.setFeatures(layer, features);
        st.complete = true;
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
      if (cfg.labelZoom == null || !st.visible || zoom < cfg.labelZoom || zoom < cfg.minzoom) continue;
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
      const old = this.labels.get(key);
      // A tiled feature's label point moves with the pieces loaded: keep the marker, move it.
      if (old) { old.setLngLat(f._labelAt); continue; }
      const el = document.createElement("div");
      el.className = `map-label ${CONFIG[layer].labelClass}${layer === "grids" ? ` lbl-band-${gridBand(f.properties, this.band)}` : ""}`;
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

function debounce(fn, ms) {
  let t = 0;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}
