// Field mode, for grid workers outdoors on a phone: locate me (MapLibre's GeolocateControl, secure contexts only; over
// plain HTTP the map says why instead), a grid's buildings with their households, a link to share the grid, the
// optional basemap, and a service worker that keeps the page (never data) through a brief loss of connection.
import { getFeature, getFeatures, getJson } from "./api.js";
import { bboxOf, labelPoint } from "./geo.js";
import { problemText } from "./i18n.js";
import { el, has } from "./panel.js";

/** Raster basemaps set on the server (`--basemap`), drawn under every GridMap layer. */
export async function addBasemaps(map) {
  let config;
  try {
    config = await getJson("/api/map-config");
  } catch {
    return; // an older server: no basemap
  }
  (config.basemaps ?? []).forEach((b, i) => {
    map.addSource(`basemap-${i}`, { type: "raster", tiles: b.tiles, tileSize: 256, maxzoom: 18 });
    map.addLayer({ id: `basemap-${i}`, type: "raster", source: `basemap-${i}` });
  });
}

/** Why 定位 is missing, in Chinese: geolocation needs HTTPS (or this machine itself). */
export const INSECURE_NOTE = "定位需要安全连接：请用 https:// 地址打开地图（当前为 HTTP，浏览器不允许网页读取位置）。";

/**
 * Locate me: MapLibre's own control where the browser allows it; `onLocated(lon, lat)` then looks the position up once
 * (the worker's grid). Elsewhere a small button that says why there is no 定位.
 */
export function addLocate(map, { onLocated = () => {}, onExplain = () => {} } = {}) {
  if (window.isSecureContext && "geolocation" in navigator) {
    const control = new maplibregl.GeolocateControl({
      positionOptions: { enableHighAccuracy: true, timeout: 15000 },
      trackUserLocation: true,
      showAccuracyCircle: true,
    });
    let first = true;
    control.on("geolocate", (e) => {
      if (!first) return;
      first = false;
      onLocated(e.coords.longitude, e.coords.latitude);
    });
    control.on("trackuserlocationend", () => { first = true; });
    map.addControl(control, "top-right"); // above the bottom sheet on phones
    return control;
  }
  const explain = {
    onAdd() {
      const box = el("div", { class: "maplibregl-ctrl maplibregl-ctrl-group locate-off" },
        el("button", { type: "button", class: "locate-off-button", title: INSECURE_NOTE, "aria-label": "定位不可用", onclick: () => onExplain(INSECURE_NOTE) }, "定位?"));
      return box;
    },
    onRemove() {},
  };
  map.addControl(explain, "top-right");
  return null;
}

/** Keeps the page and its scripts for a brief loss of connection (secure contexts only; never API answers). */
export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js").catch(() => { /* the map works without it */ });
}

/** A link that opens this grid, shared by the phone's own share sheet or copied. */
export async function shareGrid(code, name) {
  const url = `${location.origin}/?grid=${encodeURIComponent(code)}`;
  if (navigator.share) {
    try {
      await navigator.share({ title: `网格 ${name ?? code}`, url });
      return null;
    } catch (e) {
      if (e?.name === "AbortError") return null;
    }
  }
  try {
    await navigator.clipboard.writeText(url);
    return "链接已复制";
  } catch {
    return url; // show it: the worker copies it by hand
  }
}

/** A grid's buildings with their households, drawn into `container`; tapping one looks it up. */
export async function showGridBuildings(code, container, { onPick = () => {} } = {}) {
  container.replaceChildren(el("p", { class: "muted" }, "正在读取楼栋…"));
  try {
    const grid = await getFeature("grids", code);
    const units = new Set((grid.properties?.unit_ids ?? []).map((u) => String(u).split("/")[0]));
    const box = bboxOf(grid.geometry);
    const { features } = await getFeatures("buildings", box, { max: 5000 });
    const mine = features.filter((b) => units.has(String(b.id)) || b.properties?.grid_code === code)
      .sort((a, b) => String(a.properties?.address ?? a.id).localeCompare(String(b.properties?.address ?? b.id), "zh"));
    const total = mine.reduce((n, b) => n + (Number(b.properties?.households) || 0), 0);
    container.replaceChildren(
      el("h3", {}, `本网格楼栋（${mine.length} 栋 · ${total} 户）`),
      el("ol", { class: "grid-buildings" }, ...mine.map((b) => {
        const p = b.properties ?? {};
        const label = p.households_rule === "compound_remainder" ? "小区未测绘住户" : has(p.address) ? p.address : has(p.name) ? p.name : b.id;
        return el("li", {}, el("button", {
          type: "button", class: "linkish-inline grid-building",
          onclick: () => { const at = labelPoint(b.geometry); if (at) onPick(at[0], at[1]); },
        }, String(label)), el("span", { class: "muted" }, ` ${has(p.households) ? p.households : "—"} 户`));
      })));
  } catch (e) {
    container.replaceChildren(el("p", { class: "error", title: e.message }, `无法读取楼栋: ${problemText(e)}`));
  }
}
