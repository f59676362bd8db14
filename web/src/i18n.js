// zh-CN sentences for the server's problems (../shared/docs/contract.md): every error carries a stable snake_case
// `code` with its parameters and an English `message`; the map shows Chinese from the code and falls back to the
// message. Today's server names some problems only by the last segment of their `type` URI (`unknown-scope`), so
// codes are normalised: dashes → underscores, lower case.
import { LAYER_LABELS } from "./domain.js";

/** Request fields → what a planner calls them. */
const FIELDS = {
  scope: "范围", min: "下限", max: "上限", target: "目标", kind: "站点类型", minutes: "步行分钟", meters: "距离 (米)",
  profile: "人群", lon: "经度", lat: "纬度", q: "搜索词", limit: "数量", offset: "偏移", bbox: "范围框",
  households: "户数", grid_code: "网格编码", grid_codes: "网格编码", unit_ids: "楼栋列表", geometry: "几何图形",
  code: "编码", name: "名称", id: "编号", "If-Match": "版本号", version: "版本号", versions: "版本号", body: "请求内容",
  station: "站点", add: "新增站点数", share: "覆盖比例", candidates: "候选点", spacing: "候选点间距", layer: "图层",
  status: "状态", assignments: "楼栋分配", building: "楼栋", grid: "网格", grids: "网格", type: "类型", workers: "网格员",
  community_code: "社区编码", street_code: "街道编码", district_code: "区县编码", class: "小区类型", changes: "调整",
  format: "文件格式", mode: "导入方式", from: "坐标系", layers: "图层", neighbours: "相邻网格", base: "未保存的修改",
};

/** The field an error is about: the last name in its pointer (`features[3].properties.households`, `/assignments/2/grid`). */
function fieldOf(p) {
  const raw = p.field ?? p.pointer ?? p.parameter;
  if (raw == null) return null;
  const names = String(raw).split(/[/.[\]]+/).filter((s) => s && !/^\d+$/.test(s));
  return names.at(-1) ?? null;
}
const fieldLabel = (p) => {
  const f = fieldOf(p);
  return f ? FIELDS[f] ?? f : "字段";
};
const has = (v) => v != null && v !== "";
const layerLabel = (layer) => (layer ? LAYER_LABELS[layer] ?? layer : "");
const versionList = (current) => {
  // `current` is {"grids": {code: version}} (by layer) or {id: version}.
  if (!current || typeof current !== "object") return [];
  const flat = Object.values(current).every((v) => v && typeof v === "object")
    ? Object.values(current).flatMap((m) => Object.keys(m)) : Object.keys(current);
  return flat;
};
const some = (ids, max = 3) => (ids.length > max ? `${ids.slice(0, max).join("、")} 等 ${ids.length} 个` : ids.join("、"));
const range = (p) => (p.min != null && p.max != null ? `（应在 ${p.min}–${p.max} 之间）`
  : p.min != null ? `（不能小于 ${p.min}）` : p.max != null ? `（不能大于 ${p.max}）` : "");

/** Codes → sentences. Each gets the error's parameters merged over the problem's members and the caller's context. */
const SENTENCES = {
  not_signed_in: () => "请先登录",
  bad_credentials: () => "账号或密码错误",
  role: () => "您的角色无权执行此操作",
  out_of_scope: (p) => (has(p.code) ? `${p.code} 超出您的管辖范围${has(p.scope) ? ` ${p.scope}` : ""}` : "超出您的管辖范围"),
  antiforgery: () => "登录会话已过期，请刷新页面",
  rate_limited: () => "尝试次数过多，请一分钟后再试",
  own_account: () => "不能删除当前登录的账号",
  out_of_range: (p) => {
    const f = fieldOf(p);
    // The band setting: min, target and max are checked together.
    if ((f === "min" || f === "max" || f === "target") && p.target != null) return "户数标准须满足 1 ≤ 下限 ≤ 目标 ≤ 上限 ≤ 100000";
    return `${fieldLabel(p)}超出允许范围${f === "min" || f === "max" ? "" : range(p)}`;
  },
  // Per error `grid` (and `current`, a number); on the problem `current` by layer ({"grids": {code: version}}).
  missing_version: (p) => {
    const ids = p._grids ?? (has(p.grid) ? [p.grid] : versionList(p.current));
    return `保存时需要注明${ids.length ? `网格 ${some(ids)} 的` : "所改数据的"}版本，请刷新后重试`;
  },
  stale_version: (p) => {
    const ids = p._grids ?? (has(p.grid) ? [p.grid] : versionList(p.current));
    const what = ids.length ? `网格 ${some(ids)} ` : has(p.feature) ? `${p.feature} ` : "数据";
    return `${what}已被他人修改，请刷新后重新编辑`;
  },
  duplicate: (p) => `楼栋${has(p.building) ? ` ${p.building}` : ""} 被重复分配`,
  no_community: (p) => `楼栋${has(p.building) ? ` ${p.building}` : ""} 不在任何网格中，无法确定新网格所属社区`,
  changed_since_read: (p) => {
    // A revert (`change`, `count`): later changes touched the same features.
    if (p.change != null) return `变更 #${p.change} 之后，其中 ${p.count ?? ""} 项要素又被修改过；请先撤销更晚的变更`;
    // `changed: [{layer, id, read, current}]` (a partition accept): say how many grids and how many buildings.
    if (Array.isArray(p.changed) && p.changed.length && p.changed.every((c) => c && typeof c === "object" && c.layer)) {
      const grids = p.changed.filter((c) => c.layer === "grids").length;
      const buildings = p.changed.filter((c) => c.layer === "buildings").length;
      const other = p.changed.length - grids - buildings;
      const what = [grids ? `${grids} 个网格` : "", buildings ? `${buildings} 栋楼` : "", other ? `${other} 项其他数据` : ""].filter(Boolean).join("、");
      return `方案计算之后，${what}已被修改，未写入任何数据；请重新运行划分`;
    }
    const n = Number.isFinite(p.count) ? p.count : Array.isArray(p.changed) ? p.changed.length : versionList(p.changed ?? p.current).length;
    return `方案计算之后，相关的${n ? ` ${n} 个` : ""}网格或楼栋已被修改，未写入任何数据；请重新划分`;
  },
  // A partition job's report (docs/partitioning.md): why a grid stays out of the band.
  area_below_min: () => "所在社区总户数不足下限",
  oversized_unit: () => "单栋楼户数超过上限，无法拆分",
  no_contiguous_fit: () => "相邻楼栋无法组合到标准内",
  // Why a basic grid crosses a major road (report `crossed_roads[].reason`).
  compound_straddles: () => "小区横跨道路",
  side_below_min: () => "道路一侧户数不足一个网格",
  no_road_free_fit: () => "沿路分开无法达标",
  cross_community: (p) => `楼栋${p.building ? ` ${p.building}` : ""} 不能移入其他社区的网格${p.grid ? ` ${p.grid}` : ""}`,
  derived_field: (p) => `${fieldLabel(p)}由系统根据楼栋自动计算，不能直接修改；请在网格编辑中调整楼栋归属`,
  retired_grid: (p) => `网格${p.grid ? ` ${p.grid}` : ""} 已撤销，不能再移入楼栋`,
  not_found: (p) => {
    const id = p.id ?? p.feature ?? p.building ?? p.grid;
    const layer = p.layer ?? (p.building ? "buildings" : p.grid ? "grids" : null);
    return `找不到${layerLabel(layer)}${id ? ` ${id}` : ""}`;
  },
  unknown_layer: (p) => `没有${p.layer ? `「${p.layer}」这个` : "这个"}图层`,
  unknown_scope: (p) => (has(p.scope) ? `没有编码为 ${p.scope} 的社区、街道或区县` : "范围内没有任何社区"),
  unknown_job: (p) => `划分任务${p.id ? ` ${p.id}` : ""}不存在`,
  job_state: (p) => {
    const why = String(p.message ?? "");
    if (/ended/.test(why)) return "划分任务已结束，无法取消";
    if (/accept/.test(why)) return "划分任务尚未完成或已处理，不能采用";
    if (/proposal/.test(why)) return "划分任务还没有方案";
    return "划分任务当前状态不允许此操作";
  },
  invalid: (p) => `${fieldLabel(p)}无效`,
  invalid_features: (p) => `${p.index != null ? `第 ${Number(p.index) + 1} 个要素的` : ""}${fieldLabel(p)}无效`,
  malformed: () => "请求内容无法解析（格式错误）",
  empty_body: () => "请求内容为空",
  payload_too_large: () => "上传内容过大",
  duplicate_id: (p) => `${p.feature ?? p.id ?? "该编号"} 已存在`,
  bad_osm: () => "文件不是有效的 OpenStreetMap 数据",
  bad_parameter: (p) => {
    const f = fieldOf(p);
    if (f === "min" && /target/.test(p.message ?? "")) return "下限、目标、上限须满足 1 ≤ 下限 ≤ 目标 ≤ 上限";
    if (f === "scope") return "请填写范围：社区编码、街道编码、区县编码或 all";
    return `参数「${fieldLabel(p)}」无效`;
  },
  // Warnings of an edit (docs/editing.md): the planner shows them, they are not refusals.
  below_band: (p) => `网格 ${p.grid ?? ""} 只有 ${p.households} 户，低于下限 ${p.min} 户`,
  above_band: (p) => `网格 ${p.grid ?? ""} 有 ${p.households} 户，超过上限 ${p.max} 户`,
  noncontiguous: (p) => `网格 ${p.grid ?? ""} 不连片（分成 ${p.parts} 块）`,
  compound_split: (p) => `小区 ${p.compound ?? ""} 被分到了 ${Array.isArray(p.grids) ? p.grids.length : "多"} 个网格`,
  units_split: (p) => `${String(p.building ?? "").startsWith("remainder-") ? "小区未测绘住户" : `楼栋 ${p.building ?? ""}`} 被分到了多个网格`,
  network: () => "无法连接服务器，请检查网络后重试",
  // History (docs/history.md).
  already_current: () => "该版本与当前状态相同，无需恢复",
  grid_restore: () => "网格已撤销或删除，不能恢复；请在网格编辑中调整楼栋",
  grid_restore_unplaced: (p) => `${Array.isArray(p.buildings) ? `${p.buildings.length} 栋楼` : "部分楼栋"}是该版本之后才划入的，原网格已不存在；请先在网格编辑中移走`,
  already_reverted: () => "该变更已被撤销",
  not_revertible: () => "该变更没有可撤销的内容",
};

/** When nothing else says what went wrong. */
const BY_STATUS = {
  400: "请求无效", 401: "请先登录", 403: "没有权限执行此操作", 404: "找不到所请求的内容", 409: "数据已变化，操作未执行",
  412: "数据已被他人修改，请刷新后重试", 413: "上传内容过大", 415: "不支持的内容类型", 422: "数据不符合规则",
  428: "缺少版本号，请刷新后重试", 429: "请求过于频繁，请稍后再试", 500: "服务器内部错误", 502: "服务器暂时不可用",
  503: "服务暂时不可用，请稍后再试", 504: "服务器响应超时",
};

/** `unknown-scope`, `https://…/problems/unknown-scope`, `Unknown_Scope` → `unknown_scope`. */
export function normaliseCode(code) {
  if (code == null || code === "") return null;
  const s = String(code);
  const last = /^https?:\/\//.test(s) ? s.replace(/\/+$/, "").split("/").at(-1) : s;
  return last && last !== "about:blank" ? last.toLowerCase().replace(/-/g, "_") : null;
}

/** A Chinese sentence for one code and its parameters, or null when the code is not known. */
export function sentence(code, params = {}) {
  const fn = SENTENCES[normaliseCode(code)];
  if (!fn) return null;
  try {
    return fn(params);
  } catch {
    return null;
  }
}

/**
 * Chinese lines for a problem: one per entry of `errors[]` (deduplicated), else one for the problem itself.
 * @param err an ApiError (api.js), a problem body, or any Error
 * @param context parameters the caller knows and the problem may not name (e.g. `{scope}`, `{layer, id}`)
 * @returns {{lines: string[], code: string|null, status: number|null, detail: string}}
 */
export function describeProblem(err, context = {}) {
  if (err == null) return { lines: ["未知错误"], code: null, status: null, detail: "" };
  // An ApiError carries its problem body; a plain object is taken to be one.
  const problem = err instanceof Error ? err.problem ?? null : typeof err === "object" ? err : null;
  const status = err.status ?? problem?.status ?? null;
  const topCode = normaliseCode(problem?.code ?? problem?.type) ?? normaliseCode(err.code);
  const detail = problem?.detail ?? problem?.title ?? (err instanceof Error ? err.message : String(err));
  // Problem-level members (current, changed, …) are parameters of every error it lists.
  const members = problem ? Object.fromEntries(Object.entries(problem).filter(([k]) => !["type", "title", "status", "detail", "errors", "instance", "trace_id"].includes(k))) : {};
  let errors = Array.isArray(problem?.errors) && problem.errors.length ? problem.errors : [null];
  // Several grids with a missing or stale version: one sentence naming them all.
  const first = normaliseCode(errors[0]?.code);
  if (errors.length > 1 && ["missing_version", "stale_version"].includes(first) && errors.every((e) => normaliseCode(e?.code) === first && has(e.grid)))
    errors = [{ ...errors[0], grid: null, _grids: errors.map((e) => e.grid) }];
  const lines = [];
  for (const e of errors) {
    const params = { ...context, ...members, ...(e ?? {}) };
    const code = normaliseCode(e?.code) ?? topCode;
    const line = sentence(code, params)
      ?? e?.message ?? problem?.detail ?? problem?.title
      ?? (err.name === "TypeError" && /fetch|network/i.test(err.message) ? SENTENCES.network() : null)
      ?? BY_STATUS[status] ?? (err instanceof Error ? err.message : String(err));
    if (line && !lines.includes(line)) lines.push(line);
  }
  return { lines, code: topCode, status, detail };
}

/** One line for a status bar or a panel: the first problem, and how many more there are. */
export function problemText(err, context = {}) {
  const { lines } = describeProblem(err, context);
  return lines.length > 1 ? `${lines[0]}（另有 ${lines.length - 1} 处问题）` : lines[0];
}
