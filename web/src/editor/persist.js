// Unsaved 网格编辑 edits survive a reload of the tab: the session's operations are kept in sessionStorage (this tab
// only, gone when it closes) and the planner offers to restore them (恢复未保存的修改?) when the page comes back.
//
// What is stored is only what a save would send: building ids, grid codes, the kind of each operation, and the
// versions the session read. Never the dry-run answers — those are grid features carrying grid workers' names and
// phones (personal data, contract.md) — nor labels or households: the panel rebuilds them from the store on restore.
// Every field is copied by name from a known shape, so nothing else can slip in.

export const STORAGE_KEY = "gridmap.planner.session";
const FORMAT = 1;
const ACTIONS = new Set(["move", "create", "merge", "rebalance"]);

const str = (v) => (v == null ? null : String(v));

/** The storable form of one operation, or null when it has an unknown shape. */
function storable(op) {
  const grids = (op.grids ?? []).map(String);
  const action = ACTIONS.has(op.action) ? op.action : op.kind === "rebalance" ? "rebalance" : "move";
  if (op.kind === "assign" && Array.isArray(op.body?.assignments)) {
    const assignments = op.body.assignments.map((a) => ({ building: String(a.building), grid: str(a.grid) }));
    return { kind: "assign", action, body: { assignments }, grids };
  }
  if (op.kind === "rebalance" && Array.isArray(op.body?.grids)) {
    return { kind: "rebalance", action: "rebalance", body: { grids: op.body.grids.map(String), neighbours: Boolean(op.body.neighbours) }, grids };
  }
  return null;
}

/** Keeps the session's operations of `community` (or forgets them when there are none). */
export function storeSession(community, session, storage = globalThis.sessionStorage) {
  try {
    if (!storage) return;
    if (!session.dirty || !community) { storage.removeItem(STORAGE_KEY); return; }
    const ops = session.ops.map(storable);
    if (ops.some((op) => op == null)) { storage.removeItem(STORAGE_KEY); return; }
    const read = {};
    for (const [code, v] of session.readVersions) if (Number.isFinite(Number(v))) read[String(code)] = Number(v);
    storage.setItem(STORAGE_KEY, JSON.stringify({ format: FORMAT, community: String(community), ops, read, saved_at: new Date().toISOString() }));
  } catch {
    /* storage full or disabled: the edits stay in this page only, as before */
  }
}

/** The stored session `{community, ops, read, saved_at}`, or null (nothing stored, or not ours: then it is dropped). */
export function readStored(storage = globalThis.sessionStorage) {
  let raw = null;
  try { raw = storage?.getItem(STORAGE_KEY); } catch { return null; }
  if (!raw) return null;
  try {
    const s = JSON.parse(raw);
    if (s?.format !== FORMAT || typeof s.community !== "string" || !Array.isArray(s.ops) || !s.ops.length) throw new Error("format");
    const ops = s.ops.map(storable);
    if (ops.some((op) => op == null)) throw new Error("op");
    const read = Object.fromEntries(Object.entries(s.read ?? {}).filter(([, v]) => Number.isFinite(v)));
    return { community: s.community, ops, read, saved_at: s.saved_at ?? null };
  } catch {
    clearStored(storage);
    return null;
  }
}

export function clearStored(storage = globalThis.sessionStorage) {
  try { storage?.removeItem(STORAGE_KEY); } catch { /* nothing to clear */ }
}
