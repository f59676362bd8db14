// GridMap 网格地图: wires the API, the map layers, the layer panel, search and the lookup panel.
import { getFeature, getHealth, getLayers, lookup } from "./api.js";
import { extentOf, labelPoint } from "./geo.js";
import { buildLayerPanel, updateZoomHints } from "./layerpanel.js";
import { MapLayers } from "./layers.js";
import { CoveragePanel } from "./coverage.js";
import { InfoPanel } from "./panel.js";
import { PartitionPanel } from "./partition.js";
import { setupSearch } from "./search.js";
import { PlannerPanel } from "./planner.js"; // 网格编辑 (branch web-planner)

const ATTRIBUTION = "© OpenStreetMap contributors (where OSM data is loaded)";

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

const map = new maplibregl.Map({
  container: "map",
  style,
  center: [106.93, 27.7],
  zoom: 11,
  attributionControl: { compact: true, customAttribution: ATTRIBUTION },
  dragRotate: false,
  pitchWithRotate: false,
});
map.touchZoomRotate.disableRotation();
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");

const infoRoot = document.getElementById("info");
let clickMarker = null;
let partition = null;
let coverage = null;
const info = new InfoPanel(infoRoot, {
  onStation: (lon, lat) => map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 16) }),
  onPartition: (code) => partition?.open(code),
});
infoRoot.addEventListener("closed", () => { clickMarker?.remove(); clickMarker = null; layers?.highlight(null); });

let layers = null;

/** Looks up a point, marks it, outlines its grid and fills the side panel. */
async function showLookup(lon, lat) {
  clickMarker?.remove();
  clickMarker = new maplibregl.Marker({ color: "#e31a1c", scale: 0.7 }).setLngLat([lon, lat]).addTo(map);
  info.loading(lon, lat);
  keepAboveSheet([lon, lat]);
  try {
    const r = await lookup(lon, lat);
    info.show(r);
    // The grid is what a field worker asks about: outline it (from the loaded, unclipped feature).
    const grid = r.grid && layers?.findLoaded("grids", "code", r.grid.code);
    layers?.highlight(grid?.geometry ?? null);
  } catch (e) {
    info.error(`查询失败: ${e.message}`);
  }
}

/** On phones the bottom sheet covers the lower half: pan so the looked-up point stays in sight. */
function keepAboveSheet(lngLat) {
  if (!window.matchMedia("(max-width: 700px)").matches) return;
  const h = map.getContainer().clientHeight;
  const p = map.project(lngLat);
  if (p.y > h * 0.45) map.easeTo({ center: lngLat, offset: [0, -h / 4], duration: 300 });
}

map.on("click", (e) => {
  if (!layers) return;
  // With the service-circle panel open, a click on a station shows its isochrones.
  const station = coverage?.isOpen && map.getLayer("stations-circle")
    ? map.queryRenderedFeatures(e.point, { layers: ["stations-circle"] })[0] : null;
  if (station) coverage.showIsochrones(String(station.properties._id));
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
    else renderStatus({ error: `无法显示: ${e.message}` });
  }
}

function debounce(fn, ms) {
  let t = 0;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

async function start() {
  const loaded = new Promise((resolve) => map.once("load", resolve));
  getHealth().then((h) => renderStatus({ store: h.store ?? h.status }))
    .catch((e) => renderStatus({ error: `服务不可用: ${e.message}` }));

  let layerList;
  try {
    layerList = await getLayers();
  } catch (e) {
    renderStatus({ error: `无法读取图层: ${e.message}` });
    return;
  }
  await loaded;
  const counts = Object.fromEntries(layerList.map((l) => [l.layer, l.count]));
  layers = new MapLayers(map, counts, { onStatus: renderStatus });
  const layerPanel = document.getElementById("layers");
  buildLayerPanel(layerPanel, layerList, (layer, visible) => layers.setVisible(layer, visible));
  partition = new PartitionPanel(document.getElementById("partition"), map, {
    onAccepted: async () => {
      const counts = Object.fromEntries((await getLayers()).map((l) => [l.layer, l.count]));
      await layers.reload(["grids", "buildings"], counts);
    },
  });
  document.getElementById("partition-open").addEventListener("click", () => partition.open());
  coverage = new CoveragePanel(document.getElementById("coverage"), map);
  document.getElementById("coverage-open").addEventListener("click", () => coverage.open());
  // 网格编辑 (branch web-planner): the grid editor panel; it reloads grids and buildings itself after a save.
  window.gridmap.planner = new PlannerPanel(document.getElementById("planner"), map);
  document.getElementById("planner-open").addEventListener("click", () => window.gridmap.planner.open());
  const closeResults = setupSearch(document.getElementById("search"), document.getElementById("results"), { onPick: pickSearchResult });
  map.on("click", closeResults);

  // Start on the whole area: districts, else communities, else grids.
  const fitLayer = ["districts", "communities", "grids"].find((l) => counts[l] > 0);
  if (fitLayer) {
    try {
      const extent = extentOf(await layers.loadWhole(fitLayer));
      // Keep the open layer panel from covering the west of the area.
      const panelOpen = !layerPanel.classList.contains("collapsed");
      const left = panelOpen ? layerPanel.offsetWidth + 20 : 20;
      if (extent) map.fitBounds([[extent[0], extent[1]], [extent[2], extent[3]]], { padding: { top: 20, bottom: 30, right: 20, left }, duration: 0 });
    } catch (e) {
      renderStatus({ error: `加载失败: ${e.message}` });
    }
  } else {
    renderStatus({ error: "存储中没有区县、社区或网格数据" });
  }

  const onMove = debounce(() => layers.refresh(), 250);
  map.on("moveend", onMove);
  map.on("zoomend", () => updateZoomHints(layerPanel, map.getZoom()));
  updateZoomHints(layerPanel, map.getZoom());
  await layers.refresh();
  document.body.dataset.ready = "true";
}

// Exposed for the browser tests and for poking at the map from the console.
window.gridmap = { map, get layers() { return layers; }, get partition() { return partition; }, get coverage() { return coverage; }, showLookup };
start();
