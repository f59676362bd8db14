// Search box: grid codes, compound names and grid worker names via /api/search.
import { search } from "./api.js";
import { LAYER_LABELS } from "./domain.js";
import { problemText } from "./i18n.js";
import { el } from "./panel.js";

/** Wires the form; returns a function that closes the result list (e.g. when the map is tapped). */
export function setupSearch(form, resultsList, { onPick }) {
  const input = form.querySelector("input");
  let controller = null;
  let timer = 0;

  const clear = () => { resultsList.replaceChildren(); resultsList.hidden = true; };

  async function run() {
    const q = input.value.trim();
    controller?.abort();
    if (!q) return clear();
    controller = new AbortController();
    try {
      const { results = [] } = await search(q, 20, controller.signal);
      resultsList.hidden = false;
      resultsList.replaceChildren(...(results.length ? results.map((r) =>
        el("li", {}, el("button", { type: "button", class: "result", onclick: () => { clear(); onPick(r); } },
          el("span", { class: "result-layer" }, LAYER_LABELS[r.layer] ?? r.layer),
          el("span", { class: "result-label" }, r.label ?? r.id),
          // The id (a grid's code) is what field teams type: show it when the label lacks it.
          r.label && !String(r.label).includes(r.id) ? el("span", { class: "result-id muted" }, r.id) : null)))
        : [el("li", { class: "muted empty" }, "没有结果")]));
    } catch (e) {
      if (e.name === "AbortError") return;
      resultsList.hidden = false;
      resultsList.replaceChildren(el("li", { class: "error", title: e.message }, `搜索失败: ${problemText(e)}`));
    }
  }

  // Typing searches after a pause; Enter searches at once (and picks a lone result).
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 300); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    await run();
    const buttons = resultsList.querySelectorAll("button.result");
    if (buttons.length === 1) buttons[0].click();
  });
  input.addEventListener("keydown", (e) => { if (e.key === "Escape") { input.value = ""; clear(); } });
  return clear;
}
