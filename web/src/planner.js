// 网格编辑: planners (网格办) redraw a community's grids on the map. Select buildings (click, shift-click, shift+drag or
// the 框选 toggle), then move them to another grid, put them into a new grid, merge a whole grid into another or
// rebalance a grid with its neighbours. Every change is previewed by the server's dry run (docs/editing.md) on top of
// the session's unsaved operations; undo/redo work in the browser; 保存 sends the session as one transaction with
// the versions it read, and a conflict names the grids someone else changed.
//
// The session (operations, undo stack, read versions) is editor/session.js; this file draws and listens.
import { getFeatures, getLayers, lookup } from "./api.js";
import {
  EditError, assign, bandLabel, getBand, getCommunities, getCommunityData, rebalance, staleGrids, warningText,
} from "./editor/api.js";
import { EditSession, StoreSnapshot } from "./editor/session.js";
import { bboxOf, labelPoint } from "./geo.js";
import { DEDICATED_COLOR, GRID_BANDS } from "./layers.js";
import { clearStored, readStored, storeSession } from "./editor/persist.js";

const EMPTY = { type: "FeatureCollection", features: [] };
/**
 * Band colours of the 网格编辑 layers: the main map's (layers.js GRID_BANDS: below blue, in green, above orange), so a
 * grid has one colour wherever it is drawn; dedicated grids grey.
 */
export const BAND_COLOURS = { ...Object.fromEntries(GRID_BANDS.map((b) => [b.key, b.color])), none: DEDICATED_COLOR };
const PREVIEW_DEBOUNCE_MS = 150;
const CLICK_TOLERANCE_PX = 4;
/** A grid drawn smaller than this (its box's longer side, px) shows no label. */
const LABEL_MIN_PX = 40;

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.flat().filter((c) => c != null && c !== false));
  return node;
};

const codeOf = (f) => String(f.properties?.code ?? f.id);
const hhOf = (f) => Number(f?.properties?.households ?? 0);
const unitsKey = (g) => JSON.stringify([...(g?.properties?.unit_ids ?? [])].map(String).sort());
/** Whether a grid of an answer holds what the grid before it held (same households, same buildings, still active). */
const sameGrid = (before, after) => Boolean(before) && after.properties?.status !== "retired"
  && hhOf(before) === hhOf(after) && unitsKey(before) === unitsKey(after);
const active = (g) => g.properties?.status !== "retired";
const fc = (features) => ({ type: "FeatureCollection", features });

/** Lays a later dry-run answer over an earlier one: the later wins per grid; touched, created, retired accumulate. */
export function mergeAnswers(prev, next) {
  if (!prev) return next;
  const byCode = new Map(prev.features.map((f) => [codeOf(f), f]));
  for (const f of next.features ?? []) byCode.set(codeOf(f), f);
  const union = (a, b) => [...new Set([...(a ?? []), ...(b ?? [])].map(String))];
  return {
    type: "FeatureCollection",
    features: [...byCode.values()],
    touched: {
      grids: { ...prev.touched?.grids, ...next.touched?.grids },
      buildings: { ...prev.touched?.buildings, ...next.touched?.buildings },
    },
    created: union(prev.created, next.created),
    retired: union(prev.retired, next.retired),
    warnings: next.warnings ?? [],
    dry_run: true,
  };
}

export class PlannerPanel {
  /**
   * @param root the <section id="planner">
   * @param map the maplibregl.Map
   */
  constructor(root, map) {
    this.root = root;
    this.map = map;
    this.session = new EditSession();
    this.snapshot = null; // StoreSnapshot of the chosen community
    this.view = null; // snapshot.view(session.state)
    this.band = { min: 200, max: 300, target: 250 };
    this.selection = new Set();
    this.focus = null; // the grid the planner works on (merge source, rebalance centre)
    this.target = null; // where selected buildings go / the merge target
    this.action = null; // "move" | "create" | "merge" | "rebalance"
    this.picking = false; // the next map click picks the target grid
    this.boxMode = false;
    this.preview = null; // {op, answer} or {op, error}
    this.previewSeq = 0;
    this.previewTimer = 0;
    this.message = null; // {kind: "ok"|"error"|"conflict"|"info", text, stale?}
    this.isOpen = false;
    this.busy = false;
    this.loading = false; // a community is being read from the store
    /** code → {marker, node, at, geometry, cls, text}: the grid labels on the map, kept and updated in place. */
    this.labels = new Map();
    this.communities = null;
    /** How long the last preview took (ms, request and drawing), for the console and tests: well under 1 s, by hand. */
    this.lastPreviewMs = null;
    this.previewTimings = null;
    /** How many features each planner layer draws now (for tests and the console). */
    this.shown = { grids: 0, buildings: 0, selected: 0, preview: 0 };
    this.session.subscribe(() => this.render());
    // Unsaved operations are kept in sessionStorage (ids, codes, versions only) so a reload can restore them.
    this.session.subscribe((session) => {
      storeSession(this.snapshot?.community ?? null, session);
      if (session.dirty) this.hideRestoreOffer();
    });

    root.querySelector(".info-close").addEventListener("click", () => this.close());
    this.body = root.querySelector(".planner-body") ?? root.appendChild(el("div", { class: "planner-body" }));
    this.buildDom();
    this.addLayers();
    this.listen();
    this.offerRestore();
  }

  // ---------------------------------------------------------------- DOM

  buildDom() {
    const $ = (cls, tag = "div", attrs = {}) => el(tag, { class: cls, ...attrs });
    this.communitySelect = el("select", { name: "community", "aria-label": "社区", onchange: () => this.onCommunityPicked() });
    this.undoBtn = el("button", { type: "button", class: "planner-undo", title: "撤销 (Ctrl+Z)", onclick: () => this.undo() }, "撤销");
    this.redoBtn = el("button", { type: "button", class: "planner-redo", title: "重做 (Ctrl+Shift+Z)", onclick: () => this.redo() }, "重做");
    this.saveBtn = el("button", { type: "button", class: "primary planner-save", onclick: () => this.save() }, "保存");
    this.exportMenu = el("details", { class: "planner-export" },
      el("summary", {}, "导出"),
      el("div", { class: "planner-export-menu" },
        el("button", { type: "button", "data-export": "geojson", onclick: () => this.exportGeoJson() }, "网格范围 (GeoJSON)"),
        el("button", { type: "button", "data-export": "view", onclick: () => this.exportViewGeoJson() }, "视图内网格 (GeoJSON)"),
        el("button", { type: "button", "data-export": "csv", onclick: () => this.exportCsv() }, "网格花名册 (CSV)")));
    this.opsCount = $("planner-ops", "span");
    this.messageBox = $("planner-message", "div", { "aria-live": "polite" });
    this.selectionBox = $("planner-selection");
    this.boxBtn = el("button", { type: "button", class: "planner-box", "aria-pressed": "false", onclick: () => this.toggleBox() }, "框选");
    this.targetSelect = el("select", { name: "target", "aria-label": "目标网格", onchange: () => this.setTarget(this.targetSelect.value || null) });
    this.pickBtn = el("button", { type: "button", class: "planner-pick", title: "在地图上点击目标网格", onclick: () => this.startPicking() }, "地图点选");
    const act = (action, label, title) =>
      el("button", { type: "button", class: "planner-action", "data-action": action, title, onclick: () => this.setAction(action) }, label);
    this.actions = $("planner-actions");
    this.actions.append(
      act("move", "移到网格…", "把所选楼栋移到目标网格"),
      act("create", "新建网格", "用所选楼栋新建一个网格"),
      act("merge", "合并到…", "把当前网格的全部楼栋并入目标网格"),
      act("rebalance", "周边平衡", "重新划分当前网格及其相邻网格"));
    this.legendBox = $("planner-legend", "ul", { "aria-label": "户数图例" });
    this.previewBox = $("planner-preview", "div", { "aria-live": "polite" });
    this.historyBox = $("planner-history");
    this.healthBox = $("planner-health");
    this.body.append(
      el("label", { class: "field planner-community" }, "社区", this.communitySelect),
      el("div", { class: "planner-toolbar" }, this.undoBtn, this.redoBtn, this.saveBtn, this.exportMenu, this.opsCount),
      this.messageBox,
      el("div", { class: "planner-selectbar" }, this.selectionBox, this.boxBtn,
        el("button", { type: "button", class: "planner-clear", onclick: () => this.clearSelection() }, "清空")),
      el("p", { class: "planner-hint muted" }, "点击楼栋选择；Shift+点击增减；Shift+拖动或「框选」框选；Ctrl+Z 撤销"),
      el("div", { class: "planner-target" }, el("span", { class: "muted" }, "目标网格"), this.targetSelect, this.pickBtn),
      this.actions,
      this.legendBox,
      this.previewBox,
      this.historyBox,
      this.healthBox);
  }

  // ---------------------------------------------------------------- map layers

  addLayers() {
    const map = this.map;
    // Grids are keyed by code (promoteId) so a preview can hide their own fill by feature state.
    map.addSource("planner-grids", { type: "geojson", data: EMPTY, promoteId: "code" });
    for (const id of ["planner-preview", "planner-buildings"]) map.addSource(id, { type: "geojson", data: EMPTY });
    // Band colours over the compounds, under the buildings (so buildings stay clickable-looking and legible). A grid
    // under a preview shows the preview's colour alone (two band colours over each other would read as a third).
    const under = map.getLayer("buildings-fill") ? "buildings-fill" : undefined;
    map.addLayer({ id: "planner-grids-fill", type: "fill", source: "planner-grids",
      paint: { "fill-color": ["get", "_colour"],
        "fill-opacity": ["case", ["boolean", ["feature-state", "previewed"], false], 0, ["get", "_focus"], 0.6, 0.45] } }, under);
    map.addLayer({ id: "planner-buildings-fill", type: "fill", source: "planner-buildings", filter: ["!=", ["geometry-type"], "Point"],
      paint: { "fill-color": "#1e88e5", "fill-opacity": ["case", ["get", "_sel"], 0.95, 0] } });
    map.addLayer({ id: "planner-buildings-point", type: "circle", source: "planner-buildings", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-color": "#1565c0", "circle-radius": 4, "circle-opacity": ["case", ["get", "_sel"], 1, 0], "circle-stroke-width": 0 } });
    map.addLayer({ id: "planner-buildings-line", type: "line", source: "planner-buildings", filter: ["get", "_sel"],
      paint: { "line-color": "#0d47a1", "line-width": 2.5 } });
    map.addLayer({ id: "planner-grids-line", type: "line", source: "planner-grids",
      paint: { "line-color": ["case", ["get", "_focus"], "#0d2c6b", "#37474f"], "line-width": ["case", ["get", "_focus"], 3, ["get", "_changed"], 2.2, 1.2] } });
    map.addLayer({ id: "planner-preview-fill", type: "fill", source: "planner-preview",
      paint: { "fill-color": ["get", "_colour"], "fill-opacity": 0.5 } });
    map.addLayer({ id: "planner-preview-line", type: "line", source: "planner-preview",
      paint: { "line-color": "#6a1b9a", "line-width": 3, "line-dasharray": [2, 1.2] } });
  }

  // ---------------------------------------------------------------- input

  listen() {
    const container = this.map.getContainer();
    const canvas = this.map.getCanvasContainer();
    const inCanvas = (e) => canvas.contains(e.target);
    let down = null;
    let suppressClick = false;
    // Capture phase on the map's container: the planner sees a click before MapLibre does, so while the panel is
    // open a click selects instead of looking up, and shift+drag draws a selection box instead of box-zooming.
    container.addEventListener("mousedown", (e) => {
      if (!this.isOpen || !inCanvas(e) || e.button !== 0) return;
      down = { x: e.clientX, y: e.clientY };
      if (!(e.shiftKey || this.boxMode)) return;
      e.stopPropagation();
      e.preventDefault();
      this.startBox(e, e.shiftKey, () => { suppressClick = true; });
    }, true);
    container.addEventListener("click", (e) => {
      if (!this.isOpen || !inCanvas(e)) return;
      e.stopPropagation();
      if (suppressClick) { suppressClick = false; return; }
      if (down && Math.hypot(e.clientX - down.x, e.clientY - down.y) > CLICK_TOLERANCE_PX) return; // it was a pan
      this.onMapClick(this.pointOf(e), e.shiftKey);
    }, true);
    container.addEventListener("dblclick", (e) => { if (this.isOpen && inCanvas(e) && (e.shiftKey || this.boxMode)) e.stopPropagation(); }, true);
    document.addEventListener("keydown", (e) => this.onKey(e));
    this.map.on("zoomend", () => this.thinLabels());
    // Unsaved edits live only in this tab: ask before the page goes away with them.
    window.addEventListener("beforeunload", (e) => { if (this.session.dirty) { e.preventDefault(); e.returnValue = ""; } });
  }

  pointOf(e) {
    const r = this.map.getCanvasContainer().getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  /** A selection rectangle from a mousedown; on release the buildings under it join (shift) or replace the selection. */
  startBox(e0, additive, onDone) {
    const canvas = this.map.getCanvasContainer();
    const p0 = this.pointOf(e0);
    const box = el("div", { class: "planner-boxsel" });
    canvas.append(box);
    const draw = (p1) => {
      const [x0, y0] = [Math.min(p0[0], p1[0]), Math.min(p0[1], p1[1])];
      Object.assign(box.style, { left: `${x0}px`, top: `${y0}px`, width: `${Math.abs(p1[0] - p0[0])}px`, height: `${Math.abs(p1[1] - p0[1])}px` });
    };
    draw(p0);
    const move = (e) => draw(this.pointOf(e));
    const up = (e) => {
      document.removeEventListener("mousemove", move, true);
      document.removeEventListener("mouseup", up, true);
      box.remove();
      onDone();
      const p1 = this.pointOf(e);
      if (Math.hypot(p1[0] - p0[0], p1[1] - p0[1]) <= CLICK_TOLERANCE_PX) { this.onMapClick(p1, additive); return; }
      const ids = this.buildingsIn([[Math.min(p0[0], p1[0]), Math.min(p0[1], p1[1])], [Math.max(p0[0], p1[0]), Math.max(p0[1], p1[1])]]);
      this.select(ids, additive ? "add" : "replace");
    };
    document.addEventListener("mousemove", move, true);
    document.addEventListener("mouseup", up, true);
  }

  buildingsIn(geometry) {
    const layers = ["planner-buildings-fill", "planner-buildings-point"].filter((l) => this.map.getLayer(l));
    return [...new Set(this.map.queryRenderedFeatures(geometry, { layers }).map((f) => String(f.properties._id)))];
  }

  gridAt(point, layer = "planner-grids-fill") {
    if (!this.map.getLayer(layer)) return null;
    return this.map.queryRenderedFeatures(point, { layers: [layer] })[0] ?? null;
  }

  onMapClick(point, shift) {
    if (!this.view) return;
    const grid = this.gridAt(point);
    if (this.picking) {
      this.picking = false;
      this.pickBtn.classList.remove("active");
      if (grid) { this.message = null; this.setTarget(String(grid.properties.code)); }
      else this.say("info", "请点击本社区内的网格");
      return;
    }
    const [x, y] = point;
    const tol = 2;
    const hit = this.buildingsIn([[x - tol, y - tol], [x + tol, y + tol]])[0];
    if (hit) {
      this.select([hit], shift ? "toggle" : "replace");
      this.setFocus(this.view.gridOf.get(hit) ?? null, { fly: false });
      return;
    }
    if (grid) {
      if (!shift) this.select([], "replace");
      this.setFocus(String(grid.properties.code), { fly: false });
      return;
    }
    // Outside the community: follow the grid clicked into its community.
    const other = this.gridAt(point, "grids-fill");
    const community = other?.properties?.community_code;
    if (community && community !== this.snapshot?.community) this.switchCommunity(String(community), { fit: false });
    else if (!shift) this.select([], "replace");
  }

  onKey(e) {
    if (!this.isOpen) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA"].includes(t.tagName))) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && key === "z") { e.preventDefault(); if (e.shiftKey) this.redo(); else this.undo(); }
    else if (mod && key === "y") { e.preventDefault(); this.redo(); }
    else if (e.key === "Escape") { this.picking = false; this.pickBtn.classList.remove("active"); this.setAction(null); }
  }

  // ---------------------------------------------------------------- open, close, community

  async open(community) {
    if (!this.isOpen) {
      this.isOpen = true;
      this.root.hidden = false;
      document.body.classList.add("planner-open");
      // The lookup panel sits where this one does: close it (its own close button cleans up its marker).
      const info = document.getElementById("info");
      if (info && !info.hidden) info.querySelector(".info-close")?.click();
      this.map.boxZoom.disable();
    }
    const before = this.switchSeq ?? 0; // a community picked while this one is looked up wins
    try {
      // An empty list is read again: grids may have come since (a partition accepted in this page makes an area).
      if (!this.communities?.length) await this.loadCommunities();
      let code = community ?? this.snapshot?.community ?? null;
      if (!code) {
        const c = this.map.getCenter();
        code = (await lookup(c.lng, c.lat).catch(() => null))?.community?.code ?? this.communities[0]?.properties?.code ?? null;
      }
      if (code && code !== this.snapshot?.community && (this.switchSeq ?? 0) === before) await this.switchCommunity(String(code));
      else { this.draw(); this.render(); }
    } catch (e) {
      this.say("error", `无法打开网格编辑: ${e.message}`);
    }
  }

  close() {
    this.isOpen = false;
    this.root.hidden = true;
    document.body.classList.remove("planner-open");
    this.map.boxZoom.enable();
    this.picking = false;
    this.clearPreview();
    for (const id of ["planner-grids", "planner-preview", "planner-buildings"]) this.map.getSource(id)?.setData(EMPTY);
    this.shown = { grids: 0, buildings: 0, selected: 0, preview: 0 };
    this.clearMarkers();
  }

  async loadCommunities() {
    this.communities = await getCommunities();
    // A provisional area (grids with no community feature, e.g. an OSM import partitioned with scope `all`) reads
    // "未划社区区域 AREA" like a community does "南坛社区 520304001001".
    this.communitySelect.replaceChildren(...this.communities.map((c) =>
      el("option", { value: codeOf(c), "data-provisional": c.properties?.provisional ? "true" : null }, `${c.properties?.name ?? ""} ${codeOf(c)}`.trim())));
  }

  /** A community's (or provisional area's) grids and buildings from the store. */
  communityData(code) {
    const provisional = Boolean(this.communities?.find((c) => codeOf(c) === String(code))?.properties?.provisional);
    return getCommunityData(code, undefined, { provisional });
  }

  onCommunityPicked() {
    const code = this.communitySelect.value;
    if (code && code !== this.snapshot?.community) this.switchCommunity(code);
  }

  /** Loads a community (refused while the session holds unsaved edits of another one). */
  async switchCommunity(code, { fit = true } = {}) {
    if (this.session.dirty && this.snapshot && code !== this.snapshot.community) {
      this.communitySelect.value = this.snapshot.community;
      this.say("info", `有 ${this.session.length} 项未保存的修改：请先保存或撤销，再换社区`);
      return;
    }
    this.say("info", "加载社区数据…");
    this.loading = true;
    const seq = (this.switchSeq = (this.switchSeq ?? 0) + 1); // the latest pick wins over a slower earlier one
    try {
      const [{ community, grids, buildings, compoundNames }, band] = await Promise.all([this.communityData(code), getBand(code)]);
      if (seq !== this.switchSeq) return;
      this.compoundNames = compoundNames;
      this.band = band;
      this.communityFeature = community;
      if (code !== this.snapshot?.community) {
        this.selection.clear();
        this.focus = this.target = this.action = null;
        this.preview = null;
      }
      this.snapshot = new StoreSnapshot(code, grids, buildings);
      this.session.noteRead(grids);
      this.communitySelect.value = code;
      this.message = null;
      await this.refreshState();
      if (fit) this.fitTo(community.geometry);
    } catch (e) {
      this.say("error", `社区 ${code} 加载失败: ${e.message}`);
    } finally {
      if (seq === this.switchSeq) this.loading = false;
    }
  }

  fitTo(geometry) {
    const b = bboxOf(geometry);
    if (!b) return;
    const right = this.root.offsetWidth ? this.root.offsetWidth + 30 : 30;
    this.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: { top: 30, bottom: 30, left: 30, right }, maxZoom: 18, duration: 0 });
  }

  // ---------------------------------------------------------------- session state

  /** The session's state: its last answer, or a dry run of all its operations when none is cached. */
  async refreshState() {
    if (this.session.dirty && !this.session.state) {
      try {
        const answer = await assign({ assignments: [], base: this.session.bases(), dry_run: true });
        this.session.setState(answer);
      } catch (e) {
        this.say("error", `无法计算修改后的网格: ${e.message}`);
      }
    }
    this.view = this.snapshot?.view(this.session.state) ?? null;
    if (this.target && !this.view?.grids.has(this.target)) this.target = null;
    if (this.focus && !this.view?.grids.has(this.focus)) this.focus = null;
    for (const id of [...this.selection]) if (!this.snapshot?.buildings.has(id)) this.selection.delete(id);
    this.draw();
    this.render();
    this.schedulePreview();
  }

  async undo() {
    if (!this.session.canUndo) return;
    this.session.undo();
    this.say("info", "已撤销");
    await this.refreshState();
  }

  async redo() {
    if (!this.session.canRedo) return;
    this.session.redo();
    this.say("info", "已重做");
    await this.refreshState();
  }

  // ---------------------------------------------------------------- selection, target, action

  select(ids, how = "replace") {
    if (how === "replace") this.selection = new Set(ids);
    else for (const id of ids) {
      if (how === "toggle" && this.selection.has(id)) this.selection.delete(id);
      else this.selection.add(id);
    }
    this.drawBuildings();
    this.render();
    this.schedulePreview();
  }

  clearSelection() {
    this.select([], "replace");
  }

  toggleBox() {
    this.boxMode = !this.boxMode;
    this.boxBtn.setAttribute("aria-pressed", String(this.boxMode));
    this.boxBtn.classList.toggle("active", this.boxMode);
    this.map.getCanvasContainer().classList.toggle("planner-boxing", this.boxMode);
  }

  setFocus(code, { fly = true } = {}) {
    this.focus = code && this.view?.grids.has(code) ? code : null;
    if (fly && this.focus) this.fitTo(this.view.grids.get(this.focus).geometry);
    this.drawGrids();
    this.render();
    this.schedulePreview();
  }

  setTarget(code) {
    this.target = code && this.view?.grids.has(code) ? code : null;
    if (this.target && !this.action) this.action = this.selection.size ? "move" : this.focus ? "merge" : null;
    this.render();
    this.schedulePreview();
  }

  setAction(action) {
    this.action = action;
    if ((action === "move" || action === "merge") && !this.target) this.startPicking();
    this.render();
    this.schedulePreview();
  }

  startPicking() {
    this.picking = true;
    this.pickBtn.classList.add("active");
    this.say("info", "在地图上点击目标网格");
  }

  /** The operation the panel would add now, or {hint} saying what is missing. */
  pendingOp() {
    const v = this.view;
    if (!v || !this.action) return null;
    const sel = [...this.selection];
    const sources = (ids) => [...new Set(ids.map((id) => v.gridOf.get(id)).filter(Boolean))];
    switch (this.action) {
      case "move": {
        if (!sel.length) return { hint: "先选择要移动的楼栋" };
        if (!this.target) return { hint: "选择目标网格（下拉列表或地图点选）" };
        const moving = sel.filter((id) => v.gridOf.get(id) !== this.target);
        if (!moving.length) return { hint: `所选楼栋已在网格 ${this.target}` };
        const body = { assignments: moving.map((id) => ({ building: id, grid: this.target })) };
        return { kind: "assign", action: "move", body, label: this.labelOf("move", body), grids: [...sources(moving), this.target] };
      }
      case "create": {
        if (!sel.length) return { hint: "先选择组成新网格的楼栋" };
        const body = { assignments: sel.map((id) => ({ building: id, grid: null })) };
        return { kind: "assign", action: "create", body, label: this.labelOf("create", body), grids: sources(sel) };
      }
      case "merge": {
        if (!this.focus) return { hint: "先点击要合并的网格" };
        if (!this.target) return { hint: "选择合并到的目标网格" };
        if (this.target === this.focus) return { hint: "目标网格不能是当前网格" };
        const all = [...v.gridOf].filter(([, g]) => g === this.focus).map(([id]) => id);
        if (!all.length) return { hint: `网格 ${this.focus} 没有楼栋` };
        const body = { assignments: all.map((id) => ({ building: id, grid: this.target })) };
        return { kind: "assign", action: "merge", body, label: this.labelOf("merge", body, [this.focus, this.target]), grids: [this.focus, this.target] };
      }
      case "rebalance": {
        if (!this.focus) return { hint: "先点击要平衡的网格" };
        const body = { grids: [this.focus], neighbours: true };
        return { kind: "rebalance", action: "rebalance", body, label: this.labelOf("rebalance", body), grids: [this.focus] };
      }
      default: return null;
    }
  }

  /**
   * The line an operation shows in 未保存的修改, from its body alone (and, for a merge, the grids it names), so an
   * operation restored after a reload reads as it did: households from the store's buildings.
   */
  labelOf(action, body, grids = []) {
    const ids = (body.assignments ?? []).map((a) => String(a.building));
    const hh = ids.reduce((n, id) => n + hhOf(this.snapshot?.buildings.get(id)), 0);
    const to = body.assignments?.[0]?.grid ?? null;
    switch (action) {
      case "create": return `${ids.length} 栋 (${hh} 户) 新建网格`;
      case "merge": return `合并 ${grids[0] ?? ""} 到 ${grids[1] ?? to}`;
      case "rebalance": return `周边平衡 ${(body.grids ?? []).join("、")}`;
      default: return `移动 ${ids.length} 栋 (${hh} 户) 到 ${to ?? "新网格"}`;
    }
  }

  schedulePreview() {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => this.runPreview(), PREVIEW_DEBOUNCE_MS);
  }

  clearPreview() {
    clearTimeout(this.previewTimer);
    this.previewSeq++;
    this.previewAbort?.abort();
    this.preview = null;
    this.map.getSource("planner-preview")?.setData(EMPTY);
    this.markPreviewed(new Set());
  }

  /** Dry-runs the pending operation on top of the session and draws the answer. */
  async runPreview() {
    const op = this.pendingOp();
    const seq = ++this.previewSeq;
    this.previewAbort?.abort();
    if (!op || op.hint) {
      this.preview = op ? { op } : null;
      this.drawPreview();
      this.render();
      return;
    }
    const abort = (this.previewAbort = new AbortController());
    this.preview = { op, loading: true };
    this.render();
    const body = { ...op.body, base: this.session.bases(), dry_run: true };
    const t0 = performance.now();
    try {
      const answer = op.kind === "rebalance" ? await rebalance(body, abort.signal) : await assign(body, abort.signal);
      if (seq !== this.previewSeq) return;
      this.preview = { op, answer };
    } catch (e) {
      if (e.name === "AbortError" || seq !== this.previewSeq) return;
      this.preview = { op, error: e };
    }
    const t1 = performance.now();
    this.drawPreview();
    this.render();
    // The server's dry run, and the drawing of its answer (map layers, labels, table), in ms.
    this.previewTimings = { request: Math.round(t1 - t0), draw: Math.round(performance.now() - t1) };
    this.lastPreviewMs = Math.round(performance.now() - t0);
  }

  /** Adds the previewed operation to the session. */
  apply() {
    const p = this.preview;
    if (!p?.answer) return;
    const v = this.view;
    // The grids this operation changed: those it names, those it created, and any whose count or buildings moved.
    const grids = new Set(p.op.grids);
    for (const c of p.answer.created ?? []) grids.add(String(c));
    for (const f of p.answer.features ?? []) {
      if (!sameGrid(v.grids.get(codeOf(f)), f)) grids.add(codeOf(f));
    }
    const state = mergeAnswers(this.session.state, p.answer);
    const created = (p.answer.created ?? []).map(String);
    this.session.push({ kind: p.op.kind, action: p.op.action, body: p.op.body, label: p.op.label, grids: [...grids], state });
    this.selection.clear();
    this.action = null;
    this.target = null;
    if (created.length) this.focus = created[0];
    this.clearPreview();
    this.say("ok", `${p.op.label}：已加入未保存的修改`);
    this.refreshState();
  }

  // ---------------------------------------------------------------- save and conflicts

  async save() {
    if (!this.session.dirty || this.busy) return;
    this.busy = true;
    this.render();
    await this.refreshState();
    const versions = this.session.saveVersions();
    const n = this.session.length;
    try {
      const r = await assign({ assignments: [], base: this.session.bases(), dry_run: false, versions });
      const created = r.created ?? [];
      this.session.clear();
      this.clearPreview();
      this.selection.clear();
      this.action = this.target = null;
      await this.reloadStoreLayers();
      await this.switchCommunity(this.snapshot.community, { fit: false });
      const touched = Object.keys(r.touched?.grids ?? {}).length;
      this.say("ok", `已保存：${n} 项修改，${touched} 个网格更新${created.length ? `，新建 ${created.join("、")}` : ""}`);
    } catch (e) {
      if (e instanceof EditError && e.status === 412) {
        const stale = staleGrids(e.problem, versions);
        this.message = { kind: "conflict", stale, text: conflictText(stale) };
      } else if (e instanceof EditError && e.status === 428) {
        this.say("error", `保存失败：${e.message}，请重新载入后再试`);
      } else {
        this.say("error", `保存失败：${e.message}`);
      }
    } finally {
      this.busy = false;
      this.render();
    }
  }

  /** After a conflict: forget what the session read of these grids (or of all), drop the edits that touch them, reload. */
  async reloadStale(codes) {
    if (codes) {
      const dropped = this.session.discardTouching(codes);
      this.session.forgetRead(codes);
      this.message = null;
      await this.switchCommunity(this.snapshot.community, { fit: false });
      this.say("info", `已重新载入 ${codes.join("、")}，放弃了 ${dropped} 项涉及它们的修改`);
    } else {
      const dropped = this.session.length;
      this.session.clear();
      this.message = null;
      await this.switchCommunity(this.snapshot.community, { fit: false });
      this.say("info", `已全部重新载入，放弃了 ${dropped} 项修改`);
    }
    await this.reloadStoreLayers();
  }

  async reloadStoreLayers() {
    const gm = window.gridmap;
    try {
      if (typeof gm?.reloadLayers === "function") await gm.reloadLayers(["grids", "buildings"]);
      else if (gm?.layers) {
        const counts = Object.fromEntries((await getLayers()).map((l) => [l.layer, l.count]));
        await gm.layers.reload(["grids", "buildings"], counts);
      }
    } catch (e) {
      this.say("error", `图层刷新失败: ${e.message}`);
    }
  }

  // ---------------------------------------------------------------- restore after a reload

  /** When this tab holds unsaved operations from before a reload: 恢复未保存的修改? with 恢复 and 放弃. */
  offerRestore() {
    const saved = readStored();
    if (!saved) return;
    const name = saved.community;
    this.restoreBox = el("div", { class: "planner-restore", role: "alertdialog", "aria-label": "恢复未保存的修改" },
      el("p", {}, el("strong", {}, "恢复未保存的修改？"),
        ` 刷新前在 ${name} 有 ${saved.ops.length} 项网格修改尚未保存。`),
      el("div", { class: "planner-restore-actions" },
        el("button", { type: "button", class: "primary planner-restore-yes", onclick: () => this.restoreStored(saved) }, "恢复"),
        el("button", { type: "button", class: "planner-restore-no", onclick: () => { clearStored(); this.hideRestoreOffer(); } }, "放弃")));
    document.body.append(this.restoreBox);
  }

  hideRestoreOffer() {
    this.restoreBox?.remove();
    this.restoreBox = null;
  }

  /**
   * Opens the panel on the stored community and lays the stored operations over it, with the versions read before
   * the reload (a grid changed since then is a conflict on save, as it would have been). One dry run recomputes the
   * session; when the store no longer accepts it (a building gone, a grid retired), nothing is restored.
   */
  async restoreStored(saved) {
    this.hideRestoreOffer();
    await this.open(saved.community);
    if (this.snapshot?.community !== saved.community) {
      this.say("error", `无法恢复未保存的修改：${saved.community} 已不存在`);
      clearStored();
      return;
    }
    let answer;
    try {
      answer = await assign({ assignments: [], base: saved.ops.map((op) => op.body), dry_run: true });
    } catch (e) {
      this.say("error", `无法恢复未保存的修改：${e.message}`);
      clearStored();
      return;
    }
    const ops = saved.ops.map((op) => ({ ...op, label: this.labelOf(op.action, op.body, op.grids) }));
    this.session.restore(ops, saved.read);
    this.session.setState(answer);
    this.say("ok", `已恢复 ${ops.length} 项未保存的修改`);
    await this.refreshState();
  }

  // ---------------------------------------------------------------- export

  async exportGeoJson() {
    const code = this.snapshot?.community;
    if (!code) return;
    this.exportMenu.open = false;
    try {
      const { grids } = await this.communityData(code);
      download(`网格-${code}.geojson`, JSON.stringify(fc(grids.filter(active))), "application/geo+json");
    } catch (e) {
      this.say("error", `导出失败: ${e.message}`);
    }
  }

  /** Every active grid the map shows now, whatever its community (the server's bbox query). */
  async exportViewGeoJson() {
    this.exportMenu.open = false;
    try {
      const b = this.map.getBounds();
      const { features } = await getFeatures("grids", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]);
      download("网格-视图.geojson", JSON.stringify(fc(features.filter(active))), "application/geo+json");
    } catch (e) {
      this.say("error", `导出失败: ${e.message}`);
    }
  }

  async exportCsv() {
    const code = this.snapshot?.community;
    if (!code) return;
    this.exportMenu.open = false;
    try {
      const { community, grids, buildings } = await this.communityData(code);
      download(`网格花名册-${code}.csv`, rosterCsv(grids.filter(active), community.properties?.name ?? code, buildings), "text/csv;charset=utf-8");
    } catch (e) {
      this.say("error", `导出失败: ${e.message}`);
    }
  }

  // ---------------------------------------------------------------- drawing

  say(kind, text) {
    this.message = { kind, text };
    this.renderMessage();
  }

  draw() {
    this.drawGrids();
    this.drawBuildings();
    this.drawPreview();
  }

  bandStatus(g) {
    if (g.properties?.type === "dedicated") return "none";
    const s = g.properties?.band_status;
    if (s === "below" || s === "in" || s === "above") return s;
    const hh = hhOf(g);
    return hh < this.band.min ? "below" : hh > this.band.max ? "above" : "in";
  }

  drawGrids() {
    if (!this.isOpen || !this.view) return;
    const features = [...this.view.grids.values()].map((g) => ({
      type: "Feature", geometry: g.geometry,
      properties: { code: codeOf(g), households: hhOf(g), _colour: BAND_COLOURS[this.bandStatus(g)], _focus: codeOf(g) === this.focus, _changed: this.view.changed.has(codeOf(g)) },
    }));
    this.map.getSource("planner-grids").setData(fc(features));
    this.shown.grids = features.length;
    this.drawLabels();
  }

  drawBuildings() {
    if (!this.isOpen || !this.snapshot) return;
    const features = [...this.snapshot.buildings.values()].filter((b) => b.geometry).map((b) => ({
      type: "Feature", geometry: b.geometry, properties: { _id: String(b.id), households: hhOf(b), _sel: this.selection.has(String(b.id)) },
    }));
    this.map.getSource("planner-buildings").setData(fc(features));
    this.shown.buildings = features.length;
    this.shown.selected = features.filter((f) => f.properties._sel).length;
  }

  drawPreview() {
    const answer = this.isOpen ? this.preview?.answer : null;
    const features = (answer?.features ?? []).filter((f) => f.properties?.status !== "retired" && f.geometry).map((f) => ({
      type: "Feature", geometry: f.geometry, properties: { code: codeOf(f), households: hhOf(f), _colour: BAND_COLOURS[this.bandStatus(f)] },
    }));
    this.map.getSource("planner-preview").setData(fc(features));
    this.shown.preview = features.length;
    // The grids the preview redraws (retired ones included: they go blank) lose their own fill meanwhile.
    const previewed = new Set((answer?.features ?? []).map(codeOf));
    this.markPreviewed(previewed);
    this.drawLabels();
  }

  markPreviewed(codes) {
    for (const code of this.previewedCodes ?? []) {
      if (!codes.has(code)) this.map.setFeatureState({ source: "planner-grids", id: code }, { previewed: false });
    }
    for (const code of codes) this.map.setFeatureState({ source: "planner-grids", id: code }, { previewed: true });
    this.previewedCodes = codes;
  }

  clearMarkers() {
    for (const l of this.labels.values()) l.marker.remove();
    this.labels.clear();
  }

  /**
   * HTML labels of the community's grids (code, households; before → after under a preview). Labels are kept per
   * grid and only what changed is touched: a provisional area of a whole OSM import holds hundreds of grids, and
   * rebuilding every marker on each preview made the panel stutter.
   */
  drawLabels() {
    if (!this.isOpen || !this.view) { this.clearMarkers(); return; }
    const after = new Map((this.preview?.answer?.features ?? []).map((f) => [codeOf(f), f]));
    const shown = new Map(this.view.grids);
    for (const [code, f] of after) if (f.properties?.status !== "retired") shown.set(code, f);
    for (const [code, l] of this.labels) if (!shown.has(code)) { l.marker.remove(); this.labels.delete(code); }
    for (const [code, g] of shown) {
      let l = this.labels.get(code);
      const at = l && l.geometry === g.geometry ? l.at : labelPoint(g.geometry);
      if (!at) { l?.marker.remove(); this.labels.delete(code); continue; }
      const before = this.view.grids.get(code);
      const next = after.get(code);
      const cls = `planner-label band-${this.bandStatus(next ?? g)}${next ? " previewed" : ""}`;
      const text = next && before && hhOf(before) !== hhOf(next) ? `${hhOf(before)}→${hhOf(next)} 户` : next && !before ? `新 ${hhOf(next)} 户` : `${hhOf(g)} 户`;
      if (!l) {
        const hh = el("span", { class: "hh" }, text);
        const node = el("div", { class: cls, "data-code": code }, el("span", { class: "code" }, shortCode(code, this.snapshot?.community)), hh);
        l = { marker: new maplibregl.Marker({ element: node }).setLngLat(at).addTo(this.map), node, hh, at, geometry: g.geometry, box: bboxOf(g.geometry), cls, text };
        this.labels.set(code, l);
        continue;
      }
      if (l.at !== at) { l.marker.setLngLat(at); l.at = at; }
      if (l.geometry !== g.geometry) { l.geometry = g.geometry; l.box = bboxOf(g.geometry); }
      if (l.cls !== cls) { l.node.className = l.thin ? `${cls} thin` : cls; l.cls = cls; }
      if (l.text !== text) { l.hh.textContent = text; l.text = text; }
    }
    this.thinLabels();
  }

  /**
   * Hides the labels of grids drawn smaller than a label (an overview of hundreds of grids would be a pile of text);
   * the grid the planner works on, the target and previewed grids always keep theirs. Run on every zoom.
   */
  thinLabels() {
    if (!this.isOpen) return;
    for (const [code, l] of this.labels) {
      let small = false;
      if (l.box && code !== this.focus && code !== this.target && !l.cls.includes("previewed")) {
        const a = this.map.project([l.box[0], l.box[1]]);
        const b = this.map.project([l.box[2], l.box[3]]);
        small = Math.max(Math.abs(b.x - a.x), Math.abs(b.y - a.y)) < LABEL_MIN_PX;
      }
      if (l.thin !== small) { l.node.classList.toggle("thin", small); l.thin = small; }
    }
  }

  render() {
    if (!this.body) return;
    const s = this.session;
    this.undoBtn.disabled = !s.canUndo || this.busy;
    this.redoBtn.disabled = !s.canRedo || this.busy;
    this.saveBtn.disabled = !s.dirty || this.busy;
    this.saveBtn.textContent = this.busy ? "保存中…" : s.dirty ? `保存 (${s.length})` : "保存";
    this.opsCount.textContent = s.dirty ? `${s.length} 项未保存` : "";
    this.renderMessage();

    const sel = [...this.selection];
    const hh = sel.reduce((n, id) => n + hhOf(this.snapshot?.buildings.get(id)), 0);
    this.selectionBox.textContent = sel.length ? `已选 ${sel.length} 栋 · ${hh} 户` : "未选楼栋";
    this.selectionBox.dataset.count = String(sel.length);

    const grids = [...(this.view?.grids.values() ?? [])].sort((a, b) => codeOf(a).localeCompare(codeOf(b)));
    this.targetSelect.replaceChildren(el("option", { value: "" }, "— 选择目标网格 —"),
      ...grids.map((g) => el("option", { value: codeOf(g), selected: codeOf(g) === this.target }, `${codeOf(g)} · ${hhOf(g)} 户`)));
    this.targetSelect.value = this.target ?? "";
    for (const b of this.actions.querySelectorAll(".planner-action")) b.classList.toggle("active", b.dataset.action === this.action);

    this.renderLegend();
    this.renderPreview();
    this.renderHistory();
    this.renderHealth(grids);
  }

  renderMessage() {
    const m = this.message;
    if (!m) { this.messageBox.replaceChildren(); this.messageBox.hidden = true; return; }
    this.messageBox.hidden = false;
    this.messageBox.className = `planner-message ${m.kind}`;
    if (m.kind !== "conflict") { this.messageBox.replaceChildren(el("p", {}, m.text)); return; }
    const codes = m.stale.map((x) => x.code);
    this.messageBox.replaceChildren(el("div", { class: "planner-conflict", role: "alert" },
      el("p", {}, m.text),
      el("div", { class: "planner-conflict-actions" },
        codes.length ? el("button", { type: "button", class: "primary planner-reload-stale", onclick: () => this.reloadStale(codes) }, "重新载入这些网格（放弃涉及它们的修改）") : null,
        el("button", { type: "button", class: "planner-reload-all", onclick: () => this.reloadStale(null) }, "全部放弃并重新载入"))));
  }

  renderPreview() {
    const p = this.preview;
    if (!p) { this.previewBox.replaceChildren(); this.previewBox.hidden = true; return; }
    this.previewBox.hidden = false;
    if (p.op?.hint) { this.previewBox.replaceChildren(el("p", { class: "muted planner-preview-hint" }, p.op.hint)); return; }
    const head = el("h3", {}, `预览：${p.op.label}`);
    if (p.loading) { this.previewBox.replaceChildren(head, el("p", { class: "muted" }, "计算中…")); return; }
    if (p.error) {
      this.previewBox.replaceChildren(head, el("p", { class: "error planner-preview-error" }, p.error.message),
        el("div", { class: "planner-preview-actions" }, el("button", { type: "button", onclick: () => this.setAction(null) }, "取消")));
      return;
    }
    const a = p.answer;
    const created = new Set((a.created ?? []).map(String));
    const retired = new Set((a.retired ?? []).map(String));
    const rows = (a.features ?? []).map((f) => {
      const code = codeOf(f);
      const before = this.view.grids.get(code);
      const status = retired.has(code) || f.properties?.status === "retired" ? "retired" : this.bandStatus(f);
      return el("tr", { "data-code": code, class: `band-${status}` },
        el("td", { class: "grid-code" }, code, created.has(code) ? el("span", { class: "tag new" }, "新") : null, status === "retired" ? el("span", { class: "tag" }, "撤销") : null),
        el("td", { class: "num" }, before ? String(hhOf(before)) : "—"),
        el("td", { class: "num after" }, status === "retired" ? "0" : String(hhOf(f))),
        el("td", { class: "band" }, status === "retired" ? "" : bandTag(status)));
    });
    const warnings = (a.warnings ?? []).map((w) => el("li", { "data-code": w.code }, warningText(w, this.compoundNames)));
    const unchanged = (a.features ?? []).every((f) => sameGrid(this.view.grids.get(codeOf(f)), f))
      && !(a.created ?? []).length && !(a.retired ?? []).length;
    if (unchanged) {
      this.previewBox.replaceChildren(head, el("p", { class: "muted planner-preview-hint" }, "无需调整：涉及的网格保持不变"),
        el("div", { class: "planner-preview-actions" }, el("button", { type: "button", class: "planner-cancel", onclick: () => this.setAction(null) }, "取消")));
      return;
    }
    this.previewBox.replaceChildren(...[head,
      el("table", { class: "planner-touched" }, el("thead", {}, el("tr", {}, el("th", {}, "网格"), el("th", {}, "原户数"), el("th", {}, "新户数"), el("th", {}, ""))), el("tbody", {}, rows)),
      warnings.length ? el("ul", { class: "planner-warnings" }, warnings) : null,
      el("div", { class: "planner-preview-actions" },
        el("button", { type: "button", class: "primary planner-apply", onclick: () => this.apply() }, "应用"),
        el("button", { type: "button", class: "planner-cancel", onclick: () => this.setAction(null) }, "取消"))].filter(Boolean));
  }

  /** The three band colours and words of the main map's legend, with the band in force. */
  renderLegend() {
    const b = this.band;
    const text = { below: `不足 <${b.min}`, in: `达标 ${b.min}–${b.max}`, above: `超出 >${b.max}` };
    this.legendBox.replaceChildren(...GRID_BANDS.map((g) =>
      el("li", { "data-band": g.key }, el("span", { class: "swatch", style: `background:${g.color}` }), `${text[g.key]} 户`)));
  }

  renderHistory() {
    const s = this.session;
    if (!s.dirty && !s.canRedo) { this.historyBox.replaceChildren(); return; }
    this.historyBox.replaceChildren(el("h3", {}, "未保存的修改"),
      el("ol", { class: "planner-ops-list" },
        s.ops.map((op) => el("li", {}, op.label)),
        [...s.redoStack].reverse().map((op) => el("li", { class: "undone" }, op.label))));
  }

  renderHealth(grids) {
    const issues = [];
    for (const g of grids) {
      if (g.properties?.type === "dedicated") continue;
      const status = this.bandStatus(g);
      const parts = g.geometry?.type === "MultiPolygon" ? g.geometry.coordinates.length : 1;
      if (status === "in" && parts <= 1) continue;
      const hh = hhOf(g);
      const off = status === "below" ? this.band.min - hh : status === "above" ? hh - this.band.max : 0;
      const why = [];
      if (status === "below") why.push(`${bandLabel("below")} · ${hh} 户，比下限少 ${off} 户`);
      if (status === "above") why.push(`${bandLabel("above")} · ${hh} 户，比上限多 ${off} 户`);
      if (parts > 1) why.push(`不连片 (${parts} 块)`);
      issues.push({ code: codeOf(g), score: off / Math.max(1, this.band.max - this.band.min) + (parts > 1 ? 0.25 * parts : 0), why: why.join("；"), status });
    }
    issues.sort((a, b) => b.score - a.score);
    this.healthBox.replaceChildren(el("h3", {}, `网格体检 (${issues.length})`),
      issues.length ? el("ul", { class: "planner-health-list" }, issues.map((i) =>
        el("li", {}, el("button", { type: "button", class: `linkish band-${i.status}`, "data-code": i.code, onclick: () => this.setFocus(i.code) },
          el("span", { class: "grid-code" }, i.code), el("span", { class: "why" }, i.why)))))
        : el("p", { class: "muted" }, `全部网格在 ${this.band.min}–${this.band.max} 户之间且连片`));
  }
}

/** A band word as a tag in the band's colour: 不足 / 达标 / 超出. */
function bandTag(status) {
  const word = bandLabel(status);
  return word ? el("span", { class: `band-tag band-${status}` }, el("span", { class: "swatch", style: `background:${BAND_COLOURS[status]}` }), word) : "";
}

/**
 * A grid's short label: what follows its community's code (`520304001001013` → `013`, `AREA-013` → `013`), else the
 * whole code. Codes are not assumed to be 15 digits: provisional areas of OSM imports have codes like `AREA-001`.
 */
export function shortCode(code, community) {
  const c = String(code);
  if (community && c.startsWith(String(community)) && c.length > String(community).length) {
    return c.slice(String(community).length).replace(/^[-_.\s]+/, "") || c;
  }
  return c;
}

function conflictText(stale) {
  if (!stale.length) return "保存失败：有网格已被他人修改。请重新载入后再编辑。";
  const parts = stale.map((s) => s.sent != null && s.current != null ? `${s.code}（您读取的是第 ${s.sent} 版，现为第 ${s.current} 版）` : s.code);
  return `保存失败：网格 ${parts.join("、")} 已被他人修改。请重新载入这些网格后再编辑。`;
}

const csvCell = (v) => {
  const s = v == null ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * A cell Excel must open as text. Grid codes are 15 digits: opened as numbers, Excel shows 5.20304E+14 and, past 15
 * significant digits, loses digits for good. Of the two usual cures we use a leading tab ("\t520304001001001"), as
 * many government exports do, rather than the formula form ="520304001001001":
 * - Excel and WPS keep a tab-led cell as text, show it as the code, and a copied cell pastes as the code;
 * - a script reading the file gets the code plus a tab that any trim removes (`.strip()`, `str.trim()`), whereas
 *   ="…" hands it a formula to parse, and it stays a formula when the sheet is saved again;
 * - a tab is not a formula, so the cell can never be evaluated (the same prefix defuses CSV injection, below).
 * The tab needs no CSV quoting (RFC 4180 quotes only commas, quotes and line breaks).
 */
const textCell = (v) => (v == null || v === "" ? "" : `\t${String(v)}`);

/**
 * A free-text cell (names): one starting with = + - @ would be run as a formula by Excel (CSV injection); the same
 * tab prefix keeps it text.
 */
const safeCell = (v) => {
  const s = v == null ? "" : String(v);
  return /^[=+\-@]/.test(s) ? `\t${s}` : s;
};

/**
 * The roster of a community's grids, UTF-8 with a BOM so Excel reads the Chinese. The code and phone columns are
 * text cells (textCell): digits Excel would otherwise turn into numbers.
 */
export function rosterCsv(grids, communityName, buildings = null) {
  const perGrid = new Map();
  for (const b of buildings ?? []) {
    const g = b.properties?.grid_code;
    if (g != null) perGrid.set(String(g), (perGrid.get(String(g)) ?? 0) + 1);
  }
  const rows = [["网格编码", "网格名称", "所属社区", "网格员", "联系电话", "户数", "楼栋数"]];
  for (const g of [...grids].sort((a, b) => codeOf(a).localeCompare(codeOf(b)))) {
    const p = g.properties ?? {};
    const workers = Array.isArray(p.workers) ? p.workers : [];
    const phones = workers.some((w) => w.phone) ? workers.map((w) => w.phone ?? "").join("、") : "";
    rows.push([textCell(codeOf(g)), safeCell(p.name ?? ""), safeCell(communityName), safeCell(workers.map((w) => w.name ?? "").join("、")),
      textCell(phones), p.households ?? "", buildings ? perGrid.get(codeOf(g)) ?? 0 : (p.unit_ids ?? []).length]);
  }
  return "\uFEFF" + rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
