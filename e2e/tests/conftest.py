"""Fixtures of the pagerduty-mcp end-to-end tests (helpers and the contract: support.py)."""

from __future__ import annotations

import os
import pathlib

import pytest

from support import binary_path


def _binary(env_var: str, default_name: str) -> str:
    path = binary_path(env_var, default_name)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{env_var}: no executable at {path}; build it (cargo build --release) or set {env_var}")
    return path


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def server_bin() -> str:
    return _binary("PAGERDUTY_MCP_BIN", "pagerduty-mcp")


@pytest.fixture(scope="session")
def fake_bin() -> str:
    return _binary("FAKE_PAGERDUTY_BIN", "fake-pagerduty")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"pagerduty-mcp: {os.environ.get('PAGERDUTY_MCP_BIN') or '(default: target/release/pagerduty-mcp)'}",
        f"fake-pagerduty: {os.environ.get('FAKE_PAGERDUTY_BIN') or '(default: target/release/fake-pagerduty)'}",
    ]


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """Where the servers' stderr goes, one file per server process (pytest keeps the last 3 runs)."""
    return tmp_path_factory.mktemp("server-logs")
