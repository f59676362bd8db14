// 网格划分: a planner starts a partition job for a community (or a street, a district, "all"), follows its progress,
// reviews the proposed grids on the map (dashed outlines with their households) and accepts them into the store or
// discards them. Jobs live in the store, so the page can be reloaded and any server replica can answer.
import { acceptJob, cancelJob, getJob, getProposal, startPartition } from "./api.js";
import { extentOf } from "./geo.js";
import { problemText } from "./i18n.js";
import { el } from "./panel.js";

const REASONS = {
  area_below_min: "社区总户数不足下限",
  oversized_unit: "单栋户数超过上限",
  no_contiguous_fit: "相邻组合无法达标",
};
const STATUS = { queued: "排队中", running: "计算中", done: "已完成", failed: "失败", cancelled: "已取消", accepted: "已采用" };
const POLL_MS = 400;

export class PartitionPanel {
  /**
   * @param root the panel <section>
   * @param map the maplibregl.Map the proposal is drawn on
   * @param onAccepted called after a proposal was accepted (to reload the grids)
   */
  constructor(root, map, { onAccepted = () => {} } = {}) {
    this.root = root;
    this.map = map;
    this.onAccepted = onAccepted;
    this.form = root.querySelector(".partition-form");
    this.out = root.querySelector(".partition-job");
    this.job = null;
    this.timer = 0;
    root.querySelector(".info-close").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.start(); });

    map.addSource("proposal", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({
      id: "proposal-fill", type: "fill", source: "proposal",
      paint: { "fill-color": ["case", ["get", "in_band"], "#33a02c", "#e31a1c"], "fill-opacity": 0.12 },
    });
    map.addLayer({
      id: "proposal-line", type: "line", source: "proposal",
      paint: { "line-color": "#b15928", "line-width": 2, "line-dasharray": [2, 1.5] },
    });
  }

  open(scope) {
    this.root.hidden = false;
    if (scope) this.form.elements.scope.value = scope;
    this.form.elements.scope.focus();
  }

  close() {
    this.root.hidden = true;
    this.stopPolling();
    this.showProposal(null);
  }

  async start() {
    const f = this.form.elements;
    const body = { scope: f.scope.value.trim(), min: Number(f.min.value), max: Number(f.max.value), target: Number(f.target.value) };
    this.showProposal(null);
    this.render({ status: "queued", progress: 0 });
    try {
      this.follow(await startPartition(body));
    } catch (e) {
      this.renderError(e, { scope: body.scope });
    }
  }

  follow(job) {
    this.job = job;
    // A finished job says 已完成 once its proposal is on the map, not before.
    this.render(job, { drawing: job.status === "done" });
    this.stopPolling();
    if (job.status === "queued" || job.status === "running") {
      this.timer = setTimeout(async () => {
        try {
          this.follow(await getJob(job.id));
        } catch (e) {
          this.renderError(e, { id: job.id });
        }
      }, POLL_MS);
    } else if (job.status === "done") {
      this.loadProposal(job);
    }
  }

  stopPolling() {
    clearTimeout(this.timer);
    this.timer = 0;
  }

  async loadProposal(job) {
    try {
      const fc = await getProposal(job.id);
      const min = job.parameters?.min ?? 200;
      const max = job.parameters?.max ?? 300;
      for (const g of fc.features) g.properties.in_band = g.properties.households >= min && g.properties.households <= max;
      this.showProposal(fc);
      await this.sourceLoaded();
      if (this.job?.id === job.id && this.job.status === "done") this.render(this.job);
      const extent = extentOf(fc.features);
      if (extent) this.map.fitBounds([[extent[0], extent[1]], [extent[2], extent[3]]], { padding: 60, maxZoom: 17 });
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

  showProposal(fc) {
    this.map.getSource("proposal").setData(fc ?? { type: "FeatureCollection", features: [] });
  }

  async accept() {
    try {
      const r = await acceptJob(this.job.id);
      this.showProposal(null);
      this.follow({ ...this.job, status: "accepted" });
      this.out.append(el("p", { class: "partition-accepted" }, `已采用: ${r.grids} 个网格写入, ${r.buildings_updated} 栋楼更新网格编码`));
      this.onAccepted(r);
    } catch (e) {
      this.renderError(e, { id: this.job.id }, "采用失败: ");
    }
  }

  async discard() {
    const job = this.job;
    this.stopPolling();
    this.showProposal(null);
    if (job && (job.status === "queued" || job.status === "running")) {
      try { this.follow(await cancelJob(job.id)); } catch (e) { this.renderError(e, { id: job.id }, "取消失败: "); }
    } else {
      this.out.hidden = true;
    }
  }

  /** A refusal in Chinese (i18n.js); the server's English detail is the tooltip. */
  renderError(e, context = {}, prefix = "") {
    this.out.hidden = false;
    const text = typeof e === "string" ? e : problemText(e, context);
    const attrs = { class: "error" };
    if (e?.code) attrs["data-code"] = e.code;
    if (e?.message && typeof e !== "string") attrs.title = e.message;
    this.out.replaceChildren(el("p", attrs, `${prefix}${text}`));
  }

  render(job, { drawing = false } = {}) {
    this.out.hidden = false;
    const running = job.status === "queued" || job.status === "running";
    const parts = [
      el("p", { class: "partition-status" }, `状态: ${STATUS[job.status] ?? job.status}${drawing ? "，正在载入方案…" : ""}`),
      running ? el("progress", { max: "1", value: String(job.progress ?? 0) }) : null,
    ];
    const r = job.report;
    if (r) {
      const share = r.grids ? Math.round((1000 * r.in_band) / r.grids) / 10 : 0;
      parts.push(el("dl", { class: "facts partition-report" },
        el("div", { class: "row" }, el("dt", {}, "网格"), el("dd", {}, `${r.grids} 个`)),
        el("div", { class: "row" }, el("dt", {}, "达标"), el("dd", {}, `${r.in_band} 个 (${share}%) 在 ${job.parameters?.min ?? 200}–${job.parameters?.max ?? 300} 户之间`)),
        el("div", { class: "row" }, el("dt", {}, "户数"), el("dd", {}, `${r.households} 户, ${r.units} 栋`)),
        r.churn != null ? el("div", { class: "row" }, el("dt", {}, "调整"), el("dd", {}, `${r.churn} 栋楼换了网格`)) : null,
        el("div", { class: "row" }, el("dt", {}, "用时"), el("dd", {}, `${r.seconds?.toFixed?.(2) ?? r.seconds} 秒`))));
      if (r.out_of_band?.length) {
        parts.push(el("h3", {}, `未达标网格 (${r.out_of_band.length})`),
          el("ul", { class: "out-of-band" }, ...r.out_of_band.map((o) =>
            el("li", {}, el("span", { class: "grid-code" }, o.code), ` ${o.households} 户 · ${REASONS[o.reason] ?? o.reason}`))));
      }
    }
    if (job.error) parts.push(el("p", { class: "error" }, job.error));
    const actions = el("div", { class: "partition-actions" },
      job.status === "done" ? el("button", { type: "button", class: "primary", onclick: () => this.accept() }, "采用方案") : null,
      running || job.status === "done" ? el("button", { type: "button", onclick: () => this.discard() }, running ? "取消" : "放弃") : null);
    parts.push(actions);
    this.out.replaceChildren(...parts.filter(Boolean));
  }
}
