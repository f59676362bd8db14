// 网格划分 review, without DOM or map: what accepting a proposal would change. Grids before → after (new, kept,
// retired), their band after, and the buildings that move, per grid. The server sends this as the proposal's foreign
// member `changes` (`{grids: [{code, before, after, status}], moved: [{building, from, to}]}`); where a server does not,
// it is computed here the same way from the scope's current grids (their `unit_ids`) and the proposal's `unit_ids`.
import { sentence } from "./i18n.js";

/** below | in | above for a household count against the job's bounds; null for no count (a retired grid). */
export function bandOf(households, { min, max }) {
  if (households == null || !Number.isFinite(Number(households))) return null;
  const h = Number(households);
  return h < min ? "below" : h > max ? "above" : "in";
}

/** The words a planner reads next to the colour (colour alone is not enough). */
export const BAND_WORDS = { below: "不足", in: "达标", above: "超出" };
export const STATUS_WORDS = { new: "新", kept: "", retired: "撤销" };

/** Why a grid stays out of the band (report `out_of_band[].reason`), in Chinese (i18n.js); unknown keys as they are. */
export const reasonText = (reason) => (reason ? sentence(reason) ?? String(reason) : "");

/** "b00034/2" (a stairwell of a split building) → "b00034"; "c00012#3" (a compound piece) stays as it is. */
export const baseId = (unit) => String(unit ?? "").split("/")[0];

/** Whether a unit id names a building: one the store has, or (buildings unknown) anything but a compound piece. */
const isBuilding = (id, buildings) => (buildings ? buildings.has(id) : !id.includes("#"));

/** A grid's code: its `code` property, else its feature id. */
export const codeOf = (f) => String(f?.properties?.code ?? f?.id ?? "");

/**
 * `changes` as the server defines it, computed from the scope's current (non-retired) grids and the proposal.
 * @param proposal the proposal FeatureCollection
 * @param current the scope's active grids (features with `unit_ids`)
 * @param buildings Map id → building feature, or null when unknown
 */
export function computeChanges(proposal, current, buildings = null) {
  const oldGrid = new Map();
  for (const g of current) for (const u of g.properties?.unit_ids ?? []) if (!oldGrid.has(baseId(u))) oldGrid.set(baseId(u), codeOf(g));
  const before = new Map(current.map((g) => [codeOf(g), g.properties?.households ?? null]));
  const grids = [];
  const moved = [];
  const seen = new Set();
  for (const f of proposal.features ?? []) {
    const code = codeOf(f);
    seen.add(code);
    grids.push({ code, before: before.has(code) ? before.get(code) : null, after: f.properties?.households ?? null, status: before.has(code) ? "kept" : "new" });
    for (const id of new Set((f.properties?.unit_ids ?? []).map(baseId))) {
      if (!isBuilding(id, buildings)) continue; // compound pieces are land, not buildings
      const from = oldGrid.get(id) ?? null;
      if (from !== code) moved.push({ building: id, from, to: code });
    }
  }
  for (const g of current) {
    const code = codeOf(g);
    if (!seen.has(code)) grids.push({ code, before: g.properties?.households ?? null, after: null, status: "retired" });
  }
  return { grids, moved };
}

/**
 * Households a moved building takes into grid `to`: the stairwells the proposal puts there where the building is
 * split ("b/unit" ids), else the whole building; null when the building is not known.
 */
function movedHouseholds(entry, building, unitsOf) {
  if (!building) return null;
  const listed = unitsOf.get(entry.to)?.get(entry.building) ?? [];
  const stairs = listed.filter((u) => u.includes("/"));
  if (stairs.length) {
    const units = new Map((building.properties?.units ?? []).map((u) => [String(u.id), Number(u.households) || 0]));
    return stairs.reduce((sum, u) => sum + (units.get(u.slice(u.indexOf("/") + 1)) ?? 0), 0);
  }
  const h = Number(building.properties?.households);
  return Number.isFinite(h) ? h : null;
}

/**
 * Everything the review shows.
 * @param proposal the proposal FeatureCollection (with `changes` or not)
 * @param changes `{grids, moved}` (the proposal's own, or computeChanges)
 * @param bounds `{min, max, target}` of the job
 * @param buildings Map id → building feature (for households and drawing), may be empty
 * @param report the job's report (out_of_band reasons)
 */
export function reviewModel(proposal, changes, bounds, buildings = new Map(), report = null) {
  const proposed = new Map((proposal.features ?? []).map((f) => [codeOf(f), f]));
  // unit ids per proposed grid and building, for stairwell shares
  const unitsOf = new Map();
  for (const [code, f] of proposed) {
    const m = new Map();
    for (const u of f.properties?.unit_ids ?? []) {
      const b = baseId(u);
      if (!m.has(b)) m.set(b, []);
      m.get(b).push(String(u));
    }
    unitsOf.set(code, m);
  }
  const reasons = new Map((report?.out_of_band ?? []).map((o) => [String(o.code), o.reason]));
  const moved = (changes.moved ?? []).map((m) => {
    const building = buildings.get(m.building) ?? null;
    return { building: m.building, from: m.from ?? null, to: m.to, households: movedHouseholds(m, building, unitsOf), feature: building };
  });
  const rows = (changes.grids ?? []).map((g) => {
    const f = proposed.get(g.code) ?? null;
    const band = g.status === "retired" ? null : bandOf(g.after, bounds);
    return {
      code: String(g.code), before: g.before ?? null, after: g.after ?? null, status: g.status, band,
      reason: reasons.get(String(g.code)) ?? f?.properties?.out_of_band ?? null,
      feature: f,
      moveIn: moved.filter((m) => m.to === g.code),
      moveOut: moved.filter((m) => m.from === g.code),
    };
  });
  const distinct = new Set(moved.map((m) => m.building));
  const count = (pred) => rows.filter(pred).length;
  return {
    rows, moved,
    movedBuildings: distinct.size,
    movedHouseholds: moved.reduce((s, m) => s + (m.households ?? 0), 0),
    householdsKnown: moved.every((m) => m.households != null),
    counts: {
      new: count((r) => r.status === "new"), kept: count((r) => r.status === "kept"), retired: count((r) => r.status === "retired"),
      below: count((r) => r.band === "below"), in: count((r) => r.band === "in"), above: count((r) => r.band === "above"),
    },
  };
}

/** How far a grid's households after lie outside the band (0 inside). */
export function deviation(row, { min, max }) {
  if (row.band === "below") return min - row.after;
  if (row.band === "above") return row.after - max;
  return 0;
}

/** The sort keys of the table; `worst`: out of band (furthest first), then retired, then most buildings moved. */
export const SORTS = {
  worst: (bounds) => (a, b) => score(b, bounds) - score(a, bounds) || a.code.localeCompare(b.code),
  code: () => (a, b) => a.code.localeCompare(b.code),
  after: () => (a, b) => (b.after ?? -1) - (a.after ?? -1) || a.code.localeCompare(b.code),
  moves: () => (a, b) => (b.moveIn.length + b.moveOut.length) - (a.moveIn.length + a.moveOut.length) || a.code.localeCompare(b.code),
};
function score(row, bounds) {
  if (row.band === "below" || row.band === "above") return 1e9 + deviation(row, bounds);
  if (row.status === "retired") return 1e8;
  return row.moveIn.length + row.moveOut.length;
}

export function sortRows(rows, key, bounds) {
  return [...rows].sort((SORTS[key] ?? SORTS.worst)(bounds));
}

/** Grids and buildings named in a 409 `changed_since_read` problem: `{grids, buildings, other, ids}`. */
export function changedCounts(problem) {
  const list = Array.isArray(problem?.changed) ? problem.changed : [];
  const grids = list.filter((c) => c.layer === "grids").length;
  const buildings = list.filter((c) => c.layer === "buildings").length;
  return { grids, buildings, other: list.length - grids - buildings, total: list.length, list };
}

/** A failed job's English `error` → a Chinese sentence (the English stays as the tooltip). */
export function failureText(error) {
  const e = String(error ?? "");
  if (/no community has the code|lies in it/i.test(e)) return "划分失败：范围内没有社区";
  if (/server stopped/i.test(e)) return "划分失败：服务器重启，任务中断，请重新运行";
  if (/household|units?\b/i.test(e)) return "划分失败：楼栋或户数数据有误，请检查后重新运行";
  if (/geometr|polygon|invalid/i.test(e)) return "划分失败：范围内的图形数据无效，请检查后重新运行";
  return "划分失败：请检查范围和户数标准后重新运行";
}
