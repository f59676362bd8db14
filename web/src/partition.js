// 网格划分: a planner starts a partition job for a community (or a street, a district, "all"), follows its progress,
// and reviews the proposal before accepting it: proposed grids drawn over the current ones (现状 / 方案 / 对比), a table
// of grids with households before → after and their band after (不足 / 达标 / 超出, 新, 撤销), the buildings that move
// (outlined in magenta, counted, listed per grid), split compounds and non-contiguous grids from the report, then
// 接受方案 or 放弃. An accept refused with 409 changed_since_read says what changed and offers 重新运行.
// Jobs live in the store, so the page can be reloaded and any server replica can answer.
// What accepting would change is computed in review.js (no DOM).
import { acceptJob, cancelJob, getFeature, getFeatures, getJob, getJson, getProposal, sendJson, startPartition } from "./api.js";
import { bboxOf, extentOf, labelPoint } from "./geo.js";
import { problemText } from "./i18n.js";
import { GRID_BANDS, gridSeq } from "./layers.js";
import { el } from "./panel.js";
import {
  BAND_WORDS, STATUS_WORDS, changedCounts, codeOf, computeChanges, failureText, reasonText, reviewModel, sortRows,
} from "./review.js";

const STATUS = { queued: "排队中", running: "计算中", done: "已完成", failed: "失败", cancelled: "已取消", accepted: "已接受" };
const POLL_MS = 400;
const BAND_COLOR = Object.fromEntries(GRID_BANDS.map((b) => [b.key, b.color]));
/** The buildings that move: magenta, a colour no other layer uses. */
export const MOVED_COLOR = "#d81b9c";
const PROPOSAL_LINE = "#1b1b1b";
/** Proposed grids get HTML labels only up to this many (DOM markers are expensive), and from this zoom. */
const LABEL_MAX = 400;
const LABEL_ZOOM = 14;
const MODES = [
  { key: "current", label: "现状", title: "只看现有网格" },
  { key: "proposal", label: "方案", title: "只看方案中的网格" },
  { key: "compare", label: "对比", title: "现有网格（实线）与方案（虚线）叠加" },
];
/** How the current grids are drawn in each mode (null: as the layer panel has them). */
const CURRENT_STYLE = {
  current: null,
  compare: { fill: 0, dedicated: 0.35, line: 0.9 },
  proposal: { fill: 0, dedicated: 0, line: 0 },
};
const SORT_LABELS = { code: "网格", after: "调整前 → 后", worst: "标准", moves: "楼栋" };
const empty = () => ({ type: "FeatureCollection", features: [] });
const num = (n) => (n == null ? "—" : Number(n).toLocaleString("zh-CN"));
const isPhone = () => window.matchMedia("(max-width: 700px)").matches;

export class PartitionPanel {
  /**
   * @param root the panel <section> (index.html: a .partition-form and a .partition-job)
   * @param map the maplibregl.Map the proposal is drawn on
   * @param onAccepted called after a proposal was accepted (main.js reloads grids and buildings)
   */
  constructor(root, map, { onAccepted = () => {} } = {}) {
    this.root = root;
    this.map = map;
    this.onAccepted = onAccepted;
    this.form = root.querySelector(".partition-form");
    this.out = root.querySelector(".partition-job");
    this.job = null;
    this.timer = 0;
    this.review = null; // {proposal, model, bounds} of the job on the map
    this.mode = "compare";
    this.sort = "worst";
    this.selected = null;
    this.conflict = null; // the 409 of the last accept
    this.notice = null; // {kind: "accepted" | "discarded", …}
    this.actionError = null;
    this.band = null; // the scope's band setting, to suggest a fresh run
    this.boundsTouched = false;
    this.freshTouched = false;
    this.labels = [];
    this.saved = null; // the current grids' paint before the review dimmed them
    this.shown = { grids: 0, moved: 0, buildings: 0 };
    root.querySelector(".info-close").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.start(); });
    this.buildFreshOption();
    this.addMapLayers();
    map.on("zoomend", () => this.updateLabelZoom());
    map.on("moveend", () => this.declutter());
    // A click on a proposed grid picks its row (the lookup panel opens as for any click).
    map.on("click", (e) => {
      if (!this.review || this.mode === "current" || !map.getLayer("proposal-fill")) return;
      const f = map.queryRenderedFeatures(e.point, { layers: ["proposal-fill"] })[0];
      if (f) this.select(String(f.properties.code ?? f.id), { fly: false });
    });
  }

  /** 忽略现有网格重新划分 (`"fresh": true`), with why it is suggested. Built here so index.html stays as it is. */
  buildFreshOption() {
    const f = this.form.elements;
    this.fresh = el("input", { type: "checkbox", name: "fresh" });
    this.freshHint = el("p", { class: "fresh-hint", hidden: "" });
    const label = el("label", { class: "check fresh-option", title: "不参考现有网格，按新的户数标准从头划分；接受后旧网格撤销，编码不再使用" },
      this.fresh, " 忽略现有网格重新划分");
    this.form.querySelector("button[type=submit]").before(label, this.freshHint);
    this.fresh.addEventListener("change", () => { this.freshTouched = true; this.checkFresh(); });
    // While a proposal is reviewed the form folds into one line (the table needs the room); 修改 unfolds it.
    this.formSummary = el("div", { class: "form-summary", hidden: "" });
    this.form.before(this.formSummary);
    this.editingForm = false;
    for (const name of ["min", "max", "target"]) f[name].addEventListener("input", () => { this.boundsTouched = true; this.checkFresh(); });
    let t = 0;
    f.scope.addEventListener("input", () => { clearTimeout(t); t = setTimeout(() => this.loadBand(), 300); });
  }

  addMapLayers() {
    const map = this.map;
    for (const id of ["proposal", "proposal-moved", "proposal-selected"]) map.addSource(id, { type: "geojson", data: empty() });
    const band = ["match", ["get", "_band"], ...GRID_BANDS.flatMap((b) => [b.key, b.color]), "#d0d0d0"];
    const poly = ["!=", ["geometry-type"], "Point"];
    map.addLayer({ id: "proposal-fill", type: "fill", source: "proposal", paint: { "fill-color": band, "fill-opacity": 0.35 } });
    map.addLayer({ id: "proposal-line", type: "line", source: "proposal",
      paint: { "line-color": PROPOSAL_LINE, "line-width": 2.2, "line-dasharray": [2.5, 1.5] } });
    map.addLayer({ id: "proposal-moved-fill", type: "fill", source: "proposal-moved", filter: poly, paint: { "fill-color": MOVED_COLOR, "fill-opacity": 0.35 } });
    map.addLayer({ id: "proposal-moved-line", type: "line", source: "proposal-moved", filter: poly,
      paint: { "line-color": MOVED_COLOR, "line-width": ["interpolate", ["linear"], ["zoom"], 13, 1, 17, 2.5] } });
    map.addLayer({ id: "proposal-moved-point", type: "circle", source: "proposal-moved", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-color": MOVED_COLOR, "circle-radius": 4, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    map.addLayer({ id: "proposal-selected", type: "line", source: "proposal-selected", paint: { "line-color": "#6a00a8", "line-width": 4 } });
  }

  get isOpen() { return !this.root.hidden; }

  open(scope) {
    this.root.hidden = false;
    if (scope) {
      this.form.elements.scope.value = scope;
      this.boundsTouched = false;
      this.freshTouched = false;
    }
    this.loadBand();
    this.form.elements.scope.focus();
    // Closed during a review: the proposal comes back on the map with its table.
    if (this.job?.status === "done" && !this.review && !this.notice) this.follow(this.job);
  }

  close() {
    this.root.hidden = true;
    this.stopPolling();
    this.clearReview();
  }

  // ---- the band of the scope, and the fresh suggestion ----

  /** The band in force for the typed scope (a community's own where set); the form takes it until bounds are typed. */
  async loadBand() {
    const scope = this.form.elements.scope.value.trim();
    if (!scope) return;
    const query = /^\d{12}$/.test(scope) ? `?community=${encodeURIComponent(scope)}` : "";
    try {
      const b = await getJson(`/api/settings/band${query}`);
      if (this.form.elements.scope.value.trim() !== scope || !Number.isFinite(b?.min) || !Number.isFinite(b?.max)) return;
      this.band = { min: b.min, max: b.max, target: b.target ?? Math.round((b.min + b.max) / 2), community: b.community ?? null, scope };
      if (!this.boundsTouched) {
        const f = this.form.elements;
        f.min.value = String(b.min);
        f.max.value = String(b.max);
        f.target.value = String(this.band.target);
      }
    } catch {
      this.band = null; // an older server without the setting: no suggestion
    }
    this.checkFresh();
  }

  /** Typed bounds that differ from the band in force: existing grids were drawn for that band, so suggest a fresh run. */
  checkFresh() {
    const f = this.form.elements;
    const b = this.band;
    const differs = b && b.scope === f.scope.value.trim() && (Number(f.min.value) !== b.min || Number(f.max.value) !== b.max);
    if (differs && !this.freshTouched) this.fresh.checked = true;
    if (!differs && !this.freshTouched) this.fresh.checked = false;
    this.freshHint.hidden = !differs;
    if (differs) {
      const whose = b.community ? "本社区" : /^\d{12}$/.test(b.scope) ? "本社区（沿用全局设置）" : "全局";
      this.freshHint.textContent = `下限/上限与${whose}现行标准 ${b.min}–${b.max} 户不同。现有网格按现行标准划定，保留现有网格时未变化的网格会原样保留，新标准不会生效，所以${this.fresh.checked ? "已勾选" : "建议勾选"}“忽略现有网格重新划分”。`;
    }
  }

  // ---- jobs ----

  /** Starts a job from the form, or with the given request (重新运行). */
  async start(request = null) {
    const f = this.form.elements;
    const body = request ?? {
      scope: f.scope.value.trim(), min: Number(f.min.value), max: Number(f.max.value), target: Number(f.target.value),
      fresh: this.fresh.checked,
    };
    if (request) {
      f.scope.value = body.scope;
      for (const k of ["min", "max", "target"]) if (body[k] != null) f[k].value = String(body[k]);
      this.fresh.checked = Boolean(body.fresh);
    }
    this.clearReview();
    this.render({ status: "queued", progress: 0 });
    try {
      this.follow(await startPartition(body));
    } catch (e) {
      this.renderError(e, { scope: body.scope });
    }
  }

  /** The same job again (same scope, bounds and fresh), on the store as it is now. */
  rerun(job = this.job) {
    const p = job?.parameters ?? {};
    return this.start({ scope: job.scope, min: p.min, max: p.max, target: p.target, fresh: p.fresh === true });
  }

  follow(job) {
    this.job = job;
    // A finished job says 已完成 once its proposal is on the map, not before.
    this.render(job, { drawing: job.status === "done" && !this.review });
    this.stopPolling();
    if (job.status === "queued" || job.status === "running") {
      this.timer = setTimeout(async () => {
        try {
          this.follow(await getJob(job.id));
        } catch (e) {
          this.renderError(e, { id: job.id });
        }
      }, POLL_MS);
    } else if (job.status === "done" && !this.review) {
      this.loadProposal(job);
    }
  }

  stopPolling() {
    clearTimeout(this.timer);
    this.timer = 0;
  }

  boundsOf(job) {
    const p = job?.parameters ?? {};
    const min = p.min ?? 200;
    const max = p.max ?? 300;
    return { min, max, target: p.target ?? Math.round((min + max) / 2) };
  }

  /** The proposal, what it changes (the server's `changes`, else computed), and the buildings to draw. */
  async loadProposal(job) {
    try {
      const fc = await getProposal(job.id);
      const bounds = this.boundsOf(job);
      const extent = extentOf(fc.features);
      const box = extent && [extent[0] - 0.001, extent[1] - 0.001, extent[2] + 0.001, extent[3] + 0.001];
      const buildings = new Map();
      if (box) for (const b of (await getFeatures("buildings", box, { max: 100000 })).features) buildings.set(String(b.id), b);
      let changes = fc.changes;
      if (!changes?.grids) {
        const inScope = (c) => job.scope === "all" || c === job.scope || (/^\d{12}$/.test(c) && c.startsWith(job.scope));
        const current = box ? (await getFeatures("grids", box, { max: 100000 })).features
          .filter((g) => g.properties?.status !== "retired" && inScope(String(g.properties?.community_code ?? ""))) : [];
        changes = computeChanges(fc, current, buildings.size ? new Set(buildings.keys()) : null);
      }
      if (this.job?.id !== job.id) return; // another job started meanwhile
      const model = reviewModel(fc, changes, bounds, buildings, job.report);
      this.review = { proposal: fc, model, bounds, extent };
      this.editingForm = false;
      this.draw();
      await this.sourceLoaded();
      if (this.job?.id === job.id && this.job.status === "done") this.render(this.job);
      if (extent) this.fit(extent);
    } catch (e) {
      this.renderError(e, { id: job.id }, "方案无法显示: ");
    }
  }

  /** Resolves once the map has taken in the proposal (setData is parsed off the main thread), or after 5 s. */
  sourceLoaded() {
    return new Promise((resolve) => {
      const done = () => { this.map.off("sourcedata", check); clearTimeout(timer); resolve(); };
      const check = () => { if (this.map.isSourceLoaded("proposal")) done(); };
      const timer = setTimeout(done, 5000);
      // No check before the first event: right after setData the source may still report its old data as loaded.
      this.map.on("sourcedata", check);
    });
  }

  // ---- the map ----

  draw() {
    const { proposal, model } = this.review;
    const byCode = new Map(model.rows.map((r) => [r.code, r]));
    for (const f of proposal.features) {
      const r = byCode.get(codeOf(f));
      f.properties._band = r?.band ?? "unknown";
      f.properties._status = r?.status ?? "kept";
    }
    this.map.getSource("proposal").setData(proposal);
    const seen = new Set();
    const moved = [];
    for (const m of model.moved) {
      if (!m.feature?.geometry || seen.has(m.building)) continue;
      seen.add(m.building);
      moved.push({ type: "Feature", geometry: m.feature.geometry, properties: { building: m.building, from: m.from, to: m.to } });
    }
    this.map.getSource("proposal-moved").setData({ type: "FeatureCollection", features: moved });
    this.shown = { grids: proposal.features.length, moved: moved.length, buildings: model.movedBuildings };
    this.drawLabels();
    this.setMode(this.mode);
  }

  drawLabels() {
    this.removeLabels();
    const { proposal, model } = this.review;
    if (proposal.features.length > LABEL_MAX) return;
    const byCode = new Map(model.rows.map((r) => [r.code, r]));
    for (const f of proposal.features) {
      const at = labelPoint(f.geometry);
      if (!at) continue;
      const r = byCode.get(codeOf(f));
      const node = el("div", { class: `map-label lbl-grid lbl-proposal lbl-band-${r?.band ?? "unknown"}`, "data-code": codeOf(f) }, el("span", {}, ""));
      node._row = r;
      this.labels.push(new maplibregl.Marker({ element: node }).setLngLat(at).addTo(this.map));
    }
    this.labelTexts();
    this.updateLabelZoom();
    this.declutter();
  }

  /** Hides proposed grids' labels that would overlap one placed before (out-of-band grids first), as layers.js does. */
  declutter() {
    if (!this.labels.length) return;
    const first = (m) => (m.getElement()._row?.band === "in" ? 1 : 0);
    const placed = [];
    for (const m of [...this.labels].sort((a, b) => first(a) - first(b))) {
      const node = m.getElement();
      const p = this.map.project(m.getLngLat());
      const w = (node.textContent.length * 6.4) / 2 + 8;
      const h = 8;
      const free = !placed.some((q) => Math.abs(q.x - p.x) < q.w + w && Math.abs(q.y - p.y) < q.h + h);
      node.style.visibility = free ? "" : "hidden";
      if (free) placed.push({ x: p.x, y: p.y, w, h });
    }
  }

  /** 方案: "003 · 186户"; 对比: "003 · 258→186户" (新 for a new grid). */
  labelTexts() {
    for (const m of this.labels) {
      const node = m.getElement();
      const r = node._row;
      if (!r) continue;
      const before = r.status === "new" ? "新" : num(r.before);
      node.firstChild.textContent = this.mode === "compare" ? `${gridSeq(r.code)} · ${before}→${num(r.after)}户` : `${gridSeq(r.code)} · ${num(r.after)}户`;
    }
  }

  updateLabelZoom() {
    this.map.getContainer().classList.toggle("review-far", this.map.getZoom() < LABEL_ZOOM);
  }

  removeLabels() {
    for (const m of this.labels) m.remove();
    this.labels = [];
  }

  /** 现状 / 方案 / 对比: which of the current and the proposed grids show, and how. */
  setMode(mode) {
    this.mode = MODES.some((m) => m.key === mode) ? mode : "compare";
    const map = this.map;
    const reviewing = Boolean(this.review);
    const showProposal = reviewing && this.mode !== "current";
    for (const id of ["proposal-fill", "proposal-line"]) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", showProposal ? "visible" : "none");
    map.setPaintProperty("proposal-fill", "fill-opacity", this.mode === "proposal" ? 0.5 : 0.35);
    this.styleCurrent(reviewing ? CURRENT_STYLE[this.mode] : null);
    const c = map.getContainer().classList;
    for (const m of MODES) c.toggle(`review-${m.key}`, reviewing && this.mode === m.key);
    this.labelTexts();
    this.declutter();
    for (const b of this.out.querySelectorAll(".review-modes button")) b.setAttribute("aria-pressed", String(b.dataset.mode === this.mode));
  }

  /** Dims the current grids (layers.js draws them) for a mode; null puts back what they had. */
  styleCurrent(style) {
    const map = this.map;
    const props = [["grids-fill", "fill-opacity", "fill"], ["grids-dedicated", "fill-opacity", "dedicated"], ["grids-line", "line-opacity", "line"]]
      .filter(([id]) => map.getLayer(id));
    if (style && !this.saved) this.saved = props.map(([id, p]) => [id, p, map.getPaintProperty(id, p)]);
    if (style) for (const [id, p, key] of props) map.setPaintProperty(id, p, style[key]);
    else if (this.saved) {
      for (const [id, p, v] of this.saved) map.setPaintProperty(id, p, v ?? null);
      this.saved = null;
    }
  }

  clearReview() {
    this.review = null;
    this.selected = null;
    this.conflict = null;
    this.actionError = null;
    for (const id of ["proposal", "proposal-moved", "proposal-selected"]) this.map.getSource(id)?.setData(empty());
    this.removeLabels();
    this.shown = { grids: 0, moved: 0, buildings: 0 };
    this.setMode(this.mode);
  }

  /** Padding that keeps what is fitted clear of this panel (and of the layer panel on desktops). */
  padding() {
    const c = this.map.getContainer().getBoundingClientRect();
    const p = this.root.getBoundingClientRect();
    const pad = { top: 30, bottom: 30, left: 30, right: 30 };
    if (isPhone()) pad.top = Math.max(30, Math.round(p.bottom - c.top + 10));
    else {
      pad.right = Math.max(30, Math.round(c.right - p.left + 20));
      const layers = document.getElementById("layers");
      if (layers && !layers.classList.contains("collapsed")) pad.left = Math.max(30, Math.round(layers.getBoundingClientRect().right - c.left + 20));
    }
    // Too little room left: fit to the whole map rather than refuse.
    if (c.width - pad.left - pad.right < 120 || c.height - pad.top - pad.bottom < 120) return 30;
    return pad;
  }

  fit(extent, maxZoom = 17) {
    this.map.fitBounds([[extent[0], extent[1]], [extent[2], extent[3]]], { padding: this.padding(), maxZoom, duration: 600 });
  }

  /** A row's click: fly to the grid (a retired one to where it is now) and outline it. */
  async select(code, { fly = true } = {}) {
    this.selected = code;
    for (const tr of this.out.querySelectorAll(".review-table tbody tr")) {
      tr.classList.toggle("selected", tr.dataset.code === code);
      if (!fly && tr.dataset.code === code) tr.scrollIntoView({ block: "nearest" });
    }
    const row = this.review?.model.rows.find((r) => r.code === code);
    let geometry = row?.feature?.geometry ?? null;
    if (!geometry) {
      // Grids fetched whole hold whole outlines; tiles only pieces cut at their edges: then the store's.
      const layers = window.gridmap?.layers;
      geometry = layers && !layers.isTiled?.("grids") ? layers.findLoaded?.("grids", "code", code)?.geometry ?? null : null;
      if (!geometry) try { geometry = (await getFeature("grids", code)).geometry; } catch { geometry = null; }
    }
    if (this.selected !== code) return;
    this.outline(geometry);
    const box = fly && geometry && bboxOf(geometry);
    if (box) this.fit(box, 17);
    const details = this.out.querySelector(`.review-moves details[data-code="${code}"]`);
    if (details) details.open = true;
  }

  outline(geometry) {
    this.map.getSource("proposal-selected").setData(geometry ? { type: "Feature", geometry, properties: {} } : empty());
  }

  flyToBuilding(m) {
    const g = m.feature?.geometry;
    if (!g) return;
    this.outline(g);
    const box = bboxOf(g);
    this.map.flyTo({ center: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], zoom: Math.max(this.map.getZoom(), 17) });
  }

  // ---- accept, discard ----

  async accept() {
    const job = this.job;
    this.actionError = null;
    this.conflict = null;
    try {
      const r = await acceptJob(job.id);
      this.clearReview();
      this.notice = { kind: "accepted", r };
      this.follow({ ...job, status: "accepted" });
      this.onAccepted(r);
    } catch (e) {
      if (e.status === 409 && (e.code === "changed_since_read" || e.codes?.includes("changed_since_read"))) this.conflict = e;
      else this.actionError = e;
      this.render(this.job);
    }
  }

  async discard() {
    const job = this.job;
    this.stopPolling();
    this.clearReview();
    if (job && (job.status === "queued" || job.status === "running")) {
      try { this.follow(await cancelJob(job.id)); } catch (e) { this.renderError(e, { id: job.id }, "取消失败: "); }
    } else {
      this.notice = { kind: "discarded" };
      this.render(job ?? { status: "done" });
    }
  }

  // ---- the panel ----

  /** A refusal in Chinese (i18n.js); the server's English detail is the tooltip. */
  renderError(e, context = {}, prefix = "") {
    this.out.hidden = false;
    this.root.classList.remove("reviewing");
    const text = typeof e === "string" ? e : problemText(e, context);
    const attrs = { class: "error" };
    if (e?.code) attrs["data-code"] = e.code;
    if (e?.message && typeof e !== "string") attrs.title = e.message;
    this.out.replaceChildren(el("p", attrs, `${prefix}${text}`));
  }

  render(job, { drawing = false } = {}) {
    if (job !== this.job && job.id) this.job = job;
    this.out.hidden = false;
    const running = job.status === "queued" || job.status === "running";
    const review = job.status === "done" ? this.review : null;
    this.root.classList.toggle("reviewing", Boolean(review));
    this.foldForm(Boolean(review) && !this.editingForm);
    if (running || drawing) this.notice = null;
    const parts = [
      el("p", { class: "partition-status", "data-status": job.status ?? "" }, `状态: ${STATUS[job.status] ?? job.status}${drawing ? "，正在载入方案…" : ""}`),
      running ? el("progress", { max: "1", value: String(job.progress ?? 0) }) : null,
    ];
    if (job.status === "failed") {
      parts.push(el("p", { class: "error partition-failure", title: job.error ?? "" }, failureText(job.error)));
    } else if (job.error) {
      parts.push(el("p", { class: "error", title: job.error }, failureText(job.error)));
    }
    if (this.notice?.kind === "accepted") {
      const r = this.notice.r ?? {};
      parts.push(el("p", { class: "partition-accepted" },
        `已接受方案：${r.grids} 个网格写入${r.deleted ? `，撤销 ${r.deleted} 个旧网格` : ""}，${r.buildings_updated} 栋楼更新网格编码。地图已刷新。`));
      parts.push(this.bandOffer(job));
    } else if (this.notice?.kind === "discarded") {
      parts.push(el("p", { class: "review-discarded" }, "已放弃方案，现有网格没有改变。"));
    }
    // A refused accept is said first, where the planner is looking.
    const refusal = this.conflict ? this.conflictPart(this.conflict)
      : this.actionError ? el("p", { class: "error review-refused", "data-code": this.actionError.code ?? "", title: this.actionError.message ?? "" },
        `接受失败：${problemText(this.actionError, { id: job.id })}`) : null;
    parts.push(refusal);
    if (job.report && !this.notice) parts.push(...this.reportParts(job, review));
    if (review) parts.push(...this.reviewParts(review));
    parts.push(this.actions(job, running));
    this.out.replaceChildren(...parts.filter(Boolean));
    if (review) this.setMode(this.mode);
    if (refusal) this.root.scrollTop = 0;
  }

  /**
   * After accepting grids drawn for other bounds than the community's band: the map colours them by that band, so offer
   * to make the job's bounds the community's own (PUT /api/settings/band?community=, If-Match the version read).
   */
  bandOffer(job) {
    const b = this.boundsOf(job);
    if (this.notice?.band === "set") return el("p", { class: "band-set" }, `本社区户数标准已改为 ${b.min}–${b.max} 户（目标 ${b.target}），网格按新标准着色。`);
    const band = this.band;
    if (!/^\d{12}$/.test(job.scope ?? "") || band?.scope !== job.scope || (band.min === b.min && band.max === b.max)) return null;
    const e = this.notice?.bandError;
    return el("div", { class: "band-offer" },
      el("p", {}, `本社区的户数标准仍是 ${band.min}–${band.max} 户，地图和网格体检按它判断新网格是否达标。`),
      el("button", { type: "button", class: "band-offer-set", onclick: () => this.setCommunityBand(job) }, `设为本社区标准（${b.min}–${b.max} 户）`),
      e ? el("p", { class: "error", "data-code": e.code ?? "", title: e.message ?? "" }, `设置失败：${problemText(e)}`) : null);
  }

  async setCommunityBand(job) {
    const b = this.boundsOf(job);
    const scope = job.scope;
    const path = `/api/settings/band?community=${encodeURIComponent(scope)}`;
    let ok = false;
    try {
      const current = await getJson(path);
      await sendJson("PUT", path, { min: b.min, max: b.max, target: b.target }, { headers: { "If-Match": `"${current.version ?? 0}"` } });
      this.band = { ...b, community: scope, scope };
      this.notice = { ...this.notice, band: "set", bandError: null };
      ok = true;
    } catch (e) {
      this.notice = { ...this.notice, bandError: e };
    }
    this.render(this.job);
    this.checkFresh();
    // Grids carry band_status computed with the band in force: fetch them again.
    if (ok) await window.gridmap?.reloadLayers?.(["grids"]);
  }

  /** Folds the form into a line naming the scope and bounds of the job under review, or unfolds it. */
  foldForm(fold) {
    this.form.hidden = fold;
    this.formSummary.hidden = !fold;
    if (!fold) return;
    const j = this.job ?? {};
    const b = this.boundsOf(j);
    this.formSummary.replaceChildren(
      el("span", {}, el("span", { class: "grid-code" }, j.scope ?? ""), ` · ${b.min}–${b.max} 户（目标 ${b.target}）${j.parameters?.fresh ? " · 忽略现有网格" : ""}`),
      el("button", { type: "button", class: "linkish-inline", onclick: () => { this.editingForm = true; this.foldForm(false); } }, "修改"));
  }

  /** The report: grids, band, households, moves, split compounds, non-contiguous grids, out-of-band grids with reasons. */
  reportParts(job, review) {
    const r = job.report;
    const b = this.boundsOf(job);
    // The band is for basic grids: dedicated ones (专属网格) hold no household target.
    const basic = r.grids - (r.dedicated ?? 0);
    const share = basic ? Math.round((1000 * r.in_band) / basic) / 10 : 0;
    const necks = (r.narrow_necks ?? []).filter((n) => !n.excused);
    const crossings = r.crossed_roads ?? [];
    const row = (label, value, attrs = {}) => el("div", { class: "row", ...attrs }, el("dt", {}, label), el("dd", {}, value));
    const m = review?.model;
    const counts = m ? `（新 ${m.counts.new} · 保留 ${m.counts.kept} · 撤销 ${m.counts.retired}）` : "";
    const parts = [el("dl", { class: "facts partition-report" },
      row("网格", `${r.grids} 个${counts}`),
      row("达标", `${r.in_band} 个 (${share}%) 在 ${b.min}–${b.max} 户之间${r.below || r.above ? `；不足 ${r.below} · 超出 ${r.above}` : ""}`, { "data-fact": "in_band" }),
      r.dedicated ? row("专属网格", `${r.dedicated} 个（单位、学校、医院、商业用地、空地，不计户数标准）`, { "data-fact": "dedicated" }) : null,
      row("户数", `${num(r.households)} 户, ${num(r.units)} 栋`),
      m ? row("移动", el("span", { class: "review-moved-count", "data-buildings": String(m.movedBuildings), "data-households": String(m.movedHouseholds) },
        `移动 ${num(m.movedBuildings)} 栋 / ${m.householdsKnown ? "" : "约 "}${num(m.movedHouseholds)} 户`)) : null,
      r.churn != null && !m ? row("调整", `${r.churn} 栋楼换了网格`) : null,
      row("拆分小区", el("span", { class: r.split_compounds ? "warn" : "" }, r.split_compounds ? `${r.split_compounds} 个小区被分到多个网格` : "无"), { "data-fact": "split_compounds" }),
      row("不连片", el("span", { class: r.noncontiguous ? "warn" : "" }, r.noncontiguous ? `${r.noncontiguous} 个网格不连片` : "无"), { "data-fact": "noncontiguous" }),
      row("窄颈", el("span", { class: necks.length ? "warn" : "" }, necks.length ? `${necks.length} 个网格仅靠不足 10 米的窄条相连` : "无"), { "data-fact": "narrow_necks" }),
      r.crossed_roads ? row("跨主干道", el("span", { class: crossings.some((c) => c.reason === "none") ? "warn" : "" },
        !crossings.length ? "无" : crossings.some((c) => c.reason === "none")
          ? `${crossings.length} 处，其中 ${crossings.filter((c) => c.reason === "none").length} 处无原因` : `${crossings.length} 处，均有原因`), { "data-fact": "crossed_roads" }) : null,
      row("用时", `${r.seconds?.toFixed?.(2) ?? r.seconds} 秒`))];
    if (r.out_of_band?.length) {
      parts.push(el("h3", {}, `未达标网格 (${r.out_of_band.length})`),
        el("ul", { class: "out-of-band" }, ...r.out_of_band.map((o) => {
          const band = o.households < b.min ? "below" : "above";
          return el("li", { "data-code": o.code, "data-reason": o.reason ?? "" },
            el("button", { type: "button", class: "linkish-inline", onclick: () => { if (this.review) this.select(String(o.code)); } }, el("span", { class: "grid-code" }, o.code)),
            ` ${num(o.households)} 户 `, el("span", { class: `band-chip band-${band}` }, BAND_WORDS[band]),
            el("span", { class: "reason", title: o.reason ?? "" }, ` ${reasonText(o.reason)}`));
        })));
    }
    if (crossings.length) {
      parts.push(el("details", { class: "crossed-roads" },
        el("summary", {}, `跨越主干道的网格 (${crossings.length})`),
        el("ul", {}, ...crossings.map((c) => el("li", { "data-code": c.grid, "data-reason": c.reason },
          el("button", { type: "button", class: "linkish-inline", onclick: () => { if (this.review) this.select(String(c.grid)); } }, el("span", { class: "grid-code" }, c.grid)),
          ` ${c.name ?? c.highway} ${Math.round(c.length_m)} 米 `, el("span", { class: "reason", title: c.reason }, c.reason === "none" ? "无原因（应按道路划分）" : reasonText(c.reason)))))));
    }
    return parts;
  }

  reviewParts(review) {
    const legend = el("ul", { class: "review-legend" },
      el("li", {}, el("span", { class: "rl-line rl-current" }), "现有网格（实线）"),
      el("li", {}, el("span", { class: "rl-line rl-proposal" }), "方案网格（虚线，按户数着色）"),
      el("li", {}, el("span", { class: "rl-moved" }), "移动的楼栋"),
      ...GRID_BANDS.map((b) => el("li", {}, el("span", { class: "rl-fill", style: `--c: ${b.color}` }), BAND_WORDS[b.key])));
    const modes = el("div", { class: "review-modes", role: "group", "aria-label": "显示" },
      ...MODES.map((m) => el("button", { type: "button", "data-mode": m.key, title: m.title, "aria-pressed": String(this.mode === m.key), onclick: () => this.setMode(m.key) }, m.label)));
    this.tbody = el("tbody");
    this.thead = el("thead");
    const table = el("table", { class: "review-table" }, this.thead, this.tbody);
    this.renderTable();
    return [
      el("div", { class: "review-view" }, modes, legend),
      el("h3", {}, `网格 (${review.model.rows.length})`, el("span", { class: "muted hint" }, " 点击一行在地图上查看")),
      el("div", { class: "review-table-wrap" }, table),
      this.movesPart(review.model),
    ];
  }

  renderTable() {
    const { model, bounds } = this.review;
    this.thead.replaceChildren(el("tr", {}, ...Object.entries(SORT_LABELS).map(([key, label]) => el("th", { "aria-sort": this.sort === key ? (key === "code" ? "ascending" : "descending") : "none" },
      el("button", { type: "button", "data-sort": key, title: key === "worst" ? "最不达标的在前" : `按${label}排序`, onclick: () => { this.sort = key; this.renderTable(); } }, label)))));
    const rows = sortRows(model.rows, this.sort, bounds).map((r) => {
      const badge = STATUS_WORDS[r.status] ? el("span", { class: `status-badge status-${r.status}` }, STATUS_WORDS[r.status]) : null;
      const bandCell = r.band ? el("span", { class: `band-chip band-${r.band}`, title: reasonText(r.reason) }, BAND_WORDS[r.band]) : el("span", { class: "muted" }, "—");
      const moves = [r.moveIn.length ? el("span", { class: "mv-in", title: "迁入楼栋" }, `+${r.moveIn.length}`) : null,
        r.moveOut.length ? el("span", { class: "mv-out", title: "迁出楼栋" }, `−${r.moveOut.length}`) : null].filter(Boolean);
      return el("tr", { "data-code": r.code, "data-status": r.status, "data-band": r.band ?? "", class: this.selected === r.code ? "selected" : "", onclick: () => this.select(r.code), tabindex: "0",
        onkeydown: (e) => { if (e.key === "Enter") this.select(r.code); } },
      el("td", {}, el("span", { class: "grid-code" }, r.code), badge),
      el("td", { class: "hh" }, el("span", { class: "hh-before" }, r.status === "new" ? "—" : num(r.before)), " → ",
        el("span", { class: "hh-after" }, r.status === "retired" ? "—" : num(r.after))),
      el("td", {}, bandCell),
      el("td", { class: "moves" }, ...(moves.length ? moves : [el("span", { class: "muted" }, "0")])));
    });
    this.tbody.replaceChildren(...rows);
  }

  /** The buildings that move, per grid: what comes in (from where) and what goes out (to where). */
  movesPart(model) {
    const grids = model.rows.filter((r) => r.moveIn.length || r.moveOut.length).sort((a, b) => a.code.localeCompare(b.code));
    const hh = (list) => list.reduce((s, m) => s + (m.households ?? 0), 0);
    const item = (m, dir) => el("li", {},
      el("button", { type: "button", class: "linkish-inline", title: "在地图上查看", onclick: () => this.flyToBuilding(m) }, m.building),
      m.households != null ? ` ${m.households} 户` : "",
      el("span", { class: "muted" }, dir === "in" ? ` 自 ${m.from ? gridSeq(m.from) : "（无网格）"}` : ` → ${gridSeq(m.to)}`));
    return el("section", { class: "review-moves" },
      el("h3", {}, `移动的楼栋：${num(model.movedBuildings)} 栋 / ${num(model.movedHouseholds)} 户`),
      grids.length ? null : el("p", { class: "muted" }, "没有楼栋换网格"),
      ...grids.map((r) => el("details", { "data-code": r.code },
        el("summary", {}, el("span", { class: "grid-code" }, gridSeq(r.code)),
          r.moveIn.length ? ` 迁入 ${r.moveIn.length} 栋 / ${num(hh(r.moveIn))} 户` : "",
          r.moveIn.length && r.moveOut.length ? " ·" : "",
          r.moveOut.length ? ` 迁出 ${r.moveOut.length} 栋` : ""),
        r.moveIn.length ? el("ul", { class: "move-list move-in" }, ...r.moveIn.map((m) => item(m, "in"))) : null,
        r.moveOut.length ? el("ul", { class: "move-list move-out" }, ...r.moveOut.map((m) => item(m, "out"))) : null)));
  }

  /** 409 changed_since_read: how many grids and buildings changed, and the way on (重新运行). */
  conflictPart(e) {
    const c = changedCounts(e.problem);
    const what = [c.grids ? `${c.grids} 个网格` : null, c.buildings ? `${c.buildings} 栋楼` : null, c.other ? `${c.other} 项其他数据` : null].filter(Boolean).join("、")
      || "相关的网格或楼栋";
    const list = c.list.slice(0, 20).map((x) => el("li", {}, `${x.layer === "grids" ? "网格" : x.layer === "buildings" ? "楼栋" : x.layer} ${x.id}`,
      el("span", { class: "muted" }, x.current ? ` 版本 ${x.read} → ${x.current}` : " 已删除")));
    return el("div", { class: "review-conflict", role: "alert", "data-code": "changed_since_read" },
      el("p", { class: "error", title: e.message ?? "" }, `方案未写入：计算方案之后，${what}已被修改（如户数更正、网格编辑）。现有网格保持不变；请重新运行划分，基于最新数据生成方案。`),
      c.list.length ? el("details", {}, el("summary", {}, "查看变化"), el("ul", { class: "changed-list" }, ...list,
        c.list.length > 20 ? el("li", { class: "muted" }, `等 ${c.list.length} 项`) : null)) : null);
  }

  actions(job, running) {
    const b = (label, onclick, cls = "") => el("button", { type: "button", class: cls, onclick }, label);
    const done = job.status === "done";
    const canRerun = job.id && (this.conflict || ["failed", "cancelled"].includes(job.status));
    return el("div", { class: "partition-actions" },
      done && this.review && !this.conflict && !this.notice ? b("接受方案", () => this.accept(), "primary review-accept") : null,
      canRerun ? b("重新运行", () => this.rerun(job), "primary review-rerun") : null,
      running ? b("取消", () => this.discard()) : null,
      done && !this.notice ? b("放弃", () => this.discard(), "review-discard") : null);
  }
}
