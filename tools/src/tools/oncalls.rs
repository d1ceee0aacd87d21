//! On-calls: who is on call, for which policy level and schedule, and until when.

use super::{SINCE, UNTIL, list_fields, push_lists};
use crate::args::{Args, LIMIT, Param, ParamKind, ids};
use crate::catalog::{Access, Operation, Run, Tool, UserContextRule};
use crate::client::Query;
use crate::context::Call;
use crate::envelope::Output;
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::toolsets::Toolset;

/// The fields of an on-call entry.
const ONCALL_FIELDS: &[&str] = &[
    "user",
    "escalation_policy",
    "escalation_level",
    "schedule",
    "start",
    "end",
];

/// The on-call tools.
pub const TOOLS: &[Tool] = &[Tool {
    toolset: Toolset::Oncall,
    name: "list_oncalls",
    title: "List on-calls",
    description: "List who is on call: the user, the escalation policy and level, the schedule, and the \
        start/end of the shift. Without since/until it shows who is on call now. With \
        current_user_context=true (the default) it shows every on-call of the escalation policies of your \
        teams (not only you); set it to false and pass schedule_ids, user_ids or escalation_policy_ids instead.",
    resource: "oncalls",
    params: &[
        Param {
            name: "schedule_ids",
            kind: ParamKind::IdList(ids::SCHEDULE),
            required: false,
            description: "Only on-calls of these schedules (allowed with either current_user_context).",
        },
        Param {
            name: "user_ids",
            kind: ParamKind::IdList(ids::USER),
            required: false,
            description: "Only on-calls of these users. Requires current_user_context=false.",
        },
        Param {
            name: "escalation_policy_ids",
            kind: ParamKind::IdList(ids::ESCALATION_POLICY),
            required: false,
            description: "Only on-calls of these escalation policies. Requires current_user_context=false.",
        },
        SINCE,
        UNTIL,
        Param {
            name: "earliest",
            kind: ParamKind::Bool { default: false },
            required: false,
            description: "true: only the earliest on-call per user, escalation policy and level in the window \
                (who is next), default false.",
        },
        Param {
            name: "current_user_context",
            kind: ParamKind::Bool { default: true },
            required: false,
            description: "true (default): on-calls of the escalation policies of your teams; user_ids and \
                escalation_policy_ids cannot be passed. false: pass schedule_ids, user_ids or escalation_policy_ids.",
        },
        LIMIT,
    ],
    access: Access::Read,
    user_context: Some(UserContextRule {
        rejects: &["user_ids", "escalation_policy_ids"],
        requires_one_of: &["schedule_ids", "user_ids", "escalation_policy_ids"],
    }),
    operations: &[
        Operation::get("/oncalls"),
        Operation::get("/users/me"),
        Operation::get("/escalation_policies"),
    ],
    example: r#"{"since": "2026-01-15T12:00:00Z", "until": "2026-01-15T13:00:00Z"}"#,
    run: Run::Custom(list_oncalls),
}];

fn list_oncalls(call: &mut Call<'_>, args: &Args) -> ToolResult<Output> {
    let mut q = Query::new();
    if args.flag("current_user_context") {
        let team_ids = call.my_team_ids()?;
        let mut teams = Query::new();
        teams.push_all("team_ids[]", &team_ids);
        let policy_ids = call.ids_of_all("/escalation_policies", &teams, "escalation_policies")?;
        if policy_ids.is_empty() {
            return Err(ToolError::new(
                ErrorCode::UserContextUnavailable,
                "Your teams have no escalation policies, so there is nothing to filter by. Pass \
                 current_user_context=false together with schedule_ids, user_ids or escalation_policy_ids instead.",
            ));
        }
        q.push_all("escalation_policy_ids[]", &policy_ids);
    } else {
        push_lists(&mut q, args, &["user_ids", "escalation_policy_ids"]);
    }
    push_lists(&mut q, args, &["schedule_ids"]);
    for name in ["since", "until"] {
        if let Some(t) = args.timestamp(name) {
            q.push(name, t);
        }
    }
    if args.flag("earliest") {
        q.push("earliest", "true");
    }
    list_fields(call, "/oncalls", &q, "oncalls", ONCALL_FIELDS, args)
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_refused, call, me_response, page};
    use serde_json::json;

    #[test]
    fn context_uses_the_policies_of_my_teams_and_keeps_schedule_filter() {
        let c = call(
            "list_oncalls",
            json!({"schedule_ids": ["PS1"], "earliest": true}),
            vec![
                me_response(&["PT1"]),
                page(
                    "escalation_policies",
                    vec![json!({"id": "PE1"}), json!({"id": "PE2"})],
                    false,
                ),
                page(
                    "oncalls",
                    vec![
                        json!({"user": {"id": "PU1", "type": "user_reference", "summary": "Ann"}, "escalation_level": 1,
                "start": "2026-11-24T00:00:00Z", "end": null}),
                    ],
                    false,
                ),
            ],
        );
        assert_eq!(
            c.sent,
            [
                "/users/me",
                "/escalation_policies?team_ids[]=PT1&limit=100&offset=0",
                "/oncalls?escalation_policy_ids[]=PE1&escalation_policy_ids[]=PE2&schedule_ids[]=PS1&earliest=true&limit=100&offset=0",
            ]
        );
        assert_eq!(
            c.envelope["oncalls"],
            json!([{"user": {"id": "PU1", "summary": "Ann"}, "escalation_level": 1, "start": "2026-11-24T00:00:00Z"}])
        );
    }

    #[test]
    fn explicit_filters_and_window() {
        let c = call(
            "list_oncalls",
            json!({"current_user_context": false, "user_ids": ["PU1"], "since": "2026-11-24T00:00:00Z", "until": "2026-11-25T00:00:00Z"}),
            vec![page("oncalls", vec![], false)],
        );
        assert_eq!(
            c.sent,
            [
                "/oncalls?user_ids[]=PU1&since=2026-11-24T00:00:00Z&until=2026-11-25T00:00:00Z&limit=100&offset=0"
            ]
        );
        assert_refused(
            "list_oncalls",
            json!({"escalation_policy_ids": ["PE1"]}),
            "CONFLICTING_PARAMETERS",
        );
        assert_refused(
            "list_oncalls",
            json!({"current_user_context": false}),
            "MISSING_PARAMETER",
        );
    }

    #[test]
    fn teams_without_policies_give_user_context_unavailable() {
        let c = call(
            "list_oncalls",
            json!({}),
            vec![
                me_response(&["PT1"]),
                page("escalation_policies", vec![], false),
            ],
        );
        assert_eq!(c.code(), "USER_CONTEXT_UNAVAILABLE");
    }
}
