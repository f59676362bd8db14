// Shareable links: `/?grid=<code>` opens a grid, `/?lon=&lat=&z=` a view (both together: that view with that grid
// selected). The address bar follows the map (history.replaceState, no history entries); other query parameters
// (e.g. a planner's) are left as they are.

const DIGITS = { lon: 6, lat: 6, z: 2 };

/** `{center: [lon, lat] | null, zoom: number | null, grid: string | null}` from a query string; bad values are ignored. */
export function readLink(search = location.search) {
  const q = new URLSearchParams(search);
  const num = (k) => (q.has(k) && q.get(k).trim() !== "" ? Number(q.get(k)) : NaN);
  const lon = num("lon");
  const lat = num("lat");
  const z = num("z");
  const okView = Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 85;
  const grid = (q.get("grid") ?? "").trim();
  return {
    center: okView ? [lon, lat] : null,
    zoom: okView && Number.isFinite(z) && z >= 0 && z <= 22 ? z : okView ? 15 : null,
    grid: grid && grid.length <= 64 ? grid : null,
  };
}

/** The query string for a view and a selected grid, keeping `search`'s other parameters. */
export function linkQuery({ center, zoom, grid }, search = location.search) {
  const q = new URLSearchParams(search);
  q.set("lon", center[0].toFixed(DIGITS.lon));
  q.set("lat", center[1].toFixed(DIGITS.lat));
  q.set("z", zoom.toFixed(DIGITS.z).replace(/\.?0+$/, ""));
  if (grid) q.set("grid", grid);
  else q.delete("grid");
  // grid first, then the view: the order a person reads and shares it in.
  const ordered = new URLSearchParams();
  for (const k of ["grid", "lon", "lat", "z"]) if (q.has(k)) ordered.set(k, q.get(k));
  for (const [k, v] of q) if (!["grid", "lon", "lat", "z"].includes(k)) ordered.append(k, v);
  return `?${ordered.toString()}`;
}

/**
 * Keeps the address bar on the map's view and on the grid `selectedGrid()` names (null: none).
 * Returns `update()` for changes that are not map moves (a grid selected or the panel closed).
 */
export function followMap(map, selectedGrid) {
  const update = () => {
    const c = map.getCenter();
    const query = linkQuery({ center: [c.lng, c.lat], zoom: map.getZoom(), grid: selectedGrid() });
    if (query !== location.search) history.replaceState(history.state, "", `${location.pathname}${query}${location.hash}`);
  };
  map.on("moveend", update);
  return update;
}
