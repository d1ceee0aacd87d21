"""Helpers of the pagerduty-mcp end-to-end tests: the tool contract, sessions, envelope checks.

The server under test is the real `pagerduty-mcp` binary ($PAGERDUTY_MCP_BIN), started as a
subprocess and driven over stdio by the official Python MCP SDK (`mcp` 2.3.x); with
E2E_TARGET=component it is the MCP server component (pagerduty_mcp_http.wasm) under
`wasmtime serve -Scli` against fake-pagerduty, driven by the same SDK over Streamable HTTP
(see "The server under test" below).

Protocol eras (what the SDK does, read from mcp 2.3.0's `mcp/client/client.py`,
`mcp/client/_probe.py`, `mcp/client/session.py` and `mcp_types/version.py`):

* `Client(..., mode="legacy")` runs the `initialize` handshake, offering
  `LATEST_HANDSHAKE_VERSION` ("2025-11-25"), then sends `notifications/initialized`.
* `Client(..., mode="auto")` (the SDK default) first sends `server/discover` stamped at
  `LATEST_MODERN_VERSION` ("2026-07-28"); if the server answers with a `DiscoverResult`
  listing a modern version the session *adopts* it (no handshake: every later request
  carries its own `_meta` envelope `io.modelcontextprotocol/protocolVersion`,
  `.../clientInfo`, `.../clientCapabilities`); any JSON-RPC error falls back to `initialize`.
* `Client(..., mode="2026-07-28")` adopts the modern revision directly without any probe.

So the SDK speaks both eras and no hand-written JSON-RPC client is needed. The "2026-07-28"
era below uses `mode="auto"` and asserts the discover path was taken (not the fallback);
test_protocol_eras.py also covers the probe-less pinned mode.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

E2E_DIR = pathlib.Path(__file__).resolve().parent.parent
REPO_ROOT = E2E_DIR.parent

# --- The tool catalog, as the binary under test lists it ---------------------------------
#
# The catalog (tools/src/tools/*.rs) is the one place a tool is described: the expectations
# below come from `pagerduty-mcp tools --json`, never from hand-written lists. The tests then
# check that every MCP client sees exactly that catalog, with schemas and envelopes that
# follow the tool contract (docs/conventions.md).


def binary_path(env_var: str, default_name: str) -> str:
    """The binary under test: $env_var, else <target>/release/<default_name>."""
    return os.environ.get(env_var) or str(
        pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target")) / "release" / default_name
    )


def listed_tools(*flags: str) -> list[dict[str, Any]]:
    """`pagerduty-mcp --demo <flags> tools --json`: the MCP tools the binary offers with `flags`."""
    server_bin = binary_path("PAGERDUTY_MCP_BIN", "pagerduty-mcp")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGERDUTY_")}
    proc = subprocess.run(
        [server_bin, "--demo", *flags, "tools", "--json"],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{server_bin} tools --json failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def _resource_key(tool: dict[str, Any]) -> str:
    """The plural resource key of a tool's envelope: its output schema's list property."""
    keys = [k for k in tool["outputSchema"]["properties"] if k not in ("metadata", "error")]
    assert len(keys) == 1, f"{tool['name']}: output schema keys {keys}"
    return keys[0]


def _expectations(tools: list[dict[str, Any]]) -> dict[str, tuple[str, set[str]]]:
    return {t["name"]: (_resource_key(t), set(t["inputSchema"]["properties"])) for t in tools}


# Every tool of the catalog (all toolsets, writes enabled), and what the default serves.
CATALOG = listed_tools("--toolsets", "all", "--enable-write-tools")
DEFAULT_TOOLS = {t["name"] for t in listed_tools()}

# tool name -> (resource key of its envelope, its argument names)
READ_TOOLS: dict[str, tuple[str, set[str]]] = _expectations(
    [t for t in CATALOG if t["annotations"]["readOnlyHint"] and t["name"] in DEFAULT_TOOLS]
)
WRITE_TOOLS: dict[str, tuple[str, set[str]]] = _expectations(
    [t for t in CATALOG if not t["annotations"]["readOnlyHint"]]
)
assert READ_TOOLS and WRITE_TOOLS, "the catalog lists read and write tools"
assert set(READ_TOOLS) == DEFAULT_TOOLS, "by default every read tool of the default toolsets, no writes"

# Required arguments: the ID of the resource a tool is about, and a note's content.
REQUIRED_ARGS = {
    "incident_id", "service_id", "team_id", "user_id", "escalation_policy_id", "schedule_id",
    "content", "alert_id", "log_entry_id", "change_event_id", "business_service_id",
    "maintenance_window_id", "override_id", "title", "message", "incident_ids",
    "duration_seconds", "source_incident_ids", "start", "end",
}
# Where a tool departs from REQUIRED_ARGS: an optional target of an incident write, the
# services a new maintenance window covers (a filter elsewhere).
OPTIONAL_BY_TOOL = {
    "create_incident": {"escalation_policy_id"},
    "manage_incidents": {"escalation_policy_id"},
}
REQUIRED_BY_TOOL = {"create_maintenance_window": {"service_ids"}}


def required_args(tool: str, args: set[str]) -> set[str]:
    """The arguments `tool` must require, of its arguments `args`."""
    return (args & REQUIRED_ARGS) - OPTIONAL_BY_TOOL.get(tool, set()) | REQUIRED_BY_TOOL.get(tool, set())

# The fake PagerDuty's current user (fake-pagerduty/src/lib.rs).
CURRENT_USER_ID = "PU0A1B2"
CURRENT_USER_EMAIL = "alex.rivera@example.com"

# The two protocol eras: pytest id -> the SDK's Client(mode=...).
ERAS = {"legacy": "legacy", "2026-07-28": "auto"}
MODERN_VERSION = "2026-07-28"

# JSON-RPC "invalid params": how an unknown tool is answered.
INVALID_PARAMS = -32602


# --- The server under test ---------------------------------------------------------------
#
# E2E_TARGET=native (the default): `pagerduty-mcp` over stdio. E2E_TARGET=component: the MCP
# server component ($PAGERDUTY_MCP_HTTP_WASM, default <target>/components/pagerduty_mcp_http.wasm)
# under `wasmtime serve -Scli` ($WASMTIME_BIN) against fake-pagerduty ($FAKE_PAGERDUTY_BIN), over
# Streamable HTTP with the fake's user token on every request. The native flags the tests pass
# become the component's environment (component_env); the fake's dataset is the demo's.

TARGET = os.environ.get("E2E_TARGET", "native")
assert TARGET in ("native", "component"), f"E2E_TARGET must be native or component, not {TARGET!r}"

# The token the fake accepts for its current user (fake_pagerduty::USER_TOKEN).
FAKE_USER_TOKEN = "fake-user-token"


def component_wasm(name: str = "pagerduty_mcp_http.wasm") -> str:
    """A component of <target>/components (the MCP server component: $PAGERDUTY_MCP_HTTP_WASM
    when set)."""
    if name == "pagerduty_mcp_http.wasm" and os.environ.get("PAGERDUTY_MCP_HTTP_WASM"):
        return os.environ["PAGERDUTY_MCP_HTTP_WASM"]
    return str(pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target")) / "components" / name)


def wasmtime_bin() -> str:
    """wasmtime-cli 48.0.8 ($WASMTIME_BIN, else scripts/install-wasmtime's, installed when missing)."""
    found = os.environ.get("WASMTIME_BIN")
    if found:
        return found
    proc = subprocess.run([str(REPO_ROOT / "scripts" / "install-wasmtime")], capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def component_env(args: list[str]) -> dict[str, str]:
    """The component's environment for the native server flags `args` (`--demo` is the fake)."""
    env: dict[str, str] = {}
    rest = iter(args)
    for arg in rest:
        if arg == "--demo":
            continue
        if arg == "--enable-write-tools":
            env["PAGERDUTY_ENABLE_WRITE_TOOLS"] = "true"
        elif arg == "--toolsets":
            env["PAGERDUTY_TOOLSETS"] = next(rest)
        else:
            raise ValueError(f"the component has no equivalent of the server flag {arg!r}")
    return env


def _wait_for_line(proc: subprocess.Popen, log_path: pathlib.Path, prefix: str) -> str:
    """The rest of the first line of `log_path` starting with `prefix` (within 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if line.startswith(prefix):
                return line[len(prefix):].strip()
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"{proc.args[0]} did not start (exit {proc.poll()}):\n{server_log(log_path)}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def fake_pagerduty(log_path: pathlib.Path, *args: str) -> Iterator[str]:
    """fake-pagerduty on a free port (its default dataset, the demo's); yields its base URL."""
    url_path = log_path.with_suffix(".url")
    with open(log_path, "w") as log, open(url_path, "w") as out:
        proc = subprocess.Popen(
            [binary_path("FAKE_PAGERDUTY_BIN", "fake-pagerduty"), "--port", "0", *args],
            stdout=out, stderr=log, stdin=subprocess.DEVNULL,
        )
    try:
        yield "http://" + _wait_for_line(proc, url_path, "http://")
    finally:
        _stop(proc)


@contextmanager
def wasmtime_serve(env: dict[str, str], log_path: pathlib.Path) -> Iterator[str]:
    """The MCP server component under `wasmtime serve -Scli` on a free port, with `env`;
    yields its base URL (MCP is at /mcp)."""
    envs = [f"--env={name}={value}" for name, value in env.items()]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [wasmtime_bin(), "serve", "-Scli", "--addr", "127.0.0.1:0", *envs, component_wasm()],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        yield _wait_for_line(proc, log_path, "Serving HTTP on ").rstrip("/")
    finally:
        _stop(proc)


def authorized_http(**kwargs: Any) -> httpx2.AsyncClient:
    """An HTTP client sending the fake's user token with every request, as a caller of the
    component does (it answers 401 otherwise)."""
    return httpx2.AsyncClient(headers={"Authorization": f"Token token={FAKE_USER_TOKEN}"}, timeout=30, **kwargs)


# --- Driving the server ------------------------------------------------------------------


class Session:
    """A connected SDK client plus the envelope checks every call goes through."""

    def __init__(self, client: Client, era: str, log_path: pathlib.Path) -> None:
        self.client = client
        self.era = era
        self.log_path = log_path
        self.called: set[str] = set()  # tools called successfully
        self.tools: dict[str, Any] = {}

    async def list_tools(self) -> list[Any]:
        result = await self.client.list_tools()
        assert result.next_cursor is None, "the catalog fits in one page"
        self.tools = {t.name: t for t in result.tools}
        return result.tools

    async def call(self, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Calls `tool`, asserts a successful envelope and returns its structuredContent."""
        result = await self.client.call_tool(tool, arguments or {})
        resource = (READ_TOOLS | WRITE_TOOLS)[tool][0]
        with self._server_log_on_failure():
            sc = check_success(tool, result, resource)
        self.called.add(tool)
        return sc

    async def call_error(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Calls `tool`, asserts a tool error (isError) envelope and returns its `error`."""
        result = await self.client.call_tool(tool, arguments)
        with self._server_log_on_failure():
            return check_error(tool, result)

    @contextmanager
    def _server_log_on_failure(self) -> Iterator[None]:
        try:
            yield
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- server stderr ({self.log_path}):\n{server_log(self.log_path)}") from None


def _text_json(tool: str, result: Any) -> Any:
    texts = [c for c in result.content if c.type == "text"]
    assert len(result.content) == 1 and len(texts) == 1, f"{tool}: expected one text block, got {result.content!r}"
    return json.loads(texts[0].text)


def check_success(tool: str, result: Any, resource: str) -> dict[str, Any]:
    sc = result.structured_content
    assert result.is_error is not True, f"{tool} failed: {sc or result.content!r}"
    assert isinstance(sc, dict), f"{tool}: no structuredContent"
    assert set(sc) == {"metadata", resource}, f"{tool}: envelope keys {sorted(sc)}"
    items = sc[resource]
    assert isinstance(items, list) and all(isinstance(i, dict) for i in items), f"{tool}: {resource} is not a list"
    meta = sc["metadata"]
    assert meta["count"] == len(items), f"{tool}: metadata.count {meta['count']} != {len(items)} items"
    assert isinstance(meta["description"], str) and meta["description"], f"{tool}: no metadata.description"
    assert _text_json(tool, result) == sc, f"{tool}: the text block is not the structuredContent"
    return sc


def check_error(tool: str, result: Any) -> dict[str, Any]:
    sc = result.structured_content
    assert result.is_error is True, f"{tool}: expected a tool error, got {sc!r}"
    assert isinstance(sc, dict) and set(sc) == {"metadata", "error"}, f"{tool}: error envelope {sc!r}"
    assert sc["metadata"]["count"] == 0
    assert isinstance(sc["metadata"]["description"], str)
    error = sc["error"]
    assert isinstance(error["message"], str) and error["message"], f"{tool}: error without a message"
    assert isinstance(error["code"], str) and error["code"], f"{tool}: error without a code"
    assert _text_json(tool, result) == sc, f"{tool}: the text block is not the structuredContent"
    return error


@asynccontextmanager
async def open_session(
    server_bin: str,
    args: list[str],
    era: str,
    log_path: pathlib.Path,
    env: dict[str, str] | None = None,
    mode: str | None = None,
) -> AsyncIterator[Session]:
    """Starts `server_bin args` on stdio and connects the SDK client in `era`.

    Only the SDK's default safe variables (HOME, PATH, ...) and `env` reach the server, so a
    PAGERDUTY_* variable of the calling shell cannot leak into a test.
    """
    if TARGET == "component":
        assert env is None, "the component's environment comes from the server flags"
        fake_log = log_path.with_name(f"{log_path.stem}.fake.log")
        with fake_pagerduty(fake_log) as api, wasmtime_serve(
            {"PAGERDUTY_API_HOST": api, **component_env(args)}, log_path
        ) as url:
            async with authorized_http() as http:
                transport = streamable_http_client(f"{url}/mcp", http_client=http)
                async with Client(transport, mode=mode or ERAS[era], read_timeout_seconds=30) as client:
                    check_negotiated_era(client, era)
                    yield Session(client, era, log_path)
        return
    params = StdioServerParameters(command=server_bin, args=args, env=env or {})
    with open(log_path, "w") as errlog:
        transport = stdio_client(params, errlog=errlog)
        async with Client(transport, mode=mode or ERAS[era], read_timeout_seconds=30) as client:
            check_negotiated_era(client, era)
            yield Session(client, era, log_path)


def check_negotiated_era(client: Client, era: str) -> None:
    session = client.session
    if era == "legacy":
        assert session.initialize_result is not None, "legacy era: no initialize handshake happened"
        assert session.discover_result is None
        assert client.protocol_version in HANDSHAKE_PROTOCOL_VERSIONS
    else:
        assert session.discover_result is not None, (
            "2026-07-28 era: the server did not answer server/discover, the SDK fell back to initialize "
            f"(negotiated {client.protocol_version})"
        )
        assert session.initialize_result is None
        assert client.protocol_version == MODERN_VERSION


def server_log(log_path: pathlib.Path) -> str:
    try:
        return log_path.read_text()[-4000:]
    except OSError:
        return ""
