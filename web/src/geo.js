// Small lon/lat helpers: extents for fitting the view and label points for HTML labels.
// Planar maths is fine here: it only places things on screen, it never measures.

/** [minLon, minLat, maxLon, maxLat] of any GeoJSON geometry, or null when empty. */
export function bboxOf(geometry, box = null) {
  const visit = (c) => {
    if (typeof c[0] === "number") {
      if (!box) box = [c[0], c[1], c[0], c[1]];
      else {
        if (c[0] < box[0]) box[0] = c[0];
        if (c[1] < box[1]) box[1] = c[1];
        if (c[0] > box[2]) box[2] = c[0];
        if (c[1] > box[3]) box[3] = c[1];
      }
    } else c.forEach(visit);
  };
  if (!geometry) return box;
  if (geometry.type === "GeometryCollection") geometry.geometries.forEach((g) => (box = bboxOf(g, box)));
  else visit(geometry.coordinates);
  return box;
}

export function extentOf(features) {
  let box = null;
  for (const f of features) box = bboxOf(f.geometry, box);
  return box;
}

export const boxContains = (outer, inner) =>
  outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];

export const boxHas = (box, [x, y]) => x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3];

function ringArea(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  return a / 2;
}

function pointInRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * A point inside the (largest) polygon for its label: the centroid when it falls inside,
 * else the middle of the widest inside run along the horizontal line through the bbox centre
 * (L- and U-shaped grids have their centroid outside).
 */
export function labelPoint(geometry) {
  if (!geometry) return null;
  if (geometry.type === "Point") return geometry.coordinates;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates]
    : geometry.type === "MultiPolygon" ? geometry.coordinates : null;
  if (!polygons) {
    const b = bboxOf(geometry);
    return b && [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
  }
  let best = null;
  let bestArea = -1;
  for (const p of polygons) {
    const a = Math.abs(ringArea(p[0]));
    if (a > bestArea) { bestArea = a; best = p; }
  }
  const ring = best[0];
  let cx = 0, cy = 0, a2 = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    cx += (ring[j][0] + ring[i][0]) * f;
    cy += (ring[j][1] + ring[i][1]) * f;
    a2 += f;
  }
  if (a2 !== 0) {
    const c = [cx / (3 * a2), cy / (3 * a2)];
    if (pointInRing(c, ring)) return c;
  }
  const b = bboxOf({ type: "Polygon", coordinates: [ring] });
  const y = (b[1] + b[3]) / 2;
  const xs = [];
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
  }
  xs.sort((p, q) => p - q);
  let run = null;
  for (let i = 0; i + 1 < xs.length; i += 2) if (!run || xs[i + 1] - xs[i] > run[1] - run[0]) run = [xs[i], xs[i + 1]];
  return run ? [(run[0] + run[1]) / 2, y] : [(b[0] + b[2]) / 2, y];
}
