"""The write tools with `pagerduty-mcp --demo --enable-write-tools`, in both protocol eras.

Each era gets its own server process and so its own in-process fake PagerDuty: the writes of
one era do not show in the other.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from support import CURRENT_USER_ID, ERAS, READ_TOOLS, WRITE_TOOLS, Session, open_session, required_args

pytestmark = pytest.mark.anyio

# destructiveHint / idempotentHint per write tool ("set truthfully", TOOLS.md): acknowledging
# twice changes nothing more; resolving closes the incident for good; each note is a new one.
WRITE_ANNOTATIONS = {
    "acknowledge_incident": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": True},
    "resolve_incident": {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True},
    "add_incident_note": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False},
    # The second catalog: bulk changes, merges and deletions overwrite or undo; creations,
    # responder requests and snoozes add something new each time.
    "create_incident": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False},
    "manage_incidents": {"readOnlyHint": False, "destructiveHint": True},
    "snooze_incident": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False},
    "merge_incidents": {"readOnlyHint": False, "destructiveHint": True},
    "add_responders": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False},
    "create_incident_status_update": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False},
    "create_schedule_override": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False},
    "delete_schedule_override": {"readOnlyHint": False, "destructiveHint": True},
    "create_maintenance_window": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False},
    "delete_maintenance_window": {"readOnlyHint": False, "destructiveHint": True},
}


@pytest.fixture(scope="module", params=list(ERAS))
async def writable(request, anyio_backend, server_bin, logs_dir) -> AsyncIterator[Session]:
    era = request.param
    log = logs_dir / f"write-{era}.log"
    async with open_session(server_bin, ["--demo", "--enable-write-tools"], era, log) as session:
        yield session


async def test_lists_all_52_tools(writable: Session) -> None:
    tools = await writable.list_tools()
    names = {t.name for t in tools}
    assert names == set(READ_TOOLS) | set(WRITE_TOOLS), sorted(names ^ (set(READ_TOOLS) | set(WRITE_TOOLS)))
    assert len(tools) == 52


@pytest.mark.parametrize("tool", sorted(WRITE_TOOLS))
async def test_write_tool_metadata(writable: Session, tool: str) -> None:
    if not writable.tools:
        await writable.list_tools()
    t = writable.tools[tool]
    resource, args = WRITE_TOOLS[tool]
    assert t.title and t.title.strip(), f"{tool}: no title"
    assert t.input_schema.get("additionalProperties") is False
    assert set(t.input_schema.get("properties", {})) == args
    assert set(t.input_schema.get("required", [])) == required_args(tool, args)
    assert t.output_schema is not None and resource in t.output_schema.get("properties", {})
    got = t.annotations.model_dump(by_alias=True, exclude_none=True) if t.annotations else {}
    for key, want in WRITE_ANNOTATIONS[tool].items():
        assert got.get(key) == want, f"{tool}: annotation {key}={got.get(key)!r}, want {want!r}"


async def test_acknowledge_note_resolve(writable: Session) -> None:
    triggered = await writable.call("list_incidents", {"statuses": ["triggered"]})
    assert triggered["incidents"], "the demo dataset has a triggered incident for the current user's teams"
    incident_id = triggered["incidents"][0]["id"]

    acked = await writable.call("acknowledge_incident", {"incident_id": incident_id})
    assert acked["metadata"]["count"] == 1
    assert acked["incidents"][0]["id"] == incident_id
    assert acked["incidents"][0]["status"] == "acknowledged"
    got = await writable.call("get_incident", {"incident_id": incident_id})
    assert got["incidents"][0]["status"] == "acknowledged"
    assert CURRENT_USER_ID in str(got["incidents"][0].get("acknowledgements", "")), (
        "the acknowledgement is by the current user"
    )

    content = f"e2e note {uuid.uuid4()} ({writable.era})"
    note = await writable.call("add_incident_note", {"incident_id": incident_id, "content": content})
    assert note["metadata"]["count"] == 1
    assert note["notes"][0]["content"] == content
    notes = await writable.call("list_incident_notes", {"incident_id": incident_id})
    assert content in [n.get("content") for n in notes["notes"]], notes["notes"]

    resolved = await writable.call("resolve_incident", {"incident_id": incident_id})
    assert resolved["incidents"][0]["id"] == incident_id
    assert resolved["incidents"][0]["status"] == "resolved"
    got = await writable.call("get_incident", {"incident_id": incident_id})
    assert got["incidents"][0]["status"] == "resolved"
    still_open = await writable.call("list_incidents", {"statuses": ["triggered", "acknowledged"]})
    assert incident_id not in [i["id"] for i in still_open["incidents"]]


async def test_write_tool_errors(writable: Session) -> None:
    error = await writable.call_error("acknowledge_incident", {"incident_id": "P@X!"})
    assert error["code"] == "INVALID_INCIDENT_ID", error
    acknowledged = await writable.call("list_incidents", {"statuses": ["acknowledged"]})
    incident_id = acknowledged["incidents"][0]["id"]
    error = await writable.call_error("add_incident_note", {"incident_id": incident_id, "content": "   "})
    assert error["code"] == "MISSING_PARAMETER", error
