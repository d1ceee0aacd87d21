"""The MCP Inspector CLI (@modelcontextprotocol/inspector, pinned in e2e/package.json) against
`pagerduty-mcp --demo`, in both of its protocol eras (`--protocol-era legacy|modern`).

Each invocation starts its own server over stdio. HOME points at a temporary directory so
the Inspector's catalog/secret files never touch the real home.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
from typing import Any

import pytest

from support import CURRENT_USER_EMAIL, CURRENT_USER_ID, E2E_DIR, READ_TOOLS, TARGET

pytestmark = pytest.mark.skipif(TARGET != "native", reason="the Inspector drives the native binary over stdio")

INSPECTOR_ERAS = ["legacy", "modern"]


@pytest.fixture(scope="session")
def inspector_bin() -> str:
    path = os.environ.get("MCP_INSPECTOR_BIN") or str(E2E_DIR / "node_modules" / ".bin" / "mcp-inspector")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no MCP Inspector at {path}: run `npm ci` in e2e/ (e2e/run.sh does)")
    return path


@pytest.fixture(scope="session")
def inspector_home(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("inspector-home")


def inspect(inspector_bin: str, home: pathlib.Path, server_bin: str, era: str, *args: str) -> dict[str, Any]:
    """Runs `mcp-inspector --cli --format json <args> -- pagerduty-mcp --demo`, returns its JSON."""
    cmd = [inspector_bin, "--cli", "--format", "json", "--protocol-era", era, *args, "--", server_bin, "--demo"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGERDUTY_")}
    env["HOME"] = str(home)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr[-3000:]}"
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"{cmd}: stdout is not one JSON object ({e}):\n{proc.stdout[:2000]}") from e


@pytest.mark.parametrize("era", INSPECTOR_ERAS)
def test_inspector_lists_the_read_tools(inspector_bin, inspector_home, server_bin, era) -> None:
    out = inspect(inspector_bin, inspector_home, server_bin, era, "--method", "tools/list")
    tools = out["result"]["tools"]
    assert {t["name"] for t in tools} == set(READ_TOOLS)
    for t in tools:
        assert t.get("title"), t["name"]
        assert t["inputSchema"].get("additionalProperties") is False, t["name"]
        assert t.get("outputSchema", {}).get("type") == "object", t["name"]
        assert t.get("annotations", {}).get("readOnlyHint") is True, t["name"]


@pytest.mark.parametrize("era", INSPECTOR_ERAS)
def test_inspector_calls_get_current_user(inspector_bin, inspector_home, server_bin, era) -> None:
    out = inspect(
        inspector_bin, inspector_home, server_bin, era, "--method", "tools/call", "--tool-name", "get_current_user"
    )
    result = out["result"]
    assert result.get("isError") is not True, result
    sc = result["structuredContent"]
    assert sc["metadata"]["count"] == 1 == len(sc["users"])
    assert sc["users"][0]["id"] == CURRENT_USER_ID
    assert sc["users"][0]["email"] == CURRENT_USER_EMAIL
    assert [c["type"] for c in result["content"]] == ["text"]
    assert json.loads(result["content"][0]["text"]) == sc


def test_inspector_passes_tool_arguments(inspector_bin, inspector_home, server_bin) -> None:
    out = inspect(
        inspector_bin, inspector_home, server_bin, "legacy",
        "--method", "tools/call", "--tool-name", "list_incidents",
        "--tool-args-json", json.dumps({"statuses": ["triggered"], "limit": 5}),
    )
    sc = out["result"]["structuredContent"]
    assert sc["incidents"] and len(sc["incidents"]) <= 5
    assert {i["status"] for i in sc["incidents"]} == {"triggered"}
    assert sc["metadata"]["count"] == len(sc["incidents"])
