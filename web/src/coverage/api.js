// The coverage endpoints the 服务圈 panel calls (docs/coverage.md): the table, the buildings' walks, isochrones, gaps,
// new sites and what-ifs. Reads are GETs with the query of the panel's parameters; sites and what-if are POSTs for the
// roles that may (admin, organisation: the server refuses others with 403).
import { getCoverageBuildings, getCoverageValues, getGaps, getIsochrones, getJson, postJson, suggestSites } from "../api.js";

const query = (q) => new URLSearchParams(Object.entries(q).filter(([, v]) => v != null && v !== "")).toString();

/** Coverage by community and by grid with names, households and covered households; stations with names and loads. */
export const getCoverageTable = (q, signal) => getJson(`/api/coverage/table?${query(q)}`, signal);

/** Coverage after adding, moving or removing stations: `{...q, changes}` → `{coverage_before, coverage_after, by_community, …}`. */
export const postWhatIf = (body, signal) => postJson("/api/coverage/whatif", body, signal);

export { getCoverageBuildings, getCoverageValues, getGaps, getIsochrones, suggestSites };
