#!/usr/bin/env bash
# Runs GridMap on its embedded store (./data, seeded with the sample city on first run)
# and serves the web map on http://127.0.0.1:5080, open to anonymous readers (--open: no
# personal data, no writes; sign in with the admin password printed on first run to edit).
# Extra arguments go to `gridmap serve` (e.g. --port 8080, --data DIR, --postgres "Host=…").
set -euo pipefail
cd "$(dirname "$0")/.."

# The web map's only dependency, MapLibre GL JS, comes from npm into web/vendor.
build_web() {
  if [ ! -f web/vendor/maplibre-gl.js ] || [ web/package-lock.json -nt web/vendor/maplibre-gl.js ]; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
  fi
}

build_server() {
  dotnet build src/GridMap.Server -c Release -o .build/gridmap --nologo -v quiet -clp:ErrorsOnly
}

build_web
build_server
exec dotnet .build/gridmap/gridmap.dll serve --open "$@"
