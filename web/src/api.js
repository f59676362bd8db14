// The GridMap HTTP API of the same origin. Every call throws ApiError on a non-2xx answer
// so callers can show one message; AbortSignals let a new map move cancel a stale load.
import { normaliseCode } from "./i18n.js";

/**
 * A refused or failed request. `problem` is the application/problem+json body (or null), `errors` its `errors[]`,
 * `code` the first stable code (`not_found`, `stale_version`, …; from `errors[].code`, the problem's `code`, or the
 * last segment of its `type`), `codes` all of them. `message` is English, for logs: the UI shows Chinese through
 * i18n.js (`problemText(e)`). A request that never reached the server has status 0 and code `network`.
 */
export class ApiError extends Error {
  constructor(status, problem = null, { path = "", cause } = {}) {
    const errors = Array.isArray(problem?.errors) ? problem.errors : [];
    const first = errors[0];
    super(`${path}: ${status} ${problem?.detail ?? problem?.title ?? ""}${first?.message ? ` (${first.pointer ?? first.field ?? ""}: ${first.message})` : ""}`.trim(),
      cause ? { cause } : undefined);
    this.name = "ApiError";
    this.status = status;
    this.path = path;
    this.problem = problem;
    this.errors = errors;
    const codes = [...errors.map((e) => normaliseCode(e?.code)), normaliseCode(problem?.code), normaliseCode(problem?.type)]
      .filter(Boolean);
    this.codes = [...new Set(codes)];
    this.code = this.codes[0] ?? (status === 0 ? "network" : null);
  }
}

let antiforgery = null;

/** The anti-forgery token of the signed-in session (GET /api/auth/me): every write sends it back. */
export function setAntiforgery(token) { antiforgery = token ?? null; }

/** Headers a write of a signed-in browser session needs (none for reads, or when nobody is signed in). */
export function writeHeaders(method = "GET") {
  return method !== "GET" && method !== "HEAD" && antiforgery ? { "X-XSRF-TOKEN": antiforgery } : {};
}

/** fetch, with a failure to connect turned into ApiError(0) (an abort stays an AbortError). */
async function send(path, init) {
  let res;
  try {
    res = await fetch(path, { ...init, headers: { ...(init?.headers ?? {}), ...writeHeaders(init?.method) } });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, null, { path, cause: e });
  }
  return readJson(path, res);
}

/** GET a JSON answer. */
export const getJson = (path, signal) => send(path, { signal, headers: { Accept: "application/json" } });

/** POST (or another method) a JSON body; extra headers (e.g. If-Match) as given. */
export const sendJson = (method, path, body, { signal, headers = {} } = {}) => send(path, {
  method, signal,
  headers: { Accept: "application/json", "Content-Type": "application/json", ...headers },
  body: body === undefined ? undefined : JSON.stringify(body ?? {}),
});

export const postJson = (path, body, signal) => sendJson("POST", path, body, { signal });

/** The body of a 2xx answer; otherwise an ApiError carrying the problem. */
async function readJson(path, res) {
  if (!res.ok) {
    let problem = null;
    try {
      const body = await res.json();
      if (body && typeof body === "object") problem = body;
    } catch { /* not JSON: the status is all there is */ }
    throw new ApiError(res.status, problem, { path });
  }
  // 204, or a 2xx without a body (a sign-out): nothing to read.
  const text = res.status === 204 ? "" : await res.text();
  return text ? JSON.parse(text) : null;
}

/** `[{layer, label, count}]` for the eight layers. */
export const getLayers = (signal) => getJson("/api/layers", signal);

/** `{status, store}`. */
export const getHealth = (signal) => getJson("/api/health", signal);

/** The server's cap on one page. */
export const MAX_PAGE = 10000;

/**
 * All features of a layer inside bbox (or all of them when bbox is null), fetched page by page.
 * Stops at `max` features so a dense layer cannot freeze the page; `truncated` tells the caller.
 */
export async function getFeatures(layer, bbox, { pageSize = 5000, max = 50000, signal, onPage } = {}) {
  const features = [];
  let offset = 0;
  let matched = 0;
  for (;;) {
    const limit = Math.min(pageSize, MAX_PAGE, max - features.length);
    const params = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    if (bbox) params.set("bbox", bbox.map((v) => v.toFixed(6)).join(","));
    const page = await getJson(`/api/layers/${encodeURIComponent(layer)}/features?${params}`, signal);
    const got = page.features ?? [];
    features.push(...got);
    matched = page.numberMatched ?? features.length;
    onPage?.(features.length, matched);
    const returned = page.numberReturned ?? got.length;
    offset += returned;
    if (returned < limit || offset >= matched || features.length >= max) break;
  }
  return { features, matched, truncated: features.length < matched };
}

/** One feature; its ETag is the version. */
export const getFeature = (layer, id, signal) =>
  getJson(`/api/layers/${encodeURIComponent(layer)}/features/${encodeURIComponent(id)}`, signal);

/** What is at a point: street, community, compound, grid (with workers), building, nearest stations. */
export const lookup = (lon, lat, signal) =>
  getJson(`/api/lookup?lon=${lon.toFixed(7)}&lat=${lat.toFixed(7)}`, signal);

/** Grid codes, compound names and grid worker names. */
export const search = (q, limit = 20, signal) =>
  getJson(`/api/search?${new URLSearchParams({ q, limit: String(limit) })}`, signal);

/** Starts a partition job: `{scope, min, max, target}` → the job (`{id, status, progress, …}`). */
export const startPartition = (request, signal) => postJson("/api/partition/jobs", request, signal);

/** A job with its status, progress and, when done, its report. */
export const getJob = (id, signal) => getJson(`/api/partition/jobs/${encodeURIComponent(id)}`, signal);

/** The proposed grids of a finished job (GeoJSON). */
export const getProposal = (id, signal) => getJson(`/api/partition/jobs/${encodeURIComponent(id)}/proposal`, signal);

/** Accepts a proposal into the store: `{job, grids, deleted, buildings_updated}`. */
export const acceptJob = (id, signal) => postJson(`/api/partition/jobs/${encodeURIComponent(id)}/accept`, null, signal);

/** Asks a queued or running job to stop. */
export const cancelJob = (id, signal) => postJson(`/api/partition/jobs/${encodeURIComponent(id)}/cancel`, null, signal);

/** Query string of a coverage request: `{kind, minutes | meters, profile}` (empty values left out). */
const coverageQuery = (q) => new URLSearchParams(Object.entries(q).filter(([, v]) => v != null && v !== "")).toString();

/** The coverage report: `{coverage, uncovered_households, station_load, unreachable, mode, …}`. */
export const getCoverage = (q, signal) => getJson(`/api/coverage?${coverageQuery(q)}`, signal);

/** Every building with `station`, `walk_m`, `walk_min` and `within` (the smallest threshold it is within). */
export const getCoverageBuildings = (q, signal) => getJson(`/api/coverage/buildings?${coverageQuery(q)}`, signal);

/** Every building's walk as columns, no geometry: `{mode, thresholds, ids, station, walk_m, walk_min, within}` (the map's colours). */
export const getCoverageValues = (q, signal) => getJson(`/api/coverage/values?${coverageQuery(q)}`, signal);

/** Isochrones (GeoJSON) of one station (`station`) or of all stations of a kind. */
export const getIsochrones = (q, signal) => getJson(`/api/coverage/isochrones?${coverageQuery(q)}`, signal);

/** Residential land no station reaches within each threshold, with its households (GeoJSON). */
export const getGaps = (q, signal) => getJson(`/api/coverage/gaps?${coverageQuery(q)}`, signal);

/** Suggested new stations (GeoJSON, with `report`): `{kind, minutes, add | share, candidates: "auto"}`. */
export const suggestSites = (request, signal) => postJson("/api/coverage/sites", request, signal);
