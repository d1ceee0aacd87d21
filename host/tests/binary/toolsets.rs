//! Toolsets through the binary: `--toolsets`, `--tools`, `--enable-write-tools`
//! (bare, `=true`, `=a,b`) and their environment variables decide what is listed and
//! callable; unknown names stop the start with the valid ones listed.

use std::process::Output;

use serde_json::Value;

use crate::common;

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = common::pagerduty_mcp();
    cmd.args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.output().expect("the binary runs")
}

/// The names `tools --json` lists with `args` (and `env`).
fn listed(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let output = run(&[&["--demo"], args, &["tools", "--json"]].concat(), env);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tools: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    tools
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn toolsets_and_tools_select_what_is_listed_in_a_stable_order() {
    let people = listed(&["--toolsets", "people"], &[]);
    assert_eq!(
        people,
        [
            "get_current_user",
            "list_users",
            "get_user",
            "list_user_notification_rules",
            "list_teams",
            "get_team",
            "list_team_members"
        ]
    );
    // An extra tool comes in its toolset's place: incidents before people.
    let with_incident = listed(&["--toolsets", "people", "--tools", "get_incident"], &[]);
    assert_eq!(with_incident[0], "get_incident");
    assert_eq!(with_incident.len(), 8);
    // The environment variables do the same.
    assert_eq!(listed(&[], &[("PAGERDUTY_TOOLSETS", "people")]), people);
    let all = listed(&["--toolsets", "all"], &[]);
    let default = listed(&[], &[]);
    assert_eq!(all, default, "the other toolsets have no tools yet");
    assert_eq!(default.first().map(String::as_str), Some("list_incidents"));
}

#[test]
fn write_tools_all_or_by_name() {
    let writes = |names: &[String]| {
        names
            .iter()
            .filter(|n| {
                [
                    "acknowledge_incident",
                    "resolve_incident",
                    "add_incident_note",
                ]
                .contains(&n.as_str())
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(writes(&listed(&[], &[])).is_empty());
    assert_eq!(writes(&listed(&["--enable-write-tools"], &[])).len(), 3);
    assert_eq!(
        writes(&listed(&["--enable-write-tools=true"], &[])).len(),
        3
    );
    assert!(writes(&listed(&["--enable-write-tools=false"], &[])).is_empty());
    assert_eq!(
        writes(&listed(&["--enable-write-tools=resolve_incident"], &[])),
        ["resolve_incident"]
    );
    // Second-catalog writes one by one: exactly the named ones are listed.
    let named = listed(
        &["--enable-write-tools=snooze_incident,create_schedule_override"],
        &[],
    );
    let listed_writes: Vec<&String> = named
        .iter()
        .filter(|n| {
            pagerduty_tools::catalog::find(n).is_some_and(pagerduty_tools::catalog::Tool::is_write)
        })
        .collect();
    assert_eq!(
        listed_writes,
        ["snooze_incident", "create_schedule_override"]
    );
    // A named write tool is offered even outside the selected toolsets; `true` is not.
    let people_and_note = listed(
        &[
            "--toolsets",
            "people",
            "--enable-write-tools=add_incident_note",
        ],
        &[],
    );
    assert_eq!(people_and_note[0], "add_incident_note");
    assert!(
        writes(&listed(
            &["--toolsets", "people", "--enable-write-tools"],
            &[]
        ))
        .is_empty()
    );
    assert_eq!(
        writes(&listed(
            &[],
            &[(
                "PAGERDUTY_ENABLE_WRITE_TOOLS",
                "acknowledge_incident,resolve_incident"
            )]
        )),
        ["acknowledge_incident", "resolve_incident"]
    );
}

#[test]
fn unknown_names_are_start_up_errors_listing_the_valid_ones() {
    for (args, named, valid) in [
        (
            &["--toolsets", "incidents,pager"][..],
            "'pager'",
            "schedules_v3",
        ),
        (
            &["--tools", "get_incidnt"],
            "'get_incidnt'",
            "list_team_members",
        ),
        (
            &["--enable-write-tools=get_incident"],
            "'get_incident'",
            "resolve_incident",
        ),
        (
            &["--tools", "resolve_incident"],
            "'resolve_incident'",
            "--enable-write-tools",
        ),
    ] {
        let output = run(&[&["--demo"], args, &["tools"]].concat(), &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(named) && stderr.contains(valid),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        // Serving stops too, before reading any request.
        let output = run(&[&["--demo"], args].concat(), &[]);
        assert_eq!(output.status.code(), Some(2), "serving with {args:?}");
    }
}

#[test]
fn a_tool_that_is_not_offered_cannot_be_called() {
    let output = run(
        &["--demo", "--toolsets", "people", "call", "get_incident"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("unknown tool: \"get_incident\""),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_tools_table_shows_toolsets_and_what_is_not_offered() {
    let output = run(&["--demo", "--toolsets", "incidents,people", "tools"], &[]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let line = |start: &str| {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?} in:\n{text}"))
            .to_owned()
    };
    assert!(line("TOOLSET").contains("SELECTED"));
    assert!(line("incidents ").contains("yes") && line("incidents ").contains("13/22"));
    assert!(line("oncall ").contains("no (def)"), "{text}");
    assert!(line("analytics ").contains("0/0"));
    assert!(line("get_user ").contains("people"));
    assert!(line("Not offered").contains("list_oncalls"));
    assert!(line("Write tools not enabled").contains("resolve_incident"));
}
