// 服务圈: how many households reach a station on foot within 5/10/15 minutes (by the walking network) or a kind's GB
// 50180 radius — in total, by community and by grid (a sortable table, worst first; a click flies there), which
// compounds and buildings the gaps hold, what each station serves (by name), where new stations would help most (k of
// them, or as many as a target share needs), and what if a station were added, moved or removed. Exports: the table as
// CSV, the map as PNG. Numbers come from each building's own walk; the polygons are for the eye only.
//
// State (parameters, answers, edits) lives in coverage/state.js, drawing in coverage/draw.js; this panel asks the
// server, renders the lists and passes what to draw.
import { account, may } from "./account.js";
import { getFeature } from "./api.js";
import { STATION_KINDS, stationLabel } from "./domain.js";
import { problemText } from "./i18n.js";
import { getCoverageTable, getCoverageValues, getGaps, getIsochrones, postWhatIf, suggestSites } from "./coverage/api.js";
import { BAND_COLOURS, CoverageDrawing, UNREACHABLE, bandColour, bboxOf } from "./coverage/draw.js";
import { coverageCsv, download, fileName, legendItems, mapPng } from "./coverage/export.js";
import { WhatIfPointer } from "./coverage/pointer.js";
import { COLUMNS, CoverageState, GB_RADIUS, PROFILES, TABS, THRESHOLDS } from "./coverage/state.js";

const percent = (share) => (share == null ? "—" : `${(100 * share).toFixed(1)}%`);
const count = (n) => Number(n ?? 0).toLocaleString("zh-CN");
/** A change of share in percentage points, signed: "+1.2" / "−0.4" / "±0". */
const points = (d) => {
  const v = Math.round(1000 * d) / 10;
  return v > 0 ? `+${v.toFixed(1)}` : v < 0 ? `−${Math.abs(v).toFixed(1)}` : "±0";
};

/** An element: attributes null/false are left out, `true` is an empty attribute, on* are listeners. */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children.flat().filter((c) => c != null && c !== false).map((c) => (typeof c === "number" ? String(c) : c)));
  return node;
}

/** Replaces a node's children, leaving out null and false (replaceChildren would print them). */
const put = (node, ...children) => node?.replaceChildren(...children.flat().filter((c) => c != null && c !== false));

const TOOL_HINTS = {
  add: "在地图上点击要新增站点的位置",
  move: "点击要移动的站点，再点击新位置（也可直接拖动站点）",
  remove: "点击要删除的站点",
};

/**
 * Each building's colour band from walk columns (`within`, `walk_m`, as /api/coverage/values and a what-if's `changed`
 * give them): the index of the first threshold it is within, -1 beyond all, -2 unreachable.
 */
function bandsOf(values, table) {
  const labels = table.thresholds.map((t) => t.label);
  const bands = new Int8Array(values.ids.length);
  for (let i = 0; i < bands.length; i++) {
    const k = labels.indexOf(values.within[i]);
    bands[i] = values.walk_m[i] == null ? -2 : k < 0 ? -1 : Math.min(k, BAND_COLOURS.length - 1);
  }
  return bands;
}

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
    this.state = new CoverageState({ scope: account().scope ?? null, scopeName: account().scope_name ?? null });
    this.drawing = new CoverageDrawing(map);
    this.buildings = null;
    this.ran = false;
    this.fitted = false;
    this.whatIfTimer = 0;
    this.whatIfAbort = null;
    this.canSite = may("sites");

    const f = this.form.elements;
    for (const k of STATION_KINDS) f.kind.append(h("option", { value: k.key }, k.label));
    f.threshold.replaceChildren(...THRESHOLDS.map((t) => h("option", { value: t.value }, t.label)));
    f.profile.replaceChildren(...Object.entries(PROFILES).map(([k, label]) => h("option", { value: k }, label)));
    this.syncForm();
    root.querySelector(".info-close").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.submit(); });
    this.form.addEventListener("change", () => {
      this.state.setParams(this.read());
      this.syncForm();
      if (this.ran) this.run();
    });

    this.pointer = new WhatIfPointer(map, {
      onClick: (lngLat, station) => this.mapClick(lngLat, station),
      onDrag: (id, lngLat) => this.drawing.dragTo(id, lngLat),
      onDragEnd: (id, lngLat) => {
        this.state.moveStation(id, lngLat.lng, lngLat.lat);
        if (this.state.tool === "move") this.state.setTool(null);
      },
      canDrag: (id, status) => this.canSite && this.isOpen && (status === "added" || status === "moved" || this.state.tool === "move"),
    });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && this.state.tool) this.state.setTool(null); });
    this.state.subscribe((_, why) => this.changed(why));
  }

  /** How many features each coverage layer shows now (for tests and the console). */
  get shown() {
    return this.drawing.shown;
  }

  get isOpen() {
    return !this.root.hidden;
  }

  open() {
    this.root.hidden = false;
    if (this.state.table) this.redraw();
  }

  close() {
    this.root.hidden = true;
    this.state.setTool(null);
    this.drawing.clear();
    this.pointer.set({ armed: false, enabled: false });
  }

  /** The form as parameters. */
  read() {
    const f = this.form.elements;
    return { kind: f.kind.value, threshold: f.threshold.value, profile: f.profile.value };
  }

  /** The form shows the state's parameters; 国标服务半径 only for a kind that has one. */
  syncForm() {
    const f = this.form.elements;
    const { kind, threshold, profile } = this.state.params;
    const gb = f.threshold.querySelector("option[value=gb]");
    const radius = GB_RADIUS[kind];
    gb.disabled = radius == null;
    gb.textContent = radius != null ? `国标服务半径 ${radius} 米` : "国标服务半径（先选站点类型）";
    f.kind.value = kind;
    f.threshold.value = threshold;
    f.profile.value = profile;
  }

  submit() {
    this.state.setParams(this.read());
    this.syncForm();
    this.run();
  }

  // ---- asking the server ------------------------------------------------------------------------------------------

  async run() {
    this.ran = true;
    const run = this.state.run;
    const query = this.state.query();
    this.out.hidden = false;
    put(this.out, h("p", { class: "muted coverage-busy" }, "计算中…"));
    try {
      // The buildings' walks as columns (no geometry: the map draws them from its tiles and colours them by id).
      const [table, values] = await Promise.all([getCoverageTable(query), getCoverageValues(query)]);
      if (run !== this.state.run) return;
      this.buildings = { ids: values.ids, bands: bandsOf(values, table) };
      this.state.setTable(run, table);
    } catch (e) {
      if (run !== this.state.run) return;
      put(this.out, h("p", { class: "error", title: e.message }, `计算失败: ${problemText(e)}`));
    }
  }

  /** The isochrones of one station (clicked in the list or on the map), largest first so smaller ones sit on top. */
  async showIsochrones(station, { fly = false } = {}) {
    if (!this.state.table) return;
    const run = this.state.run;
    const known = this.state.table.stations.some((s) => s.id === station);
    try {
      const fc = await getIsochrones({ ...this.state.query(), ...(known ? {} : { kind: null }), station });
      const labels = [...new Set(fc.features.map((f) => f.properties.threshold))].sort((a, b) => Number(a) - Number(b));
      for (const f of fc.features) f.properties._colour = BAND_COLOURS[Math.min(labels.indexOf(f.properties.threshold), 2)];
      if (this.state.setResult(run, "isochrones", { station, fc }) && fly) this.fit(bboxOf(fc.features.map((f) => f.geometry)));
    } catch (e) {
      put(this.section("stations-note"), h("p", { class: "error", title: e.message },
        `步行圈失败: ${problemText(e, { layer: "stations", id: station })}`));
    }
  }

  async showGaps() {
    const run = this.state.run;
    const focus = this.state.focus;
    const note = this.section("gaps");
    put(note, h("p", { class: "muted" }, "计算缺口…"));
    try {
      const fc = await getGaps(this.state.query());
      const shown = { ...fc, features: fc.features.filter((f) => f.properties.threshold === focus) };
      shown.features.sort((a, b) => b.properties.households - a.properties.households);
      if (this.state.setResult(run, "gaps", { fc: shown, focus }) && shown.features.length)
        this.fit(bboxOf(shown.features.map((f) => f.geometry)));
    } catch (e) {
      put(note, h("p", { class: "error", title: e.message }, `缺口失败: ${problemText(e)}`));
    }
  }

  /** New stations for the focus threshold: k of them, or as many as a target share needs. */
  async suggest() {
    const run = this.state.run;
    const focus = this.state.focus;
    const form = this.root.querySelector(".coverage-site-form");
    const mode = form?.elements.mode.value ?? "add";
    const k = Math.max(1, Math.min(50, Math.round(Number(form?.elements.k.value) || 3)));
    const target = Math.max(1, Math.min(100, Number(form?.elements.share.value) || 95)) / 100;
    const note = this.section("sites");
    const t = this.state.table;
    if (mode === "add" && t.households - (t.covered[focus] ?? 0) === 0) {
      this.state.setResult(run, "sites", { fc: { type: "FeatureCollection", features: [] }, focus, full: true });
      return;
    }
    put(note, h("p", { class: "muted" }, "选址计算中…"));
    const threshold = t.unit === "meters" ? { meters: focus } : { minutes: focus };
    try {
      const fc = await suggestSites({ kind: this.state.params.kind || null, ...threshold, profile: this.state.params.profile,
        ...(mode === "share" ? { share: target } : { add: k }), candidates: "auto" });
      if (this.state.setResult(run, "sites", { fc, focus, mode, k, target }) && fc.features.length)
        this.fit(bboxOf(fc.features.map((f) => f.geometry)), { maxZoom: 16 });
    } catch (e) {
      put(note, h("p", { class: "error", title: e.message }, `选址失败: ${problemText(e)}`));
    }
  }

  /** Asks the what-if for the edits (shortly after the last one: a drag gives one request). */
  requestWhatIf() {
    clearTimeout(this.whatIfTimer);
    this.whatIfAbort?.abort();
    const { run, editsVersion: version } = this.state;
    if (!this.state.table || this.state.edits.length === 0) return;
    this.whatIfTimer = setTimeout(async () => {
      const abort = new AbortController();
      this.whatIfAbort = abort;
      try {
        const answer = await postWhatIf({ ...this.state.query(), changes: this.state.changes() }, abort.signal);
        this.state.setAnswer(run, version, answer);
      } catch (e) {
        if (e.name === "AbortError" || run !== this.state.run || version !== this.state.editsVersion) return;
        put(this.section("whatif-result"), h("p", { class: "error", title: e.message }, `调整计算失败: ${problemText(e)}`));
      }
    }, 120);
  }

  // ---- the map ----------------------------------------------------------------------------------------------------

  /** Padding that keeps what is fitted clear of the panels over the map (this one, the layer list, the lookup). */
  padding() {
    const m = this.map.getContainer().getBoundingClientRect();
    const pad = { top: 30, bottom: 30, left: 30, right: 30 };
    for (const panel of [this.root, document.getElementById("info"), document.getElementById("layers")]) {
      if (!panel || panel.hidden || panel.classList.contains("collapsed")) continue;
      const r = panel.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.top > m.top + m.height * 0.3) pad.bottom = Math.max(pad.bottom, m.bottom - r.top + 15); // a bottom sheet
      else if (r.left > m.left + m.width * 0.5) pad.right = Math.max(pad.right, m.right - r.left + 15);
      else if (r.right < m.left + m.width * 0.5) pad.left = Math.max(pad.left, r.right - m.left + 15);
    }
    // Leave at least a strip of map to fit into.
    const spare = (size, a, b) => Math.max(0, a + b - (size - 120));
    const overX = spare(m.width, pad.left, pad.right);
    if (overX) pad.left = Math.max(10, pad.left - overX);
    const overY = spare(m.height, pad.top, pad.bottom);
    if (overY) pad.top = Math.max(10, pad.top - overY);
    return pad;
  }

  fit(bbox, options = {}) {
    if (!bbox) return;
    // A point or a sliver still gets some room around it.
    const min = 0.002;
    const [w, s, e, n] = bbox;
    const box = [Math.min(w, (w + e) / 2 - min), Math.min(s, (s + n) / 2 - min), Math.max(e, (w + e) / 2 + min), Math.max(n, (s + n) / 2 + min)];
    this.drawing.fit(box, this.padding(), options);
  }

  /** Draws everything of the current run again (the panel was closed and opened). */
  redraw() {
    const s = this.state;
    this.drawing.show("buildings", this.buildings);
    this.drawing.show("isochrones", s.isochrones?.fc);
    this.drawing.show("gaps", s.gaps?.fc);
    this.drawing.show("sites", s.sites?.fc);
    this.drawWhatIf();
  }

  drawWhatIf() {
    const s = this.state;
    this.drawing.whatIf(this.canSite && s.table ? s.stations() : null, { tool: s.tool, picked: s.picked });
    this.pointer.set({ armed: this.canSite && this.isOpen && Boolean(s.tool), enabled: this.canSite && this.isOpen && Boolean(s.table) });
  }

  mapClick(lngLat, station) {
    const s = this.state;
    const live = station && s.stations().get(station);
    if (s.tool === "add") s.addStation(lngLat.lng, lngLat.lat);
    else if (s.tool === "remove" && live && live.status !== "removed") s.removeStation(station);
    else if (s.tool === "move" && s.picked) s.moveStation(s.picked, lngLat.lng, lngLat.lat);
    else {
      // Moving starts by picking a station; any other click leaves the tool in hand.
      if (s.tool === "move" && live && live.status !== "removed") s.pick(station);
      return;
    }
    s.setTool(null);
  }

  /** Flies to a community or grid of the table and outlines it. */
  async selectRow(row) {
    this.state.select(row.code);
    this.fit(row.bbox);
    try {
      const f = await getFeature(row.tab === "communities" ? "communities" : "grids", row.id);
      if (this.state.view.selected === row.code) this.drawing.outline(f.geometry);
    } catch {
      // Not in the store (a code only buildings carry): its buildings' extent is all there is.
      const [w, s, e, n] = row.bbox ?? [];
      if (row.bbox && this.state.view.selected === row.code)
        this.drawing.outline({ type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] });
    }
  }

  // ---- rendering --------------------------------------------------------------------------------------------------

  /** A part of the result (`data-part`), or null before the first table. */
  section(part) {
    return this.out.querySelector(`[data-part="${part}"]`);
  }

  changed(why) {
    const s = this.state;
    switch (why) {
      case "params":
        clearTimeout(this.whatIfTimer);
        this.whatIfAbort?.abort();
        // What was drawn for the old parameters goes at once.
        this.drawing.clear();
        this.buildings = null;
        if (!this.ran) this.out.hidden = true;
        this.drawWhatIf();
        break;
      case "table":
        this.build();
        this.drawing.show("buildings", this.buildings);
        this.drawWhatIf();
        if (!this.fitted) {
          this.fitted = true;
          this.fitScope();
        }
        this.section("summary")?.scrollIntoView({ block: "nearest" });
        if (s.edits.length) this.requestWhatIf();
        break;
      case "focus":
        this.drawing.clear("gaps", "sites");
        this.renderSummary();
        this.renderTable();
        this.renderGaps();
        this.renderSites();
        break;
      case "view":
      case "select":
        this.renderSummary();
        this.renderTable();
        if (why === "view" && !s.view.selected) this.drawing.outline(null);
        break;
      case "isochrones":
        this.drawing.show("isochrones", s.isochrones?.fc);
        this.renderStations();
        break;
      case "gaps":
        this.drawing.show("gaps", s.gaps?.fc);
        this.renderGaps();
        this.section("gaps")?.closest("section")?.scrollIntoView({ block: "start" });
        break;
      case "sites":
        this.drawing.show("sites", s.sites?.fc);
        this.renderSites();
        this.section("sites")?.closest("section")?.scrollIntoView({ block: "start" });
        break;
      case "edits":
        if (!s.edits.length) this.drawing.patchBuildings(null);
        this.drawWhatIf();
        this.renderSummary();
        this.renderTable();
        this.renderWhatIf();
        this.renderStations();
        this.requestWhatIf();
        break;
      case "answer":
        // The buildings the edits moved take their new colours; the others keep the result's.
        if (s.answer?.changed && s.table) this.drawing.patchBuildings({ ids: s.answer.changed.ids, bands: bandsOf(s.answer.changed, s.table) });
        this.renderSummary();
        this.renderTable();
        this.renderWhatIf();
        this.renderStations();
        break;
      case "tool":
        this.drawWhatIf();
        this.renderWhatIf();
        break;
      default:
    }
  }

  /** Fits the map to the account's scope (its communities), else to every community of the table. */
  fitScope() {
    const rows = this.state.rows("communities");
    const boxes = rows.map((r) => r.bbox).filter(Boolean);
    if (!boxes.length) return;
    this.fit([Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])), Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))],
      { maxZoom: 16 });
  }

  /** The result's parts, once per table. */
  build() {
    const part = (name, tag = "div", attrs = {}) => h(tag, { "data-part": name, ...attrs });
    const t = this.state.table;
    const stationsHint = "点击站点名称（或地图上的站点）显示其步行圈";
    put(this.out,
      part("summary", "div", { class: "coverage-summary" }),
      h("div", { class: "coverage-exports" },
        h("button", { type: "button", class: "coverage-csv", title: "按社区和网格的覆盖表，Excel 可直接打开", onclick: () => this.exportCsv() }, "导出表格 CSV"),
        h("button", { type: "button", class: "coverage-png", title: "当前地图，带标题、图例和日期", onclick: () => this.exportPng() }, "导出地图 PNG")),
      h("section", { class: "coverage-section coverage-table-section" },
        h("h3", {}, "覆盖情况排名", h("span", { class: "hint muted" }, " 最差在前 · 点击一行在地图上定位")),
        part("table")),
      this.canSite ? h("section", { class: "coverage-section coverage-whatif" },
        h("h3", {}, "假设调整站点", h("span", { class: "hint muted" }, " 只计算，不修改数据")),
        part("whatif")) : null,
      this.canSite ? h("section", { class: "coverage-section coverage-sites-section" },
        h("h3", {}, "新站点选址"),
        h("form", { class: "coverage-site-form", onsubmit: (e) => { e.preventDefault(); this.suggest(); } },
          h("label", { class: "check" }, h("input", { type: "radio", name: "mode", value: "add", checked: true }), "新增",
            h("input", { type: "number", name: "k", min: 1, max: 50, value: 3, "aria-label": "新增站点数", class: "coverage-k" }), "个站点"),
          h("label", { class: "check" }, h("input", { type: "radio", name: "mode", value: "share" }), "覆盖率达到",
            h("input", { type: "number", name: "share", min: 1, max: 100, step: 1, value: 95, "aria-label": "目标覆盖率", class: "coverage-target" }), "%"),
          h("button", { type: "button", class: "coverage-suggest", onclick: () => this.suggest() }, "建议新站点")),
        part("sites")) : null,
      h("section", { class: "coverage-section coverage-gaps-section" },
        h("h3", {}, "服务缺口"),
        h("button", { type: "button", class: "coverage-show-gaps", onclick: () => this.showGaps() }, "显示缺口"),
        part("gaps")),
      h("section", { class: "coverage-section coverage-stations-section" },
        h("h3", {}, `站点服务户数（${t.stations.length} 个站点）`, h("span", { class: "hint muted" }, ` ${stationsHint}`)),
        part("stations"), part("stations-note")),
    );
    // The k / share inputs choose their mode when typed in.
    const siteForm = this.out.querySelector(".coverage-site-form");
    siteForm?.elements.k.addEventListener("focus", () => { siteForm.elements.mode.value = "add"; });
    siteForm?.elements.share.addEventListener("focus", () => { siteForm.elements.mode.value = "share"; });
    this.renderSummary();
    this.renderTable();
    this.renderWhatIf();
    this.renderSites();
    this.renderGaps();
    this.renderStations();
  }

  renderSummary() {
    const box = this.section("summary");
    const s = this.state;
    const t = s.table;
    if (!box || !t) return;
    const totals = s.totals();
    const labels = t.thresholds.map((x) => x.label);
    const a = s.answer;
    // After a what-if: the scope's share from its communities' shares after; the store's from the answer.
    const afterShare = (label) => {
      if (!a) return null;
      if (!totals.scoped) return a.coverage_after[label];
      let covered = 0;
      for (const r of t.communities.filter((c) => c.code.startsWith(s.scope)))
        covered += Math.round((a.by_community?.[r.code]?.[label] ?? r.share[label]) * r.households);
      return totals.households ? covered / totals.households : 1;
    };
    const d = s.describe();
    const rows = labels.map((label, i) => {
      const share = totals.coverage[label];
      const after = afterShare(label);
      return h("div", { class: `row${label === s.focus ? " focus" : ""}` },
        h("dt", {}, h("span", { class: "kind-dot", style: `--c:${bandColour(i)}` }), s.thresholdLabel(label)),
        h("dd", { class: "coverage-share", "data-threshold": label, "data-share": share, "data-after": after },
          `${percent(share)} · 未覆盖 ${count(totals.households - totals.covered[label])} 户`,
          after != null ? h("span", { class: `coverage-after ${after > share + 1e-12 ? "up" : after < share - 1e-12 ? "down" : ""}` },
            ` → ${percent(after)} (${points(after - share)})`) : null));
    });
    put(box,
      h("p", { class: "coverage-title" }, `${d.kind} · ${d.threshold} · ${d.profile}`),
      h("p", { class: "coverage-mode muted" }, t.mode === "network"
        ? `按步行路网计算 · ${count(t.households)} 户 · ${t.stations.length} 个站点`
        : `未加载路网, 按直线距离估算 · ${count(t.households)} 户 · ${t.stations.length} 个站点`),
      totals.scoped ? h("p", { class: "coverage-scope" },
        `我的范围: ${s.scopeName()}${s.scopeName() !== s.scope ? ` (${s.scope})` : ""} · ${totals.communities} 个社区 · ${count(totals.households)} 户`) : null,
      h("dl", { class: "facts coverage-report" }, ...rows,
        h("div", { class: "row" }, h("dt", {}, h("span", { class: "kind-dot", style: `--c:${UNREACHABLE}` }), "无法到达"),
          h("dd", {}, `${count(t.unreachable)} 户`))),
      totals.scoped ? h("p", { class: "muted coverage-all" },
        `全部 ${count(t.households)} 户: ${labels.map((l) => `${s.thresholdLabel(l)} ${percent(t.coverage[l])}`).join(" · ")}`) : null,
    );
  }

  renderTable() {
    const box = this.section("table");
    const s = this.state;
    const t = s.table;
    if (!box || !t) return;
    const labels = t.thresholds.map((x) => x.label);
    // Built once, then only its parts change: the list keeps its scroll position.
    if (!box.firstChild) {
      box.append(
        h("div", { class: "coverage-table-controls" },
          h("div", { class: "review-modes coverage-tabs", role: "tablist" },
            ...Object.entries(TABS).map(([tab, label]) => h("button", { type: "button", role: "tab", "data-tab": tab, onclick: () => s.setTab(tab) }, label))),
          labels.length > 1 ? h("div", { class: "review-modes coverage-focus", role: "group", "aria-label": "按哪个圈层排名" },
            ...labels.map((l) => h("button", { type: "button", "data-focus": l, onclick: () => s.setFocus(l) }, s.thresholdLabel(l)))) : null,
          s.scope ? h("label", { class: "check coverage-scope-only" },
            h("input", { type: "checkbox", checked: s.view.scopeOnly, onchange: (e) => s.setScopeOnly(e.target.checked) }),
            `只看我的范围（${s.scopeName()}）`) : null),
        h("div", { class: "review-table-wrap coverage-table-wrap" },
          h("table", { class: "review-table coverage-table" }, h("thead"), h("tbody"))),
        h("p", { class: "coverage-table-note muted" }));
    }
    for (const b of box.querySelectorAll("[data-tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === s.view.tab));
    for (const b of box.querySelectorAll("[data-tab]")) b.setAttribute("aria-pressed", String(b.dataset.tab === s.view.tab));
    for (const b of box.querySelectorAll("[data-focus]")) b.setAttribute("aria-pressed", String(b.dataset.focus === s.focus));

    const rows = s.rows();
    const showAfter = Boolean(s.answer);
    const columns = COLUMNS.filter((c) => c.key !== "after" || showAfter);
    const head = {
      name: s.view.tab === "communities" ? "社区" : "网格",
      households: "户数",
      share: showAfter ? "覆盖率" : `${s.thresholdLabel(s.focus)}覆盖率`,
      uncovered: "未覆盖户",
      after: "调整后",
    };
    const table = box.querySelector("table");
    table.dataset.tab = s.view.tab;
    table.classList.toggle("with-after", showAfter);
    put(table.querySelector("thead"), h("tr", {}, ...columns.map((c) => h("th", {
      "aria-sort": s.view.sort.key === c.key ? (s.view.sort.dir === "asc" ? "ascending" : "descending") : null,
      "data-key": c.key, class: c.key === "name" ? null : "num",
    }, h("button", { type: "button", onclick: () => s.sortBy(c.key), title: "点击排序" }, head[c.key])))));
    put(table.querySelector("tbody"), ...rows.map((r) => h("tr", {
      "data-code": r.code, "data-share": r.share, "data-households": r.households, "data-covered": r.covered,
      class: r.code === s.view.selected ? "selected" : null, tabindex: 0, title: `${r.name} (${r.code})${r.parent ? ` · ${r.parent}` : ""}`,
      onclick: () => this.selectRow(r),
      onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); this.selectRow(r); } },
    },
    h("td", { class: "name" }, r.name),
    h("td", { class: "num" }, count(r.households)),
    h("td", { class: "num share" }, h("span", { class: "bar", style: `--w:${(100 * r.share).toFixed(1)}%;--c:${shareColour(r.share)}` }), percent(r.share)),
    h("td", { class: "num" }, count(r.uncovered)),
    showAfter ? afterCell(r.share, r.after) : null)));
    const all = s.rows(s.view.tab, { all: true }).length;
    box.querySelector(".coverage-table-note").textContent = rows.length
      ? `${rows.length} 个${s.view.tab === "communities" ? "社区" : "网格"}${rows.length < all ? `（共 ${all} 个，已按我的范围筛选）` : ""}`
      : "范围内没有住户";
  }

  renderWhatIf() {
    const box = this.section("whatif");
    const s = this.state;
    if (!box || !s.table) return;
    const tools = [["add", "＋ 添加站点"], ["move", "移动站点"], ["remove", "删除站点"]];
    const a = s.answer;
    const labels = s.table.thresholds.map((x) => x.label);
    const loads = a ? Object.entries(a.load_changes).sort((x, y) => Math.abs(y[1].after - y[1].before) - Math.abs(x[1].after - x[1].before)) : [];
    put(box,
      h("div", { class: "coverage-tools", role: "toolbar", "aria-label": "假设调整工具" },
        ...tools.map(([tool, label]) => h("button", { type: "button", "data-tool": tool, "aria-pressed": String(s.tool === tool),
          onclick: () => s.setTool(tool) }, label)),
        h("button", { type: "button", class: "coverage-reset", disabled: s.edits.length === 0, onclick: () => s.clearEdits() }, "重置")),
      s.tool ? h("p", { class: "coverage-tool-hint" }, s.tool === "move" && s.picked ? `已选 ${s.stationName(s.picked)}，点击地图上的新位置` : TOOL_HINTS[s.tool],
        h("button", { type: "button", class: "linkish-inline", onclick: () => s.setTool(null) }, " 取消")) : null,
      s.edits.length ? h("ol", { class: "coverage-edits" }, ...s.edits.map((e, i) => h("li", { "data-op": e.op },
        h("span", {}, s.editText(e)),
        h("button", { type: "button", class: "linkish-inline", "aria-label": `撤销: ${s.editText(e)}`, onclick: () => s.undoEdit(i) }, "撤销"))))
        : h("p", { class: "muted" }, "尚未调整。可在地图上添加、移动或删除站点，覆盖率随即重新计算；拖动地图上的新站点可调整位置。"),
      h("div", { "data-part": "whatif-result", class: "coverage-whatif-result", "aria-live": "polite" },
        s.edits.length && !a ? h("p", { class: "muted" }, "计算中…") : null,
        a ? h("p", {}, "全部住户覆盖率: ", ...labels.map((l) => h("span", { class: "whatif-share", "data-threshold": l,
          "data-before": a.coverage_before[l], "data-after": a.coverage_after[l] },
        `${s.thresholdLabel(l)} ${percent(a.coverage_before[l])} → ${percent(a.coverage_after[l])} (${points(a.coverage_after[l] - a.coverage_before[l])}) `))) : null,
        loads.length ? h("ul", { class: "coverage-load-changes" }, ...loads.slice(0, 8).map(([id, c]) =>
          h("li", {}, h("span", {}, s.stationName(id)), h("span", { class: "num" }, `${count(c.before)} → ${count(c.after)} 户`)))) : null));
  }

  renderSites() {
    const box = this.section("sites");
    const s = this.state;
    if (!box) return;
    const r = s.sites;
    const button = this.root.querySelector(".coverage-suggest");
    if (button) button.textContent = `建议新站点（${s.thresholdLabel(s.focus)}圈）`;
    if (!r) return put(box);
    if (r.full) return put(box, h("p", { class: "coverage-sites" }, `${s.thresholdLabel(r.focus)}圈已全覆盖, 无需新增站点`));
    const rep = r.fc.report;
    const head = r.mode === "share"
      ? `${s.thresholdLabel(r.focus)}圈覆盖率达到 ${Math.round(100 * r.target)}% ${rep.reached ? "" : "（候选点不足，未能达到）"}需新增 ${rep.added} 个站点: ${percent(rep.coverage_before)} → ${percent(rep.coverage_after)} (+${count(rep.households_gained)} 户)`
      : `${s.thresholdLabel(r.focus)}圈新增 ${rep.added} 个站点: ${percent(rep.coverage_before)} → ${percent(rep.coverage_after)} (+${count(rep.households_gained)} 户${rep.bound != null ? `, 上界 ${count(rep.bound)} 户` : ""})`;
    put(box,
      h("p", { class: "coverage-sites" }, head),
      r.fc.features.length ? h("ol", { class: "coverage-site-list" }, ...r.fc.features.map((f, i) => h("li", {},
        h("button", { type: "button", class: "linkish-inline", title: "在地图上定位", onclick: () => {
          this.drawing.outline(f.geometry);
          this.fit(bboxOf([f.geometry]), { maxZoom: 17 });
        } }, `新站点 ${f.properties.rank ?? i + 1}`),
        h("span", {}, ` 新增覆盖 ${count(f.properties.households_gained)} 户 · ${count(f.properties.buildings_gained)} 栋 `),
        this.canSite ? h("button", { type: "button", class: "linkish-inline coverage-site-try", title: "把这个站点加入假设调整",
          onclick: () => s.addStation(f.geometry.coordinates[0], f.geometry.coordinates[1], `建议站点 ${f.properties.rank ?? i + 1}`) }, "加入调整") : null)))
        : null);
  }

  renderGaps() {
    const box = this.section("gaps");
    const s = this.state;
    if (!box) return;
    const button = this.root.querySelector(".coverage-show-gaps");
    if (button) button.textContent = `显示缺口（${s.thresholdLabel(s.focus)}以外）`;
    const g = s.gaps;
    if (!g) return put(box);
    const features = g.fc.features;
    const households = features.reduce((n, f) => n + f.properties.households, 0);
    const shown = features.slice(0, 30);
    put(box,
      h("p", { class: "coverage-gaps" }, `${features.length} 处缺口 (${s.thresholdLabel(g.focus)}以外), 共 ${count(households)} 户`),
      shown.length ? h("ol", { class: "coverage-gap-list" }, ...shown.map((f, i) => {
        const p = f.properties;
        const named = (p.compounds ?? []).filter((c) => c.name);
        const loose = (p.compounds ?? []).find((c) => !c.name);
        return h("li", {},
          h("details", {},
            h("summary", {},
              h("button", { type: "button", class: "linkish-inline", title: "在地图上定位", onclick: (e) => {
                e.preventDefault();
                this.drawing.outline(f.geometry);
                this.fit(bboxOf([f.geometry]));
              } }, `缺口 ${i + 1}`),
              ` ${count(p.households)} 户 · ${count(p.buildings)} 栋`,
              named.length ? h("span", { class: "muted" }, ` · ${named.slice(0, 2).map((c) => c.name).join("、")}${named.length > 2 ? " 等" : ""}`) : null),
            h("ul", { class: "coverage-gap-compounds" },
              ...named.slice(0, 10).map((c) => h("li", {}, `${c.name}: ${count(c.households)} 户 (${c.buildings} 栋)`)),
              named.length > 10 ? h("li", { class: "muted" }, `另有 ${named.length - 10} 个小区, 共 ${count(named.slice(10).reduce((n, c) => n + c.households, 0))} 户`) : null,
              loose ? h("li", {}, `不属于小区的楼栋: ${count(loose.households)} 户 (${loose.buildings} 栋)`) : null),
            (p.uncovered_buildings ?? []).length ? h("ul", { class: "coverage-gap-buildings" }, ...p.uncovered_buildings.map((b) =>
              h("li", {}, h("button", { type: "button", class: "linkish-inline", onclick: () => {
                const at = { type: "Point", coordinates: [b.lon, b.lat] };
                this.drawing.outline(at);
                this.fit(bboxOf([at]), { maxZoom: 18 });
              } }, b.address || b.id), ` ${count(b.households)} 户`))) : null));
      })) : null,
      features.length > shown.length ? h("p", { class: "muted" }, `另有 ${features.length - shown.length} 处较小缺口`) : null);
  }

  renderStations() {
    const box = this.section("stations");
    const s = this.state;
    if (!box || !s.table) return;
    const changes = s.answer?.load_changes ?? {};
    const list = [...s.stations().values()].filter((x) => x.status !== "removed")
      .map((x) => ({ ...x, now: changes[x.id]?.after ?? x.load }))
      .sort((a, b) => b.now - a.now || a.name.localeCompare(b.name, "zh-CN"));
    const kinds = new Set(list.map((x) => x.kind));
    // A station as it is in the store shows its isochrones; one added or moved in the what-if is only flown to.
    const pick = (x) => {
      if (x.status === "kept") return this.showIsochrones(x.id, { fly: true });
      const at = { type: "Point", coordinates: [x.lon, x.lat] };
      this.drawing.outline(at);
      this.fit(bboxOf([at]), { maxZoom: 17 });
    };
    put(box, h("ul", { class: "coverage-loads" }, ...list.map((x) => h("li", { "data-station": x.id, "data-status": x.status },
      h("span", { class: "kind-dot", style: `--c:${STATION_KINDS.find((k) => k.key === x.kind)?.color ?? "#777"}` }),
      h("button", { type: "button", class: "linkish-inline", title: x.status === "kept" ? "显示该站点的步行圈" : "在地图上定位（假设调整的站点）",
        onclick: () => pick(x) }, x.name || x.id),
      kinds.size > 1 ? h("span", { class: "muted st-kind" }, stationLabel(x.kind)) : null,
      h("span", { class: "num" }, changes[x.id] ? `${count(changes[x.id].before)} → ${count(x.now)} 户` : `${count(x.now)} 户`)))));
    const iso = s.isochrones;
    put(this.section("stations-note"), iso ? h("p", { class: "coverage-isochrone" }, `${s.stationName(iso.station)} 的步行圈: `,
      ...iso.fc.features.slice().reverse().map((f) => `${s.thresholdLabel(f.properties.threshold)}内 ${count(f.properties.households)} 户 `)) : "");
  }

  // ---- exports ----------------------------------------------------------------------------------------------------

  exportCsv() {
    if (!this.state.table) return;
    download(new Blob([coverageCsv(this.state)], { type: "text/csv;charset=utf-8" }), fileName(this.state, "csv"));
  }

  async exportPng() {
    const s = this.state;
    if (!s.table) return;
    const d = s.describe();
    const totals = s.totals();
    const labels = s.table.thresholds.map((x) => x.label);
    const where = totals.scoped ? `${s.scopeName()} ${count(totals.households)} 户` : `全部 ${count(totals.households)} 户`;
    const blob = await mapPng(this.map, {
      title: `服务圈覆盖 · ${d.kind} · ${d.threshold} · ${d.profile}`,
      lines: [`${where}: ${labels.map((l) => `${s.thresholdLabel(l)} ${percent(totals.coverage[l])}`).join(" · ")}`,
        ...(s.answer ? [`假设调整 ${s.edits.length} 项后: ${labels.map((l) => `${s.thresholdLabel(l)} ${percent(s.answer.coverage_after[l])}`).join(" · ")}（全部住户）`] : [])],
      legend: legendItems(s, this.drawing.shown),
    });
    download(blob, fileName(s, "png"));
  }
}

/** The table's 调整后 cell: the share after the what-if, an arrow when it changed (the change in points on hover). */
function afterCell(share, after) {
  const up = after != null && after > share + 1e-12;
  const down = after != null && after < share - 1e-12;
  return h("td", { class: `num after${up ? " up" : down ? " down" : ""}`, "data-after": after,
    title: after == null ? null : `${percent(share)} → ${percent(after)} (${points(after - share)} 个百分点)` },
  after == null ? "—" : `${percent(after)}${up ? " ↑" : down ? " ↓" : ""}`);
}

/** Red below 60 %, orange below 80 %, yellow-green below 95 %, green above: the bar behind a share. */
function shareColour(share) {
  return share < 0.6 ? "#d73027" : share < 0.8 ? "#fdae61" : share < 0.95 ? "#a6d96a" : "#1a9850";
}
