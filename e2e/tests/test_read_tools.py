"""Every read tool over stdio against `pagerduty-mcp --demo`, in both protocol eras.

One server process per era (module-scoped fixture); the tests of one era share it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp.shared.exceptions import MCPError

from support import (
    CURRENT_USER_EMAIL,
    CURRENT_USER_ID,
    ERAS,
    INVALID_PARAMS,
    READ_TOOLS,
    WRITE_TOOLS,
    Session,
    open_session,
    required_args,
)

pytestmark = pytest.mark.anyio

READ_ANNOTATIONS = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": True}


@pytest.fixture(scope="module", params=list(ERAS))
async def demo(request, anyio_backend, server_bin, logs_dir) -> AsyncIterator[Session]:
    era = request.param
    async with open_session(server_bin, ["--demo"], era, logs_dir / f"read-{era}.log") as session:
        yield session


# --- The handshake and the tool list -------------------------------------------------------


async def test_server_identifies_itself(demo: Session) -> None:
    # legacy: InitializeResult.serverInfo; 2026-07-28: the discover result's optional
    # `_meta` "io.modelcontextprotocol/serverInfo" stamp.
    info = demo.client.server_info
    assert info is not None and info.name == "pagerduty-mcp", info
    caps = demo.client.server_capabilities
    assert caps.tools is not None, "server does not declare the tools capability"


async def test_lists_exactly_the_read_tools(demo: Session) -> None:
    tools = await demo.list_tools()
    names = [t.name for t in tools]
    assert len(names) == len(set(names)), f"duplicate tool names: {names}"
    assert set(names) == set(READ_TOOLS), (
        f"missing {sorted(set(READ_TOOLS) - set(names))}, unexpected {sorted(set(names) - set(READ_TOOLS))}"
    )


@pytest.mark.parametrize("tool", sorted(READ_TOOLS))
async def test_read_tool_metadata(demo: Session, tool: str) -> None:
    if not demo.tools:
        await demo.list_tools()
    t = demo.tools[tool]
    resource, args = READ_TOOLS[tool]
    assert t.title and t.title.strip(), f"{tool}: no title"
    assert t.description and t.description.strip(), f"{tool}: no description"
    check_input_schema(tool, t.input_schema, args)
    check_output_schema(tool, t.output_schema, resource)
    assert t.annotations is not None, f"{tool}: no annotations"
    got = t.annotations.model_dump(by_alias=True, exclude_none=True)
    for key, want in READ_ANNOTATIONS.items():
        assert got.get(key) == want, f"{tool}: annotation {key}={got.get(key)!r}, want {want!r}"


def check_input_schema(tool: str, schema: dict, args: set[str]) -> None:
    assert schema.get("type") == "object", f"{tool}: inputSchema type {schema.get('type')!r}"
    assert schema.get("additionalProperties") is False, f"{tool}: inputSchema allows unknown arguments"
    props = schema.get("properties", {})
    assert set(props) == args, f"{tool}: arguments {sorted(props)}, want {sorted(args)}"
    assert set(schema.get("required", [])) == required_args(tool, args), f"{tool}: required {schema.get('required')}"
    if "limit" in props:
        limit = props["limit"]
        assert limit.get("type") == "integer", f"{tool}: limit type {limit!r}"
        assert limit.get("minimum") == 1, f"{tool}: limit minimum {limit!r}"
        assert limit.get("maximum") == 1000, f"{tool}: limit {limit!r}"
    if "current_user_context" in props:
        cuc = props["current_user_context"]
        assert cuc.get("type") == "boolean" and cuc.get("default") is True, f"{tool}: current_user_context {cuc!r}"
    for name, prop in props.items():
        if name.endswith("_ids") or name in ("statuses", "urgencies"):
            assert prop.get("type") == "array", f"{tool}.{name}: not an array: {prop!r}"


def check_output_schema(tool: str, schema: dict | None, resource: str) -> None:
    assert schema is not None, f"{tool}: no outputSchema"
    assert schema.get("type") == "object", f"{tool}: outputSchema type {schema.get('type')!r}"
    props = schema.get("properties", {})
    assert "metadata" in props and resource in props, f"{tool}: outputSchema properties {sorted(props)}"
    assert props[resource].get("type") == "array", f"{tool}: {resource} is not an array in the outputSchema"


# --- Calling every read tool ---------------------------------------------------------------


async def test_get_current_user(demo: Session) -> None:
    sc = await demo.call("get_current_user")
    assert sc["metadata"]["count"] == 1
    me = sc["users"][0]
    assert me["id"] == CURRENT_USER_ID
    assert me["email"] == CURRENT_USER_EMAIL


async def test_incident_tools(demo: Session) -> None:
    sc = await demo.call("list_incidents")
    incidents = sc["incidents"]
    assert incidents, "the current user's teams have open incidents in the demo dataset"
    counts = sc["metadata"].get("status_counts")
    assert isinstance(counts, dict), f"list_incidents: no metadata.status_counts: {sc['metadata']}"
    assert sum(counts.get(s, 0) for s in ("triggered", "acknowledged", "resolved")) == len(incidents)

    triggered = await demo.call("list_incidents", {"statuses": ["triggered"]})
    assert triggered["incidents"], "the demo dataset has a triggered incident for the current user's teams"
    assert {i["status"] for i in triggered["incidents"]} == {"triggered"}

    incident_id = incidents[0]["id"]
    got = await demo.call("get_incident", {"incident_id": incident_id})
    assert got["metadata"]["count"] == 1
    assert got["incidents"][0]["id"] == incident_id
    assert got["incidents"][0]["status"] in ("triggered", "acknowledged", "resolved")

    alerts = await demo.call("list_incident_alerts", {"incident_id": incident_id})
    assert alerts["alerts"], "every demo incident has 1-5 alerts"

    # Notes, past and related incidents are empty for many incidents: each must be non-empty
    # for some incident of the list (related incidents are the sparsest: ~1 in 7).
    for tool in ("list_incident_notes", "list_past_incidents", "list_related_incidents"):
        for incident in incidents:
            result = await demo.call(tool, {"incident_id": incident["id"]})
            if result["metadata"]["count"]:
                break
        else:
            pytest.fail(f"{tool}: empty for all {len(incidents)} incidents of list_incidents")


async def test_service_tools(demo: Session) -> None:
    sc = await demo.call("list_services")
    assert sc["services"], "the current user's teams have services"
    service_id = sc["services"][0]["id"]
    got = await demo.call("get_service", {"service_id": service_id})
    assert got["metadata"]["count"] == 1 and got["services"][0]["id"] == service_id


async def test_team_tools(demo: Session) -> None:
    sc = await demo.call("list_teams")
    assert len(sc["teams"]) == 6, [t.get("name") for t in sc["teams"]]
    team = next(t for t in sc["teams"] if t.get("name") == "Platform")
    got = await demo.call("get_team", {"team_id": team["id"]})
    assert got["metadata"]["count"] == 1 and got["teams"][0]["id"] == team["id"]
    members = await demo.call("list_team_members", {"team_id": team["id"]})
    assert members["members"], "Platform has members"
    assert CURRENT_USER_ID in str(members["members"]), "the current user is a Platform member"


async def test_user_tools(demo: Session) -> None:
    sc = await demo.call("list_users", {"current_user_context": False, "query": "Rivera"})
    assert [u["id"] for u in sc["users"]] == [CURRENT_USER_ID]
    got = await demo.call("get_user", {"user_id": CURRENT_USER_ID})
    user = got["users"][0]
    assert user["id"] == CURRENT_USER_ID and user["email"] == CURRENT_USER_EMAIL
    assert user.get("contact_methods"), f"get_user without contact methods: {sorted(user)}"


async def test_escalation_policy_tools(demo: Session) -> None:
    sc = await demo.call("list_escalation_policies")
    policies = sc["escalation_policies"]
    assert policies, "the current user is in escalation policies"
    assert "Infrastructure Critical" in [p.get("name") for p in policies]
    policy_id = policies[0]["id"]
    got = await demo.call("get_escalation_policy", {"escalation_policy_id": policy_id})
    policy = got["escalation_policies"][0]
    assert policy["id"] == policy_id
    rules = policy.get("escalation_rules")
    assert rules, "an escalation policy has rules"
    targets = [t for r in rules for t in r.get("targets", [])]
    assert targets and all(t.get("type") in ("user", "schedule") for t in targets), targets


async def test_list_oncalls(demo: Session) -> None:
    sc = await demo.call("list_oncalls")
    assert sc["oncalls"], "someone is on call for the current user's teams"
    assert CURRENT_USER_ID in {o.get("user", {}).get("id") for o in sc["oncalls"]}, (
        "the current user is on call for Platform Primary right now"
    )


async def test_schedule_tools(demo: Session) -> None:
    sc = await demo.call("list_schedules")
    schedules = sc["schedules"]
    assert len(schedules) == 8, [s.get("name") for s in schedules]
    schedule = next(s for s in schedules if s.get("name") == "Platform Primary")
    got = await demo.call("get_schedule", {"schedule_id": schedule["id"]})
    detail = got["schedules"][0]
    assert detail["id"] == schedule["id"]
    entries = detail.get("final_schedule", {}).get("rendered_schedule_entries")
    assert entries, f"get_schedule: no final_schedule.rendered_schedule_entries: {sorted(detail)}"
    assert all(e.get("start") and e.get("end") and e.get("user") for e in entries), entries[:2]
    users = await demo.call("list_schedule_users", {"schedule_id": schedule["id"]})
    assert CURRENT_USER_ID in [u["id"] for u in users["users"]]


def items(result: dict, tool: str) -> list[dict]:
    """The resource list of `tool`'s envelope."""
    return result[READ_TOOLS[tool][0]]


async def test_timeline_and_incident_context_tools(demo: Session) -> None:
    mine = await demo.call("list_incidents", {"statuses": ["triggered", "acknowledged"]})
    incident = mine["incidents"][0]
    timeline = items(await demo.call("list_incident_log_entries", {"incident_id": incident["id"]}), "list_incident_log_entries")
    assert timeline and timeline[0]["type"] == "trigger", timeline[:2]
    entry = items(await demo.call("get_log_entry", {"log_entry_id": timeline[0]["id"]}), "get_log_entry")
    assert entry[0]["id"] == timeline[0]["id"]
    recent = items(await demo.call("list_log_entries"), "list_log_entries")
    assert recent, "the account has log entries in the last 24 hours"

    alerts = (await demo.call("list_incident_alerts", {"incident_id": incident["id"]}))["alerts"]
    alert = items(await demo.call("get_incident_alert", {"incident_id": incident["id"], "alert_id": alerts[0]["id"]}),
                  "get_incident_alert")[0]
    assert alert["id"] == alerts[0]["id"] and alert.get("body"), alert
    outlier = await demo.call("get_outlier_incident", {"incident_id": incident["id"]})
    assert outlier["metadata"]["count"] == 1
    changes = items(await demo.call("list_incident_change_events", {"incident_id": incident["id"]}),
                    "list_incident_change_events")
    assert changes, "every open demo incident has a change event shortly before it"
    priorities = items(await demo.call("list_priorities"), "list_priorities")
    assert [p["name"] for p in priorities] == ["P1", "P2", "P3", "P4", "P5"], priorities


async def test_change_event_tools(demo: Session) -> None:
    events = items(await demo.call("list_change_events", {"limit": 5}), "list_change_events")
    assert events, "the account has change events"
    got = items(await demo.call("get_change_event", {"change_event_id": events[0]["id"]}), "get_change_event")
    assert got[0]["id"] == events[0]["id"] and got[0].get("summary")
    service_id = events[0]["services"][0]["id"]
    on_service = items(await demo.call("list_service_change_events", {"service_id": service_id}),
                       "list_service_change_events")
    assert on_service, f"{service_id} has change events"


async def test_business_service_and_dependency_tools(demo: Session) -> None:
    business = items(await demo.call("list_business_services"), "list_business_services")
    assert len(business) == 5, [b.get("name") for b in business]
    checkout = next(b for b in business if b.get("name") == "Online Checkout")
    got = items(await demo.call("get_business_service", {"business_service_id": checkout["id"]}), "get_business_service")
    assert got[0]["id"] == checkout["id"]
    deps = items(await demo.call("get_business_service_dependencies", {"business_service_id": checkout["id"]}),
                 "get_business_service_dependencies")
    assert deps, "Online Checkout is supported by technical services"
    technical = next(d["supporting_service"]["id"] for d in deps
                     if d["supporting_service"]["type"] == "technical_service")
    tech_deps = items(await demo.call("get_technical_service_dependencies", {"service_id": technical}),
                      "get_technical_service_dependencies")
    assert checkout["id"] in str(tech_deps), "the dependency shows from both ends"


async def test_maintenance_window_and_notification_rule_tools(demo: Session) -> None:
    windows = items(await demo.call("list_maintenance_windows"), "list_maintenance_windows")
    assert windows, "the demo has ongoing and future maintenance windows"
    got = items(await demo.call("get_maintenance_window", {"maintenance_window_id": windows[0]["id"]}),
                "get_maintenance_window")
    assert got[0]["id"] == windows[0]["id"]
    rules = items(await demo.call("list_user_notification_rules", {"user_id": CURRENT_USER_ID}),
                  "list_user_notification_rules")
    assert rules and all(r.get("contact_method") for r in rules), rules


async def test_override_and_handoff_tools(demo: Session) -> None:
    schedules = (await demo.call("list_schedules"))["schedules"]
    found = []
    for schedule in schedules:
        found += items(await demo.call("list_schedule_overrides", {"schedule_id": schedule["id"]}),
                       "list_schedule_overrides")
    assert found, "the demo has overrides in the next 7 days"
    assert all(o.get("user") and o.get("start") and o.get("end") for o in found), found
    handoffs = items(await demo.call("get_oncall_handoff"), "get_oncall_handoff")
    assert handoffs, "the current user's teams have escalation policies"


# --- Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "argument", "code"),
    [
        ("get_incident", "incident_id", "INVALID_INCIDENT_ID"),
        ("list_incident_notes", "incident_id", "INVALID_INCIDENT_ID"),
        ("get_user", "user_id", "INVALID_USER_ID"),
        ("get_team", "team_id", "INVALID_TEAM_ID"),
        ("get_schedule", "schedule_id", "INVALID_SCHEDULE_ID"),
    ],
)
async def test_malformed_id_is_a_tool_error(demo: Session, tool: str, argument: str, code: str) -> None:
    error = await demo.call_error(tool, {argument: "P@X/../1"})
    assert error["code"] == code, error


async def test_missing_id_is_a_tool_error(demo: Session) -> None:
    error = await demo.call_error("get_incident", {})
    assert error["code"] == "MISSING_PARAMETER", error


async def test_unknown_argument_is_a_tool_error(demo: Session) -> None:
    error = await demo.call_error("list_teams", {"no_such_argument": 1})
    assert error["code"] == "INVALID_PARAMETER", error


async def test_unknown_incident_is_not_found(demo: Session) -> None:
    error = await demo.call_error("get_incident", {"incident_id": "PNOSUCH0"})
    assert error["code"] == "NOT_FOUND", error


async def test_unknown_tool_is_a_protocol_error_and_the_session_survives(demo: Session) -> None:
    with pytest.raises(MCPError) as excinfo:
        await demo.client.call_tool("no_such_tool", {})
    assert excinfo.value.code == INVALID_PARAMS, excinfo.value.error
    sc = await demo.call("get_current_user")
    assert sc["users"][0]["id"] == CURRENT_USER_ID


@pytest.mark.parametrize("tool", sorted(WRITE_TOOLS))
async def test_write_tools_are_unknown_without_the_flag(demo: Session, tool: str) -> None:
    with pytest.raises(MCPError) as excinfo:
        await demo.client.call_tool(tool, {"incident_id": "PABC123", "content": "x"})
    assert excinfo.value.code == INVALID_PARAMS, excinfo.value.error


async def test_every_read_tool_was_called(demo: Session, request: pytest.FixtureRequest) -> None:
    """Last test of the module: the tests above succeeded in calling each read tool."""
    opts = request.config.option
    if opts.keyword or opts.markexpr or opts.deselect or any("::" in a for a in request.config.args):
        pytest.skip("needs the whole module (tests were selected)")
    missing = set(READ_TOOLS) - demo.called
    assert not missing, f"read tools never called in era {demo.era}: {sorted(missing)}"
