// The grid-editing API (docs/editing.md) for the 网格编辑 panel: assign and rebalance (dry runs and the save), the
// band, and a community's grids and buildings. Refusals come back as EditError carrying the whole problem
// (`errors[]`, `current`), so the panel can name the grids that changed; Chinese text is made here from `code`.
import { getFeature, getFeatures, writeHeaders } from "../api.js";
import { bboxOf, extentOf } from "../geo.js";

export class EditError extends Error {
  /** @param status HTTP status @param problem the application/problem+json body (or {}) */
  constructor(status, problem, message) {
    super(message);
    this.status = status;
    this.problem = problem ?? {};
  }
  /** The first error code of the problem (`stale_version`, `cross_community`, …). */
  get code() {
    return this.problem.errors?.[0]?.code ?? this.problem.code ?? null;
  }
}

async function send(method, path, body, signal) {
  const res = await fetch(path, {
    method, signal,
    headers: { Accept: "application/json", ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...writeHeaders(method) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  let json = null;
  try { json = await res.json(); } catch { /* no body */ }
  if (!res.ok) throw new EditError(res.status, json ?? {}, problemText(res.status, json ?? {}));
  return json;
}

/**
 * POST /api/grids/assign: `{assignments, base, dry_run, versions}` → the touched grids (FeatureCollection) with
 * `touched`, `created`, `retired`, `warnings`, `dry_run`.
 */
export const assign = (body, signal) => send("POST", "/api/grids/assign", body, signal);

/** POST /api/grids/rebalance: `{grids, neighbours, base, dry_run, versions}` → the same answer as assign. */
export const rebalance = (body, signal) => send("POST", "/api/grids/rebalance", body, signal);

/** The band in force for a community: `{min, max, target}`; 200/300/250 when the server has no band setting yet. */
export async function getBand(community, signal) {
  try {
    const q = community ? `?community=${encodeURIComponent(community)}` : "";
    const b = await send("GET", `/api/settings/band${q}`, undefined, signal);
    if (Number.isFinite(b?.min) && Number.isFinite(b?.max)) return b;
  } catch (e) {
    if (e.name === "AbortError") throw e;
  }
  return { min: 200, max: 300, target: 250, fallback: true };
}

/**
 * What a planner can edit, for the picker, sorted by code: the communities, and — where the store has grids whose
 * `community_code` names no community feature, as after an OpenStreetMap import partitioned with scope `all` (one
 * provisional area `AREA`, grids `AREA-001`…) — one provisional area per such code, `{id, properties: {code, name:
 * "未划社区区域", provisional: true}}` with the extent of its grids as geometry. The grid layer is read only when the
 * communities layer is empty: a city with communities would pay a whole-layer read for nothing.
 */
export async function getCommunities(signal) {
  const { features } = await getFeatures("communities", null, { signal });
  const byCode = (a, b) => String(a.properties?.code ?? a.id).localeCompare(String(b.properties?.code ?? b.id));
  if (features.length) return features.sort(byCode);
  const { features: grids } = await getFeatures("grids", null, { signal, max: 100000 });
  return provisionalAreas(grids).sort(byCode);
}

export const AREA_NAME = "未划社区区域";

/** One provisional area per `community_code` of the (active) grids given: code, name, the extent of its grids. */
export function provisionalAreas(grids) {
  const boxes = new Map();
  for (const g of grids) {
    if (g.properties?.status === "retired") continue;
    const code = g.properties?.community_code;
    if (code == null || code === "") continue;
    boxes.set(String(code), bboxOf(g.geometry, boxes.get(String(code)) ?? null));
  }
  return [...boxes].map(([code, box]) => areaFeature(code, box));
}

function areaFeature(code, box) {
  const geometry = box ? { type: "Polygon", coordinates: [[[box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]], [box[0], box[1]]]] } : null;
  return { type: "Feature", id: code, geometry, properties: { code, name: AREA_NAME, provisional: true } };
}

/**
 * One community's outline, its grids and its buildings, as the store holds them now. Grids and buildings are
 * fetched by the community's bbox (the features API has no attribute filter) and kept when their
 * `community_code` is the community's; a building without `community_code` (OpenStreetMap imports carry none) is
 * the community's when its `grid_code` is one of the community's grids. A code with no community feature (a
 * provisional area, see getCommunities; `provisional: true` when the caller knows) is read from the whole grid
 * layer, its extent from its grids.
 */
export async function getCommunityData(code, signal, { provisional = false } = {}) {
  let community = null;
  let areaGrids = null;
  try {
    // A provisional area the picker knows (getCommunities) has no feature: asking would only log a 404.
    if (provisional) throw Object.assign(new Error("provisional area"), { status: 404 });
    community = await getFeature("communities", code, signal);
  } catch (e) {
    if (e.name === "AbortError" || e.status !== 404) throw e;
    areaGrids = (await getFeatures("grids", null, { signal, max: 100000 })).features
      .filter((g) => String(g.properties?.community_code ?? "") === String(code));
    if (!areaGrids.length) throw e;
    let box = null;
    for (const g of areaGrids) if (g.properties?.status !== "retired") box = bboxOf(g.geometry, box);
    community = areaFeature(String(code), box ?? extentOf(areaGrids));
  }
  const box = bboxOf(community.geometry);
  const pad = box ? [box[0] - 1e-4, box[1] - 1e-4, box[2] + 1e-4, box[3] + 1e-4] : null;
  const [grids, buildings, compounds] = await Promise.all([
    areaGrids ? { features: areaGrids } : getFeatures("grids", pad, { signal, max: 100000 }),
    getFeatures("buildings", pad, { signal, max: 200000 }),
    getFeatures("compounds", pad, { signal, max: 100000 }).catch((e) => { if (e.name === "AbortError") throw e; return { features: [] }; }),
  ]);
  const mine = (f) => String(f.properties?.community_code ?? "") === String(code);
  const myGrids = grids.features.filter(mine);
  const codes = new Set(myGrids.map((g) => String(g.properties?.code ?? g.id)));
  const myBuilding = (b) => b.properties?.community_code != null && b.properties.community_code !== ""
    ? mine(b) : codes.has(String(b.properties?.grid_code ?? ""));
  /** compound id → name, for warnings that name a compound. */
  const compoundNames = new Map(compounds.features.map((c) => [String(c.id), c.properties?.name ?? String(c.id)]));
  return { community, grids: myGrids, buildings: buildings.features.filter(myBuilding), compoundNames };
}

/** One community's grids from /api/layers/grids/features, retired ones left out (the export). */
export async function getCommunityGrids(code, signal) {
  const { grids } = await getCommunityData(code, signal);
  return grids.filter((g) => g.properties?.status !== "retired");
}

/** The band words of the main map's legend (web/src/layers.js GRID_BANDS): 不足 / 达标 / 超出. */
const LEVEL = { below: "不足", in: "达标", above: "超出" };

/** One warning of an answer (`below_band`, `above_band`, `noncontiguous`, `compound_split`, `units_split`) in Chinese. */
export function warningText(w, compoundNames = null) {
  const grid = w.grid ? `网格 ${w.grid}` : "";
  switch (w.code) {
    case "below_band": return `${grid} ${w.households} 户，不足（下限 ${w.min} 户）`;
    case "above_band": return `${grid} ${w.households} 户，超出（上限 ${w.max} 户）`;
    case "noncontiguous": return `${grid} 不连片（${w.parts ?? "多"} 块）`;
    case "compound_split": {
      const grids = w.grids ?? [];
      const list = grids.length && grids.length <= 3 ? `（${grids.join("、")}）` : "";
      return `小区 ${w.compound_name ?? compoundNames?.get(String(w.compound)) ?? w.compound} 分属 ${grids.length || "多"} 个网格${list}`;
    }
    case "units_split": return `楼栋 ${w.building} 的单元分属 ${(w.grids ?? []).join("、") || "多个网格"}`;
    default: return w.message ?? w.code ?? "未知提示";
  }
}

export const bandLabel = (status) => LEVEL[status] ?? "";

const ERRORS = {
  stale_version: "数据已被他人修改",
  missing_version: "缺少网格版本号",
  cross_community: "不能把楼栋移到其他社区的网格",
  retired_grid: "不能移入已撤销的网格",
  not_found: "楼栋或网格不存在",
  malformed: "请求无法读取",
  invalid: "请求无效",
  changed_since_read: "数据在读取后已被修改",
  derived_field: "户数与归属由服务器计算，不能直接修改",
};

/** A problem in Chinese, from its first error's code and parameters (the English message as the last resort). */
export function problemText(status, problem) {
  const first = problem?.errors?.[0];
  const code = first?.code ?? problem?.code;
  if (code && ERRORS[code]) {
    const where = first?.building ? `（楼栋 ${first.building}）` : first?.grid ? `（网格 ${first.grid}）` : "";
    return `${ERRORS[code]}${where}`;
  }
  if (status === 404) return "接口或数据不存在 (404)";
  if (status >= 500) return `服务器错误 (${status})`;
  return first?.message ?? problem?.detail ?? problem?.title ?? `请求失败 (${status})`;
}

/**
 * The grids a 412 names as changed: those whose current version (`current.grids`, else the errors' parameters)
 * differs from the one sent. `[{code, sent, current}]`.
 */
export function staleGrids(problem, sent = {}) {
  const out = new Map();
  const current = problem?.current?.grids ?? problem?.current ?? {};
  for (const [code, v] of Object.entries(current)) {
    if (typeof v !== "number" && typeof v !== "string") continue;
    if (sent[code] == null || String(sent[code]) !== String(v)) out.set(code, { code, sent: sent[code] ?? null, current: v });
  }
  for (const e of problem?.errors ?? []) {
    if (e.code !== "stale_version") continue;
    const code = e.grid ?? e.id ?? e.feature ?? (typeof e.pointer === "string" ? e.pointer.split("/").pop() : null);
    // Any code: partitioner codes of provisional areas (`AREA-001`) have a hyphen, not only digits.
    if (code && !out.has(String(code)) && /^[\w-]+$/.test(String(code)))
      out.set(String(code), { code: String(code), sent: sent[code] ?? e.expected ?? null, current: e.current ?? e.actual ?? null });
  }
  return [...out.values()];
}
