// 变更记录: every change set, newest first — who, when, what kind, how many features of each layer — and 撤销 for those
// whose role writes every layer it touched. The server checks scope and whether later changes touched the same
// features (409 changed_since_read: revert those first); this panel only asks and shows (docs/history.md).
import { getJson, postJson } from "./api.js";
import { mayWrite } from "./account.js";
import { LAYER_LABELS } from "./domain.js";
import { CHANGE_KINDS, when } from "./history.js";
import { problemText } from "./i18n.js";
import { el, has } from "./panel.js";

const PAGE = 30;

export class ChangesPanel {
  /** `onReverted()` runs after a revert is written (the map reloads its layers). */
  constructor(root, { onReverted = () => {} } = {}) {
    this.root = root;
    this.body = root.querySelector(".changes-body");
    this.onReverted = onReverted;
    this.list = el("ol", { class: "changes" });
    this.more = el("button", { type: "button", class: "changes-more", onclick: () => this.load(false) }, "更多");
    this.note = el("p", { class: "changes-note", role: "status" });
    this.note.hidden = true;
    this.body.replaceChildren(this.note, this.list, this.more);
    this.next = null;
    root.querySelector(".info-close").addEventListener("click", () => this.close());
  }

  open() {
    this.root.hidden = false;
    return this.load(true);
  }

  close() {
    this.root.hidden = true;
  }

  say(text, error = false) {
    this.note.textContent = text;
    this.note.className = error ? "changes-note error" : "changes-note";
    this.note.hidden = !text;
  }

  async load(fresh) {
    const path = fresh || !this.next ? `/api/changes?limit=${PAGE}` : this.next;
    this.more.disabled = true;
    try {
      const page = await getJson(path);
      if (fresh) this.list.replaceChildren();
      this.list.append(...page.changes.map((c) => this.row(c)));
      this.next = page.next ?? null;
      this.more.hidden = !this.next;
      if (fresh && !page.changes.length) this.say("还没有任何变更");
    } catch (e) {
      this.say(`无法读取变更记录: ${problemText(e)}`, true);
    } finally {
      this.more.disabled = false;
    }
  }

  row(c) {
    const counts = Object.entries(c.counts ?? {}).map(([layer, n]) => `${LAYER_LABELS[layer] ?? layer} ${n}`).join("、");
    const layers = Object.keys(c.counts ?? {});
    const revertible = layers.length > 0 && !has(c.reverted_by) && layers.every(mayWrite);
    const state = has(c.reverted_by) ? el("span", { class: "changes-state muted" }, `已被 #${c.reverted_by} 撤销`)
      : has(c.reverts) ? el("span", { class: "changes-state muted" }, `撤销了 #${c.reverts}`) : null;
    const li = el("li", { class: "change", "data-id": String(c.id) },
      el("div", { class: "history-head" },
        el("span", { class: "history-kind" }, `#${c.id} ${CHANGE_KINDS[c.kind] ?? c.kind}`),
        el("span", { class: "history-who" }, `${c.author} · ${when(c.at)}`)),
      has(c.summary) ? el("div", { class: "history-summary muted" }, c.summary) : null,
      el("div", { class: "history-old" }, counts || "未改动要素", state,
        revertible ? el("button", { type: "button", class: "linkish-inline change-revert", onclick: () => this.revert(c, li) }, "撤销") : null));
    return li;
  }

  async revert(c, li) {
    const button = li.querySelector(".change-revert");
    if (!window.confirm(`撤销变更 #${c.id}（${CHANGE_KINDS[c.kind] ?? c.kind}）？所涉要素将恢复到这次变更之前的状态。`)) return;
    button.disabled = true;
    try {
      const r = await postJson(`/api/changes/${c.id}/revert`);
      this.say(`已撤销 #${c.id}（新变更 #${r.change}）`);
      await this.onReverted();
      await this.load(true);
    } catch (e) {
      this.say(problemText(e), true);
      button.disabled = false;
    }
  }
}
