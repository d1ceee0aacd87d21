# Shell helpers to run the MCP server component under `wasmtime serve` (sourced by conformance/run.sh,
# bench/run.sh and scripts/test). Needs bash with `set -euo pipefail`.
#
#   start_fake VAR_PID VAR_URL LOG [fake args...]          fake-pagerduty on a free port
#   start_component VAR_PID VAR_URL LOG WASM [NAME=VALUE...]  wasmtime serve -Scli on a free port
#   stop_pid PID                                            TERM, then KILL after 5 s
#
# FAKE_PAGERDUTY_BIN (default target/release/fake-pagerduty), WASMTIME_BIN (default: from
# scripts/install-wasmtime, which installs wasmtime-cli 48.0.8 once when missing).

COMPONENT_LIB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The token the fake accepts for its current user (fake_pagerduty::USER_TOKEN).
FAKE_USER_TOKEN="fake-user-token"

stop_pid() {
  local pid="$1"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# Waits up to 60 s for `sed_expr` to print a URL from `log`; fails if `pid` exits first.
_wait_for_url() {
  local pid="$1" log="$2" sed_expr="$3" url=""
  for _ in $(seq 1 600); do
    url="$(sed -n "$sed_expr" "$log" | head -n1)"
    if [[ -n "$url" ]]; then
      printf '%s\n' "$url"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "process $pid exited before listening:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "process $pid did not listen within 60 s:" >&2
  cat "$log" >&2
  return 1
}

start_fake() {
  local -n _pid="$1" _url="$2"
  local log="$3"
  shift 3
  local bin="${FAKE_PAGERDUTY_BIN:-${CARGO_TARGET_DIR:-$COMPONENT_LIB_ROOT/target}/release/fake-pagerduty}"
  "$bin" --port 0 "$@" </dev/null >"$log.url" 2>"$log" &
  _pid=$!
  _url="$(_wait_for_url "$_pid" "$log.url" 's|^\(http://[^ ]*\)$|\1|p')"
}

start_component() {
  local -n _pid="$1" _url="$2"
  local log="$3" wasm="$4"
  shift 4
  local wasmtime="${WASMTIME_BIN:-$("$COMPONENT_LIB_ROOT/scripts/install-wasmtime")}"
  local envs=()
  for assignment in "$@"; do envs+=(--env "$assignment"); done
  "$wasmtime" serve -Scli --addr 127.0.0.1:0 "${envs[@]}" "$wasm" </dev/null >"$log" 2>&1 &
  _pid=$!
  _url="$(_wait_for_url "$_pid" "$log" 's|^Serving HTTP on \(http://[^ ]*\)/$|\1|p')"
}
