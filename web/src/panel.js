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
const metres = (m) => (m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${Math.round(m)} m`);

export class InfoPanel {
  /**
   * @param root the <aside> element; onStation(lon, lat) flies the map to a station; onPartition(code) opens the
   * partition panel for a community.
   */
  constructor(root, { onStation = () => {}, onPartition = null } = {}) {
    this.root = root;
    this.body = root.querySelector(".info-body");
    this.onStation = onStation;
    this.onPartition = onPartition;
    root.querySelector(".info-close").addEventListener("click", () => this.hide());
  }

  hide() {
    this.root.hidden = true;
    this.root.dispatchEvent(new CustomEvent("closed"));
  }

  loading(lon, lat) {
    this.root.hidden = false;
    this.body.replaceChildren(el("p", { class: "muted" }, `查询中… ${lon.toFixed(5)}, ${lat.toFixed(5)}`));
  }

  error(message) {
    this.root.hidden = false;
    this.body.replaceChildren(el("p", { class: "error" }, message));
  }

  /** Renders an /api/lookup answer. */
  show(r) {
    this.root.hidden = false;
    const grid = r.grid;
    const workers = grid?.workers?.length
      ? grid.workers.map((w) => el("div", { class: "worker" },
        el("span", { class: "worker-name" }, w.name || "—"), " ",
        w.phone ? el("a", { href: `tel:${w.phone.replace(/[^\d+]/g, "")}`, class: "worker-phone" }, w.phone) : none()))
      : [none()];
    const facts = el("dl", { class: "facts" },
      row("街道", r.street ? `${r.street.name} (${r.street.code})` : none()),
      row("社区", r.community ? `${r.community.name} (${r.community.code})` : none()),
      row("小区", r.compound ? `${r.compound.name || "未命名"} · ${compoundClassLabel(r.compound.class)}` : none()),
      row("网格", grid ? el("span", { class: "grid-code" }, grid.code) : none()),
      grid?.name ? row("网格名称", grid.name) : null,
      grid ? row("户数", `${grid.households ?? "—"} 户`) : null,
      row("网格员", ...workers),
      r.building ? row("楼栋", `${r.building.address || r.building.id} · ${r.building.households ?? "—"} 户`) : null,
    );

    // One line per kind: the nearest of each (the API may list several of a kind), by walk when the network is loaded.
    const far = (s) => s.walk_m ?? s.distance_m + 1e9;
    const nearest = new Map();
    for (const s of r.nearest_stations ?? []) {
      const seen = nearest.get(s.kind);
      if (!seen || far(s) < far(seen)) nearest.set(s.kind, s);
    }
    const stations = [...nearest.values()].sort((a, b) => far(a) - far(b));
    const list = stations.length
      ? el("ul", { class: "stations" }, ...stations.map((s) => el("li", {},
        el("button", { type: "button", class: "linkish", title: "在地图上显示", onclick: () => this.onStation(s.lon, s.lat) },
          el("span", { class: "kind-dot", style: `--c:${STATION_KINDS.find((k) => k.key === s.kind)?.color ?? "#777"}` }),
          el("span", { class: "st-kind" }, STATION_KINDS.some((k) => k.key === s.kind) ? stationLabel(s.kind) : s.label || s.kind),
          el("span", { class: "st-name" }, s.name || ""),
          el("span", { class: "st-dist", title: s.walk_m == null ? "直线距离" : `步行 ${metres(s.walk_m)}（直线 ${metres(s.distance_m)}）` },
            s.walk_min == null ? `直线 ${metres(s.distance_m)}` : `步行 ${Math.max(1, Math.round(s.walk_min))} 分钟`)))))
      : el("p", { class: "muted" }, "附近没有服务站点");

    this.body.replaceChildren(
      facts,
      r.community && this.onPartition
        ? el("button", { type: "button", class: "partition-here", onclick: () => this.onPartition(r.community.code) }, "划分此社区网格")
        : null,
      el("h3", {}, "最近的服务站点"),
      list,
      el("p", { class: "coords muted" }, `${r.lon.toFixed(6)}, ${r.lat.toFixed(6)}`),
    );
  }
}

export { el };
