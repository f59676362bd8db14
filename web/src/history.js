// A grid's history in the side panel: who changed it, when and how, with its households and buildings at each version.
// Planners restore an older version in two steps: a dry run (the server moves the buildings back through the assign
// engine and says which grids change and how), then the write, naming the versions the dry run read. The rules are
// the server's (docs/history.md); this module only asks and shows.
import { getJson, sendJson } from "./api.js";
import { may } from "./account.js";
import { warningText } from "./editor/api.js";
import { problemText } from "./i18n.js";
import { el, has } from "./panel.js";

export const CHANGE_KINDS = {
  create: "新建", replace: "修改", delete: "删除", import: "导入", assign: "调整楼栋", rebalance: "重新平衡",
  partition_accept: "采用划分方案", recoding: "重新编码", restore: "恢复版本", revert: "撤销变更", settings: "设置",
  seed: "示例数据", apply: "批量写入",
};

export const when = (iso) => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? "");
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

const facts = (props) => {
  if (!props) return null;
  // unit_ids name buildings, or stairwells of split buildings as "building/unit": count buildings.
  const units = Array.isArray(props.unit_ids) ? new Set(props.unit_ids.map((u) => String(u).split("/")[0])).size : null;
  return [has(props.households) ? `${props.households} 户` : null, units != null ? `${units} 栋` : null].filter(Boolean).join(" · ");
};

export const historyPath = (layer, id) => `/api/layers/${encodeURIComponent(layer)}/features/${encodeURIComponent(id)}`;

/**
 * The history of one grid, drawn into `container`. `onRestored(code)` runs after a restore is written (the map then
 * reloads its layers and shows the grid again).
 */
export class GridHistory {
  constructor(container, code, { onRestored = () => {} } = {}) {
    this.container = container;
    this.code = code;
    this.onRestored = onRestored;
    this.history = null;
  }

  async load() {
    this.container.replaceChildren(el("p", { class: "muted" }, "正在读取历史…"));
    try {
      this.history = await getJson(`${historyPath("grids", this.code)}/history?limit=50`);
      this.render();
    } catch (e) {
      this.container.replaceChildren(el("p", { class: "error", title: e.message }, `无法读取历史: ${problemText(e)}`));
    }
  }

  render(message = null) {
    const h = this.history;
    const entries = h.entries ?? [];
    // Entry i's old value is version i.version_before; the newest entry's after-state is the current version.
    const rows = entries.map((e) => {
      const old = e.old?.properties ?? null;
      const restorable = may("planner") && old && e.version_before !== h.current_version;
      return el("li", { class: "history-entry" },
        el("div", { class: "history-head" },
          el("span", { class: "history-kind" }, CHANGE_KINDS[e.kind] ?? e.kind),
          el("span", { class: "history-who" }, `${e.author} · ${when(e.at)}`)),
        has(e.summary) ? el("div", { class: "history-summary muted" }, e.summary) : null,
        old ? el("div", { class: "history-old" },
          `此前 v${e.version_before}：${facts(old) || "—"}`,
          restorable ? el("button", { type: "button", class: "linkish-inline history-restore", onclick: () => this.preview(e.version_before) },
            `恢复到 v${e.version_before}`) : null)
          : el("div", { class: "history-old muted" }, e.version_before === 0 ? "创建" : ""));
    });
    this.container.replaceChildren(
      el("h3", {}, `网格历史（当前 v${h.current_version}）`),
      message,
      rows.length ? el("ol", { class: "history" }, ...rows) : el("p", { class: "muted" }, "没有记录"));
  }

  /** The dry run: what restoring `version` would move, with Confirm and Cancel. */
  async preview(version) {
    const note = el("div", { class: "history-preview", role: "status" }, el("p", { class: "muted" }, "正在预览…"));
    this.render(note);
    let answer;
    try {
      answer = await sendJson("POST", `${historyPath("grids", this.code)}/restore`, { version, dry_run: true },
        { headers: { "If-Match": `"${this.history.current_version}"` } });
    } catch (e) {
      note.replaceChildren(el("p", { class: "error", title: e.message }, problemText(e)));
      return;
    }
    const moved = Object.keys(answer.touched?.buildings ?? {}).length;
    const grids = (answer.features ?? []).map((f) => el("li", {},
      el("span", { class: "grid-code" }, String(f.id ?? f.properties?.code)), ` ${facts(f.properties)}`));
    const warnings = (answer.warnings ?? []).map((w) => el("li", { "data-code": w.code }, warningText(w)));
    const confirm = el("button", { type: "button", class: "primary", onclick: () => this.write(version, answer.touched?.grids ?? {}, note) }, "确认恢复");
    note.replaceChildren(
      el("p", {}, `恢复到 v${version} 将移动 ${moved} 栋楼，涉及 ${grids.length} 个网格：`),
      el("ul", { class: "history-grids" }, ...grids),
      warnings.length ? el("ul", { class: "warnings" }, ...warnings) : null,
      el("div", { class: "partition-actions" }, confirm,
        el("button", { type: "button", onclick: () => this.render() }, "取消")));
  }

  async write(version, versions, note) {
    note.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      await sendJson("POST", `${historyPath("grids", this.code)}/restore`, { version, versions },
        { headers: { "If-Match": `"${this.history.current_version}"` } });
    } catch (e) {
      note.replaceChildren(el("p", { class: "error", title: e.message }, problemText(e)));
      return;
    }
    await this.onRestored(this.code);
    await this.load();
    this.container.prepend(el("p", { class: "history-done", role: "status" }, `已恢复到 v${version} 的楼栋归属`));
  }
}
