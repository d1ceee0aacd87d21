//! Every endpoint, with a variety of parameters: each request must be a valid
//! operation of PagerDuty's OpenAPI spec and each answer must validate against
//! the operation's response schema (the walk of `test-support`).

use crate::common;

use common::{Client, fake};
use fake_pagerduty::dataset::Status;
use fake_pagerduty::{CURRENT_USER_EMAIL, CURRENT_USER_ID, FakePagerDuty};
use serde_json::Value;
use test_support::spec;

/// Sends requests and collects every conformance problem.
struct Checker {
    client: Client,
    problems: Vec<String>,
    checked: usize,
    /// Off while deliberately sending invalid requests (to check error answers).
    check_requests: bool,
}

impl Checker {
    fn new(fake: &FakePagerDuty) -> Checker {
        Checker {
            client: Client::new(fake),
            problems: Vec::new(),
            checked: 0,
            check_requests: true,
        }
    }

    /// Sends one request; checks it and its answer. Returns the answer's JSON.
    fn call(
        &mut self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        from: Option<&str>,
        body: Option<&str>,
    ) -> Value {
        let (r, problems) =
            self.client
                .send_checked(method, path, query, from, body, self.check_requests);
        self.problems.extend(problems);
        if r.body.is_empty() {
            self.checked += 1;
            return Value::Null;
        }
        match serde_json::from_str(&r.body) {
            Ok(json) => {
                self.checked += 1;
                json
            }
            Err(_) => Value::Null,
        }
    }

    fn get(&mut self, path: &str, query: &[(&str, &str)]) -> Value {
        self.call("GET", path, query, None, None)
    }

    fn finish(self) {
        assert!(self.checked > 0);
        if !self.problems.is_empty() {
            let shown: Vec<&String> = self.problems.iter().take(60).collect();
            panic!(
                "{} conformance problems in {} exchanges (first {}):\n{}",
                self.problems.len(),
                self.checked,
                shown.len(),
                shown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        eprintln!("{} exchanges conform to the spec", self.checked);
    }
}

const W_SINCE: &str = "2026-11-20T00:00:00Z";
const W_UNTIL: &str = "2026-11-27T00:00:00Z";

#[test]
fn users_and_teams_conform() {
    let f = fake();
    let data = f.dataset();
    let mut c = Checker::new(&f);
    c.get("/users/me", &[]);
    for inc in [
        "contact_methods",
        "notification_rules",
        "teams",
        "subdomains",
        "calendar_urls",
    ] {
        c.get("/users/me", &[("include[]", inc)]);
    }
    c.get("/users", &[]);
    c.get(
        "/users",
        &[
            ("query", "a"),
            ("limit", "10"),
            ("offset", "5"),
            ("total", "true"),
        ],
    );
    c.get(
        "/users",
        &[
            ("include[]", "contact_methods"),
            ("include[]", "notification_rules"),
            ("include[]", "teams"),
            ("limit", "100"),
        ],
    );
    for t in &data.teams {
        c.get("/users", &[("team_ids[]", &t.id), ("include[]", "teams")]);
    }
    for u in &data.users {
        let path = format!("/users/{}", u.id);
        c.get(&path, &[]);
        c.get(
            &path,
            &[
                ("include[]", "contact_methods"),
                ("include[]", "notification_rules"),
                ("include[]", "teams"),
                ("include[]", "calendar_urls"),
            ],
        );
        c.get(&format!("/users/{}/contact_methods", u.id), &[]);
    }
    c.get("/teams", &[]);
    c.get("/teams", &[("query", "pay"), ("total", "true")]);
    c.get("/teams", &[("limit", "2"), ("offset", "2")]);
    for t in &data.teams {
        c.get(&format!("/teams/{}", t.id), &[]);
        c.get(&format!("/teams/{}", t.id), &[("include[]", "privileges")]);
        c.get(&format!("/teams/{}/members", t.id), &[]);
        c.get(
            &format!("/teams/{}/members", t.id),
            &[("include[]", "users"), ("limit", "3"), ("total", "true")],
        );
    }
    c.finish();
}

#[test]
fn services_policies_schedules_oncalls_conform() {
    let f = fake();
    let data = f.dataset();
    let mut c = Checker::new(&f);
    c.get("/services", &[]);
    for inc in [
        "escalation_policies",
        "teams",
        "integrations",
        "auto_pause_notifications_parameters",
    ] {
        c.get("/services", &[("include[]", inc), ("limit", "100")]);
    }
    c.get(
        "/services",
        &[
            ("sort_by", "name:desc"),
            ("query", "pay"),
            ("total", "true"),
            ("time_zone", "Europe/Berlin"),
        ],
    );
    c.get(
        "/services",
        &[
            ("team_ids[]", &data.teams[0].id),
            ("team_ids[]", &data.teams[1].id),
        ],
    );
    for s in &data.services {
        c.get(&format!("/services/{}", s.id), &[]);
        c.get(
            &format!("/services/{}", s.id),
            &[
                ("include[]", "escalation_policies"),
                ("include[]", "teams"),
                ("include[]", "integrations"),
            ],
        );
    }

    c.get("/escalation_policies", &[]);
    for inc in [
        "services",
        "teams",
        "targets",
        "escalation_rule_assignment_strategies",
    ] {
        c.get("/escalation_policies", &[("include[]", inc)]);
    }
    c.get(
        "/escalation_policies",
        &[
            ("user_ids[]", CURRENT_USER_ID),
            ("sort_by", "name:asc"),
            ("total", "true"),
        ],
    );
    c.get(
        "/escalation_policies",
        &[("team_ids[]", &data.teams[0].id), ("query", "on-call")],
    );
    for p in &data.escalation_policies {
        c.get(&format!("/escalation_policies/{}", p.id), &[]);
        c.get(
            &format!("/escalation_policies/{}", p.id),
            &[
                ("include[]", "targets"),
                ("include[]", "services"),
                ("include[]", "teams"),
            ],
        );
    }

    c.get("/schedules", &[]);
    c.get(
        "/schedules",
        &[
            ("query", "primary"),
            ("total", "true"),
            ("time_zone", "Asia/Tokyo"),
        ],
    );
    c.get(
        "/schedules",
        &[
            ("include[]", "schedule_layers"),
            ("include[]", "final_schedule"),
            ("include[]", "overrides_subschedule"),
            ("since", W_SINCE),
            ("until", W_UNTIL),
        ],
    );
    c.get("/schedules", &[("include[]", "schedule_layers")]);
    for s in &data.schedules {
        let path = format!("/schedules/{}", s.id);
        c.get(&path, &[]);
        c.get(&path, &[("since", W_SINCE), ("until", W_UNTIL)]);
        c.get(
            &path,
            &[
                ("since", W_SINCE),
                ("until", W_UNTIL),
                ("time_zone", "America/Los_Angeles"),
                ("overflow", "true"),
            ],
        );
        c.get(&path, &[("include_next_oncall_for_user", CURRENT_USER_ID)]);
        c.get(&format!("/schedules/{}/users", s.id), &[]);
        c.get(
            &format!("/schedules/{}/users", s.id),
            &[("since", W_SINCE), ("until", W_UNTIL)],
        );
    }

    c.get("/oncalls", &[]);
    c.get(
        "/oncalls",
        &[
            ("include[]", "users"),
            ("include[]", "schedules"),
            ("include[]", "escalation_policies"),
            ("limit", "100"),
        ],
    );
    c.get(
        "/oncalls",
        &[
            ("since", W_SINCE),
            ("until", W_UNTIL),
            ("limit", "100"),
            ("total", "true"),
        ],
    );
    c.get(
        "/oncalls",
        &[
            ("since", W_SINCE),
            ("until", W_UNTIL),
            ("earliest", "true"),
            ("time_zone", "Europe/London"),
        ],
    );
    c.get("/oncalls", &[("user_ids[]", CURRENT_USER_ID)]);
    c.get(
        "/oncalls",
        &[
            ("schedule_ids[]", &data.schedules[0].id),
            ("escalation_policy_ids[]", &data.escalation_policies[0].id),
        ],
    );
    c.finish();
}

#[test]
fn incidents_conform() {
    let f = fake();
    let data = f.dataset();
    let mut c = Checker::new(&f);
    let all_includes: Vec<(&str, &str)> = [
        "acknowledgers",
        "agents",
        "assignees",
        "conference_bridge",
        "escalation_policies",
        "first_trigger_log_entries",
        "priorities",
        "services",
        "teams",
        "users",
    ]
    .iter()
    .map(|i| ("include[]", *i))
    .collect();
    c.get("/incidents", &[]);
    for offset in ["0", "100", "200"] {
        c.get(
            "/incidents",
            &[
                ("date_range", "all"),
                ("limit", "100"),
                ("offset", offset),
                ("total", "true"),
            ],
        );
        let mut q = all_includes.clone();
        q.extend([("date_range", "all"), ("limit", "100"), ("offset", offset)]);
        c.get("/incidents", &q);
    }
    for inc in &all_includes {
        c.get(
            "/incidents",
            &[
                *inc,
                ("statuses[]", "triggered"),
                ("statuses[]", "acknowledged"),
                ("date_range", "all"),
            ],
        );
    }
    c.get(
        "/incidents",
        &[
            ("urgencies[]", "high"),
            ("sort_by", "created_at:desc,incident_number"),
            ("time_zone", "America/New_York"),
        ],
    );
    c.get(
        "/incidents",
        &[
            ("since", "2026-11-01T00:00:00Z"),
            ("until", "2026-11-24T00:00:00Z"),
            ("statuses[]", "resolved"),
        ],
    );
    c.get(
        "/incidents",
        &[
            ("user_ids[]", CURRENT_USER_ID),
            ("team_ids[]", &data.teams[0].id),
            ("service_ids[]", &data.services[0].id),
        ],
    );
    c.get(
        "/incidents",
        &[
            ("incident_key", &data.incidents[0].incident_key),
            ("date_range", "all"),
        ],
    );

    for (n, i) in data.incidents.iter().enumerate() {
        let path = format!("/incidents/{}", i.id);
        if n % 4 == 0 || i.status.is_open() {
            c.get(&path, &[]);
            let mut q = all_includes.clone();
            q.push(("include[]", "custom_fields"));
            c.get(&path, &q);
            c.get(&format!("{path}/notes"), &[]);
            c.get(&format!("{path}/alerts"), &[]);
            c.get(
                &format!("{path}/alerts"),
                &[
                    ("statuses[]", "triggered"),
                    ("include[]", "services"),
                    ("sort_by", "created_at:desc"),
                    ("total", "true"),
                ],
            );
            c.get(&format!("{path}/past_incidents"), &[]);
            c.get(
                &format!("{path}/past_incidents"),
                &[("limit", "50"), ("total", "true")],
            );
            c.get(&format!("{path}/related_incidents"), &[]);
            c.get(
                &format!("{path}/related_incidents"),
                &[("additional_details[]", "incident")],
            );
        }
    }

    // Writes.
    let open: Vec<String> = data
        .incidents
        .iter()
        .filter(|i| i.status == Status::Triggered)
        .map(|i| i.id.clone())
        .collect();
    let target = &open[0];
    let path = format!("/incidents/{target}");
    c.call(
        "PUT",
        &path,
        &[],
        Some(CURRENT_USER_EMAIL),
        Some(r#"{"incident":{"type":"incident_reference","status":"acknowledged"}}"#),
    );
    c.call(
        "POST",
        &format!("{path}/notes"),
        &[],
        Some(CURRENT_USER_EMAIL),
        Some(r#"{"note":{"content":"Investigating."}}"#),
    );
    c.call(
        "PUT",
        &path,
        &[],
        Some(CURRENT_USER_EMAIL),
        Some(r#"{"incident":{"type":"incident_reference","status":"resolved"}}"#),
    );
    c.call(
        "PUT",
        &path,
        &[],
        Some(CURRENT_USER_EMAIL),
        Some(r#"{"incident":{"type":"incident_reference","status":"resolved"}}"#),
    );
    c.get(&path, &[("include[]", "agents")]);
    c.get(&format!("{path}/notes"), &[]);
    c.get(&format!("{path}/alerts"), &[("statuses[]", "resolved")]);
    c.finish();
}

#[test]
fn incident_response_writes_conform() {
    let f = fake();
    let data = f.dataset();
    let mut c = Checker::new(&f);
    let me = Some(CURRENT_USER_EMAIL);
    let open_of = |status: Status| -> Vec<String> {
        data.incidents
            .iter()
            .filter(|i| i.status == status)
            .map(|i| i.id.clone())
            .collect()
    };
    let triggered = open_of(Status::Triggered);
    let acknowledged = open_of(Status::Acknowledged);
    let service = &data.services[0];
    let policy = &data.escalation_policies[0];
    let priority = &data.priorities[0];
    let create = format!(
        r#"{{"incident":{{"type":"incident","title":"Checkout down","service":{{"id":"{}","type":"service_reference"}},
        "urgency":"high","priority":{{"id":"{}","type":"priority_reference"}},"incident_key":"conformance-1",
        "body":{{"type":"incident_body","details":{{"text":"EU payments fail"}}}},
        "escalation_policy":{{"id":"{}","type":"escalation_policy_reference"}}}}}}"#,
        service.id, priority.id, policy.id
    );
    let created = c.call("POST", "/incidents", &[], me, Some(&create));
    let created_id = created["incident"]["id"].as_str().unwrap().to_string();
    let assigned = format!(
        r#"{{"incident":{{"type":"incident","title":"Disk full","service":{{"id":"{}","type":"service_reference"}},
        "assignments":[{{"assignee":{{"id":"{CURRENT_USER_ID}","type":"user_reference"}}}}]}}}}"#,
        service.id
    );
    c.call("POST", "/incidents", &[], me, Some(&assigned));
    let bulk = format!(
        r#"{{"incidents":[{{"id":"{}","type":"incident_reference","status":"acknowledged","urgency":"low",
        "priority":{{"id":"{}","type":"priority_reference"}}}},
        {{"id":"{}","type":"incident_reference","escalation_level":2}},
        {{"id":"{created_id}","type":"incident_reference","assignments":[{{"assignee":{{"id":"{CURRENT_USER_ID}","type":"user_reference"}}}}]}}]}}"#,
        triggered[0], priority.id, triggered[1]
    );
    c.call("PUT", "/incidents", &[], me, Some(&bulk));
    let path = format!("/incidents/{}", acknowledged[0]);
    c.call(
        "POST",
        &format!("{path}/snooze"),
        &[],
        me,
        Some(r#"{"duration":3600}"#),
    );
    c.get(&path, &[]);
    let merge = format!(
        r#"{{"source_incidents":[{{"id":"{}","type":"incident_reference"}}]}}"#,
        acknowledged[1]
    );
    c.call("PUT", &format!("{path}/merge"), &[], me, Some(&merge));
    let request = format!(
        r#"{{"requester_id":"{CURRENT_USER_ID}","message":"Please join the bridge","responder_request_targets":[
        {{"responder_request_target":{{"id":"{CURRENT_USER_ID}","type":"user_reference"}}}},
        {{"responder_request_target":{{"id":"{}","type":"escalation_policy_reference"}}}}]}}"#,
        policy.id
    );
    c.call(
        "POST",
        &format!("{path}/responder_requests"),
        &[],
        me,
        Some(&request),
    );
    c.call(
        "POST",
        &format!("{path}/status_updates"),
        &[],
        me,
        Some(r#"{"message":"Mitigated","subject":"Checkout","html_message":"<p>Mitigated</p>"}"#),
    );
    c.get(&path, &[]);
    c.get(&format!("/incidents/{created_id}"), &[]);
    c.get("/incidents", &[("date_range", "all"), ("limit", "100")]);
    // The refusals: snoozing a triggered incident, merging into itself, too many
    // incidents, no From, a duplicate incident key.
    c.call(
        "POST",
        &format!("/incidents/{}/snooze", triggered[1]),
        &[],
        me,
        Some(r#"{"duration":60}"#),
    );
    let itself = format!(
        r#"{{"source_incidents":[{{"id":"{}","type":"incident_reference"}}]}}"#,
        acknowledged[0]
    );
    c.call("PUT", &format!("{path}/merge"), &[], me, Some(&itself));
    let many: Vec<String> = (0..251)
        .map(|n| format!(r#"{{"id":"Q{n}","type":"incident_reference","status":"resolved"}}"#))
        .collect();
    c.call(
        "PUT",
        "/incidents",
        &[],
        me,
        Some(&format!(r#"{{"incidents":[{}]}}"#, many.join(","))),
    );
    c.call("POST", "/incidents", &[], me, Some(&create));
    c.check_requests = false;
    c.call("POST", "/incidents", &[], None, Some(&create));
    c.call("PUT", "/incidents", &[], None, Some(&bulk));
    c.call(
        "POST",
        &format!("{path}/snooze"),
        &[],
        None,
        Some(r#"{"duration":60}"#),
    );
    c.call(
        "POST",
        &format!("{path}/status_updates"),
        &[],
        None,
        Some(r#"{"message":"x"}"#),
    );
    c.call(
        "POST",
        "/incidents/QNOPE/status_updates",
        &[],
        me,
        Some(r#"{"message":"x"}"#),
    );
    c.finish();
}

#[test]
fn error_answers_conform() {
    let f = fake();
    let mut c = Checker::new(&f);
    // 400s
    c.get(
        "/incidents",
        &[
            ("statuses[]", "triggered"),
            ("since", "2026-01-01T00:00:00Z"),
            ("until", "2026-11-01T00:00:00Z"),
        ],
    );
    c.get("/incidents", &[("offset", "9999"), ("limit", "100")]);
    c.get("/users", &[("limit", "100"), ("offset", "9990")]);
    c.check_requests = false;
    c.call(
        "PUT",
        "/incidents/QDOESNOTEXIST1",
        &[],
        None,
        Some(r#"{"incident":{"type":"incident_reference","status":"resolved"}}"#),
    );
    c.check_requests = true;
    // 404s
    c.get("/incidents/QDOESNOTEXIST1", &[]);
    c.get("/users/PNOPE00", &[]);
    c.get("/schedules/PNOPE00", &[]);
    // 400 for an account-level token on /users/me, 401 without a token.
    c.client.token = Some(fake_pagerduty::ACCOUNT_TOKEN.to_string());
    c.get("/users/me", &[]);
    c.client.token = None;
    c.get("/incidents", &[]);
    c.finish();
}

#[test]
fn business_services_dependencies_maintenance_windows_notification_rules_conform() {
    let f = fake();
    let data = f.dataset();
    let mut c = Checker::new(&f);
    c.get("/business_services", &[]);
    c.get(
        "/business_services",
        &[("limit", "2"), ("offset", "1"), ("total", "true")],
    );
    for b in &data.business_services {
        c.get(&format!("/business_services/{}", b.id), &[]);
        c.get(
            &format!("/service_dependencies/business_services/{}", b.id),
            &[],
        );
    }
    for s in &data.services {
        c.get(
            &format!("/service_dependencies/technical_services/{}", s.id),
            &[],
        );
    }
    c.get("/business_services/PNOPE00", &[]);
    c.get("/service_dependencies/technical_services/PNOPE00", &[]);

    c.get("/maintenance_windows", &[]);
    for filter in ["past", "future", "ongoing", "open", "all"] {
        c.get(
            "/maintenance_windows",
            &[("filter", filter), ("total", "true")],
        );
    }
    c.get(
        "/maintenance_windows",
        &[
            ("service_ids[]", &data.services[0].id),
            ("service_ids[]", &data.services[3].id),
            ("team_ids[]", &data.teams[1].id),
            ("query", "drill"),
            ("include[]", "teams"),
            ("include[]", "services"),
            ("include[]", "users"),
            ("limit", "1"),
            ("offset", "0"),
        ],
    );
    for w in &data.maintenance_windows {
        let path = format!("/maintenance_windows/{}", w.id);
        c.get(&path, &[]);
        c.get(
            &path,
            &[
                ("include[]", "teams"),
                ("include[]", "services"),
                ("include[]", "users"),
            ],
        );
    }
    let window = |start: &str, end: &str| {
        format!(
            r#"{{"maintenance_window":{{"type":"maintenance_window","start_time":"{start}","end_time":"{end}","description":"Spec check","services":[{{"id":"{}","type":"service_reference"}}]}}}}"#,
            data.services[0].id
        )
    };
    let created = c.call(
        "POST",
        "/maintenance_windows",
        &[],
        Some(CURRENT_USER_EMAIL),
        Some(&window("2026-11-25T01:00:00Z", "2026-11-25T03:00:00Z")),
    );
    let id = created["maintenance_window"]["id"]
        .as_str()
        .expect("created")
        .to_string();
    // 400: end before start.
    c.call(
        "POST",
        "/maintenance_windows",
        &[],
        Some(CURRENT_USER_EMAIL),
        Some(&window("2026-11-25T03:00:00Z", "2026-11-25T01:00:00Z")),
    );
    let delete = |c: &mut Checker, id: &str| {
        c.call(
            "DELETE",
            &format!("/maintenance_windows/{id}"),
            &[],
            None,
            None,
        )
    };
    delete(&mut c, &id); // future: 204
    delete(&mut c, &id); // gone: 404
    let past = data
        .maintenance_windows
        .iter()
        .find(|w| w.end < data.now)
        .expect("a past window");
    delete(&mut c, &past.id); // 405
    let ongoing = data
        .maintenance_windows
        .iter()
        .find(|w| w.start <= data.now && data.now < w.end)
        .expect("an ongoing window");
    delete(&mut c, &ongoing.id); // ended: 204
    c.get(&format!("/maintenance_windows/{}", ongoing.id), &[]);

    for u in &data.users {
        let path = format!("/users/{}/notification_rules", u.id);
        c.get(&path, &[]);
        c.get(
            &path,
            &[("urgency", "all"), ("include[]", "contact_methods")],
        );
        c.get(&path, &[("urgency", "low")]);
    }
    c.finish();
}

#[test]
fn the_checker_is_not_vacuous() {
    let bad =
        serde_json::json!({"incidents": [{"id": "Q1", "type": "incident", "status": "sleeping"}]});
    assert!(
        spec()
            .check_response("GET", "/incidents", 200, &bad)
            .is_err()
    );
    let bad = serde_json::json!({"user": {"id": "P1", "type": "user_reference", "name": "x", "email": "a@b.cd"}});
    assert!(
        spec()
            .check_response("GET", "/users/me", 200, &bad)
            .is_err()
    );
    let bad = serde_json::json!({"oncalls": [{"escalation_level": "one"}]});
    assert!(spec().check_response("GET", "/oncalls", 200, &bad).is_err());
}

#[test]
fn incident_context_and_change_events_conform() {
    let f = fake();
    let data = f.dataset();
    let mut c = Checker::new(&f);
    c.get("/priorities", &[]);
    c.get(
        "/priorities",
        &[("limit", "2"), ("offset", "1"), ("total", "true")],
    );
    for (n, i) in data.incidents.iter().enumerate() {
        if n % 5 != 0 && !i.status.is_open() {
            continue;
        }
        let path = format!("/incidents/{}", i.id);
        for a in &i.alerts {
            c.get(&format!("{path}/alerts/{}", a.id), &[]);
        }
        c.get(&format!("{path}/outlier_incident"), &[]);
        c.get(
            &format!("{path}/outlier_incident"),
            &[
                ("since", "2026-10-01T00:00:00Z"),
                ("additional_details[]", "incident"),
            ],
        );
        c.get(&format!("{path}/related_change_events"), &[]);
        c.get(&format!("{path}/related_change_events"), &[("limit", "1")]);
    }
    c.get("/change_events", &[]);
    for offset in ["0", "100", "200"] {
        c.get(
            "/change_events",
            &[("limit", "100"), ("offset", offset), ("total", "true")],
        );
    }
    c.get(
        "/change_events",
        &[
            ("since", W_SINCE),
            ("until", W_UNTIL),
            ("team_ids[]", &data.teams[0].id),
            ("team_ids[]", &data.teams[1].id),
            ("integration_ids[]", &data.change_events[0].integration_id),
        ],
    );
    for e in data.change_events.iter().step_by(25) {
        c.get(&format!("/change_events/{}", e.id), &[]);
    }
    for s in &data.services {
        let path = format!("/services/{}/change_events", s.id);
        c.get(&path, &[]);
        c.get(
            &path,
            &[
                ("since", W_SINCE),
                ("until", W_UNTIL),
                ("limit", "5"),
                ("total", "true"),
            ],
        );
    }
    // Errors: unknown IDs, a window the wrong way round, a bad limit.
    let incident = &data.incidents[0];
    c.get(
        &format!("/incidents/{}/alerts/QDOESNOTEXIST1", incident.id),
        &[],
    );
    c.get(
        &format!("/incidents/QDOESNOTEXIST1/alerts/{}", incident.alerts[0].id),
        &[],
    );
    c.get("/incidents/QDOESNOTEXIST1/outlier_incident", &[]);
    c.get("/incidents/QDOESNOTEXIST1/related_change_events", &[]);
    c.get("/change_events/0DOESNOTEXIST", &[]);
    c.get("/services/PNOPE00/change_events", &[]);
    c.get("/change_events", &[("since", W_UNTIL), ("until", W_SINCE)]);
    c.get(
        &format!("/incidents/{}/related_change_events", incident.id),
        &[("limit", "0")],
    );
    c.get(
        &format!("/incidents/{}/outlier_incident", incident.id),
        &[("since", "2099-01-01T00:00:00Z")],
    );
    c.finish();
}

/// Appends one entry of every kind the writes can produce to the newest open
/// incident, so every kind's rendering is checked; returns that incident's ID.
pub(crate) fn log_every_kind(f: &FakePagerDuty) -> String {
    use fake_pagerduty::dataset::{Agent, LogKind};
    f.state().update(|data| {
        let policy = data.escalation_policies[0].id.clone();
        let user = CURRENT_USER_ID.to_string();
        let incident = data
            .incidents
            .iter_mut()
            .rev()
            .find(|i| i.status.is_open())
            .expect("an open incident");
        let at =
            incident.log.last().map(|e| e.at).expect("a timeline") + time::Duration::seconds(1);
        let me = Agent::User(user.clone());
        let service = Agent::Service(incident.service_id.clone());
        for (agent, channel, kind) in [
            (
                me.clone(),
                "website",
                LogKind::Snooze {
                    until: at + time::Duration::hours(1),
                },
            ),
            (service.clone(), "timeout", LogKind::Unacknowledge),
            (
                me.clone(),
                "website",
                LogKind::UrgencyChange {
                    from: "low".into(),
                    to: "high".into(),
                },
            ),
            (
                me.clone(),
                "website",
                LogKind::FieldChange {
                    field: "priority".into(),
                    summary: "Priority changed to P1.".into(),
                },
            ),
            (
                me.clone(),
                "website",
                LogKind::Delegate {
                    escalation_policy_id: policy,
                    user_ids: vec![user.clone()],
                },
            ),
            (
                me.clone(),
                "website",
                LogKind::Assign {
                    user_ids: vec![user.clone()],
                },
            ),
            (
                me.clone(),
                "website",
                LogKind::Escalate {
                    level: 3,
                    user_ids: vec![user.clone()],
                },
            ),
            (service.clone(), "auto", LogKind::Resolve),
        ] {
            incident.log_event(at, agent, channel, kind);
        }
        incident.id.clone()
    })
}

#[test]
fn log_entries_conform() {
    let f = fake();
    let every_kind = log_every_kind(&f);
    let data = f.dataset();
    let mut c = Checker::new(&f);
    let all_includes = [
        ("include[]", "incidents"),
        ("include[]", "services"),
        ("include[]", "channels"),
        ("include[]", "teams"),
    ];
    for (n, i) in data.incidents.iter().enumerate() {
        let path = format!("/incidents/{}/log_entries", i.id);
        c.get(&path, &[("include[]", "channels")]);
        if n % 25 == 0 || i.id == every_kind {
            c.get(&path, &all_includes);
            c.get(
                &path,
                &[
                    ("is_overview", "true"),
                    ("time_zone", "Asia/Tokyo"),
                    ("limit", "3"),
                    ("offset", "1"),
                    ("total", "true"),
                ],
            );
            c.get(&path, &[("since", W_SINCE), ("until", W_UNTIL)]);
            for e in &i.log {
                c.get(&format!("/log_entries/{}", e.id), &[]);
                c.get(&format!("/log_entries/{}", e.id), &all_includes);
            }
        }
    }
    c.get("/log_entries", &[]);
    c.get("/log_entries", &all_includes);
    c.get(
        "/log_entries",
        &[
            ("since", W_SINCE),
            ("until", W_UNTIL),
            ("team_ids[]", &data.teams[0].id),
            ("is_overview", "true"),
            ("limit", "100"),
            ("total", "true"),
            ("time_zone", "Europe/Berlin"),
        ],
    );
    c.get(
        "/log_entries",
        &[
            ("limit", "100"),
            ("offset", "100"),
            ("include[]", "channels"),
        ],
    );
    // Error answers.
    c.get("/incidents/QNOSUCHINCIDENT/log_entries", &[]);
    c.get("/log_entries/RNOSUCHENTRY", &[]);
    c.check_requests = false;
    c.get("/log_entries", &[("since", "yesterday")]);
    c.get(
        &format!("/incidents/{every_kind}/log_entries"),
        &[("include[]", "nope")],
    );
    c.get("/log_entries", &[("is_overview", "maybe")]);
    c.finish();
}
