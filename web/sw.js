// GridMap's service worker: keeps the page, its scripts, styles and MapLibre for a brief loss of connection. It never
// stores API answers or tiles (they may carry personal data and go stale): those always go to the network.
const CACHE = "gridmap-shell-v2";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(["/", "/style.css", "/maplibre-worker.js", "/vendor/maplibre-gl-csp.js", "/vendor/maplibre-gl-csp-worker.js", "/vendor/maplibre-gl.css"])).catch(() => {}));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

const isShell = (url) => url.origin === self.location.origin
  && !/^\/(api|tiles|openapi|docs)(\/|$)/.test(url.pathname);

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || !isShell(url)) return;
  // Network first, so a new version shows at once; the cached copy only when the network fails.
  event.respondWith(fetch(request).then((response) => {
    if (response.ok && response.type === "basic") {
      const copy = response.clone();
      caches.open(CACHE).then((c) => c.put(request, copy));
    }
    return response;
  }).catch(() => caches.match(request, { ignoreSearch: url.pathname === "/" }).then((hit) => hit ?? Response.error())));
});
