//! Behaviour tests of the fake over HTTP: auth, pagination, filters, windows,
//! writes, 404s, determinism, recording and faults.

use crate::common;

use common::{Client, NOW, default_headers, fake, ids, send};
use fake_pagerduty::dataset::Status;
use fake_pagerduty::{
    ACCOUNT_TOKEN, CURRENT_USER_EMAIL, CURRENT_USER_ID, Dataset, Fault, OAUTH_TOKEN, Options,
};
use serde_json::{Value, json};
use time::Duration;

// ---------- auth ----------

#[test]
fn auth_rejects_missing_and_unknown_tokens() {
    let f = fake();
    let r = Client::with_token(&f, None).get("/incidents", &[]);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], json!(2006));
    assert!(r.json()["error"]["message"].is_string());
    let r = Client::with_token(&f, Some("wrong")).get("/users", &[]);
    assert_eq!(r.status, 401);
    // A valid token in the wrong header shape.
    let mut h = default_headers(None);
    h.push(("Authorization".into(), "fake-user-token".into()));
    assert_eq!(send(&f.base_url(), "GET", "/users", &h, None).status, 401);
}

#[test]
fn anonymous_requests_act_as_the_current_user_only_when_started_so() {
    let f = fake_pagerduty::FakePagerDuty::spawn(Options {
        now: Some(NOW),
        anonymous_is_current_user: true,
        ..Options::default()
    })
    .unwrap();
    let r = Client::with_token(&f, None).get("/users/me", &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["user"]["id"], json!(CURRENT_USER_ID));
    // A wrong token is still refused.
    assert_eq!(
        Client::with_token(&f, Some("wrong"))
            .get("/users/me", &[])
            .status,
        401
    );
}

#[test]
fn auth_accepts_user_oauth_and_account_tokens() {
    let f = fake();
    let mut h = default_headers(None);
    h.push(("Authorization".into(), format!("Bearer {OAUTH_TOKEN}")));
    let r = send(&f.base_url(), "GET", "/users/me", &h, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["user"]["id"], json!(CURRENT_USER_ID));

    let me = Client::new(&f).ok("/users/me", &[]);
    assert_eq!(me["user"]["email"], json!(CURRENT_USER_EMAIL));

    let account = Client::with_token(&f, Some(ACCOUNT_TOKEN));
    let r = account.get("/users/me", &[]);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], json!(2001));
    assert_eq!(
        r.json()["error"]["message"],
        json!("Invalid Input Provided")
    );
    assert!(r.json()["error"]["errors"][0].is_string());
    assert_eq!(account.get("/incidents", &[]).status, 200);
    assert_eq!(
        account
            .get(&format!("/users/{CURRENT_USER_ID}"), &[])
            .status,
        200
    );
}

// ---------- pagination ----------

#[test]
fn pagination_defaults_clamp_total_and_cap() {
    let f = fake();
    let c = Client::new(&f);
    let body = c.ok("/incidents", &[("date_range", "all")]);
    assert_eq!(body["limit"], json!(25));
    assert_eq!(body["offset"], json!(0));
    assert_eq!(body["more"], json!(true));
    assert_eq!(body["total"], Value::Null);
    assert_eq!(body["incidents"].as_array().unwrap().len(), 25);

    let body = c.ok(
        "/incidents",
        &[("date_range", "all"), ("limit", "1000"), ("total", "true")],
    );
    assert_eq!(body["limit"], json!(100));
    assert_eq!(body["incidents"].as_array().unwrap().len(), 100);
    assert_eq!(body["total"], json!(300));

    let body = c.ok(
        "/incidents",
        &[("date_range", "all"), ("limit", "100"), ("offset", "200")],
    );
    assert_eq!(body["incidents"].as_array().unwrap().len(), 100);
    assert_eq!(body["more"], json!(false));

    let body = c.ok("/incidents", &[("date_range", "all"), ("offset", "400")]);
    assert_eq!(body["incidents"].as_array().unwrap().len(), 0);
    assert_eq!(body["more"], json!(false));

    // offset + limit may reach 10000 but not exceed it (with the clamped limit).
    assert_eq!(
        c.get("/incidents", &[("offset", "9900"), ("limit", "100")])
            .status,
        200
    );
    let r = c.get("/incidents", &[("offset", "9901"), ("limit", "100")]);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], json!(2001));
    assert_eq!(
        c.get("/users", &[("offset", "9950"), ("limit", "1000")])
            .status,
        400
    );
    assert_eq!(c.get("/users", &[("limit", "ten")]).status, 400);
    assert_eq!(c.get("/users", &[("total", "maybe")]).status, 400);
}

#[test]
fn paging_through_users_visits_everyone_once() {
    let f = fake();
    let c = Client::new(&f);
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let body = c.ok("/users", &[("limit", "7"), ("offset", &offset.to_string())]);
        seen.extend(ids(&body, "users"));
        if body["more"] != json!(true) {
            break;
        }
        offset += 7;
    }
    assert_eq!(seen.len(), 30);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 30);
}

// ---------- filters ----------

#[test]
fn incident_filters() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let open = c.ok(
        "/incidents",
        &[
            ("statuses[]", "triggered"),
            ("statuses[]", "acknowledged"),
            ("date_range", "all"),
            ("limit", "100"),
        ],
    );
    let open_items = open["incidents"].as_array().unwrap();
    assert_eq!(open_items.len(), data.open_incidents().len());
    assert!(open_items.iter().all(|i| i["status"] != json!("resolved")));
    assert!(open_items.iter().all(|i| i["resolved_at"].is_null()));

    let r = c.get("/incidents", &[("statuses[]", "open")]);
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("statuses[]")
    );
    assert_eq!(
        c.get("/incidents", &[("urgencies[]", "medium")]).status,
        400
    );
    assert_eq!(
        c.get("/incidents", &[("include[]", "everything")]).status,
        400
    );
    assert_eq!(c.get("/incidents", &[("sort_by", "title:asc")]).status, 400);
    assert_eq!(c.get("/incidents", &[("date_range", "week")]).status, 400);

    let low = c.ok(
        "/incidents",
        &[
            ("urgencies[]", "low"),
            ("date_range", "all"),
            ("limit", "100"),
        ],
    );
    assert!(
        low["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["urgency"] == json!("low"))
    );

    let me = data.current_user();
    let my_teams: Vec<(&str, &str)> = me
        .team_ids
        .iter()
        .map(|t| ("team_ids[]", t.as_str()))
        .collect();
    let mut q = my_teams.clone();
    q.extend([
        ("statuses[]", "triggered"),
        ("statuses[]", "acknowledged"),
        ("date_range", "all"),
    ]);
    let team_open = c.ok("/incidents", &q);
    let items = team_open["incidents"].as_array().unwrap();
    assert!(
        items.len() >= 4,
        "open incidents for the current user's teams: {}",
        items.len()
    );
    for i in items {
        let teams: Vec<&str> = i["teams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        assert!(teams.iter().any(|t| me.team_ids.iter().any(|m| m == t)));
    }

    let mine = c.ok(
        "/incidents",
        &[("user_ids[]", CURRENT_USER_ID), ("date_range", "all")],
    );
    let mine = mine["incidents"].as_array().unwrap();
    assert!(!mine.is_empty());
    for i in mine {
        assert_ne!(i["status"], json!("resolved"));
        assert!(
            i["assignments"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["assignee"]["id"] == json!(CURRENT_USER_ID))
        );
    }

    let service = &data.services[0];
    let by_service = c.ok(
        "/incidents",
        &[
            ("service_ids[]", &service.id),
            ("date_range", "all"),
            ("limit", "100"),
        ],
    );
    assert!(
        by_service["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["service"]["id"] == json!(service.id))
    );

    let sorted = c.ok(
        "/incidents",
        &[
            ("date_range", "all"),
            ("sort_by", "incident_number:desc"),
            ("limit", "3"),
        ],
    );
    let numbers: Vec<i64> = sorted["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["incident_number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1300, 1299, 1298]);
}

#[test]
fn includes_embed_objects() {
    let f = fake();
    let c = Client::new(&f);
    let body = c.ok(
        &format!("/users/{CURRENT_USER_ID}"),
        &[("include[]", "contact_methods"), ("include[]", "teams")],
    );
    let methods = body["user"]["contact_methods"].as_array().unwrap();
    assert_eq!(methods.len(), 4);
    assert!(methods.iter().all(|m| m["address"].is_string()));
    assert!(
        body["user"]["teams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"].is_string())
    );
    let plain = c.ok(&format!("/users/{CURRENT_USER_ID}"), &[]);
    assert!(plain["user"]["contact_methods"][0]["address"].is_null());

    let data = f.dataset();
    let incident = data.open_incidents()[0];
    let full = c.ok(
        &format!("/incidents/{}", incident.id),
        &[("include[]", "assignees"), ("include[]", "services")],
    );
    assert_eq!(
        full["incident"]["assignments"][0]["assignee"]["type"],
        json!("user")
    );
    assert!(full["incident"]["assignments"][0]["assignee"]["email"].is_string());
    assert_eq!(full["incident"]["service"]["type"], json!("service"));

    let cms = c.ok(&format!("/users/{CURRENT_USER_ID}/contact_methods"), &[]);
    let types: Vec<&str> = cms["contact_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![
            "email_contact_method",
            "phone_contact_method",
            "sms_contact_method",
            "push_notification_contact_method"
        ]
    );
}

#[test]
fn list_filters_by_query_and_team() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let by_email = c.ok("/users", &[("query", "ALEX.RIV")]);
    assert_eq!(ids(&by_email, "users"), vec![CURRENT_USER_ID.to_string()]);
    let by_name = c.ok("/users", &[("query", "rivera")]);
    assert_eq!(ids(&by_name, "users"), vec![CURRENT_USER_ID.to_string()]);

    let platform = data.team_by_name("Platform").unwrap();
    let members = c.ok("/users", &[("team_ids[]", &platform.id), ("limit", "100")]);
    assert_eq!(
        members["users"].as_array().unwrap().len(),
        platform.members.len()
    );

    let teams = c.ok("/teams", &[("query", "pay")]);
    assert_eq!(
        ids(&teams, "teams"),
        vec![data.team_by_name("Payments").unwrap().id.clone()]
    );

    let services = c.ok("/services", &[("team_ids[]", &platform.id)]);
    assert_eq!(
        services["services"].as_array().unwrap().len(),
        data.services_of_teams(std::slice::from_ref(&platform.id))
            .len()
    );
    let desc = c.ok("/services", &[("sort_by", "name:desc"), ("limit", "1")]);
    assert_eq!(desc["services"][0]["name"], json!("Support Portal"));
    assert_eq!(c.get("/services", &[("sort_by", "created_at")]).status, 400);

    let policies = c.ok("/escalation_policies", &[("user_ids[]", CURRENT_USER_ID)]);
    let mut got = ids(&policies, "escalation_policies");
    let mut want: Vec<String> = data
        .escalation_policies_of_user(CURRENT_USER_ID)
        .iter()
        .map(|p| p.id.clone())
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(want.len() >= 4);

    let members = c.ok(
        &format!("/teams/{}/members", platform.id),
        &[("limit", "2"), ("total", "true")],
    );
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    assert_eq!(members["total"], json!(platform.members.len()));
    assert!(members["members"][0]["role"].is_string());
    assert_eq!(
        members["members"][0]["user"]["type"],
        json!("user_reference")
    );
}

// ---------- the incident window ----------

#[test]
fn incident_window_semantics() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let month_ago = NOW - Duration::days(31); // 2026-10-24
    let default = c.ok("/incidents", &[("limit", "100"), ("total", "true")]);
    let expected = data
        .incidents
        .iter()
        .filter(|i| i.created_at >= month_ago && i.created_at < NOW)
        .count();
    assert_eq!(default["total"], json!(expected));
    let all = c.ok("/incidents", &[("date_range", "all"), ("total", "true")]);
    assert_eq!(all["total"], json!(300));

    // The stale acknowledged Data incident is only visible with date_range=all.
    let stale = data
        .incidents
        .iter()
        .find(|i| i.status == Status::Acknowledged && NOW - i.created_at > Duration::days(35))
        .expect("a stale open incident");
    let open_default = c.ok(
        "/incidents",
        &[("statuses[]", "acknowledged"), ("limit", "100")],
    );
    assert!(!ids(&open_default, "incidents").contains(&stale.id));
    let open_all = c.ok(
        "/incidents",
        &[
            ("statuses[]", "acknowledged"),
            ("date_range", "all"),
            ("limit", "100"),
        ],
    );
    assert!(ids(&open_all, "incidents").contains(&stale.id));

    let since = "2026-11-01T00:00:00Z";
    let until = "2026-11-08T00:00:00+00:00";
    let week = c.ok(
        "/incidents",
        &[("since", since), ("until", until), ("total", "true")],
    );
    let expected = data
        .incidents
        .iter()
        .filter(|i| {
            i.created_at >= time::macros::datetime!(2026-11-01 00:00 UTC)
                && i.created_at < time::macros::datetime!(2026-11-08 00:00 UTC)
        })
        .count();
    assert_eq!(week["total"], json!(expected));

    // Only since: until defaults to now.
    let since_only = c.ok(
        "/incidents",
        &[("since", "2026-11-20T00:00:00Z"), ("total", "true")],
    );
    let expected = data
        .incidents
        .iter()
        .filter(|i| i.created_at >= time::macros::datetime!(2026-11-20 00:00 UTC))
        .count();
    assert_eq!(since_only["total"], json!(expected));

    assert_eq!(
        c.get(
            "/incidents",
            &[
                ("since", "2026-01-01T00:00:00Z"),
                ("until", "2026-11-01T00:00:00Z")
            ]
        )
        .status,
        400
    );
    assert_eq!(
        c.get(
            "/incidents",
            &[
                ("since", "2026-11-10T00:00:00Z"),
                ("until", "2026-11-01T00:00:00Z")
            ]
        )
        .status,
        400
    );
    assert_eq!(
        c.get("/incidents", &[("since", "last tuesday")]).status,
        400
    );
    // 6 months exactly is fine.
    assert_eq!(
        c.get(
            "/incidents",
            &[
                ("since", "2026-05-24T07:00:00Z"),
                ("until", "2026-11-24T07:00:00Z")
            ]
        )
        .status,
        200
    );
    // With date_range=all, since/until are ignored.
    assert_eq!(
        c.get(
            "/incidents",
            &[("date_range", "all"), ("since", "2020-01-01T00:00:00Z")]
        )
        .status,
        200
    );
}

// ---------- writes ----------

#[test]
fn acknowledge_and_resolve_change_state() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let incident = data
        .incidents
        .iter()
        .find(|i| i.status == Status::Triggered)
        .expect("a triggered incident");
    let path = format!("/incidents/{}", incident.id);
    let ack = r#"{"incident":{"type":"incident_reference","status":"acknowledged"}}"#;

    let r = c.write("PUT", &path, None, ack);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], json!(2016));
    let r = c.write("PUT", &path, Some("nobody@example.com"), ack);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["message"],
        json!("Requester User Not Found")
    );
    assert_eq!(
        f.dataset().incident(&incident.id).unwrap().status,
        Status::Triggered
    );

    let r = c.write("PUT", &path, Some(CURRENT_USER_EMAIL), ack);
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["incident"]["status"], json!("acknowledged"));
    assert_eq!(
        body["incident"]["last_status_change_by"]["id"],
        json!(CURRENT_USER_ID)
    );
    assert!(
        body["incident"]["acknowledgements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["acknowledger"]["id"] == json!(CURRENT_USER_ID))
    );
    assert_eq!(
        c.ok(&path, &[])["incident"]["status"],
        json!("acknowledged")
    );

    let resolve = r#"{"incident":{"type":"incident_reference","status":"resolved"}}"#;
    let r = c.write("PUT", &path, Some(CURRENT_USER_EMAIL), resolve);
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json()["incident"].clone();
    assert_eq!(body["status"], json!("resolved"));
    assert!(body["resolved_at"].is_string());
    assert_eq!(body["assignments"], json!([]));
    assert_eq!(body["alert_counts"]["triggered"], json!(0));
    let resolved_at = body["resolved_at"].clone();
    // Resolving again is allowed and changes nothing.
    let r = c.write("PUT", &path, Some(CURRENT_USER_EMAIL), resolve);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["incident"]["resolved_at"], resolved_at);
    // Acknowledging a resolved incident is not.
    assert_eq!(
        c.write("PUT", &path, Some(CURRENT_USER_EMAIL), ack).status,
        400
    );
    // Bad bodies.
    assert_eq!(
        c.write("PUT", &path, Some(CURRENT_USER_EMAIL), "not json")
            .status,
        400
    );
    assert_eq!(
        c.write(
            "PUT",
            &path,
            Some(CURRENT_USER_EMAIL),
            r#"{"incident":{"type":"incident_reference","status":"triggered"}}"#
        )
        .status,
        400
    );
    assert_eq!(
        c.write(
            "PUT",
            &path,
            Some(CURRENT_USER_EMAIL),
            r#"{"incident":{"status":"resolved"}}"#
        )
        .status,
        400
    );
    assert_eq!(
        c.write(
            "PUT",
            "/incidents/QNOSUCHINCIDENT",
            Some(CURRENT_USER_EMAIL),
            resolve
        )
        .status,
        404
    );
    // The snapshot taken earlier is unaffected by the writes.
    assert_eq!(
        data.incident(&incident.id).unwrap().status,
        Status::Triggered
    );
    assert_eq!(
        f.dataset().incident(&incident.id).unwrap().status,
        Status::Resolved
    );
}

#[test]
fn notes_can_be_added() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let incident = data.incidents_with_notes()[0];
    let path = format!("/incidents/{}/notes", incident.id);
    let before = c.ok(&path, &[])["notes"].as_array().unwrap().len();
    assert_eq!(before, incident.notes.len());

    let body = r#"{"note":{"content":"Rolled back; watching the error rate."}}"#;
    assert_eq!(c.write("POST", &path, None, body).status, 400);
    let r = c.write("POST", &path, Some("ALEX.RIVERA@example.com"), body);
    assert_eq!(r.status, 200, "{}", r.body);
    let note = r.json()["note"].clone();
    assert_eq!(
        note["content"],
        json!("Rolled back; watching the error rate.")
    );
    assert_eq!(note["user"]["id"], json!(CURRENT_USER_ID));
    let after = c.ok(&path, &[]);
    assert_eq!(after["notes"].as_array().unwrap().len(), before + 1);
    assert_eq!(after["notes"][before]["id"], note["id"]);
    assert_eq!(
        c.write(
            "POST",
            &path,
            Some(CURRENT_USER_EMAIL),
            r#"{"note":{"content":"  "}}"#
        )
        .status,
        400
    );
    assert_eq!(
        c.write("POST", &path, Some(CURRENT_USER_EMAIL), r#"{"note":{}}"#)
            .status,
        400
    );
    assert_eq!(
        c.write(
            "POST",
            "/incidents/QNOPE/notes",
            Some(CURRENT_USER_EMAIL),
            body
        )
        .status,
        404
    );
}

// ---------- 404 / 405 ----------

#[test]
fn unknown_ids_and_paths() {
    let f = fake();
    let c = Client::new(&f);
    for path in [
        "/incidents/QDOESNOTEXIST1",
        "/incidents/QDOESNOTEXIST1/notes",
        "/incidents/QDOESNOTEXIST1/alerts",
        "/incidents/QDOESNOTEXIST1/past_incidents",
        "/incidents/QDOESNOTEXIST1/related_incidents",
        "/users/PNOPE00",
        "/users/PNOPE00/contact_methods",
        "/teams/PNOPE00",
        "/teams/PNOPE00/members",
        "/services/PNOPE00",
        "/escalation_policies/PNOPE00",
        "/schedules/PNOPE00",
        "/schedules/PNOPE00/users",
        "/nothing/here",
    ] {
        let r = c.get(path, &[]);
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(
            r.json(),
            json!({"error": {"message": "Not Found", "code": 2100}}),
            "{path}"
        );
    }
    let r = send(
        &f.base_url(),
        "DELETE",
        "/incidents",
        &default_headers(Some(fake_pagerduty::USER_TOKEN)),
        None,
    );
    assert_eq!(r.status, 405);
    assert!(r.json()["error"]["code"].is_number());
}

// ---------- determinism ----------

#[test]
fn same_seed_same_data() {
    let a = Dataset::generate(42, NOW);
    let b = Dataset::generate(42, NOW);
    assert_eq!(a, b);
    let c = Dataset::generate(43, NOW);
    assert_ne!(a.incidents, c.incidents);
    // The organisation does not depend on the seed.
    assert_eq!(a.users, c.users);
    assert_eq!(a.teams, c.teams);
    assert_eq!(a.schedules, c.schedules);
}

#[test]
fn same_seed_same_answers() {
    let opts = Options {
        now: Some(NOW),
        seed: 7,
        ..Options::default()
    };
    let f1 = fake_pagerduty::FakePagerDuty::spawn(opts.clone()).unwrap();
    let f2 = fake_pagerduty::FakePagerDuty::spawn(opts).unwrap();
    let q = [
        ("date_range", "all"),
        ("limit", "100"),
        ("include[]", "assignees"),
    ];
    let a = Client::new(&f1)
        .get("/incidents", &q)
        .body
        .replace(&f1.base_url(), "BASE");
    let b = Client::new(&f2)
        .get("/incidents", &q)
        .body
        .replace(&f2.base_url(), "BASE");
    assert_eq!(a, b);
}

#[test]
fn dataset_invariants() {
    for seed in [1u64, 2, 3, fake_pagerduty::DEFAULT_SEED] {
        let d = Dataset::generate(seed, NOW);
        assert_eq!(d.teams.len(), 6);
        assert_eq!(d.users.len(), 30);
        assert_eq!(d.services.len(), 12);
        assert_eq!(d.escalation_policies.len(), 8);
        assert_eq!(d.schedules.len(), 8);
        assert_eq!(d.incidents.len(), 300);
        let me = d.current_user();
        assert_eq!(me.email, CURRENT_USER_EMAIL);
        assert_eq!(me.team_ids.len(), 2);
        assert!(!d.users_without_team().is_empty());
        assert!(d.schedules_of_user(CURRENT_USER_ID).len() >= 2);
        assert!(
            d.open_incidents_of_teams(&me.team_ids).len() >= 4,
            "seed {seed}"
        );
        assert!(
            d.incidents_assigned_to(CURRENT_USER_ID)
                .iter()
                .any(|i| i.status == Status::Triggered),
            "seed {seed}"
        );
        assert!(
            d.incidents.iter().any(|i| i.notes.len() >= 3),
            "seed {seed}"
        );
        for s in ["triggered", "acknowledged", "resolved"] {
            assert!(
                d.incidents.iter().any(|i| i.status.as_str() == s),
                "seed {seed}: no {s}"
            );
        }
        assert!(
            d.incidents.iter().any(|i| i.urgency == "low")
                && d.incidents.iter().any(|i| i.urgency == "high")
        );
        // IDs are unique and PagerDuty-like.
        let mut all: Vec<&str> = d
            .users
            .iter()
            .map(|u| u.id.as_str())
            .chain(d.teams.iter().map(|t| t.id.as_str()))
            .chain(d.services.iter().map(|s| s.id.as_str()))
            .chain(d.escalation_policies.iter().map(|p| p.id.as_str()))
            .chain(d.schedules.iter().map(|s| s.id.as_str()))
            .chain(d.incidents.iter().map(|i| i.id.as_str()))
            .collect();
        assert!(all.iter().all(|id| {
            id.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }));
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "duplicate IDs for seed {seed}");
        for i in &d.incidents {
            assert!(i.created_at <= NOW && i.created_at >= NOW - Duration::days(57));
            assert!(i.updated_at >= i.created_at && i.last_status_change_at >= i.created_at);
            assert_eq!(i.status == Status::Resolved, i.resolved_at.is_some());
            assert!(!i.alerts.is_empty() && i.alerts.len() <= 5);
            if i.status.is_open() {
                assert!(!i.assignments.is_empty());
                assert!(i.alerts.iter().any(|a| !a.resolved));
            } else {
                assert!(i.assignments.is_empty() && i.alerts.iter().all(|a| a.resolved));
            }
            assert_eq!(
                i.status == Status::Acknowledged,
                !i.acknowledgements.is_empty()
            );
        }
    }
}

// ---------- on-call and schedules ----------

#[test]
fn oncalls_now_and_windows() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let primary = data
        .schedules
        .iter()
        .find(|s| s.name == "Platform Primary")
        .unwrap();
    // 2026-11-24 is a Tuesday: the weekly rotation, not the weekend layer.
    assert_eq!(
        data.on_call_at(&primary.id, NOW).map(|u| u.id.as_str()),
        Some(CURRENT_USER_ID)
    );

    let mine = c.ok("/oncalls", &[("user_ids[]", CURRENT_USER_ID)]);
    let entries = mine["oncalls"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|o| o["schedule"]["id"] == json!(primary.id) && o["escalation_level"] == json!(1))
    );
    assert!(
        entries
            .iter()
            .all(|o| o["user"]["id"] == json!(CURRENT_USER_ID))
    );
    // The direct target of "Infrastructure Critical" level 2: permanent, no schedule.
    assert!(entries.iter().any(|o| o["schedule"].is_null()
        && o["start"].is_null()
        && o["escalation_level"] == json!(2)));
    let shift = entries
        .iter()
        .find(|o| o["schedule"]["id"] == json!(primary.id))
        .unwrap();
    assert_eq!(shift["start"], json!("2026-11-23T15:00:00Z"));
    assert_eq!(shift["end"], json!("2026-11-28T05:00:00Z"));

    let by_schedule = c.ok(
        "/oncalls",
        &[
            ("schedule_ids[]", &primary.id),
            ("since", "2026-11-24T00:00:00Z"),
            ("until", "2026-12-08T00:00:00Z"),
        ],
    );
    let entries = by_schedule["oncalls"].as_array().unwrap();
    assert!(entries.len() >= 4);
    assert!(
        entries
            .iter()
            .all(|o| o["schedule"]["id"] == json!(primary.id))
    );
    let earliest = c.ok(
        "/oncalls",
        &[
            ("schedule_ids[]", &primary.id),
            ("since", "2026-11-24T00:00:00Z"),
            ("until", "2026-12-08T00:00:00Z"),
            ("earliest", "true"),
        ],
    );
    assert!(earliest["oncalls"].as_array().unwrap().len() < entries.len());

    let ny = c.ok(
        "/oncalls",
        &[
            ("user_ids[]", CURRENT_USER_ID),
            ("time_zone", "America/New_York"),
        ],
    );
    assert!(
        ny["oncalls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["start"] == json!("2026-11-23T10:00:00-05:00"))
    );

    assert_eq!(
        c.get(
            "/oncalls",
            &[
                ("since", "2026-12-01T00:00:00Z"),
                ("until", "2026-11-01T00:00:00Z")
            ]
        )
        .status,
        400
    );
    assert_eq!(
        c.get(
            "/oncalls",
            &[
                ("since", "2026-01-01T00:00:00Z"),
                ("until", "2026-11-01T00:00:00Z")
            ]
        )
        .status,
        400
    );
    assert_eq!(c.get("/oncalls", &[("time_zone", "Mars/Base")]).status, 400);
}

#[test]
fn schedules_render_only_with_a_window() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let support = data
        .schedules
        .iter()
        .find(|s| s.name == "Support Business Hours")
        .unwrap();
    let path = format!("/schedules/{}", support.id);
    let bare = c.ok(&path, &[]);
    assert_eq!(
        bare["schedule"]["final_schedule"]["rendered_schedule_entries"],
        json!([])
    );
    assert!(
        !bare["schedule"]["schedule_layers"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let week = c.ok(
        &path,
        &[
            ("since", "2026-11-23T00:00:00Z"),
            ("until", "2026-11-30T00:00:00Z"),
        ],
    );
    let entries = week["schedule"]["final_schedule"]["rendered_schedule_entries"]
        .as_array()
        .unwrap();
    // Mon-Fri 09:00-17:00 Chicago = 15:00-23:00 UTC in November.
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["start"], json!("2026-11-23T15:00:00Z"));
    assert_eq!(entries[0]["end"], json!("2026-11-23T23:00:00Z"));
    let coverage = week["schedule"]["final_schedule"]["rendered_coverage_percentage"]
        .as_f64()
        .unwrap();
    assert!((coverage - 23.81).abs() < 0.01, "{coverage}");

    let users = c.ok(
        &format!("/schedules/{}/users", support.id),
        &[
            ("since", "2026-11-23T00:00:00Z"),
            ("until", "2026-11-25T00:00:00Z"),
        ],
    );
    assert_eq!(users["users"].as_array().unwrap().len(), 2);
    assert_eq!(
        c.get(
            &path,
            &[
                ("since", "2026-11-30T00:00:00Z"),
                ("until", "2026-11-23T00:00:00Z")
            ]
        )
        .status,
        400
    );

    let listed = c.ok("/schedules", &[("query", "platform")]);
    assert_eq!(listed["schedules"].as_array().unwrap().len(), 2);
}

// ---------- sub-resources ----------

#[test]
fn alerts_past_and_related() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let multi = data.incidents.iter().find(|i| i.alerts.len() >= 3).unwrap();
    let alerts = c.ok(
        &format!("/incidents/{}/alerts", multi.id),
        &[("limit", "2"), ("total", "true")],
    );
    assert_eq!(alerts["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(alerts["total"], json!(multi.alerts.len()));
    assert_eq!(alerts["more"], json!(true));
    let open = data.open_incidents()[0];
    let triggered = c.ok(
        &format!("/incidents/{}/alerts", open.id),
        &[("statuses[]", "triggered")],
    );
    assert!(
        triggered["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == json!("triggered"))
    );
    assert_eq!(
        c.get(
            &format!("/incidents/{}/alerts", open.id),
            &[("statuses[]", "acknowledged")]
        )
        .status,
        400
    );

    let latest = data.incidents.last().unwrap();
    let past = c.ok(&format!("/incidents/{}/past_incidents", latest.id), &[]);
    assert_eq!(past["limit"], json!(5));
    let items = past["past_incidents"].as_array().unwrap();
    assert!(!items.is_empty() && items.len() <= 5);
    assert!(items[0]["incident"]["title"].is_string() && items[0]["score"].is_number());
    let with_total = c.ok(
        &format!("/incidents/{}/past_incidents", latest.id),
        &[("limit", "999"), ("total", "true")],
    );
    assert_eq!(
        with_total["total"].as_u64().unwrap() as usize,
        with_total["past_incidents"].as_array().unwrap().len()
    );
    assert_eq!(
        c.get(
            &format!("/incidents/{}/past_incidents", latest.id),
            &[("limit", "0")]
        )
        .status,
        400
    );
    assert_eq!(
        c.get(
            &format!("/incidents/{}/past_incidents", latest.id),
            &[("limit", "1000")]
        )
        .status,
        400
    );

    let with_related = data
        .incidents
        .iter()
        .find(|i| !fake_pagerduty::relations::related_incidents(&data, i).is_empty())
        .expect("some incident has related incidents");
    let related = c.ok(
        &format!("/incidents/{}/related_incidents", with_related.id),
        &[],
    );
    let items = related["related_incidents"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items[0]["incident"]["id"].is_string());
    assert!(items[0]["relationships"][0]["type"].is_string());
}

// ---------- recording and faults ----------

#[test]
fn requests_are_recorded() {
    let f = fake();
    let c = Client::new(&f);
    c.get(
        "/incidents",
        &[
            ("statuses[]", "triggered"),
            ("statuses[]", "acknowledged"),
            ("since", "2026-11-20T00:00:00+01:00"),
        ],
    );
    c.write(
        "POST",
        "/incidents/QNOPE/notes",
        Some(CURRENT_USER_EMAIL),
        r#"{"note":{"content":"x"}}"#,
    );
    let reqs = f.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, "/incidents");
    assert_eq!(
        reqs[0].query_all("statuses[]"),
        vec!["triggered", "acknowledged"]
    );
    assert_eq!(
        reqs[0].query_value("since"),
        Some("2026-11-20T00:00:00+01:00")
    );
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Token token=fake-user-token")
    );
    assert!(
        reqs[0]
            .headers
            .iter()
            .all(|(k, _)| k.chars().all(|c| !c.is_ascii_uppercase()))
    );
    assert_eq!(reqs[0].status, 200);
    assert!(reqs[0].response_body.starts_with('{'));
    assert_eq!(reqs[1].method, "POST");
    assert_eq!(reqs[1].status, 404);
    assert_eq!(reqs[1].header("from"), Some(CURRENT_USER_EMAIL));
    assert_eq!(reqs[1].body.as_deref(), Some(r#"{"note":{"content":"x"}}"#));
    f.clear_requests();
    assert!(f.requests().is_empty());
}

#[test]
fn the_request_log_keeps_only_the_last_requests() {
    let f = fake_pagerduty::FakePagerDuty::spawn(Options {
        now: Some(NOW),
        request_log_capacity: 5,
        ..Options::default()
    })
    .unwrap();
    let c = Client::new(&f);
    for offset in 0..12 {
        let offset = offset.to_string();
        c.get("/users", &[("limit", "1"), ("offset", &offset)]);
        assert!(f.requests().len() <= 5);
    }
    let offsets: Vec<String> = f
        .requests()
        .iter()
        .map(|r| r.query_value("offset").unwrap().to_owned())
        .collect();
    assert_eq!(
        offsets,
        ["7", "8", "9", "10", "11"],
        "the last five, in order"
    );

    let unlogged = fake_pagerduty::FakePagerDuty::spawn(Options {
        now: Some(NOW),
        request_log_capacity: 0,
        ..Options::default()
    })
    .unwrap();
    let c = Client::new(&unlogged);
    assert_eq!(c.get("/users", &[]).status, 200, "served as usual");
    assert!(unlogged.requests().is_empty());
}

#[test]
fn faults_apply_then_clear() {
    let f = fake();
    let c = Client::new(&f);
    f.set_fault(Some(Fault::rate_limited(2, 2)));
    for _ in 0..2 {
        let r = c.get("/users", &[]);
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after"), Some("2"));
        assert_eq!(r.json()["error"]["code"], json!(2020));
    }
    assert_eq!(c.get("/users", &[]).status, 200);

    f.set_fault(Some(Fault::Delay {
        millis: 300,
        times: 1,
    }));
    let started = std::time::Instant::now();
    assert_eq!(c.get("/users", &[]).status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    assert_eq!(c.get("/users", &[]).status, 200);
    assert!(started.elapsed() < std::time::Duration::from_millis(300));

    f.set_fault(Some(Fault::Status {
        status: 503,
        body: "upstream down".into(),
        headers: vec![("content-type".into(), "text/plain".into())],
        times: 5,
    }));
    let r = c.get("/users", &[]);
    assert_eq!(
        (r.status, r.body.as_str(), r.header("content-type")),
        (503, "upstream down", Some("text/plain"))
    );
    f.set_fault(None);
    assert_eq!(c.get("/users", &[]).status, 200);
    let statuses: Vec<u16> = f.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 429, 200, 200, 200, 503, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_a_tokio_runtime() {
    let f = fake();
    let base = f.base_url();
    let status = tokio::task::spawn_blocking(move || {
        send(
            &base,
            "GET",
            "/users/me",
            &default_headers(Some(fake_pagerduty::USER_TOKEN)),
            None,
        )
        .status
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    drop(f);
}

#[test]
fn drop_frees_the_port() {
    let f = fake();
    let addr = f.addr();
    drop(f);
    let again = fake_pagerduty::FakePagerDuty::spawn(Options {
        now: Some(NOW),
        port: addr.port(),
        ..Options::default()
    });
    assert!(again.is_ok(), "port {} still busy", addr.port());
}

#[test]
fn id_constants_match_the_dataset() {
    use fake_pagerduty::ids::*;
    let d = Dataset::generate(99, NOW);
    assert_eq!(d.team_by_name("Platform").unwrap().id, TEAM_PLATFORM);
    assert_eq!(d.team_by_name("Payments").unwrap().id, TEAM_PAYMENTS);
    assert_eq!(
        d.current_user().team_ids,
        vec![TEAM_PLATFORM.to_string(), TEAM_PAYMENTS.to_string()]
    );
    for (id, kind) in [
        (TEAM_DATA, "team"),
        (TEAM_MOBILE, "team"),
        (TEAM_SECURITY, "team"),
        (TEAM_SUPPORT, "team"),
        (SERVICE_API_GATEWAY, "service"),
        (SERVICE_PAYMENTS_API, "service"),
        (SERVICE_SUPPORT_PORTAL, "service"),
        (POLICY_PLATFORM_ON_CALL, "policy"),
        (POLICY_INFRASTRUCTURE_CRITICAL, "policy"),
        (SCHEDULE_PLATFORM_PRIMARY, "schedule"),
        (SCHEDULE_SUPPORT_BUSINESS_HOURS, "schedule"),
        (USER_VICTORIA_HAYES, "user"),
        (USER_PRIYA_NATARAJAN, "user"),
    ] {
        let found = match kind {
            "team" => d.team(id).is_some(),
            "service" => d.service(id).is_some(),
            "policy" => d.escalation_policy(id).is_some(),
            "schedule" => d.schedule(id).is_some(),
            _ => d.user(id).is_some(),
        };
        assert!(found, "{kind} {id}");
    }
    assert_eq!(
        d.schedule(SCHEDULE_PLATFORM_PRIMARY).unwrap().name,
        "Platform Primary"
    );
    assert!(d.user(USER_BEN_CARTER).unwrap().team_ids.is_empty());
    assert!(d.user(USER_VICTORIA_HAYES).unwrap().team_ids.is_empty());
}
