"""The components without the native host: the MCP server component scaled out over three
`wasmtime serve` instances, its refusals, and the tools component under stock `wasmtime run`.

Runs with E2E_TARGET=component (skipped otherwise). The tools called are taken from the catalog
(every default read tool whose arguments are all optional), never named here.
"""

from __future__ import annotations

import collections
import contextlib
import json
import pathlib
import re
import subprocess
from collections.abc import AsyncIterator, Iterator

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from support import (
    CATALOG,
    ERAS,
    READ_TOOLS,
    TARGET,
    Session,
    authorized_http,
    check_negotiated_era,
    component_env,
    component_wasm,
    fake_pagerduty,
    required_args,
    wasmtime_bin,
    wasmtime_serve,
)

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(TARGET != "component", reason="E2E_TARGET=component only"),
]

# Default read tools callable without arguments: what the round-robin session calls.
NO_ARG_TOOLS = sorted(t for t, (_, args) in READ_TOOLS.items() if not required_args(t, args))
INSTANCES = 3


class RoundRobin(httpx2.AsyncBaseTransport):
    """Sends each request to the next of `ports` in turn, and counts what each served."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.served: collections.Counter[int] = collections.Counter()
        self._next = 0
        self._inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self.ports[self._next % len(self.ports)]
        self._next += 1
        self.served[port] += 1
        request.url = request.url.copy_with(port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture(scope="module")
def instances(logs_dir) -> Iterator[list[str]]:
    """Three `wasmtime serve` instances of the component against one fake; yields their URLs."""
    with contextlib.ExitStack() as stack:
        api = stack.enter_context(fake_pagerduty(logs_dir / "round-robin.fake.log"))
        env = {"PAGERDUTY_API_HOST": api, **component_env(["--demo"])}
        yield [stack.enter_context(wasmtime_serve(env, logs_dir / f"round-robin-{i}.log")) for i in range(INSTANCES)]


@contextlib.asynccontextmanager
async def round_robin_session(
    urls: list[str], era: str, log_path: pathlib.Path
) -> AsyncIterator[tuple[Session, RoundRobin]]:
    """One SDK session whose every HTTP request goes to the next instance."""
    rotation = RoundRobin([httpx2.URL(u).port for u in urls])
    async with authorized_http(transport=rotation) as http:
        transport = streamable_http_client(f"{urls[0]}/mcp", http_client=http)
        async with Client(transport, mode=ERAS[era], read_timeout_seconds=30) as client:
            check_negotiated_era(client, era)
            yield Session(client, era, log_path), rotation


@pytest.mark.parametrize("era", list(ERAS))
async def test_one_session_round_robin_across_three_instances(anyio_backend, instances, logs_dir, era) -> None:
    async with round_robin_session(instances, era, logs_dir / "round-robin-0.log") as (session, rotation):
        tools = await session.list_tools()
        assert {t.name for t in tools} == set(READ_TOOLS)
        for _ in range(2):
            for tool in NO_ARG_TOOLS:
                await session.call(tool)
    assert set(rotation.served) == set(rotation.ports), f"an instance served nothing: {rotation.served}"
    counts = list(rotation.served.values())
    assert max(counts) - min(counts) <= 1, f"not round robin: {rotation.served}"
    assert sum(counts) >= 2 * len(NO_ARG_TOOLS) + 1


async def test_a_request_without_a_token_is_401_with_what_to_send(anyio_backend, instances) -> None:
    async with httpx2.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{instances[0]}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream"},
        )
    assert response.status_code == 401, response.text
    assert "Authorization: Token token=<API key>" in response.text
    assert "Token" in response.headers["www-authenticate"]


async def test_a_foreign_origin_is_403_and_get_and_delete_405(anyio_backend, instances) -> None:
    async with authorized_http() as http:
        foreign = await http.post(
            f"{instances[0]}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream", "Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403, foreign.text
        for method in ("GET", "DELETE"):
            response = await http.request(method, f"{instances[0]}/mcp", headers={"Accept": "text/event-stream"})
            assert response.status_code == 405, (method, response.text)
            assert response.headers["allow"] == "POST"


def wave_string(text: str) -> str:
    """The value of a WAVE string literal's contents (wasmtime's --invoke output)."""
    text = re.sub(r"\\u\{([0-9a-fA-F]+)\}", lambda m: chr(int(m.group(1), 16)), text)
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), text)


def test_wasmtime_run_invokes_the_tools_component(logs_dir) -> None:
    """`wasmtime run -Shttp --invoke 'call-tool(...)'` against a fake that takes the caller to be
    its current user (the tools component never holds a token: a host adds it)."""
    wasm = component_wasm("pagerduty_mcp_tools.wasm")
    tool = next(t for t in CATALOG if t["name"] in NO_ARG_TOOLS and "limit" in t["inputSchema"]["properties"])
    arguments = json.dumps({"limit": 2})
    invoke = f"call-tool({json.dumps(tool['name'])}, {json.dumps(arguments)})"
    with fake_pagerduty(logs_dir / "invoke.fake.log", "--anonymous-is-current-user") as api:
        proc = subprocess.run(
            [wasmtime_bin(), "run", "-Shttp", f"--env=PAGERDUTY_API_HOST={api}", "--invoke", invoke, wasm],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )
    assert proc.returncode == 0, proc.stderr
    match = re.fullmatch(r'ok\(\{structured-content: "(.*)", is-error: (true|false)\}\)\s*', proc.stdout, re.S)
    assert match, f"unexpected output: {proc.stdout[:500]!r}"
    assert match.group(2) == "false", proc.stdout[:500]
    envelope = json.loads(wave_string(match.group(1)))
    resource = READ_TOOLS[tool["name"]][0]
    assert 0 < envelope["metadata"]["count"] == len(envelope[resource]) <= 2, envelope["metadata"]
