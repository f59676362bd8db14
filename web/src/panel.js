// The lookup side panel (a bottom sheet on phones): what is at the clicked point and who serves it.
import { STATION_KINDS, compoundClassLabel, stationLabel } from "./domain.js";

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c != null && c !== false));
  return node;
};

const row = (label, ...value) => el("div", { class: "row" }, el("dt", {}, label), el("dd", {}, ...value));
const none = () => el("span", { class: "muted" }, "—");
/** A value fit to print: null, undefined, NaN, "" and the strings "null"/"undefined" are nothing. */
const has = (v) => v != null && v !== "" && !(typeof v === "number" && !Number.isFinite(v)) && v !== "null" && v !== "undefined";
/** The given parts that are there, joined; null when none is. */
const join = (sep, ...parts) => {
  const got = parts.filter(has).map(String);
  return got.length ? got.join(sep) : null;
};
const metres = (m) => (!has(m) ? null : m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${Math.round(m)} m`);
const households = (n) => (has(n) ? `${n} 户` : null);
/** "南坛社区 (520304001001)", or just one of them. */
const area = (a) => a && join(" ", a.name, has(a.code) ? (has(a.name) ? `(${a.code})` : a.code) : null);
const fixed = (v, digits) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : null);

export class InfoPanel {
  /**
   * @param root the <aside> element; onStation(lon, lat) flies the map to a station; onPartition(code) opens the
   * partition panel for a community; onHistory(code, container) draws a grid's history into container, onBuildings(code,
   * container) its buildings; onShare(code, name) shares a link to it;
   * correction(building, gridCode) returns the form to correct a building's households, or null when not allowed.
   */
  constructor(root, { onStation = () => {}, onPartition = null, onHistory = null, onShare = null, onBuildings = null, correction = null } = {}) {
    this.root = root;
    this.body = root.querySelector(".info-body");
    this.onStation = onStation;
    this.onPartition = onPartition;
    this.onHistory = onHistory;
    this.onShare = onShare;
    this.onBuildings = onBuildings;
    this.correction = correction;
    this.shownGrid = null;
    root.querySelector(".info-close").addEventListener("click", () => this.hide());
  }

  /** The code of the grid the panel shows, or null (nothing shown, loading, an error, a point outside every grid). */
  get gridCode() {
    return this.root.hidden ? null : this.shownGrid;
  }

  hide() {
    this.root.hidden = true;
    this.shownGrid = null;
    this.root.dispatchEvent(new CustomEvent("closed"));
  }

  loading(lon, lat) {
    this.root.hidden = false;
    this.shownGrid = null;
    this.body.replaceChildren(el("p", { class: "muted" }, join(" ", "查询中…", join(", ", fixed(lon, 5), fixed(lat, 5)))));
  }

  /** A Chinese message (see i18n.js); `detail` (the server's English text) goes in the tooltip for support. */
  error(message, { detail = "" } = {}) {
    this.root.hidden = false;
    this.shownGrid = null;
    this.body.replaceChildren(el("p", { class: "error", ...(detail ? { title: detail } : {}) }, message));
  }

  /** Renders an /api/lookup answer; any member may be missing or null. */
  show(r) {
    this.root.hidden = false;
    const grid = r.grid && has(r.grid.code) ? r.grid : null;
    this.shownGrid = grid ? String(grid.code) : null;
    const workers = (grid?.workers ?? []).filter((w) => w && (has(w.name) || has(w.phone)));
    const workerRows = workers.length
      ? workers.map((w) => el("div", { class: "worker" },
        el("span", { class: "worker-name" }, has(w.name) ? String(w.name) : "—"), " ",
        has(w.phone) ? el("a", { href: `tel:${String(w.phone).replace(/[^\d+]/g, "")}`, class: "worker-phone" }, String(w.phone)) : none()))
      // Names and phones are for the roles that need them: the rest learn the grid has a worker.
      : Number(grid?.workers_count) > 0 ? [el("span", { class: "muted worker-hidden" }, `有 ${grid.workers_count} 名网格员（联系方式仅对相关人员可见）`)]
      : [none()];
    const compound = r.compound
      ? join(" · ", has(r.compound.name) ? r.compound.name : "未命名", has(r.compound.class) ? compoundClassLabel(r.compound.class) : null)
      : null;
    // A compound's remainder unit holds the households no mapped building does; a split building names all its grids.
    const remainder = r.building?.households_rule === "compound_remainder";
    const splitGrids = (r.building?.grid_codes ?? []).filter(has);
    const building = r.building && join(" · ",
      remainder ? "小区未测绘住户" : has(r.building.address) ? r.building.address : r.building.id,
      households(r.building.households),
      splitGrids.length > 1 ? `分属网格 ${splitGrids.join("、")}` : null);
    const facts = el("dl", { class: "facts" },
      r.district ? row("区/县", area(r.district)) : null,
      row("街道", area(r.street) ?? none()),
      row("社区", area(r.community) ?? none()),
      row("小区", compound ?? none()),
      row("网格", grid ? el("span", { class: "grid-code" }, String(grid.code)) : none()),
      has(grid?.name) ? row("网格名称", String(grid.name)) : null,
      grid ? row("户数", households(grid.households) ?? none()) : null,
      row("网格员", ...workerRows),
      building ? row("楼栋", building) : null,
    );

    // One line per kind: the nearest of each (the API may list several of a kind), by walk when the network is loaded.
    const far = (s) => (has(s.walk_m) ? s.walk_m : has(s.distance_m) ? s.distance_m + 1e9 : Infinity);
    const nearest = new Map();
    for (const s of (r.nearest_stations ?? []).filter((s) => s && has(s.kind))) {
      const seen = nearest.get(s.kind);
      if (!seen || far(s) < far(seen)) nearest.set(s.kind, s);
    }
    const stations = [...nearest.values()].sort((a, b) => far(a) - far(b));
    const distance = (s) => (has(s.walk_min) ? `步行 ${Math.max(1, Math.round(s.walk_min))} 分钟`
      : has(s.distance_m) ? `直线 ${metres(s.distance_m)}` : "");
    const distanceTitle = (s) => (has(s.walk_m) ? join("", `步行 ${metres(s.walk_m)}`, has(s.distance_m) ? `（直线 ${metres(s.distance_m)}）` : null)
      : has(s.distance_m) ? "直线距离" : "");
    const list = stations.length
      ? el("ul", { class: "stations" }, ...stations.map((s) => el("li", {},
        el("button", {
          type: "button", class: "linkish", title: "在地图上显示",
          onclick: () => { if (has(s.lon) && has(s.lat)) this.onStation(s.lon, s.lat); },
        },
          el("span", { class: "kind-dot", style: `--c:${STATION_KINDS.find((k) => k.key === s.kind)?.color ?? "#777"}` }),
          el("span", { class: "st-kind" }, STATION_KINDS.some((k) => k.key === s.kind) ? stationLabel(s.kind) : has(s.label) ? String(s.label) : String(s.kind)),
          el("span", { class: "st-name" }, has(s.name) ? String(s.name) : ""),
          el("span", { class: "st-dist", title: distanceTitle(s) }, distance(s))))))
      : el("p", { class: "muted" }, "附近没有服务站点");

    const coords = join(", ", fixed(r.lon, 6), fixed(r.lat, 6));
    // A grid's history and a building's household correction open in place, below the facts.
    const extra = el("div", { class: "info-extra" });
    const form = r.building && this.correction ? this.correction(r.building, grid?.code ?? null) : null;
    const actions = [
      grid && this.onBuildings ? el("button", {
        type: "button", class: "info-action grid-buildings-button", onclick: () => this.onBuildings(String(grid.code), extra),
      }, "楼栋列表") : null,
      grid && this.onShare ? el("button", {
        type: "button", class: "info-action share-grid", onclick: () => this.onShare(String(grid.code), has(grid.name) ? String(grid.name) : null),
      }, "分享") : null,
      grid && this.onHistory ? el("button", {
        type: "button", class: "info-action grid-history-button", onclick: () => this.onHistory(String(grid.code), extra),
      }, "网格历史") : null,
      form ? el("button", { type: "button", class: "info-action correct-households", onclick: () => extra.replaceChildren(form) }, "更正户数") : null,
    ].filter(Boolean);
    // replaceChildren prints a null as "null": leave the missing parts out.
    this.body.replaceChildren(...[
      facts,
      actions.length ? el("div", { class: "info-actions" }, ...actions) : null,
      extra,
      has(r.community?.code) && this.onPartition
        ? el("button", { type: "button", class: "partition-here", onclick: () => this.onPartition(r.community.code) }, "划分此社区网格")
        : null,
      el("h3", {}, "最近的服务站点"),
      list,
      coords ? el("p", { class: "coords muted" }, coords) : null,
    ].filter(Boolean));
  }
}

export { el, has };
