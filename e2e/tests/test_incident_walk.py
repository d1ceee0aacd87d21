"""A whole incident as a responder walks it, with the Python MCP SDK against the fake PagerDuty
(`pagerduty-mcp --demo --enable-write-tools`), in both protocol eras.

list my open incidents → get one → read its timeline and alerts → see the change events before
it → acknowledge → raise its urgency and priority → reassign to a colleague → add a responder →
post a status update → snooze → resolve; then read the timeline again and find every step in it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from support import CURRENT_USER_ID, ERAS, Session, open_session

pytestmark = pytest.mark.anyio


@pytest.fixture(params=list(ERAS))
async def responder(request, anyio_backend, server_bin, logs_dir) -> AsyncIterator[Session]:
    era = request.param
    log = logs_dir / f"walk-{era}.log"
    async with open_session(server_bin, ["--demo", "--enable-write-tools"], era, log) as session:
        yield session


def types(log_entries: list[dict]) -> list[str]:
    return [e["type"] for e in log_entries]


async def test_a_responder_walks_an_incident_and_finds_every_step_in_its_timeline(responder: Session) -> None:
    s = responder
    # 1. My open incidents; take a triggered low-urgency one (the demo always has one).
    mine = await s.call("list_incidents", {"statuses": ["triggered", "acknowledged"]})
    triggered = [i for i in mine["incidents"] if i["status"] == "triggered"]
    assert triggered, "the demo dataset has a triggered incident for the current user's teams"
    low = [i for i in triggered if i.get("urgency") == "low"]
    assert low, "the demo dataset has a triggered low-urgency incident for the current user's teams"
    incident = low[0]
    incident_id = incident["id"]

    # 2. The incident itself.
    got = (await s.call("get_incident", {"incident_id": incident_id}))["incidents"][0]
    assert got["id"] == incident_id and got["status"] == "triggered"
    service_id = got["service"]["id"]

    # 3. Its timeline (oldest first, starting with the trigger) and its alerts with their bodies.
    before = (await s.call("list_incident_log_entries", {"incident_id": incident_id}))["log_entries"]
    assert before and before[0]["type"] == "trigger", types(before)
    times = [e["created_at"] for e in before]
    assert times == sorted(times), "the timeline is oldest first"
    alerts = (await s.call("list_incident_alerts", {"incident_id": incident_id}))["alerts"]
    assert alerts, "every demo incident has alerts"
    alert = (await s.call("get_incident_alert", {"incident_id": incident_id, "alert_id": alerts[0]["id"]}))["alerts"][0]
    assert alert["id"] == alerts[0]["id"]
    assert alert.get("body", {}).get("details"), f"the alert keeps what the monitoring system sent: {alert}"

    # 4. What changed before it: every open demo incident has a deploy shortly before it.
    changes = (await s.call("list_incident_change_events", {"incident_id": incident_id}))["change_events"]
    assert changes, "an open demo incident has change events before it"
    assert all(c["timestamp"] <= got["created_at"] for c in changes), changes

    # 5. Acknowledge.
    acked = (await s.call("acknowledge_incident", {"incident_id": incident_id}))["incidents"][0]
    assert acked["status"] == "acknowledged"

    # 6. Raise its urgency and priority (P1, the highest).
    priorities = (await s.call("list_priorities"))["priorities"]
    p1 = next(p for p in priorities if p["name"] == "P1")
    changed = await s.call("manage_incidents", {"incident_ids": [incident_id], "urgency": "high", "priority_id": p1["id"]})
    assert changed["incidents"][0]["urgency"] == "high"
    got = (await s.call("get_incident", {"incident_id": incident_id}))["incidents"][0]
    assert got["urgency"] == "high" and got["priority"] == "P1", got

    # 7. Reassign to a colleague on the incident's team.
    team_id = got["teams"][0]["id"]
    members = (await s.call("list_team_members", {"team_id": team_id}))["members"]
    colleagues = [m["user"]["id"] for m in members if m["user"]["id"] != CURRENT_USER_ID]
    assert len(colleagues) >= 2, members
    colleague, helper = colleagues[0], colleagues[1]
    reassigned = await s.call("manage_incidents", {"incident_ids": [incident_id], "assignee_ids": [colleague]})
    assert colleague in str(reassigned["incidents"][0].get("assignments", "")), reassigned

    # 8. Add a responder.
    requested = await s.call("add_responders", {"incident_id": incident_id, "user_ids": [helper],
                                                "message": "Need a second pair of eyes on the database."})
    assert requested["metadata"]["count"] == 1

    # 9. A status update for the stakeholders.
    update = "Mitigation in progress: rolled back the last deploy."
    posted = await s.call("create_incident_status_update", {"incident_id": incident_id, "message": update})
    assert update in str(posted)

    # 10. Snooze: PagerDuty snoozes acknowledged incidents only; a reassignment re-triggers
    # one, so the responder acknowledges it again first when it did.
    got = (await s.call("get_incident", {"incident_id": incident_id}))["incidents"][0]
    if got["status"] == "triggered":
        await s.call("acknowledge_incident", {"incident_id": incident_id})
    snoozed = (await s.call("snooze_incident", {"incident_id": incident_id, "duration_seconds": 3600}))["incidents"][0]
    assert snoozed["status"] == "acknowledged"

    # 11. Resolve.
    resolved = (await s.call("resolve_incident", {"incident_id": incident_id}))["incidents"][0]
    assert resolved["status"] == "resolved"

    # 12. Every step is in the timeline, in order, after what was there before.
    after = (await s.call("list_incident_log_entries", {"incident_id": incident_id}))["log_entries"]
    assert [e["id"] for e in after[: len(before)]] == [e["id"] for e in before], "the history is kept"
    new = after[len(before):]
    new_types = types(new)
    times = [e["created_at"] for e in after]
    assert times == sorted(times), "the timeline is oldest first"

    def find(kind: str, text: str | None = None, start: int = 0) -> int:
        for i, entry in enumerate(new[start:], start):
            if entry["type"] == kind and (text is None or text in str(entry)):
                return i
        pytest.fail(f"no {kind} entry{' with ' + text if text else ''} after position {start}: {new}")

    steps = [
        find("acknowledge"),
        find("urgency_change"),
        find("field_value_change", "P1"),
        find("assign", colleague),
        find("notify", helper),
        find("field_value_change", update),
        find("snooze"),
        find("resolve"),
    ]
    assert steps == sorted(steps), f"the steps are in the order they were taken: {new_types}"
    for entry in new:
        if entry["type"] in ("acknowledge", "urgency_change", "snooze", "resolve"):
            assert entry["agent"]["id"] == CURRENT_USER_ID, entry
