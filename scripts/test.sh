#!/usr/bin/env bash
# The project's one test command: bash scripts/test.sh [extra dotnet test arguments]
#
#  1. as root, installs the Debian packages the tests need (PostGIS, pgRouting, Chromium, CJK fonts, METIS, GDAL for the tile tests);
#  2. starts a throwaway PostgreSQL cluster on a free 127.0.0.1 port, unless GRIDMAP_TEST_POSTGRES is set,
#     and stops it again on any exit;
#  3. builds the web front end when web/package.json exists (GRIDMAP_SKIP_WEB_BUILD=1 skips it);
#  4. runs every test of GridMap.sln and fails when any test fails.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_VERSION=15
PACKAGES=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting chromium fonts-noto-cjk metis gdal-bin)
PG_TMP=""
PG_BIN=""
POSTGRES_NOTE="GRIDMAP_TEST_POSTGRES given"

log() { printf '\n== test.sh: %s\n' "$*" >&2; }

is_installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }

# Step 1 — packages. Only what is missing, and apt-get update only once, so a ready machine pays nothing.
install_packages() {
  command -v dpkg >/dev/null || { log "no dpkg: not a Debian system, skipping package installation"; return; }
  local wanted=("${PACKAGES[@]}") missing=() p
  command -v node >/dev/null || wanted+=(nodejs npm)
  for p in "${wanted[@]}"; do is_installed "$p" || missing+=("$p"); done
  if [[ ${#missing[@]} -eq 0 ]]; then return; fi

  if [[ $EUID -ne 0 ]]; then
    log "missing Debian packages (run as root to install them): ${missing[*]}; going on without them"
    return
  fi
  log "installing ${missing[*]}"
  # No "main" cluster: the tests start their own, and a stray server on 5432 would outlive this script.
  if ! is_installed postgresql-common; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold "${missing[@]}"
}

# Runs a PostgreSQL program as the postgres user when we are root: initdb and postgres refuse root.
as_postgres() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

find_pg_bin() {
  local dir
  for dir in "/usr/lib/postgresql/$PG_VERSION/bin" /usr/lib/postgresql/*/bin; do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then PG_BIN="$dir"; return 0; fi
  done
  return 1
}

# A port nobody listens on: ask the kernel through python3, else probe from 54329 upwards.
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for port in $(seq 54329 54529); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  return 1
}

stop_postgres() {
  [[ -n "$PG_TMP" ]] || return 0
  if [[ -f "$PG_TMP/data/postmaster.pid" ]]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TMP"
  PG_TMP=""
}

# Step 2 — a throwaway cluster: tests create one database per test class in it, and it vanishes on exit.
start_postgres() {
  if [[ -n "${GRIDMAP_TEST_POSTGRES:-}" ]]; then
    log "using GRIDMAP_TEST_POSTGRES from the environment; starting no server"
    return
  fi
  if ! find_pg_bin; then
    log "PostgreSQL $PG_VERSION is not installed: PostGIS tests will use Docker if they can, else fail"
    POSTGRES_NOTE="no PostgreSQL found"
    return
  fi

  local port
  port="$(free_port)"
  PG_TMP="$(mktemp -d /tmp/gridmap-pg.XXXXXX)"
  trap 'stop_postgres' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  echo gridmap >"$PG_TMP/pwfile"
  if [[ $EUID -eq 0 ]]; then chown -R postgres:postgres "$PG_TMP"; fi

  log "starting PostgreSQL ($PG_BIN) on 127.0.0.1:$port in $PG_TMP"
  as_postgres "$PG_BIN/initdb" -D "$PG_TMP/data" -U gridmap --pwfile="$PG_TMP/pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --no-locale >"$PG_TMP/initdb.log" 2>&1 \
    || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  # Durability is pointless for a throwaway cluster; switching it off makes big imports fast.
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PG_TMP/server.log" >&2; return 1; }

  export GRIDMAP_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=gridmap;Password=gridmap;Database=postgres"
  POSTGRES_NOTE="throwaway cluster on port $port"
}

# Step 3 — the server serves web/dist and the browser tests load it, so build it first when the web app exists.
build_web() {
  if [[ -n "${GRIDMAP_SKIP_WEB_BUILD:-}" ]]; then
    log "GRIDMAP_SKIP_WEB_BUILD is set: skipping the web build"
    return
  fi
  if [[ ! -f "$REPO_ROOT/web/package.json" ]]; then
    log "no web/package.json: skipping the web build"
    return
  fi
  if ! command -v npm >/dev/null; then
    log "npm is missing: skipping the web build"
    return
  fi
  log "building the web front end"
  (cd "$REPO_ROOT/web" && npm ci --no-audit --no-fund && npm run build)
}

# Step 4 — every test project of the solution; extra arguments go to dotnet test.
run_tests() {
  log "dotnet test GridMap.sln $*"
  local out status=0
  out="$(mktemp)"
  # A test that hangs fails after 10 minutes (with a dump) instead of eating CI's whole budget.
  dotnet test "$REPO_ROOT/GridMap.sln" --logger "console;verbosity=normal" --blame-hang-timeout 10m "$@" 2>&1 | tee "$out" || status=$?
  # One plain closing line over all test projects: "N passed, N failed".
  # Failures again at the very end, each with the start of its message: a CI log is often read from its tail.
  awk '/^ *Failed [A-Za-z_]/ {n = 12; print "FAILED:" substr($0, index($0, "Failed") + 6); next}
       n > 0 && /Stack Trace:/ {n = 0; next}
       n > 0 {print "   " $0; n--}' "$out"
  awk '/^ *Passed: *[0-9]+$/ {p += $2} /^ *Failed: *[0-9]+$/ {f += $2} /^ *Skipped: *[0-9]+$/ {s += $2}
       END {printf "tests: %d passed, %d failed, %d skipped\n", p, f, s}' "$out"
  rm -f "$out"
  return "$status"
}

main() {
  cd "$REPO_ROOT"
  # The browser tests' screenshots go with the test output (git-ignored), so a run can be looked at afterwards.
  export GRIDMAP_WEB_SCREENSHOTS="${GRIDMAP_WEB_SCREENSHOTS:-$REPO_ROOT/TestResults/screenshots}"
  install_packages
  start_postgres

  # A broken web build fails the run, but the .NET tests still run and report.
  local status=0
  build_web || status=$?
  run_tests "$@" || status=$?
  stop_postgres

  log "screenshots of the browser tests: $GRIDMAP_WEB_SCREENSHOTS"
  if [[ $status -eq 0 ]]; then
    log "PASSED (postgres: $POSTGRES_NOTE)"
  else
    log "FAILED with exit code $status (postgres: $POSTGRES_NOTE)"
  fi
  return "$status"
}

main "$@"
