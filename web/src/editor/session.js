// 网格编辑 session: the planner's unsaved operations, in order, with an undo/redo stack, and the versions of the grids
// the session read. No drawing and no DOM: the panel (planner.js) listens and draws. One store per concern, as
// districtr-v2 keeps them: what the store held (StoreSnapshot) is apart from what the planner did (EditSession).
//
// An operation is what docs/editing.md calls a body of `base`:
//   {kind: "assign",    body: {assignments: [{building, grid}]}, label, grids: [codes it touches], action}
//   {kind: "rebalance", body: {grids: [codes], neighbours: true},  label, grids: [codes it touches], action}
// `action` is the panel's button (move, create, merge, rebalance): a merge and a move send the same body.
// `state` on an operation is the server's dry-run answer for the session up to and including it (so undo and redo
// need no request); `grids` are the codes the operation touched (sources, targets, created, neighbours), which is
// what "discard the operations that touch these grids" after a conflict looks at.

export class EditSession {
  constructor() {
    /** @type {Array<{kind: string, body: object, label: string, grids: string[], action: string|null, state: object|null}>} */
    this.ops = [];
    this.redoStack = [];
    /** code → the version this session read from the store (the first time it saw the grid). */
    this.readVersions = new Map();
    this.listeners = new Set();
  }

  /** fn(session, why) after every change; returns an unsubscribe function. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(why) {
    for (const fn of this.listeners) fn(this, why);
  }

  get length() { return this.ops.length; }
  get canUndo() { return this.ops.length > 0; }
  get canRedo() { return this.redoStack.length > 0; }
  get dirty() { return this.ops.length > 0; }

  /** The dry-run answer for all operations, or null when there are none (the store as read is the state). */
  get state() { return this.ops.at(-1)?.state ?? null; }

  /** The operations' bodies, in order: `base` of a dry run on top of the session, or of the save. */
  bases() {
    return this.ops.map((op) => structuredClone(op.body));
  }

  /** Remembers the versions of grids as read from the store; a version already held is kept (it is what we read). */
  noteRead(features) {
    for (const f of features) {
      const code = String(f.properties?.code ?? f.id);
      if (!this.readVersions.has(code) && f.version != null) this.readVersions.set(code, f.version);
    }
  }

  /** Forgets what was read of these grids (or all): the next noteRead takes the store's current versions. */
  forgetRead(codes = null) {
    if (codes == null) this.readVersions.clear();
    else for (const c of codes) this.readVersions.delete(String(c));
  }

  /** Adds an operation (clears the redo stack, like every editor). */
  push(op) {
    this.ops.push(copyOp(op));
    this.redoStack = [];
    this.emit("push");
  }

  /**
   * Replaces the session with operations kept from before a reload (editor/persist.js) and the versions it had read
   * then — not the current ones, so a grid someone changed meanwhile is a conflict on save, never overwritten.
   * Their answers are not kept: the panel recomputes them with one dry run.
   */
  restore(ops, readVersions = {}) {
    this.ops = ops.map((op) => copyOp({ ...op, state: null }));
    this.redoStack = [];
    for (const [code, v] of Object.entries(readVersions)) this.readVersions.set(String(code), v);
    this.emit("restore");
  }

  undo() {
    if (!this.canUndo) return null;
    const op = this.ops.pop();
    this.redoStack.push(op);
    this.emit("undo");
    return op;
  }

  redo() {
    if (!this.canRedo) return null;
    const op = this.redoStack.pop();
    this.ops.push(op);
    this.emit("redo");
    return op;
  }

  /** Sets the dry-run answer of the last operation (e.g. after a recompute). */
  setState(state) {
    const last = this.ops.at(-1);
    if (last) last.state = state;
  }

  /** Drops every cached answer (after a reload the store changed under them); the panel recomputes. */
  invalidate() {
    for (const op of this.ops) op.state = null;
    for (const op of this.redoStack) op.state = null;
  }

  /**
   * The versions a save must name: every grid the last dry run's `touched.grids` lists that existed before the
   * session (created ones have none), at the version the session read it — not the current one the dry run saw,
   * or a planner holding a stale grid would silently overwrite someone else's edit.
   */
  saveVersions(touched = this.state?.touched?.grids ?? {}, created = this.state?.created ?? []) {
    const born = new Set((created ?? []).map(String));
    for (const op of this.ops) for (const c of op.state?.created ?? []) born.add(String(c));
    const versions = {};
    for (const [code, current] of Object.entries(touched)) {
      if (born.has(code)) continue;
      versions[code] = this.readVersions.get(code) ?? current;
    }
    return versions;
  }

  /** Every grid code any operation touched (from the operations and their answers). */
  touchedGrids() {
    const codes = new Set();
    for (const op of this.ops) {
      for (const c of op.grids) codes.add(String(c));
      for (const c of Object.keys(op.state?.touched?.grids ?? {})) codes.add(c);
    }
    return codes;
  }

  /**
   * Drops the operations that touch any of `codes`, and every later one that touches a grid a dropped one touched
   * (it may move a building into a grid the dropped one created); the redo stack goes. Returns how many were dropped.
   */
  discardTouching(codes) {
    const tainted = new Set([...codes].map(String));
    const kept = [];
    let dropped = 0;
    for (const op of this.ops) {
      const grids = op.grids.map(String);
      if (grids.some((c) => tainted.has(c))) {
        for (const c of grids) tainted.add(c);
        for (const c of op.state?.created ?? []) tainted.add(String(c));
        dropped++;
      } else kept.push(op);
    }
    this.ops = kept;
    this.redoStack = [];
    this.invalidate();
    this.emit("discard");
    return dropped;
  }

  /** Forgets every operation (after a save, or "discard all"). */
  clear() {
    this.ops = [];
    this.redoStack = [];
    this.readVersions.clear();
    this.emit("clear");
  }
}

function copyOp(op) {
  return { kind: op.kind, body: structuredClone(op.body), label: op.label ?? "", grids: [...new Set((op.grids ?? []).map(String))],
    action: op.action ?? null, state: op.state ?? null };
}

/**
 * What the store held for one community, with the session's state laid over it: the grids (by code) and each
 * building's grid. Pure data; `overlay(answer)` gives a new view, the snapshot itself never changes.
 */
export class StoreSnapshot {
  constructor(community, grids, buildings) {
    this.community = community;
    /** code → grid feature, active grids only. */
    this.grids = new Map();
    for (const g of grids) if (g.properties?.status !== "retired") this.grids.set(String(g.properties?.code ?? g.id), g);
    /** id → building feature. */
    this.buildings = new Map(buildings.map((b) => [String(b.id), b]));
  }

  /** The store as read, or with a dry-run answer laid over it. */
  view(answer = null) {
    const grids = new Map(this.grids);
    const gridOf = new Map();
    for (const [id, b] of this.buildings) gridOf.set(id, b.properties?.grid_code ?? null);
    const changed = new Set();
    for (const f of answer?.features ?? []) {
      const code = String(f.properties?.code ?? f.id);
      // Another community's grid can only appear here if the server touched it; it is not ours to show.
      if (f.properties?.community_code && this.community && f.properties.community_code !== this.community) continue;
      changed.add(code);
      if (f.properties?.status === "retired") grids.delete(code);
      else grids.set(code, f);
      for (const id of f.properties?.unit_ids ?? []) if (gridOf.has(String(id))) gridOf.set(String(id), code);
    }
    return { grids, gridOf, changed, answer };
  }
}
