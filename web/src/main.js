// GridMap 网格地图: wires the API, the map layers, the layer panel, search, the lookup panel, the tool panels and
// the shareable link. Panels are built in start(); `window.gridmap` is what tests and other panels reach them by.
import { account, loadAccount, may, setupAccount } from "./account.js";
import { getFeature, getFeatures, getHealth, getJson, getLayers, lookup } from "./api.js";
import { LAYER_ORDER } from "./domain.js";
import { extentOf, labelPoint } from "./geo.js";
import { problemText } from "./i18n.js";
import { buildLayerPanel, updateLayerCounts, updateZoomHints } from "./layerpanel.js";
import { DEFAULT_BAND, MapLayers } from "./layers.js";
import { followMap, readLink } from "./link.js";
import { CoveragePanel } from "./coverage.js";
import { ChangesPanel } from "./changes.js";
import { GridHistory } from "./history.js";
import { addBasemaps, addLocate, registerServiceWorker, shareGrid, showGridBuildings } from "./field.js";
import { correctionForm, mayCorrect } from "./households.js";
import { InfoPanel } from "./panel.js";
import { PartitionPanel } from "./partition.js";
import { setupSearch } from "./search.js";
import { PlannerPanel } from "./planner.js";

const ATTRIBUTION = "© OpenStreetMap contributors (where OSM data is loaded)";
/** Where the map waits while the store's extent loads: all of China, never one city's centre. */
const OVERVIEW = { center: [104.2, 35.9], zoom: 3.2 };
/** The layers to fit the first view to, in order of preference (the first that holds anything). */
const FIT_ORDER = ["districts", "communities", "grids", "compounds", "buildings", "network", "stations"];
/** Fitting to a large layer reads one page of it: enough for its extent, cheap on a big store. */
const FIT_SAMPLE = 2000;
const isPhone = () => window.matchMedia("(max-width: 700px)").matches;

// No basemap tiles (offline): a plain background, the data layers are the map.
const style = {
  version: 8,
  sources: {},
  layers: [{ id: "background", type: "background", paint: { "background-color": "#f3f1ec" } }],
};

const statusEl = document.getElementById("status");
const status = { store: "", loading: "", error: "" };
function renderStatus(update = {}) {
  Object.assign(status, update);
  statusEl.textContent = [status.store && `存储: ${status.store}`, status.loading, status.error].filter(Boolean).join(" · ");
  statusEl.classList.toggle("has-error", Boolean(status.error));
}

const link = readLink();
const map = new maplibregl.Map({
  container: "map",
  style,
  center: link.center ?? OVERVIEW.center,
  zoom: link.zoom ?? OVERVIEW.zoom,
  attributionControl: { compact: true, customAttribution: ATTRIBUTION },
  dragRotate: false,
  pitchWithRotate: false,
});

// Tiles still coming (a slow connection in the field): say so in the status line once it takes a moment; idle clears it.
let loadingTimer = 0;
map.on("dataloading", () => {
  if (loadingTimer) return;
  loadingTimer = setTimeout(() => {
    if (!map.areTilesLoaded()) renderStatus({ loading: "地图加载中…" });
  }, 400);
});
map.on("idle", () => {
  clearTimeout(loadingTimer);
  loadingTimer = 0;
  if (status.loading) renderStatus({ loading: "" });
});
map.touchZoomRotate.disableRotation();
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");

const layerPanel = document.getElementById("layers");
const infoRoot = document.getElementById("info");
let layers = null;
let partition = null;
let coverage = null;
let clickMarker = null;
const info = new InfoPanel(infoRoot, {
  onStation: (lon, lat) => map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 16) }),
  onPartition: (code) => partition?.open(code),
  onHistory: (code, container) => new GridHistory(container, code, {
    onRestored: async () => {
      await reloadLayers(["grids", "buildings"]);
      await outlineGrid(code);
    },
  }).load(),
  onShare: async (code, name) => {
    const said = await shareGrid(code, name);
    if (said) showNote(said, { brief: true });
  },
  onBuildings: (code, container) => showGridBuildings(code, container, { onPick: (lon, lat) => showLookup(lon, lat) }),
  correction: (building, gridCode) => (mayCorrect(building, gridCode) ? correctionForm(building, {
    onSaved: async () => {
      await reloadLayers(["buildings", "grids", "compounds"]);
      const at = clickMarker?.getLngLat();
      if (at) await showLookup(at.lng, at.lat);
    },
  }) : null),
});
const updateLink = followMap(map, () => info.gridCode);
infoRoot.addEventListener("closed", () => {
  clickMarker?.remove();
  clickMarker = null;
  layers?.highlight(null);
  updateLink();
});

/**
 * A note over the map (an empty store, why there is no 定位, a copied link): the status line is too small to be the
 * only place it is said. A brief note goes away by itself.
 */
function showNote(text, { brief = false } = {}) {
  let note = document.querySelector(".map-note");
  if (!note) {
    note = document.createElement("div");
    note.className = "map-note";
    note.setAttribute("role", "note");
    document.querySelector(".stage").append(note);
  }
  note.textContent = text;
  note.hidden = false;
  clearTimeout(showNote.timer);
  if (brief) showNote.timer = setTimeout(() => { note.hidden = true; }, 6000);
}

/** Padding that keeps what is fitted clear of the open layer panel and, on phones, of the bottom sheet. */
function fitPadding() {
  if (isPhone()) {
    const h = map.getContainer().clientHeight;
    return { top: 60, bottom: infoRoot.hidden ? 30 : Math.round(h * 0.5) + 10, left: 20, right: 20 };
  }
  const panelOpen = !layerPanel.classList.contains("collapsed");
  return { top: 20, bottom: 30, right: infoRoot.hidden ? 20 : infoRoot.offsetWidth + 30, left: panelOpen ? layerPanel.offsetWidth + 20 : 20 };
}

function fitTo(extent, { maxZoom = 17 } = {}) {
  map.fitBounds([[extent[0], extent[1]], [extent[2], extent[3]]], { padding: fitPadding(), maxZoom, duration: 0 });
}

/**
 * Outlines a grid of a lookup: from the loaded features when grids are fetched whole, else (tiles hold pieces of a
 * grid, cut at their edges) its whole outline from the store.
 */
async function outlineGrid(code) {
  const loaded = code && !layers?.isTiled("grids") && layers?.findLoaded("grids", "code", code);
  if (loaded || !code) return layers?.highlight(loaded?.geometry ?? null);
  try {
    const f = await getFeature("grids", code);
    if (info.gridCode === code) layers?.highlight(f.geometry);
  } catch { layers?.highlight(null); }
}

/** Looks up a point, marks it, outlines its grid and fills the side panel. */
async function showLookup(lon, lat) {
  clickMarker?.remove();
  clickMarker = new maplibregl.Marker({ color: "#e31a1c", scale: 0.7 }).setLngLat([lon, lat]).addTo(map);
  info.loading(lon, lat);
  keepAboveSheet([lon, lat]);
  try {
    const r = await lookup(lon, lat);
    info.show(r);
    // The grid is what a field worker asks about: outline it.
    await outlineGrid(r.grid?.code ?? null);
  } catch (e) {
    info.error(`查询失败: ${problemText(e)}`, { detail: e.message });
    layers?.highlight(null);
  }
  updateLink();
}

/**
 * Opens a grid by its code (`/?grid=`): fits the map to it (unless `fit` is false), outlines it and shows its lookup.
 * A retired grid with `replaced_by` opens its successor (codes are never reused; old links keep working).
 * @returns whether the grid was found
 */
async function openGrid(code, { fit = true } = {}) {
  let f;
  try {
    f = await getFeature("grids", code);
    const next = [f.properties?.replaced_by].flat().find(Boolean);
    if (f.properties?.status === "retired" && next) f = await getFeature("grids", String(next));
  } catch (e) {
    const text = e.status === 404 ? `没有编码为 ${code} 的网格` : `无法打开网格 ${code}: ${problemText(e, { layer: "grids", id: code })}`;
    info.error(text, { detail: e.message });
    renderStatus({ error: text });
    return false;
  }
  const at = labelPoint(f.geometry);
  if (!at) return false;
  info.root.hidden = false; // fit around the panel that is about to show
  if (fit) fitTo(extentOf([f]));
  await showLookup(at[0], at[1]);
  layers.highlight(f.geometry);
  return true;
}

/** On phones the bottom sheet covers the lower half: pan so the looked-up point stays in sight. */
function keepAboveSheet(lngLat) {
  if (!isPhone()) return;
  const h = map.getContainer().clientHeight;
  const p = map.project(lngLat);
  if (p.y > h * 0.45) map.easeTo({ center: lngLat, offset: [0, -h / 4], duration: 300 });
}

map.on("click", (e) => {
  if (!layers) return;
  // With the service-circle panel open, a click on a station shows its isochrones.
  const station = coverage?.isOpen && map.getLayer("stations-circle")
    ? map.queryRenderedFeatures(e.point, { layers: ["stations-circle"] })[0] : null;
  if (station) coverage.showIsochrones(String(station.properties._id ?? station.properties.id));
  else showLookup(e.lngLat.lng, e.lngLat.lat);
});

async function pickSearchResult(r) {
  if (r.bbox) map.fitBounds([[r.bbox[0], r.bbox[1]], [r.bbox[2], r.bbox[3]]], { padding: 60, maxZoom: 17 });
  else if (r.center) map.flyTo({ center: r.center, zoom: 16 });
  try {
    const f = await getFeature(r.layer, r.id);
    const at = labelPoint(f.geometry) ?? r.center;
    if (at) await showLookup(at[0], at[1]);
    layers.highlight(f.geometry); // the found feature itself, which may be a compound, not a grid
  } catch (e) {
    if (r.center) await showLookup(r.center[0], r.center[1]);
    else renderStatus({ error: `无法显示: ${problemText(e, { layer: r.layer, id: r.id })}` });
  }
}

/**
 * The extent of the store's data: of the first layer in FIT_ORDER that holds anything, as /api/layers gives it
 * (`bbox`), else from a small layer fetched whole. A tiled layer is never paged for it (a city's buildings are
 * megabytes): the last resort is one page of the smallest layer that holds anything.
 */
async function dataExtent(layerList) {
  const held = FIT_ORDER.map((layer) => layerList.find((l) => l.layer === layer)).filter((e) => e?.count > 0);
  for (const entry of held) {
    if (Array.isArray(entry.bbox) && entry.bbox.length === 4) return entry.bbox;
    if (layers.isTiled(entry.layer)) continue;
    const extent = extentOf(await layers.loadWhole(entry.layer));
    if (extent) return extent;
  }
  const smallest = held.slice().sort((a, b) => a.count - b.count)[0];
  if (!smallest) return null;
  return extentOf((await getFeatures(smallest.layer, null, { pageSize: FIT_SAMPLE, max: FIT_SAMPLE })).features);
}

/** The store's band (200–300 unless set): the grid fills' fallback where a tile carries no `band_status`, and the legend. */
async function readBand() {
  try {
    const b = await getJson("/api/settings/band");
    return Number.isFinite(b?.min) && Number.isFinite(b?.max) ? { min: b.min, max: b.max } : DEFAULT_BAND;
  } catch {
    return DEFAULT_BAND;
  }
}

/**
 * Reloads layers whose data changed in the store (after a partition accept, a planner's save): new counts in the
 * layer panel, the named layers fetched again, the selected grid's outline redrawn.
 */
async function reloadLayers(names = LAYER_ORDER) {
  try {
    const list = await getLayers();
    updateLayerCounts(layerPanel, list);
    await layers.reload(names, Object.fromEntries(list.map((l) => [l.layer, l.count])), Object.fromEntries(list.map((l) => [l.layer, l.version])));
    if (info.gridCode) await outlineGrid(info.gridCode);
    renderStatus({ error: "" });
  } catch (e) {
    renderStatus({ error: `刷新失败: ${problemText(e)}` });
  }
}

function debounce(fn, ms) {
  let t = 0;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

/** Phones: the tools (网格划分, 服务圈, a planner's) sit in a menu behind one button; choosing one closes it. */
function setupToolsMenu() {
  const tools = document.getElementById("tools");
  const toggle = tools?.querySelector(".tools-toggle");
  if (!toggle) return;
  const close = () => { tools.classList.remove("open"); toggle.setAttribute("aria-expanded", "false"); };
  toggle.addEventListener("click", () => {
    const open = tools.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  tools.querySelector(".tools-menu").addEventListener("click", (e) => { if (e.target.closest("button")) close(); });
  map.on("click", close);
}

async function start() {
  const loaded = new Promise((resolve) => map.once("load", resolve));
  getHealth().then((h) => renderStatus({ store: h.store ?? h.status }))
    .catch((e) => renderStatus({ error: `服务不可用: ${problemText(e)}` }));

  // Who is asking decides what the map may show and which tools it offers; without --open, nothing shows before sign-in.
  try {
    await loadAccount();
  } catch (e) {
    renderStatus({ error: `服务不可用: ${problemText(e)}` });
    return;
  }
  const me = account();
  setupAccount(document.getElementById("account"), { required: !me.signed_in && !me.open, onGrid: (code) => openGrid(code) });
  if (!me.signed_in && !me.open) return;
  for (const [tool, id] of [["partition", "partition-open"], ["planner", "planner-open"]])
    document.getElementById(id).hidden = !may(tool);
  if (!may("partition")) info.onPartition = null; // no 划分此社区网格 for those who cannot start a partition

  let layerList;
  let band;
  try {
    [layerList, band] = await Promise.all([getLayers(), readBand()]);
  } catch (e) {
    renderStatus({ error: `无法读取图层: ${problemText(e)}` });
    return;
  }
  await loaded;
  await addBasemaps(map);
  addLocate(map, { onLocated: (lon, lat) => showLookup(lon, lat), onExplain: (text) => showNote(text, { brief: true }) });
  registerServiceWorker();
  const counts = Object.fromEntries(layerList.map((l) => [l.layer, l.count]));
  layers = new MapLayers(map, counts, { onStatus: renderStatus, band, versions: Object.fromEntries(layerList.map((l) => [l.layer, l.version])) });
  buildLayerPanel(layerPanel, layerList, (layer, visible) => layers.setVisible(layer, visible), { band });
  partition = new PartitionPanel(document.getElementById("partition"), map, {
    onAccepted: () => reloadLayers(["grids", "buildings"]),
  });
  document.getElementById("partition-open").addEventListener("click", () => partition.open());
  coverage = new CoveragePanel(document.getElementById("coverage"), map);
  document.getElementById("coverage-open").addEventListener("click", () => coverage.open());
  // 网格编辑: the grid editor panel; it reloads grids and buildings itself after a save.
  window.gridmap.planner = new PlannerPanel(document.getElementById("planner"), map);
  document.getElementById("planner-open").addEventListener("click", () => window.gridmap.planner.open());
  // 变更记录: for every signed-in role (history is no secret to those who may read the map); 撤销 by the roles that write.
  const changes = new ChangesPanel(document.getElementById("changes"), { onReverted: () => reloadLayers() });
  document.getElementById("changes-open").hidden = !me.signed_in;
  document.getElementById("changes-open").addEventListener("click", () => changes.open());
  window.gridmap.changes = changes;
  setupToolsMenu();
  const closeResults = setupSearch(document.getElementById("search"), document.getElementById("results"), { onPick: pickSearchResult });
  map.on("click", closeResults);

  // The first view: the link's, else the linked grid, else a grid worker's own grid, else the whole of what the store holds.
  const empty = layerList.every((l) => !(l.count > 0));
  let placed = Boolean(link.center);
  if (link.grid && (await openGrid(link.grid, { fit: !placed }))) placed = true;
  if (!placed && me.role === "worker" && me.grids?.length && (await openGrid(me.grids[0]))) placed = true;
  if (!placed && !empty) {
    try {
      const extent = await dataExtent(layerList);
      if (extent) fitTo(extent, { maxZoom: 16 });
    } catch (e) {
      renderStatus({ error: `加载失败: ${problemText(e)}` });
    }
  }
  if (empty) showNote("存储中还没有数据：导入 OpenStreetMap 或 GeoJSON 数据（gridmap import …）后刷新页面");

  const onMove = debounce(() => layers.refresh(), 250);
  map.on("moveend", onMove);
  map.on("zoomend", () => updateZoomHints(layerPanel, map.getZoom()));
  updateZoomHints(layerPanel, map.getZoom());
  await layers.refresh();
  updateLink();
  document.body.dataset.ready = "true";
}

// Exposed for the browser tests, the planner panel and poking at the map from the console.
window.gridmap = {
  map, info, showLookup, openGrid, reloadLayers, renderStatus,
  get layers() { return layers; }, get partition() { return partition; }, get coverage() { return coverage; },
};
start();
