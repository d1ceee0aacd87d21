"""The `pagerduty-mcp` process itself: its subcommands, exit codes, and the stdio stream.

The stdio test writes newline-delimited JSON-RPC by hand (no SDK) to check what any client
relies on: stdout carries nothing but JSON-RPC messages (logs go to stderr) and the server
exits 0 when its stdin closes, in both protocol eras.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from support import CURRENT_USER_ID, MODERN_VERSION, READ_TOOLS, TARGET, WRITE_TOOLS

pytestmark = pytest.mark.skipif(TARGET != "native", reason="the CLI of the native binary")

CLEAN_ENV = {"PATH": "/usr/bin:/bin"}  # no PAGERDUTY_* variables


def run(server_bin: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [server_bin, *args], input=stdin, capture_output=True, text=True, timeout=30, env=CLEAN_ENV,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("flags", "want"),
    [([], set(READ_TOOLS)), (["--enable-write-tools"], set(READ_TOOLS) | set(WRITE_TOOLS))],
    ids=["read-only", "with-write-tools"],
)
def test_tools_json(server_bin, flags, want) -> None:
    proc = run(server_bin, "--demo", *flags, "tools", "--json")
    assert proc.returncode == 0, proc.stderr
    tools = json.loads(proc.stdout)
    assert {t["name"] for t in tools} == want


def test_call_prints_the_envelope(server_bin) -> None:
    proc = run(server_bin, "--demo", "call", "get_current_user")
    assert proc.returncode == 0, proc.stderr
    sc = json.loads(proc.stdout)
    assert sc["metadata"]["count"] == 1 and sc["users"][0]["id"] == CURRENT_USER_ID


def test_call_exits_1_on_a_tool_error(server_bin) -> None:
    proc = run(server_bin, "--demo", "call", "get_incident", '{"incident_id": "P@X"}')
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert json.loads(proc.stdout)["error"]["code"] == "INVALID_INCIDENT_ID"


def test_no_token_is_a_usage_error(server_bin) -> None:
    proc = run(server_bin)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    assert "PAGERDUTY_API_TOKEN" in proc.stderr


def _modern_meta() -> dict[str, Any]:
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
        "io.modelcontextprotocol/clientInfo": {"name": "e2e-raw", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }


RAW_SESSIONS = {
    # The 2025-11-25 handshake: initialize, notifications/initialized, then requests.
    "legacy": [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                    "clientInfo": {"name": "e2e-raw", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "get_current_user", "arguments": {}}},
    ],
    # 2026-07-28: no handshake; every request carries its own _meta envelope.
    "2026-07-28": [
        {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": _modern_meta()}},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": _modern_meta()}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "get_current_user", "arguments": {}, "_meta": _modern_meta()}},
    ],
}


@pytest.mark.parametrize("era", list(RAW_SESSIONS))
def test_stdio_carries_only_json_rpc_and_eof_ends_the_server(server_bin, era) -> None:
    stdin = "".join(json.dumps(m) + "\n" for m in RAW_SESSIONS[era])
    proc = run(server_bin, "--demo", stdin=stdin)
    assert proc.returncode == 0, f"exit {proc.returncode} after stdin closed; stderr:\n{proc.stderr[-2000:]}"
    lines = proc.stdout.splitlines()
    messages = [json.loads(line) for line in lines]  # every stdout line is one JSON message
    responses = {m["id"]: m for m in messages if "id" in m}
    assert sorted(responses) == [1, 2, 3], messages
    assert all(m.get("jsonrpc") == "2.0" and "result" in m for m in responses.values()), messages
    if era == "legacy":
        assert responses[1]["result"]["protocolVersion"] == "2025-11-25"
    else:
        assert MODERN_VERSION in responses[1]["result"]["supportedVersions"]
    assert {t["name"] for t in responses[2]["result"]["tools"]} == set(READ_TOOLS)
    call = responses[3]["result"]
    assert call.get("isError") is not True
    assert call["structuredContent"]["users"][0]["id"] == CURRENT_USER_ID
