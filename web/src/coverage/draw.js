// 服务圈 on the map: the buildings coloured by their walk (feature-state on the map's building tiles), isochrones, gaps, suggested sites, the outline of the
// community, grid or gap picked in a list, and the what-if stations. Drawing only: what to draw comes from the panel
// (from coverage/state.js); nothing here decides anything.
const EMPTY = { type: "FeatureCollection", features: [] };

/** Within the first, second and third threshold: green, light green, orange; beyond every one red; unreachable grey. */
export const BAND_COLOURS = ["#1a9850", "#a6d96a", "#fdae61"];
export const BEYOND = "#d73027";
export const UNREACHABLE = "#9e9e9e";
export const OUTLINE = "#0b3d91";
export const SITE = "#6a3d9a";
export const ADDED = "#6a3d9a";
export const MOVED = "#e6550d";
export const REMOVED = "#bdbdbd";

export const bandColour = (i) => (i < 0 ? BEYOND : BAND_COLOURS[Math.min(i, BAND_COLOURS.length - 1)]);

/** Layers that take a click or a drag in the what-if tools. */
export const WHATIF_HIT_LAYERS = ["coverage-whatif-edited", "coverage-whatif-halo"];

export class CoverageDrawing {
  constructor(map) {
    this.map = map;
    /** How many features each layer shows now (for tests and the console). */
    this.shown = { buildings: 0, isochrones: 0, gaps: 0, sites: 0, outline: 0, whatif: 0 };
    this.siteMarkers = [];
    for (const id of ["isochrones", "gaps", "sites", "outline", "whatif"])
      map.addSource(`coverage-${id}`, { type: "geojson", data: EMPTY });
    /** The building colours set now (the object given to show), so one result is set once. */
    this.buildingValues = null;
    /** Buildings a what-if recoloured: id → band (patchBuildings); the shown result's index of ids, made when first needed. */
    this.patched = new Map();
    this.indexOf = null;
    const add = (spec) => map.addLayer(spec);
    add({ id: "coverage-isochrones-fill", type: "fill", source: "coverage-isochrones",
      paint: { "fill-color": ["get", "_colour"], "fill-opacity": 0.18 } });
    add({ id: "coverage-isochrones-line", type: "line", source: "coverage-isochrones",
      paint: { "line-color": ["get", "_colour"], "line-width": 1.5 } });
    add({ id: "coverage-gaps-fill", type: "fill", source: "coverage-gaps",
      paint: { "fill-color": BEYOND, "fill-opacity": 0.35 } });
    add({ id: "coverage-gaps-line", type: "line", source: "coverage-gaps",
      paint: { "line-color": BEYOND, "line-width": 1.5, "line-dasharray": [2, 1] } });
    // The buildings by their walk: the map's own building tiles, coloured by feature-state `band` (the index of the
    // first threshold the walk is within; -1 beyond all, -2 unreachable); a building without state is not drawn here.
    this.tiles = map.getSource("buildings")?.type === "vector";
    if (this.tiles) {
      const band = ["coalesce", ["feature-state", "band"], -9];
      const colour = ["match", band, ...BAND_COLOURS.flatMap((c, i) => [i, c]), -1, BEYOND, -2, UNREACHABLE, "#000000"];
      const shown = (opacity) => ["case", [">=", band, -2], opacity, 0];
      const tile = { source: "buildings", "source-layer": "buildings", minzoom: map.getLayer("buildings-fill")?.minzoom ?? 14, layout: { visibility: "none" } };
      add({ id: "coverage-buildings-fill", type: "fill", ...tile,
        filter: ["!=", ["geometry-type"], "Point"], paint: { "fill-color": colour, "fill-opacity": shown(0.85) } });
      add({ id: "coverage-buildings-point", type: "circle", ...tile,
        filter: ["==", ["geometry-type"], "Point"], paint: { "circle-color": colour, "circle-opacity": shown(1), "circle-radius": 4 } });
    }
    add({ id: "coverage-outline-fill", type: "fill", source: "coverage-outline",
      filter: ["!=", ["geometry-type"], "Point"], paint: { "fill-color": OUTLINE, "fill-opacity": 0.08 } });
    add({ id: "coverage-outline-line", type: "line", source: "coverage-outline",
      paint: { "line-color": OUTLINE, "line-width": 3 } });
    add({ id: "coverage-outline-point", type: "circle", source: "coverage-outline",
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 12, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": OUTLINE, "circle-stroke-width": 3 } });
    add({ id: "coverage-sites", type: "circle", source: "coverage-sites",
      paint: { "circle-color": SITE, "circle-radius": 10, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    // What-if: moved stations' paths and origins, removed ones greyed, added and moved ones in colour, a ring on each
    // station a tool can take (only while a tool is in hand), and a red ring on the one picked to move.
    add({ id: "coverage-whatif-path", type: "line", source: "coverage-whatif", filter: ["==", ["get", "status"], "path"],
      paint: { "line-color": MOVED, "line-width": 2, "line-dasharray": [2, 1.5] } });
    add({ id: "coverage-whatif-origin", type: "circle", source: "coverage-whatif", filter: ["==", ["get", "status"], "origin"],
      paint: { "circle-radius": 5, "circle-color": "#fff", "circle-stroke-color": MOVED, "circle-stroke-width": 2 } });
    add({ id: "coverage-whatif-halo", type: "circle", source: "coverage-whatif", filter: ["==", ["get", "status"], "kept"],
      layout: { visibility: "none" },
      paint: { "circle-radius": 11, "circle-color": "rgba(47,109,181,0.12)", "circle-stroke-color": "#2f6db5", "circle-stroke-width": 2 } });
    add({ id: "coverage-whatif-removed", type: "circle", source: "coverage-whatif", filter: ["==", ["get", "status"], "removed"],
      paint: { "circle-radius": 8, "circle-color": REMOVED, "circle-stroke-color": BEYOND, "circle-stroke-width": 3 } });
    add({ id: "coverage-whatif-edited", type: "circle", source: "coverage-whatif", filter: ["in", ["get", "status"], ["literal", ["added", "moved"]]],
      paint: { "circle-radius": 9, "circle-color": ["match", ["get", "status"], "added", ADDED, MOVED], "circle-stroke-color": "#fff", "circle-stroke-width": 2.5 } });
    add({ id: "coverage-whatif-picked", type: "circle", source: "coverage-whatif", filter: ["==", ["get", "picked"], true],
      paint: { "circle-radius": 15, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#e31a1c", "circle-stroke-width": 3 } });
  }

  show(what, fc) {
    if (what === "buildings") return this.showBuildings(fc);
    this.map.getSource(`coverage-${what}`)?.setData(fc ?? EMPTY);
    this.shown[what] = fc?.features?.length ?? (fc?.type === "Feature" ? 1 : 0);
    if (what === "sites") this.rankMarkers(fc);
  }

  clear(...what) {
    for (const w of what.length ? what : Object.keys(this.shown)) this.show(w, w === "buildings" ? null : EMPTY);
  }

  /**
   * Colours the buildings by their walk: `{ids, bands}` (bands[i]: the index of the first threshold building ids[i] is
   * within, -1 beyond all, -2 unreachable), or null for none. Set once per result: feature-state stays with the source,
   * so tiles loaded later (a pan, a zoom, a reload after a write) come coloured.
   */
  showBuildings(values) {
    if (!this.tiles || values === this.buildingValues) return;
    const target = { source: "buildings", sourceLayer: "buildings" };
    if (this.buildingValues) this.map.removeFeatureState(target);
    this.buildingValues = values ?? null;
    this.patched = new Map();
    this.indexOf = null;
    const n = values?.ids.length ?? 0;
    for (let i = 0; i < n; i++) this.map.setFeatureState({ ...target, id: values.ids[i] }, { band: values.bands[i] });
    for (const id of ["coverage-buildings-fill", "coverage-buildings-point"]) this.map.setLayoutProperty(id, "visibility", n ? "visible" : "none");
    this.shown.buildings = n;
  }

  /**
   * Recolours the buildings a what-if moved (`{ids, bands}`, bands as in showBuildings), putting back the ones an
   * earlier what-if moved that this one does not; null puts every moved building back. The result's colours stay.
   */
  patchBuildings(patch) {
    if (!this.tiles || !this.buildingValues) return;
    const base = this.buildingValues;
    if (!this.indexOf) this.indexOf = new Map(Array.from(base.ids, (id, i) => [id, i]));
    const target = { source: "buildings", sourceLayer: "buildings" };
    const next = new Map();
    for (let i = 0; i < (patch?.ids.length ?? 0); i++) next.set(patch.ids[i], patch.bands[i]);
    for (const id of this.patched.keys()) {
      if (next.has(id)) continue;
      const k = this.indexOf.get(id);
      if (k !== undefined) this.map.setFeatureState({ ...target, id }, { band: base.bands[k] });
    }
    for (const [id, band] of next) this.map.setFeatureState({ ...target, id }, { band });
    this.patched = next;
  }

  /** The rank of each suggested site, as a small label (HTML: the map has no glyphs). */
  rankMarkers(fc) {
    for (const m of this.siteMarkers) m.remove();
    this.siteMarkers = (fc?.features ?? []).map((f, i) => {
      const el = document.createElement("div");
      el.className = "coverage-site-rank";
      el.textContent = String(f.properties?.rank ?? i + 1);
      return new maplibregl.Marker({ element: el }).setLngLat(f.geometry.coordinates).addTo(this.map);
    });
  }

  /** Outlines a geometry (a community, grid, gap or point), or nothing. */
  outline(geometry) {
    this.show("outline", geometry ? { type: "FeatureCollection", features: [{ type: "Feature", geometry, properties: {} }] } : EMPTY);
  }

  /** The what-if stations (coverage/state.js `stations()`), the tool in hand (rings shown) and the picked station. */
  whatIf(stations, { tool = null, picked = null } = {}) {
    const features = [];
    for (const s of stations?.values() ?? []) {
      if (s.from && s.status === "moved") {
        features.push({ type: "Feature", geometry: { type: "LineString", coordinates: [s.from, [s.lon, s.lat]] }, properties: { status: "path", id: s.id } });
        features.push({ type: "Feature", geometry: { type: "Point", coordinates: s.from }, properties: { status: "origin", id: s.id } });
      }
      features.push({ type: "Feature", geometry: { type: "Point", coordinates: [s.lon, s.lat] },
        properties: { status: s.status, id: s.id, name: s.name, picked: s.id === picked } });
    }
    this.whatifData = { type: "FeatureCollection", features };
    this.show("whatif", this.whatifData);
    this.map.setLayoutProperty("coverage-whatif-halo", "visibility", tool && tool !== "add" ? "visible" : "none");
  }

  /** Moves one what-if station while it is dragged (drawing only: the state learns where it went on release). */
  dragTo(id, lngLat) {
    const fc = this.whatifData;
    if (!fc) return;
    for (const f of fc.features) {
      if (f.properties.id !== id) continue;
      if (f.properties.status === "path") f.geometry.coordinates[1] = [lngLat.lng, lngLat.lat];
      else if (f.properties.status !== "origin") f.geometry.coordinates = [lngLat.lng, lngLat.lat];
    }
    this.map.getSource("coverage-whatif").setData(fc);
  }

  /** Fits a bbox [w, s, e, n] into the part of the map no panel covers. */
  fit(bbox, padding, { maxZoom = 17, duration = 500 } = {}) {
    if (!bbox) return;
    this.map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding, maxZoom, duration });
  }
}

/** [w, s, e, n] of GeoJSON geometries (Point … MultiPolygon), or null. */
export function bboxOf(geometries) {
  let b = null;
  const visit = (c) => {
    if (typeof c[0] === "number") {
      b = b ? [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])] : [c[0], c[1], c[0], c[1]];
    } else for (const x of c) visit(x);
  };
  for (const g of geometries) if (g?.coordinates) visit(g.coordinates);
  return b;
}
