#!/usr/bin/env bash
# End-to-end tests of pagerduty-mcp: sets up e2e/.venv (Python MCP SDK + pytest) and
# e2e/node_modules (MCP Inspector CLI) when missing or stale, then runs pytest on e2e/tests.
#
#   e2e/run.sh [pytest args...]
#
# Needs python3 (3.11+, with venv and pip), node 20+ and npm, and the built binaries:
#   cargo build --release -p pagerduty-mcp-host -p fake-pagerduty
# PAGERDUTY_MCP_BIN / FAKE_PAGERDUTY_BIN override the binaries' paths (default:
# ${CARGO_TARGET_DIR:-<repo>/target}/release/{pagerduty-mcp,fake-pagerduty}).
# Network: only PyPI and the npm registry, and only when the set-up is stale.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$E2E_DIR/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO_ROOT/$TARGET_DIR" ;; esac

PYTHON="${PYTHON:-python3}"
VENV="$E2E_DIR/.venv"

log() { printf 'e2e: %s\n' "$*" >&2; }

# --- Python: e2e/.venv, rebuilt when requirements.txt or the interpreter change ----------
py_version="$("$PYTHON" -c 'import sys; print(sys.version)')"
want_py_stamp="$( { cat "$E2E_DIR/requirements.txt"; printf '%s\n' "$py_version"; } | sha256sum | cut -d' ' -f1)"
py_stamp_file="$VENV/.requirements.sha256"
if [[ ! -x "$VENV/bin/python" || ! -f "$py_stamp_file" || "$(cat "$py_stamp_file")" != "$want_py_stamp" ]]; then
  log "creating $VENV (requirements changed or venv missing)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$E2E_DIR/requirements.txt"
  printf '%s\n' "$want_py_stamp" >"$py_stamp_file"
fi

# --- Node: e2e/node_modules from the committed package-lock.json ------------------------
want_npm_stamp="$( { cat "$E2E_DIR/package.json" "$E2E_DIR/package-lock.json"; node --version; } | sha256sum | cut -d' ' -f1)"
npm_stamp_file="$E2E_DIR/node_modules/.e2e-lock.sha256"
if [[ ! -f "$npm_stamp_file" || "$(cat "$npm_stamp_file")" != "$want_npm_stamp" ]]; then
  log "running npm ci in $E2E_DIR (node_modules missing or stale)"
  (cd "$E2E_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$want_npm_stamp" >"$npm_stamp_file"
fi

# --- The binaries under test ------------------------------------------------------------
export PAGERDUTY_MCP_BIN="${PAGERDUTY_MCP_BIN:-$TARGET_DIR/release/pagerduty-mcp}"
export FAKE_PAGERDUTY_BIN="${FAKE_PAGERDUTY_BIN:-$TARGET_DIR/release/fake-pagerduty}"
export MCP_INSPECTOR_BIN="${MCP_INSPECTOR_BIN:-$E2E_DIR/node_modules/.bin/mcp-inspector}"
missing=0
for bin in "$PAGERDUTY_MCP_BIN" "$FAKE_PAGERDUTY_BIN"; do
  if [[ ! -x "$bin" ]]; then
    log "missing binary: $bin"
    missing=1
  fi
done
if (( missing )); then
  log "build them first: (cd $REPO_ROOT && cargo build --release -p pagerduty-mcp-host -p fake-pagerduty)"
  exit 2
fi

cd "$E2E_DIR"
exec "$VENV/bin/python" -m pytest "$@"
