// 服务圈: how many households reach a station on foot within 5/10/15 minutes (by the walking network), which
// buildings are beyond, where the gaps are, each station's isochrones, and where new stations would help most.
// Numbers come from each building's own walk; the polygons are for the eye only.
import { may } from "./account.js";
import { getCoverage, getCoverageBuildings, getGaps, getIsochrones, suggestSites } from "./api.js";
import { STATION_KINDS } from "./domain.js";
import { problemText } from "./i18n.js";
import { el } from "./panel.js";

const EMPTY = { type: "FeatureCollection", features: [] };
// Nearest threshold first: green, then yellow, orange; beyond every threshold red; unreachable grey.
const BAND_COLOURS = ["#1a9850", "#a6d96a", "#fdae61"];
const BEYOND = "#d73027";
const percent = (share) => `${(100 * share).toFixed(1)}%`;

export class CoveragePanel {
  /**
   * @param root the panel <section>
   * @param map the maplibregl.Map the layers are drawn on
   */
  constructor(root, map) {
    this.root = root;
    this.map = map;
    this.form = root.querySelector(".coverage-form");
    this.out = root.querySelector(".coverage-result");
    this.query = null;
    /** How many features each coverage layer shows now (for tests and the console). */
    this.shown = { buildings: 0, isochrones: 0, gaps: 0, sites: 0 };
    const kinds = this.form.elements.kind;
    for (const k of STATION_KINDS) kinds.append(el("option", { value: k.key }, k.label));
    root.querySelector(".info-close").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.run(); });

    for (const id of ["coverage-buildings", "coverage-isochrones", "coverage-gaps", "coverage-sites"])
      map.addSource(id, { type: "geojson", data: EMPTY });
    map.addLayer({ id: "coverage-isochrones-fill", type: "fill", source: "coverage-isochrones",
      paint: { "fill-color": ["get", "_colour"], "fill-opacity": 0.18 } });
    map.addLayer({ id: "coverage-isochrones-line", type: "line", source: "coverage-isochrones",
      paint: { "line-color": ["get", "_colour"], "line-width": 1.5 } });
    map.addLayer({ id: "coverage-gaps-fill", type: "fill", source: "coverage-gaps",
      paint: { "fill-color": BEYOND, "fill-opacity": 0.35 } });
    map.addLayer({ id: "coverage-gaps-line", type: "line", source: "coverage-gaps",
      paint: { "line-color": BEYOND, "line-width": 1.5, "line-dasharray": [2, 1] } });
    map.addLayer({ id: "coverage-buildings-fill", type: "fill", source: "coverage-buildings",
      filter: ["!=", ["geometry-type"], "Point"], paint: { "fill-color": ["get", "_colour"], "fill-opacity": 0.85 } });
    map.addLayer({ id: "coverage-buildings-point", type: "circle", source: "coverage-buildings",
      filter: ["==", ["geometry-type"], "Point"], paint: { "circle-color": ["get", "_colour"], "circle-radius": 4 } });
    map.addLayer({ id: "coverage-sites", type: "circle", source: "coverage-sites",
      paint: { "circle-color": "#6a3d9a", "circle-radius": 9, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.addLayer({ id: "coverage-sites-rank", type: "symbol", source: "coverage-sites",
      layout: { "text-field": ["to-string", ["get", "rank"]], "text-size": 11, "text-allow-overlap": true },
      paint: { "text-color": "#fff" } });
  }

  open() {
    this.root.hidden = false;
  }

  close() {
    this.root.hidden = true;
    for (const what of Object.keys(this.shown)) this.show(what, EMPTY);
  }

  show(what, fc) {
    this.map.getSource(`coverage-${what}`).setData(fc);
    this.shown[what] = fc.features.length;
  }

  get isOpen() {
    return !this.root.hidden;
  }

  /** The form as an API query: kind, minutes, profile. */
  read() {
    const f = this.form.elements;
    return { kind: f.kind.value || null, minutes: f.minutes.value.trim() || null, profile: f.profile.value };
  }

  async run() {
    this.query = this.read();
    this.out.hidden = false;
    this.out.replaceChildren(el("p", { class: "muted" }, "计算中…"));
    try {
      const [report, buildings] = await Promise.all([getCoverage(this.query), getCoverageBuildings(this.query)]);
      const labels = buildings.thresholds ?? Object.keys(report.coverage);
      for (const b of buildings.features) {
        const i = labels.indexOf(b.properties.within);
        b.properties._colour = b.properties.walk_m == null ? "#9e9e9e" : i >= 0 ? BAND_COLOURS[Math.min(i, 2)] : BEYOND;
      }
      this.show("buildings", buildings);
      this.report = report;
      this.render(report, labels);
    } catch (e) {
      this.out.replaceChildren(el("p", { class: "error", title: e.message }, `计算失败: ${problemText(e)}`));
    }
  }

  render(report, labels) {
    const unit = this.query.minutes || !this.query.kind ? "分钟" : "米";
    const rows = labels.map((label, i) => el("div", { class: "row" },
      el("dt", {}, el("span", { class: "kind-dot", style: `--c:${BAND_COLOURS[Math.min(i, 2)]}` }), `${label} ${unit}`),
      el("dd", { class: "coverage-share", "data-threshold": label }, `${percent(report.coverage[label])} · 未覆盖 ${report.uncovered_by_threshold[label]} 户`)));
    const loads = Object.entries(report.station_load).sort((a, b) => b[1] - a[1]).slice(0, 5);
    this.out.replaceChildren(
      el("p", { class: "coverage-mode muted" }, report.mode === "network"
        ? `按步行路网计算 · ${report.households} 户 · ${report.stations} 个站点`
        : `未加载路网, 按直线距离估算 · ${report.households} 户 · ${report.stations} 个站点`),
      el("dl", { class: "facts coverage-report" }, ...rows,
        el("div", { class: "row" }, el("dt", {}, "无法到达"), el("dd", {}, `${report.unreachable.length} 栋`))),
      loads.length ? el("h3", {}, "服务户数最多的站点") : null,
      loads.length ? el("ul", { class: "coverage-loads" }, ...loads.map(([id, h]) => el("li", {},
        el("button", { type: "button", class: "linkish", title: "显示该站点的步行圈", onclick: () => this.showIsochrones(id) }, id), ` ${h} 户`))) : null,
      el("div", { class: "partition-actions" },
        el("button", { type: "button", onclick: () => this.showGaps() }, "显示缺口"),
        may("sites") ? el("button", { type: "button", onclick: () => this.suggest() }, "建议新站点") : null),
      el("div", { class: "coverage-extra", "aria-live": "polite" }));
  }

  extra(...children) {
    this.out.querySelector(".coverage-extra")?.replaceChildren(...children);
  }

  /** The isochrones of one station (clicked in the list or on the map), largest first so smaller ones sit on top. */
  async showIsochrones(station) {
    if (!this.query) this.query = this.read();
    try {
      const fc = await getIsochrones({ ...this.query, station });
      const labels = [...new Set(fc.features.map((f) => f.properties.threshold))].sort((a, b) => Number(a) - Number(b));
      for (const f of fc.features) f.properties._colour = BAND_COLOURS[Math.min(labels.indexOf(f.properties.threshold), 2)];
      this.show("isochrones", fc);
      this.extra(el("p", { class: "coverage-isochrone" }, `${station} 的步行圈: `,
        ...fc.features.slice().reverse().map((f) => `${f.properties.threshold} → ${f.properties.households} 户 `)));
    } catch (e) {
      this.extra(el("p", { class: "error", title: e.message }, `步行圈失败: ${problemText(e, { layer: "stations", id: station })}`));
    }
  }

  async showGaps() {
    try {
      const fc = await getGaps(this.query);
      const largest = fc.features.reduce((m, f) => Math.max(m, Number(f.properties.threshold)), 0);
      const shown = { ...fc, features: fc.features.filter((f) => Number(f.properties.threshold) === largest) };
      this.show("gaps", shown);
      const households = shown.features.reduce((s, f) => s + f.properties.households, 0);
      this.extra(el("p", { class: "coverage-gaps" }, `${shown.features.length} 处缺口 (${largest} 以外), 共 ${households} 户`));
    } catch (e) {
      this.extra(el("p", { class: "error", title: e.message }, `缺口失败: ${problemText(e)}`));
    }
  }

  /** Three new stations for the widest circle that still leaves households out. */
  async suggest() {
    const open = Object.keys(this.report.coverage)
      .filter((label) => this.report.uncovered_by_threshold[label] > 0)
      .sort((a, b) => Number(b) - Number(a))[0];
    if (open == null) {
      this.show("sites", EMPTY);
      this.extra(el("p", { class: "coverage-sites" }, "各圈层均已全覆盖, 无需新增站点"));
      return;
    }
    const threshold = this.query.minutes || !this.query.kind ? { minutes: open } : { meters: open };
    try {
      const fc = await suggestSites({ kind: this.query.kind, ...threshold, profile: this.query.profile, add: 3, candidates: "auto" });
      this.show("sites", fc);
      const r = fc.report;
      this.extra(el("p", { class: "coverage-sites" },
        `${open} ${this.query.minutes || !this.query.kind ? "分钟" : "米"}圈新增 ${r.added} 个站点: ${percent(r.coverage_before)} → ${percent(r.coverage_after)} (+${r.households_gained} 户, 上界 ${r.bound} 户)`),
      el("ol", {}, ...fc.features.map((f) => el("li", {}, `+${f.properties.households_gained} 户`))));
    } catch (e) {
      this.extra(el("p", { class: "error", title: e.message }, `选址失败: ${problemText(e)}`));
    }
  }
}
