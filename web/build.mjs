// Copies MapLibre GL JS from node_modules into vendor/ so the page loads it from the
// same origin (/vendor/…): no bundler and no CDN, the map works offline. The CSP build: its
// worker is a file of this origin (maplibre-worker.js points MapLibre at it), not a blob: URL,
// so the Content-Security-Policy needs no blob: worker (docs/security.md).
import { copyFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "node_modules", "maplibre-gl", "dist");
const vendor = join(here, "vendor");

if (!existsSync(dist)) {
  console.error("node_modules/maplibre-gl is missing: run `npm ci` (or `npm install`) in web/ first");
  process.exit(1);
}
mkdirSync(vendor, { recursive: true });
for (const file of ["maplibre-gl-csp.js", "maplibre-gl-csp-worker.js", "maplibre-gl.css"]) {
  copyFileSync(join(dist, file), join(vendor, file));
  console.log(`vendor/${file}`);
}
