"""`pagerduty-mcp` configured only through its environment, against the standalone fake.

The fake (`fake-pagerduty --port 0`) prints its base URL on stdout; the server gets
PAGERDUTY_API_HOST and a token (no --demo), as a real deployment would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support import (
    CURRENT_USER_EMAIL,
    CURRENT_USER_ID,
    ERAS,
    FAKE_USER_TOKEN,
    TARGET,
    fake_pagerduty,
    open_session,
)

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(TARGET != "native", reason="configures the native binary through its environment"),
]

USER_TOKEN = FAKE_USER_TOKEN
ACCOUNT_TOKEN = "fake-account-token"


@pytest.fixture(scope="module")
def fake_url(fake_bin, logs_dir) -> Iterator[str]:
    with fake_pagerduty(logs_dir / "fake-pagerduty.log") as url:
        yield url


@pytest.mark.parametrize("era", list(ERAS))
async def test_user_token_from_env(anyio_backend, server_bin, fake_url, logs_dir, era) -> None:
    env = {"PAGERDUTY_API_HOST": fake_url, "PAGERDUTY_API_TOKEN": USER_TOKEN}
    async with open_session(server_bin, [], era, logs_dir / f"fake-user-{era}.log", env=env) as s:
        me = await s.call("get_current_user")
        assert me["users"][0]["id"] == CURRENT_USER_ID
        assert me["users"][0]["email"] == CURRENT_USER_EMAIL
        incidents = await s.call("list_incidents", {"statuses": ["triggered", "acknowledged"]})
        assert incidents["incidents"], "the current user's teams have open incidents"
        assert {i["status"] for i in incidents["incidents"]} <= {"triggered", "acknowledged"}


async def test_account_token_has_no_user_context(anyio_backend, server_bin, fake_url, logs_dir) -> None:
    env = {"PAGERDUTY_API_HOST": fake_url, "PAGERDUTY_API_KEY": ACCOUNT_TOKEN}
    async with open_session(server_bin, [], "legacy", logs_dir / "fake-account.log", env=env) as s:
        error = await s.call_error("list_incidents", {})
        assert error["code"] == "USER_CONTEXT_UNAVAILABLE", error
        assert "current_user_context" in error["message"], error
        teams = await s.call("list_teams")
        team_id = next(t["id"] for t in teams["teams"] if t.get("name") == "Platform")
        incidents = await s.call("list_incidents", {"current_user_context": False, "team_ids": [team_id]})
        assert incidents["incidents"]


async def test_bad_token_is_unauthorized(anyio_backend, server_bin, fake_url, logs_dir) -> None:
    env = {"PAGERDUTY_API_HOST": fake_url, "PAGERDUTY_API_TOKEN": "not-a-valid-token"}
    async with open_session(server_bin, [], "legacy", logs_dir / "fake-bad-token.log", env=env) as s:
        error = await s.call_error("get_current_user", {})
        assert error["code"] == "UNAUTHORIZED", error
