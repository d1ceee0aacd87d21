"""How the two protocol eras are negotiated with `pagerduty-mcp --demo`.

The era-parametrized modules (test_read_tools.py, test_write_tools.py) run everything in the
legacy era (`Client(mode="legacy")`: initialize handshake) and in the 2026-07-28 era
(`Client(mode="auto")`: `server/discover` probe, then per-request `_meta` envelopes). This
module pins down the negotiation itself, including the SDK's probe-less pinned mode.
"""

from __future__ import annotations

import pytest
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from support import CURRENT_USER_ID, MODERN_VERSION, READ_TOOLS, open_session

pytestmark = pytest.mark.anyio


async def test_legacy_handshake_agrees_on_the_latest_handshake_version(anyio_backend, server_bin, logs_dir) -> None:
    async with open_session(server_bin, ["--demo"], "legacy", logs_dir / "era-legacy.log") as s:
        init = s.client.session.initialize_result
        assert init.protocol_version == LATEST_HANDSHAKE_VERSION, (
            f"server answered initialize({LATEST_HANDSHAKE_VERSION}) with {init.protocol_version}"
        )
        assert init.capabilities.tools is not None


async def test_auto_mode_discovers_the_modern_revision(anyio_backend, server_bin, logs_dir) -> None:
    async with open_session(server_bin, ["--demo"], "2026-07-28", logs_dir / "era-auto.log") as s:
        discover = s.client.session.discover_result
        assert MODERN_VERSION in discover.supported_versions, discover
        assert discover.capabilities.tools is not None, discover


async def test_pinned_modern_mode_needs_no_handshake(anyio_backend, server_bin, logs_dir) -> None:
    """mode="2026-07-28": the first request on the wire is tools/list, with no initialize or
    server/discover before it; the server must answer from the per-request envelope alone."""
    log = logs_dir / "era-pinned.log"
    async with open_session(server_bin, ["--demo"], "2026-07-28", log, mode=MODERN_VERSION) as s:
        tools = await s.list_tools()
        assert {t.name for t in tools} == set(READ_TOOLS)
        sc = await s.call("get_current_user")
        assert sc["users"][0]["id"] == CURRENT_USER_ID
