#!/usr/bin/env bash
# Benchmark pagerduty-mcp against the original Python PagerDuty MCP server
# (PyPI pagerduty-mcp-server 4.0.7), in one run, against one fake PagerDuty.
#
#   bench/run.sh            full run, writes bench/RESULTS.md (a few minutes)
#   bench/run.sh --quick    small samples (CI), writes target/bench-quick/RESULTS.md
#   bench/run.sh --engines  only the MCP server component under `wasmtime serve` vs the native
#                           `--http --per-request-token` (get_incident, 1/8/32 clients) and the
#                           components' sizes: rewrites that section of bench/RESULTS.md only
#                           (with --quick: of target/bench-quick/RESULTS.md)
#
# Extra arguments are passed to the driver (see `target/release/pagerduty-mcp-bench --help`),
# e.g. --cold-runs 50 --calls 2000 --http-seconds 20.
# Needs: cargo (with the wasm32-wasip2 target, installed by the build if missing), python3.11,
# and wasmtime-cli 48.0.8 (scripts/install-wasmtime installs it once when missing).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
ENGINES=0
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1; ARGS+=("--quick") ;;
    --engines) ENGINES=1; ARGS+=("--engines-only") ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
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
echo "[bench] building both components into target/components" >&2
cargo run --quiet --release -p component-build --bin build-components >&2
WASMTIME=$(scripts/install-wasmtime)

# --- The original server's venv: rebuilt when the requirements or the Python change.
PYTHON=${BENCH_PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=bench/.venv
REQS=bench/requirements-original.txt
STAMP_WANT=$({ cat "$REQS"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)
# (--engines measures our two servers only: no venv needed.)
if [[ $ENGINES == 0 ]] && [[ ! -x $VENV/bin/python || "$(cat "$VENV/.stamp" 2>/dev/null)" != "$STAMP_WANT" ]]; then
  echo "[bench] creating $VENV (original server: pagerduty-mcp-server 4.0.7)" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --ignore-requires-python -r "$REQS" >&2
  # Byte-compile everything now so that no cold start pays for it.
  "$VENV/bin/python" -m compileall -q "$VENV/lib" >/dev/null 2>&1 || true
  echo "$STAMP_WANT" > "$VENV/.stamp"
fi

COMPONENT=target/components/pagerduty_mcp_tools.wasm
COMPONENT_ARGS=()
[[ -f $COMPONENT ]] && COMPONENT_ARGS=(--component "$COMPONENT")

REPRODUCE="bench/run.sh${ARGS[*]:+ ${ARGS[*]}}"
exec target/release/pagerduty-mcp-bench \
  --ours target/release/pagerduty-mcp \
  --fake target/release/fake-pagerduty \
  --python "$VENV/bin/python" \
  --original bench/original_server.py \
  "${COMPONENT_ARGS[@]}" \
  --wasmtime "$WASMTIME" \
  --http-component target/components/pagerduty_mcp_http.wasm \
  --work-dir "$WORK" \
  --out "$OUT" \
  --reproduce "$REPRODUCE" \
  "${ARGS[@]}"
