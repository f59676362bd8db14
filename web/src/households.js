// Correcting a building's households from the side panel: planners anywhere in their scope, grid workers in their own
// grids when their account allows it (docs/security.md). The write names the version read; the server recounts the
// compound and the grids (one household total) and refuses anything else a worker would change.
import { getFeature, sendJson } from "./api.js";
import { account, may } from "./account.js";
import { problemText } from "./i18n.js";
import { el } from "./panel.js";
import { historyPath } from "./history.js";

/** Whether the signed-in account may correct this building's households (the server checks again). */
export function mayCorrect(building, gridCode) {
  if (!building?.id || building.households_rule === "compound_remainder") return false;
  if (may("planner")) return true;
  const me = account();
  if (me.role !== "worker" || !me.can_edit_households) return false;
  const grids = [gridCode, ...(building.grid_codes ?? [])].filter(Boolean);
  return grids.some((g) => (me.grids ?? []).includes(String(g)));
}

/** The inline form: a number and 保存; `onSaved()` runs after the write (the map reloads and looks the point up again). */
export function correctionForm(building, { onSaved = () => {} } = {}) {
  const input = el("input", { type: "number", min: "0", max: "100000", step: "1", inputmode: "numeric", name: "households", "aria-label": "户数" });
  input.value = String(building.households ?? "");
  const error = el("p", { class: "error", role: "alert" });
  error.hidden = true;
  const save = el("button", { type: "submit", class: "primary" }, "保存");
  const form = el("form", { class: "households-form" }, el("label", {}, "实际户数 ", input), save, error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const n = Number(input.value);
    if (!Number.isInteger(n) || n < 0 || n > 100000) {
      error.textContent = "请输入 0–100000 之间的整数";
      error.hidden = false;
      return;
    }
    save.disabled = true;
    error.hidden = true;
    try {
      // Read the building as stored, change only its households, and name the version read.
      const f = await getFeature("buildings", building.id);
      const version = f.version;
      delete f.version;
      f.properties = { ...f.properties, households: n };
      delete f.properties.households_estimated;
      delete f.properties.households_rule;
      await sendJson("PUT", historyPath("buildings", building.id), f, { headers: { "If-Match": `"${version}"`, "Content-Type": "application/geo+json" } });
      await onSaved();
    } catch (err) {
      error.textContent = problemText(err, { layer: "buildings", id: building.id });
      error.hidden = false;
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
