// MapLibre's CSP build loads its worker from this origin instead of a blob: URL, so the page's Content-Security-Policy
// admits workers from 'self' only (docs/security.md). A classic script: it runs after /vendor/maplibre-gl-csp.js.
maplibregl.setWorkerUrl("/vendor/maplibre-gl-csp-worker.js");
