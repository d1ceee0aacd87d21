#!/usr/bin/env bash
# Benchmark pagerduty-mcp against the original Python PagerDuty MCP server
# (PyPI pagerduty-mcp-server 4.0.7), in one run, against one fake PagerDuty.
#
#   bench/run.sh            full run, writes bench/RESULTS.md (a few minutes)
#   bench/run.sh --quick    small samples (CI), writes target/bench-quick/RESULTS.md
#
# Extra arguments are passed to the driver (see `target/release/pagerduty-mcp-bench --help`),
# e.g. --cold-runs 50 --calls 2000 --http-seconds 20.
# Needs: cargo (with the wasm32-wasip2 target, installed by the build if missing), python3.11.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1; ARGS+=("--quick") ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) ARGS+=("$arg") ;;
  esac
done

if [[ $QUICK == 1 ]]; then
  WORK=target/bench-quick
  OUT=target/bench-quick/RESULTS.md
else
  WORK=target/bench
  OUT=bench/RESULTS.md
fi

echo "[bench] building (release): pagerduty-mcp, fake-pagerduty, pagerduty-mcp-bench" >&2
cargo build --release -p pagerduty-mcp-host -p fake-pagerduty -p pagerduty-mcp-bench >&2

# --- The original server's venv: rebuilt when the requirements or the Python change.
PYTHON=${BENCH_PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=bench/.venv
REQS=bench/requirements-original.txt
STAMP_WANT=$({ cat "$REQS"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)
if [[ ! -x $VENV/bin/python || "$(cat "$VENV/.stamp" 2>/dev/null)" != "$STAMP_WANT" ]]; then
  echo "[bench] creating $VENV (original server: pagerduty-mcp-server 4.0.7)" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --ignore-requires-python -r "$REQS" >&2
  # Byte-compile everything now so that no cold start pays for it.
  "$VENV/bin/python" -m compileall -q "$VENV/lib" >/dev/null 2>&1 || true
  echo "$STAMP_WANT" > "$VENV/.stamp"
fi

COMPONENT=target/component/wasm32-wasip2/release/pagerduty_mcp_tools.wasm
COMPONENT_ARGS=()
[[ -f $COMPONENT ]] && COMPONENT_ARGS=(--component "$COMPONENT")

REPRODUCE="bench/run.sh${ARGS[*]:+ ${ARGS[*]}}"
exec target/release/pagerduty-mcp-bench \
  --ours target/release/pagerduty-mcp \
  --fake target/release/fake-pagerduty \
  --python "$VENV/bin/python" \
  --original bench/original_server.py \
  "${COMPONENT_ARGS[@]}" \
  --work-dir "$WORK" \
  --out "$OUT" \
  --reproduce "$REPRODUCE" \
  "${ARGS[@]}"
