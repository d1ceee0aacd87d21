//! The walking skeleton's three tools through the real component, and the exact
//! requests PagerDuty (the fake) receives.

use host_tests::{Harness, header, query};
use pagerduty_mcp_host::sandbox::ToolSelection;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn get_current_user_sends_the_host_token_and_pagerduty_headers() {
    let h = Harness::new();
    let answer = h.ok("get_current_user", json!({})).await;
    let user = &answer.items("users")[0];
    assert_eq!(user["id"], fake_pagerduty::CURRENT_USER_ID);
    assert_eq!(user["email"], fake_pagerduty::CURRENT_USER_EMAIL);
    assert!(!user["teams"].as_array().unwrap().is_empty());
    assert!(!user["service_ids"].as_array().unwrap().is_empty());
    assert!(!user["escalation_policy_ids"].as_array().unwrap().is_empty());
    assert_eq!(answer.envelope["metadata"]["count"], 1);

    let requests = h.take_requests();
    assert_eq!(requests[0].path, "/users/me");
    for r in &requests {
        assert_eq!(r.method, "GET");
        assert_eq!(
            header(r, "authorization"),
            Some(format!("Token token={}", fake_pagerduty::USER_TOKEN).as_str())
        );
        assert_eq!(
            header(r, "accept"),
            Some("application/vnd.pagerduty+json;version=2")
        );
        assert_eq!(header(r, "content-type"), Some("application/json"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_tokens_are_sent_as_bearer() {
    let h = Harness::with(|c| c.token = Some(fake_pagerduty::OAUTH_TOKEN.to_string()));
    h.ok("get_current_user", json!({})).await;
    let requests = h.take_requests();
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(format!("Bearer {}", fake_pagerduty::OAUTH_TOKEN).as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_incidents_filters_by_my_teams_and_counts_statuses() {
    let h = Harness::new();
    let me = h.ok("get_current_user", json!({})).await;
    let my_teams: Vec<String> = me.items("users")[0]["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    h.take_requests();

    let answer = h
        .ok(
            "list_incidents",
            json!({"statuses": ["triggered", "acknowledged"]}),
        )
        .await;
    let incidents = answer.items("incidents");
    assert!(
        !incidents.is_empty(),
        "the dataset has open incidents for the user's teams"
    );
    for i in incidents {
        assert!(["triggered", "acknowledged"].contains(&i["status"].as_str().unwrap()));
        assert!(i.get("self").is_none());
        assert!(i["service"].get("type").is_none());
    }
    let counts = &answer.envelope["metadata"]["status_counts"];
    let counted = counts["triggered"].as_u64().unwrap() + counts["acknowledged"].as_u64().unwrap();
    assert_eq!(counted as usize, incidents.len());
    assert_eq!(counts["resolved"], 0);

    let requests = h.take_requests();
    let list = requests.iter().find(|r| r.path == "/incidents").unwrap();
    let mut sent_teams: Vec<&str> = query(list, "team_ids[]");
    sent_teams.sort();
    let mut expected: Vec<&str> = my_teams.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(sent_teams, expected);
    assert_eq!(query(list, "statuses[]"), ["triggered", "acknowledged"]);
    assert_eq!(query(list, "date_range"), ["all"]);
    assert_eq!(query(list, "limit"), ["100"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_incidents_pages_through_pagerduty_up_to_limit() {
    let h = Harness::new();
    let answer = h
        .ok("list_incidents", json!({"current_user_context": false, "team_ids": all_team_ids(&h).await, "limit": 150, "statuses": ["resolved"]}))
        .await;
    assert_eq!(answer.items("incidents").len(), 150);
    assert_eq!(answer.envelope["metadata"]["has_more"], true);
    let pages: Vec<(Vec<String>, Vec<String>)> = h
        .take_requests()
        .iter()
        .filter(|r| r.path == "/incidents")
        .map(|r| {
            (
                query(r, "limit").iter().map(|s| s.to_string()).collect(),
                query(r, "offset").iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        pages,
        [
            (vec!["100".into()], vec!["0".into()]),
            (vec!["50".into()], vec!["100".into()])
        ]
    );
}

async fn all_team_ids(h: &Harness) -> Vec<String> {
    let teams = h.ok("list_teams", json!({})).await;
    teams
        .items("teams")
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn get_incident_returns_a_one_item_list() {
    let h = Harness::new();
    let listed = h
        .ok(
            "list_incidents",
            json!({"statuses": ["triggered"], "limit": 1}),
        )
        .await;
    let id = listed.items("incidents")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = h.ok("get_incident", json!({"incident_id": id})).await;
    let incidents = answer.items("incidents");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["id"], id);
    assert!(incidents[0]["html_url"].as_str().unwrap().contains(&id));
    assert_eq!(
        h.take_requests().last().unwrap().path,
        format!("/incidents/{id}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_come_back_as_tool_errors_with_stable_codes() {
    let h = Harness::new();
    assert_eq!(
        h.call("get_incident", json!({"incident_id": "P@X"}))
            .await
            .code(),
        "INVALID_INCIDENT_ID"
    );
    assert_eq!(
        h.call("get_incident", json!({})).await.code(),
        "MISSING_PARAMETER"
    );
    assert_eq!(
        h.call("list_incidents", json!({"statuses": ["open"]}))
            .await
            .code(),
        "INVALID_PARAMETER"
    );
    assert_eq!(
        h.call("list_incidents", json!({"team_ids": ["PT1"]}))
            .await
            .code(),
        "CONFLICTING_PARAMETERS"
    );
    assert!(
        h.take_requests().is_empty(),
        "validation failures send nothing"
    );
    let missing = h
        .call("get_incident", json!({"incident_id": "PNOTHERE"}))
        .await;
    assert!(missing.is_error);
    assert_eq!(missing.code(), "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn account_token_has_no_user_context() {
    let h = Harness::with(|c| c.token = Some(fake_pagerduty::ACCOUNT_TOKEN.to_string()));
    let answer = h.call("list_incidents", json!({})).await;
    assert_eq!(answer.code(), "USER_CONTEXT_UNAVAILABLE");
    // Explicit filters work with an account token.
    let teams = all_team_ids(&h).await;
    h.ok(
        "list_incidents",
        json!({"current_user_context": false, "team_ids": [teams[0]]}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_is_unauthorized() {
    let h = Harness::with(|c| c.token = Some("wrong-token".to_string()));
    assert_eq!(
        h.call("get_incident", json!({"incident_id": "PABC123"}))
            .await
            .code(),
        "UNAUTHORIZED"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_tools_and_bad_arguments_are_protocol_faults() {
    let h = Harness::new();
    let fault = h
        .sandbox
        .call_tool("nope", "{}")
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(fault, pagerduty_mcp_host::CallError::UnknownTool(ref n) if n == "nope"),
        "{fault:?}"
    );
    let fault = h
        .sandbox
        .call_tool("get_incident", "[]")
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(fault, pagerduty_mcp_host::CallError::InvalidArguments(_)),
        "{fault:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn write_tools_exist_only_when_enabled() {
    let h = Harness::new();
    let names: Vec<String> = h
        .sandbox
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(names.contains(&"list_incidents".to_string()));
    assert!(!names.iter().any(|n| n == "resolve_incident"));
    let fault = h
        .sandbox
        .call_tool("resolve_incident", r#"{"incident_id":"PABC123"}"#)
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(
        fault,
        pagerduty_mcp_host::CallError::UnknownTool(_)
    ));

    let h = Harness::with(|c| c.selection = ToolSelection::with_writes());
    let tools = h.sandbox.list_tools().await.unwrap();
    let resolve = tools
        .iter()
        .find(|t| t.name == "resolve_incident")
        .expect("listed when enabled");
    assert!(!resolve.annotations.read_only);
    assert!(resolve.annotations.destructive);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_is_network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sandbox = pagerduty_mcp_host::Sandbox::new(pagerduty_mcp_host::SandboxConfig {
        api_base: format!("http://127.0.0.1:{port}"),
        token: Some("t".into()),
        ..Default::default()
    })
    .unwrap();
    let outcome = sandbox
        .call_tool("get_incident", r#"{"incident_id":"PABC123"}"#)
        .await
        .unwrap()
        .unwrap();
    assert!(outcome.is_error);
    let envelope: serde_json::Value = serde_json::from_str(&outcome.structured_content).unwrap();
    assert_eq!(test_support::error_code(&envelope), "NETWORK_ERROR");
}
