// 服务圈 state: the parameters, the answers of the server for them, how the table is viewed, and the what-if edits.
// No drawing and no DOM (as editor/session.js): the panel (coverage.js) listens and draws. Every parameter change
// starts a new run: answers of an older run are dropped, and what was drawn for it goes.
//
// A what-if edit is a change as POST /api/coverage/whatif takes it, in order:
//   {op: "add", station: "new-1", lon, lat} · {op: "move", station, lon, lat} · {op: "remove", station}
// Stations added here are named new-1, new-2, … (never an id of the store), so later edits can move or remove them.
import { STATION_KINDS, stationLabel } from "../domain.js";

/** Thresholds offered: the three life circles together, one of them, or the kind's GB 50180 radius. */
export const THRESHOLDS = [
  { value: "5,10,15", label: "5/10/15 分钟" },
  { value: "5", label: "5 分钟" },
  { value: "10", label: "10 分钟" },
  { value: "15", label: "15 分钟" },
  { value: "gb", label: "国标服务半径" },
];

/**
 * GB 50180-2018 service radius per kind (m), as the server's StationKinds (src/GridMap.Core/Model/Keys.cs) holds them;
 * only for the label of the choice — the server applies its own.
 */
export const GB_RADIUS = {
  party_service_centre: 1000, community_service_station: 300, grid_station: 300, micro_station: 300, canteen: 300,
  day_care: 300, health_station: 300, clinic: 1000, hospital: 1000, kindergarten: 300, primary_school: 500,
  middle_school: 1000, school: 500, market: 500,
};

/** A share at or above this counts as nearly met when the table's threshold is chosen. */
const NEARLY_MET = 0.95;

export const PROFILES = { adult: "成人 (4.5 km/h)", elderly: "老人 (3.3 km/h)" };

export const TABS = { communities: "按社区", grids: "按网格" };

/** Sort keys of the table; `dir` is the first direction a click gives. */
export const COLUMNS = [
  { key: "name", label: "名称", dir: "asc" },
  { key: "households", label: "户数", dir: "desc" },
  { key: "share", label: "覆盖率", dir: "asc" },
  { key: "uncovered", label: "未覆盖", dir: "desc" },
  { key: "after", label: "调整后", dir: "asc" },
];

export class CoverageState {
  constructor({ scope = null, scopeName = null } = {}) {
    this.params = { kind: "", threshold: "5,10,15", profile: "adult" };
    /** Bumped on every parameter change: an answer carries the run it was asked in, and an older one is dropped. */
    this.run = 0;
    /** GET /api/coverage/table for the current parameters, or null. */
    this.table = null;
    /** The threshold label the table, the gaps and the sites look at. */
    this.focus = null;
    /** The account's scope (a division-code prefix), or null: the table shows only its rows unless `scopeOnly` is off. */
    this.scope = scope;
    /** The scope's area name as the server knows it (/api/auth/me `scope_name`), or null. */
    this.scopeLabel = scopeName;
    this.view = { tab: "communities", sort: { key: "share", dir: "asc" }, scopeOnly: Boolean(scope), selected: null };
    /** What the panel shows besides the table, for this run: {station, fc} | {fc} | null. */
    this.isochrones = null;
    this.gaps = null;
    this.sites = null;
    /** What-if: the edits, their version, the server's answer for them (null while none or pending), the tool in hand. */
    this.edits = [];
    this.editsVersion = 0;
    this.answer = null;
    this.tool = null;
    this.picked = null;
    this.added = 0;
    this.listeners = new Set();
  }

  /** fn(state, why) after every change; returns an unsubscribe function. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(why) {
    for (const fn of this.listeners) fn(this, why);
  }

  // ---- parameters and the run ------------------------------------------------------------------------------------

  /**
   * New parameters: a new run. Everything computed for the old ones goes (table, isochrones, gaps, sites, the what-if
   * answer); the what-if edits stay unless the kind changed (they name that kind's stations).
   */
  setParams(update) {
    const next = { ...this.params, ...update };
    if (!next.kind && next.threshold === "gb") next.threshold = "5,10,15";
    if (next.kind && next.threshold === "gb" && GB_RADIUS[next.kind] == null) next.threshold = "5,10,15";
    const kindChanged = next.kind !== this.params.kind;
    this.params = next;
    this.run++;
    this.table = null;
    this.focus = null;
    this.isochrones = this.gaps = this.sites = null;
    this.answer = null;
    this.view.selected = null;
    if (kindChanged) this.clearEdits(false);
    this.emit("params");
  }

  /** The parameters as an API query: `{kind, minutes | (none: the kind's radius), profile}`. */
  query() {
    const { kind, threshold, profile } = this.params;
    return { kind: kind || null, ...(threshold === "gb" ? {} : { minutes: threshold }), profile };
  }

  /** The unit of the thresholds: 分钟 or 米. */
  get unit() {
    if (this.table) return this.table.unit === "meters" ? "米" : "分钟";
    return this.params.threshold === "gb" ? "米" : "分钟";
  }

  thresholdLabel(label) {
    return `${label} ${this.unit}`;
  }

  /** Human words for the parameters: kind, threshold and profile. */
  describe() {
    const { kind, threshold, profile } = this.params;
    const kindText = kind ? stationLabel(kind) : "全部站点";
    const labels = this.table?.thresholds.map((t) => t.label);
    const thresholdText = labels ? `${labels.join("/")} ${this.unit}`
      : threshold === "gb" ? `国标半径 ${GB_RADIUS[kind] ?? ""} 米` : `${threshold.replaceAll(",", "/")} 分钟`;
    return { kind: kindText, threshold: threshold === "gb" ? `国标服务半径 ${thresholdText}` : thresholdText, profile: PROFILES[profile] ?? profile };
  }

  /**
   * The table of a run. The focus — the threshold the table ranks by — is the widest one not yet nearly met (below 95 %,
   * in the scope when the table shows the scope): where the communities differ. Else the widest that still leaves
   * households out, else the smallest.
   */
  setTable(run, table) {
    if (run !== this.run) return false;
    this.table = table;
    const labels = table.thresholds.map((t) => t.label);
    const totals = this.totals();
    const short = labels.filter((l) => totals.coverage[l] < NEARLY_MET);
    const open = labels.filter((l) => totals.households - (totals.covered[l] ?? 0) > 0);
    this.focus = short.at(-1) ?? open.at(-1) ?? labels[0] ?? null;
    this.emit("table");
    return true;
  }

  setFocus(label) {
    if (!this.table?.thresholds.some((t) => t.label === label)) return;
    this.focus = label;
    this.gaps = this.sites = null;
    this.emit("focus");
  }

  /** Something else of this run (isochrones, gaps, sites); dropped when the run is over. */
  setResult(run, what, value) {
    if (run !== this.run) return false;
    this[what] = value;
    this.emit(what);
    return true;
  }

  // ---- the table ---------------------------------------------------------------------------------------------------

  setTab(tab) {
    if (!(tab in TABS) || tab === this.view.tab) return;
    this.view.tab = tab;
    this.view.selected = null;
    this.emit("view");
  }

  /** Sorts by a column; the same column again turns the direction. */
  sortBy(key) {
    const column = COLUMNS.find((c) => c.key === key);
    if (!column) return;
    const s = this.view.sort;
    this.view.sort = s.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: column.dir };
    this.emit("view");
  }

  setScopeOnly(on) {
    this.view.scopeOnly = Boolean(on) && Boolean(this.scope);
    this.emit("view");
  }

  select(code) {
    this.view.selected = code;
    this.emit("select");
  }

  /** The name of the account's scope: the server's, else from the table (a street's or a community's name), else its code. */
  scopeName() {
    if (this.scopeLabel) return this.scopeLabel;
    if (!this.scope || !this.table) return this.scope;
    const c = this.table.communities.find((r) => r.code === this.scope || r.street_code === this.scope);
    if (c?.code === this.scope && c.name) return c.name;
    if (c?.street_code === this.scope && c.street_name) return c.street_name;
    return this.scope;
  }

  /** The share of a community or grid after the what-if edits at `label` (null without an answer). */
  after(tab, code, label = this.focus) {
    const map = tab === "communities" ? this.answer?.by_community : this.answer?.by_grid;
    return map?.[code]?.[label] ?? null;
  }

  /**
   * The table's rows of one tab at the focus threshold, in scope when asked, sorted (worst first by default: the lowest
   * share, then the most uncovered households).
   */
  rows(tab = this.view.tab, { all = false } = {}) {
    const t = this.table;
    if (!t) return [];
    const label = this.focus;
    let rows = (tab === "communities" ? t.communities : t.grids).map((r) => {
      const covered = r.covered[label] ?? 0;
      const after = this.after(tab, r.code, label);
      return {
        tab, code: r.code, id: r.id ?? r.code, name: r.name || r.code,
        parent: tab === "communities" ? r.street_name ?? r.street_code : r.community_name ?? r.community_code,
        households: r.households, covered, share: r.share[label] ?? 1, uncovered: r.households - covered,
        after, bbox: r.bbox, source: r,
      };
    });
    if (!all && this.view.scopeOnly && this.scope) rows = rows.filter((r) => r.code.startsWith(this.scope));
    const { key, dir } = this.view.sort;
    const sign = dir === "asc" ? 1 : -1;
    const value = (r) => (key === "after" ? r.after ?? r.share : r[key]);
    rows.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      const primary = key === "name" ? String(va).localeCompare(String(vb), "zh-CN") : va - vb;
      return sign * primary || b.uncovered - a.uncovered || a.code.localeCompare(b.code);
    });
    return rows;
  }

  /** Households, covered households and share per threshold over the rows in scope (communities), or the whole store. */
  totals() {
    const t = this.table;
    if (!t) return null;
    const inScope = this.view.scopeOnly && this.scope;
    if (!inScope) return { households: t.households, covered: t.covered, coverage: t.coverage, communities: t.communities.length, scoped: false };
    const rows = t.communities.filter((r) => r.code.startsWith(this.scope));
    const households = rows.reduce((s, r) => s + r.households, 0);
    const covered = {};
    const coverage = {};
    for (const { label } of t.thresholds) {
      covered[label] = rows.reduce((s, r) => s + (r.covered[label] ?? 0), 0);
      coverage[label] = households ? covered[label] / households : 1;
    }
    return { households, covered, coverage, communities: rows.length, scoped: true };
  }

  // ---- stations and what-if ----------------------------------------------------------------------------------------

  /** The stations of the run as they stand after the edits: id → {id, name, kind, lon, lat, load, status, from}. */
  stations() {
    const map = new Map();
    for (const s of this.table?.stations ?? []) map.set(s.id, { ...s, status: "kept", from: null });
    for (const e of this.edits) {
      const s = map.get(e.station);
      if (e.op === "add") {
        map.set(e.station, { id: e.station, name: e.name, kind: this.params.kind || "other", lon: e.lon, lat: e.lat, load: 0, status: "added", from: null });
      } else if (s && e.op === "move") {
        if (s.status !== "added") { s.from ??= [s.lon, s.lat]; s.status = "moved"; }
        s.lon = e.lon;
        s.lat = e.lat;
      } else if (s && e.op === "remove") {
        if (s.status === "added") map.delete(e.station);
        else { s.status = "removed"; if (s.from) [s.lon, s.lat] = s.from; }
      }
    }
    return map;
  }

  stationName(id) {
    return this.stations().get(id)?.name ?? this.table?.stations.find((s) => s.id === id)?.name ?? id;
  }

  setTool(tool) {
    this.tool = tool === this.tool ? null : tool;
    this.picked = null;
    this.emit("tool");
  }

  pick(id) {
    this.picked = id;
    this.emit("tool");
  }

  editsChanged() {
    this.editsVersion++;
    this.answer = null;
    this.emit("edits");
  }

  addStation(lon, lat, name = null) {
    const n = ++this.added;
    this.edits.push({ op: "add", station: `new-${n}`, name: name ?? `新站点 ${n}`, lon, lat });
    this.editsChanged();
    return `new-${n}`;
  }

  /** Moves a station: an added one where it was added, a moved one in its last move; else a new edit. */
  moveStation(id, lon, lat) {
    const add = this.edits.find((e) => e.op === "add" && e.station === id);
    const last = this.edits.at(-1);
    if (add) Object.assign(add, { lon, lat });
    else if (last?.op === "move" && last.station === id) Object.assign(last, { lon, lat });
    else this.edits.push({ op: "move", station: id, lon, lat });
    this.picked = null;
    this.editsChanged();
  }

  removeStation(id) {
    const s = this.stations().get(id);
    if (!s || s.status === "removed") return;
    this.edits.push({ op: "remove", station: id });
    this.picked = null;
    this.editsChanged();
  }

  /** Takes back one edit; taking back an added station takes back every later edit of it. */
  undoEdit(index) {
    const e = this.edits[index];
    if (!e) return;
    this.edits = this.edits.filter((x, i) => i !== index && !(e.op === "add" && i > index && x.station === e.station));
    this.editsChanged();
  }

  clearEdits(emit = true) {
    this.edits = [];
    this.answer = null;
    this.tool = null;
    this.picked = null;
    this.editsVersion++;
    if (emit) this.emit("edits");
  }

  /** The edits as the what-if's `changes`. */
  changes() {
    return this.edits.map((e) => (e.op === "remove" ? { op: e.op, station: e.station } : { op: e.op, station: e.station, lon: e.lon, lat: e.lat }));
  }

  /** The what-if's answer for the edits of version `version` (of run `run`); an older one is dropped. */
  setAnswer(run, version, answer) {
    if (run !== this.run || version !== this.editsVersion) return false;
    this.answer = answer;
    this.emit("answer");
    return true;
  }

  /** A one-line account of an edit, for the list. */
  editText(e) {
    const name = e.op === "add" ? e.name : this.table?.stations.find((s) => s.id === e.station)?.name ?? this.stationName(e.station);
    return { add: `新增 ${name}`, move: `移动 ${name}`, remove: `删除 ${name}` }[e.op];
  }
}

export { STATION_KINDS };
