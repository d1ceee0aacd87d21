//! Schedule overrides over HTTP: the dataset's overrides take effect in the final
//! schedule, schedule users and on-calls; creating, listing and deleting them (with
//! PagerDuty's refusals); and every exchange checked against the spec.

use crate::common;

use common::{Client, NOW, Resp, fake};
use fake_pagerduty::CURRENT_USER_EMAIL;
use fake_pagerduty::ids::{
    EXAMPLE_FUTURE_OVERRIDE, EXAMPLE_ONGOING_OVERRIDE, SCHEDULE_PLATFORM_SECONDARY,
    USER_LUKAS_SCHMIDT, USER_MARCUS_CHEN, USER_PRIYA_NATARAJAN,
};
use serde_json::{Value, json};

const OVERRIDES: &str = "/schedules/PXXEGQZ/overrides";

/// The overrides of Platform Secondary overlapping `since`..`until` (201, as the
/// spec documents).
fn list(c: &Client, query: &[(&str, &str)]) -> Value {
    let r = c.get(OVERRIDES, query);
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

fn post(c: &Client, body: Value) -> Resp {
    c.write(
        "POST",
        OVERRIDES,
        Some(CURRENT_USER_EMAIL),
        &body.to_string(),
    )
}

fn delete(c: &Client, id: &str) -> Resp {
    c.write("DELETE", &format!("{OVERRIDES}/{id}"), None, "")
}

fn override_body(user: &str, start: &str, end: &str) -> Value {
    json!({"start": start, "end": end, "user": {"id": user, "type": "user_reference"}})
}

#[test]
fn the_datasets_overrides_take_effect_everywhere() {
    assert_eq!(SCHEDULE_PLATFORM_SECONDARY, "PXXEGQZ");
    let f = fake();
    let c = Client::new(&f);
    // Past (Nov 19), ongoing (Nov 24 04:00-16:00, Priya instead of Lukas), future (Nov 26).
    let all = list(
        &c,
        &[
            ("since", "2026-11-18T00:00:00Z"),
            ("until", "2026-11-28T00:00:00Z"),
        ],
    );
    let overrides = all["overrides"].as_array().unwrap();
    assert_eq!(overrides.len(), 3);
    assert_eq!(overrides[1]["id"], EXAMPLE_ONGOING_OVERRIDE);
    assert_eq!(overrides[1]["user"]["id"], USER_PRIYA_NATARAJAN);
    assert_eq!(overrides[1]["start"], "2026-11-24T04:00:00Z");
    assert_eq!(overrides[2]["id"], EXAMPLE_FUTURE_OVERRIDE);

    // Cut to the window unless overflow=true; editable=true keeps the future ones.
    let window = [
        ("since", "2026-11-24T06:00:00Z"),
        ("until", "2026-11-24T10:00:00Z"),
    ];
    let cut = list(&c, &window);
    assert_eq!(
        cut["overrides"],
        json!([{"id": EXAMPLE_ONGOING_OVERRIDE, "start": "2026-11-24T06:00:00Z", "end": "2026-11-24T10:00:00Z",
            "user": cut["overrides"][0]["user"]}])
    );
    let whole = list(&c, &[window[0], window[1], ("overflow", "true")]);
    assert_eq!(whole["overrides"][0]["end"], "2026-11-24T16:00:00Z");
    let editable = list(
        &c,
        &[
            ("since", "2026-11-18T00:00:00Z"),
            ("until", "2026-11-28T00:00:00Z"),
            ("editable", "true"),
        ],
    );
    assert_eq!(
        common::ids(&editable, "overrides"),
        [EXAMPLE_FUTURE_OVERRIDE]
    );
    assert_eq!(
        c.get(OVERRIDES, &[("since", "2026-11-18T00:00:00Z")])
            .status,
        400
    );
    assert_eq!(
        c.get("/schedules/PNOPE00/overrides", &[window[0], window[1]])
            .status,
        404
    );

    // The final schedule, schedule users, on-calls and the dataset honour it.
    let day = [
        ("since", "2026-11-24T00:00:00Z"),
        ("until", "2026-11-25T00:00:00Z"),
    ];
    let schedule = c.ok("/schedules/PXXEGQZ", &day);
    let entries: Vec<(String, String)> =
        schedule["schedule"]["final_schedule"]["rendered_schedule_entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["user"]["id"].as_str().unwrap().to_string(),
                    e["start"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    assert_eq!(
        entries,
        [
            (
                USER_LUKAS_SCHMIDT.to_string(),
                "2026-11-24T00:00:00Z".to_string()
            ),
            (
                USER_PRIYA_NATARAJAN.to_string(),
                "2026-11-24T04:00:00Z".to_string()
            ),
            (
                USER_LUKAS_SCHMIDT.to_string(),
                "2026-11-24T16:00:00Z".to_string()
            ),
        ]
    );
    let subschedule = &schedule["schedule"]["overrides_subschedule"];
    assert_eq!(
        subschedule["rendered_schedule_entries"][0]["user"]["id"],
        USER_PRIYA_NATARAJAN
    );
    assert_eq!(subschedule["rendered_coverage_percentage"], json!(50.0));
    let users = c.ok("/schedules/PXXEGQZ/users", &day);
    assert_eq!(
        common::ids(&users, "users"),
        [USER_LUKAS_SCHMIDT, USER_PRIYA_NATARAJAN]
    );
    let now = c.ok("/oncalls", &[("schedule_ids[]", "PXXEGQZ")]);
    let oncalls = now["oncalls"].as_array().unwrap();
    assert!(!oncalls.is_empty());
    for o in oncalls {
        assert_eq!(o["user"]["id"], USER_PRIYA_NATARAJAN);
        assert_eq!(o["start"], "2026-11-24T04:00:00Z");
        assert_eq!(o["end"], "2026-11-24T16:00:00Z");
    }
    assert_eq!(
        f.dataset()
            .on_call_at("PXXEGQZ", NOW)
            .map(|u| u.id.as_str()),
        Some(USER_PRIYA_NATARAJAN)
    );
}

#[test]
fn an_override_created_is_listed_takes_effect_and_can_be_deleted() {
    let f = fake();
    let c = Client::new(&f);
    let r = post(
        &c,
        json!({"overrides": [override_body(USER_MARCUS_CHEN, "2026-11-30T09:00:00Z", "2026-11-30T17:00:00Z")]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let results = r.json();
    assert_eq!(results[0]["status"], 201);
    let id = results[0]["override"]["id"].as_str().unwrap().to_string();
    assert_eq!(results[0]["override"]["user"]["id"], USER_MARCUS_CHEN);

    let window = [
        ("since", "2026-11-30T00:00:00Z"),
        ("until", "2026-12-01T00:00:00Z"),
    ];
    assert_eq!(common::ids(&list(&c, &window), "overrides"), [id.as_str()]);
    let during = [
        ("schedule_ids[]", "PXXEGQZ"),
        ("since", "2026-11-30T12:00:00Z"),
        ("until", "2026-11-30T12:00:00Z"),
    ];
    let oncalls = c.ok("/oncalls", &during);
    assert_eq!(oncalls["oncalls"][0]["user"]["id"], USER_MARCUS_CHEN);

    // A future override is deleted (204, no body) and no longer counts.
    let r = delete(&c, &id);
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert!(common::ids(&list(&c, &window), "overrides").is_empty());
    let oncalls = c.ok("/oncalls", &during);
    assert_ne!(oncalls["oncalls"][0]["user"]["id"], USER_MARCUS_CHEN);
    assert_eq!(delete(&c, &id).status, 404);
}

#[test]
fn ongoing_overrides_end_now_and_past_ones_stay() {
    let f = fake();
    let c = Client::new(&f);
    let r = delete(&c, EXAMPLE_ONGOING_OVERRIDE);
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    let all = list(
        &c,
        &[
            ("since", "2026-11-18T00:00:00Z"),
            ("until", "2026-11-28T00:00:00Z"),
        ],
    );
    let ended = &all["overrides"][1];
    assert_eq!(ended["id"], EXAMPLE_ONGOING_OVERRIDE);
    let end = time::OffsetDateTime::parse(
        ended["end"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        end >= NOW && end < NOW + time::Duration::minutes(5),
        "{end}"
    );
    assert_ne!(
        f.dataset()
            .on_call_at("PXXEGQZ", NOW + time::Duration::minutes(10))
            .map(|u| u.id.as_str()),
        Some(USER_PRIYA_NATARAJAN)
    );
    // Now past: it cannot be removed, nor can the dataset's past one.
    assert_eq!(delete(&c, EXAMPLE_ONGOING_OVERRIDE).status, 400);
    let past = all["overrides"][0]["id"].as_str().unwrap();
    let r = delete(&c, past);
    assert_eq!(r.status, 400);
    assert!(r.body.contains("already ended"), "{}", r.body);
    assert_eq!(
        c.write("DELETE", "/schedules/PNOPE00/overrides/Q1", None, "")
            .status,
        404
    );
}

#[test]
fn refused_overrides_carry_pagerdutys_reasons() {
    let f = fake();
    let c = Client::new(&f);
    let r = post(
        &c,
        json!({"overrides": [
            override_body(USER_MARCUS_CHEN, "2026-12-01T09:00:00Z", "2026-12-01T17:00:00Z"),
            override_body(USER_MARCUS_CHEN, "2026-12-02T17:00:00Z", "2026-12-02T09:00:00Z"),
            override_body(USER_MARCUS_CHEN, "2026-11-20T09:00:00Z", "2026-11-20T17:00:00Z"),
            override_body("PNOUSER", "2026-12-03T09:00:00Z", "2026-12-03T17:00:00Z"),
        ]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let results = r.json();
    let statuses: Vec<u64> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 400, 400, 400]);
    assert_eq!(
        results[1]["errors"],
        json!(["Override must end after its start"])
    );
    assert_eq!(
        results[2]["errors"],
        json!(["Override cannot end in the past"])
    );
    assert_eq!(results[3]["errors"], json!(["User not found"]));
    // Only the accepted one was created.
    let created = list(
        &c,
        &[
            ("since", "2026-11-30T00:00:00Z"),
            ("until", "2026-12-05T00:00:00Z"),
        ],
    );
    assert_eq!(common::ids(&created, "overrides").len(), 1);
    // The deprecated single form still works; malformed bodies are refused whole.
    let r = post(
        &c,
        json!({"override": override_body(USER_MARCUS_CHEN, "2026-12-04T09:00:00Z", "2026-12-04T17:00:00Z")}),
    );
    assert_eq!(r.json()[0]["status"], 201);
    for body in [
        json!({}),
        json!({"overrides": []}),
        json!({"overrides": [{"start": "soon", "end": "2026-12-04T17:00:00Z", "user": {"id": USER_MARCUS_CHEN}}]}),
        json!({"overrides": [{"start": "2026-12-04T09:00:00Z", "end": "2026-12-04T17:00:00Z"}]}),
    ] {
        assert_eq!(post(&c, body.clone()).status, 400, "{body}");
    }
    let r = c.write(
        "POST",
        "/schedules/PNOPE00/overrides",
        None,
        &json!({"overrides": [override_body(USER_MARCUS_CHEN, "2026-12-04T09:00:00Z", "2026-12-04T17:00:00Z")]})
            .to_string(),
    );
    assert_eq!(r.status, 404);
}

/// Sends a request and checks it and its answer against the spec (a bodiless
/// answer as no body). Returns the answer.
fn checked(
    c: &Client,
    problems: &mut Vec<String>,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&str>,
) -> Resp {
    let (r, found) = c.send_checked(method, path, query, Some(CURRENT_USER_EMAIL), body, true);
    problems.extend(found);
    r
}

#[test]
fn override_exchanges_conform() {
    let f = fake();
    let c = Client::new(&f);
    let mut problems = Vec::new();
    let mut p = |method: &str, path: &str, query: &[(&str, &str)], body: Option<&str>| {
        checked(&c, &mut problems, method, path, query, body)
    };
    let window = [
        ("since", "2026-11-18T00:00:00Z"),
        ("until", "2026-12-28T00:00:00Z"),
    ];
    assert_eq!(p("GET", OVERRIDES, &window, None).status, 201);
    for extra in [("editable", "true"), ("overflow", "true")] {
        p("GET", OVERRIDES, &[window[0], window[1], extra], None);
    }
    let body = json!({"overrides": [
        override_body(USER_MARCUS_CHEN, "2026-12-01T09:00:00Z", "2026-12-01T17:00:00Z"),
        override_body(USER_MARCUS_CHEN, "2026-12-02T17:00:00Z", "2026-12-02T09:00:00Z"),
        override_body("PNOUSER", "2026-12-03T09:00:00Z", "2026-12-03T17:00:00Z"),
    ]})
    .to_string();
    let created = p("POST", OVERRIDES, &[], Some(&body));
    assert_eq!(created.status, 201);
    let id = created.json()[0]["override"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    p("GET", OVERRIDES, &window, None);
    let statuses = [
        p("DELETE", &format!("{OVERRIDES}/{id}"), &[], None).status,
        p(
            "DELETE",
            &format!("{OVERRIDES}/{EXAMPLE_ONGOING_OVERRIDE}"),
            &[],
            None,
        )
        .status,
        p(
            "DELETE",
            &format!("{OVERRIDES}/{EXAMPLE_ONGOING_OVERRIDE}"),
            &[],
            None,
        )
        .status,
        p("DELETE", &format!("{OVERRIDES}/QNOPE"), &[], None).status,
    ];
    assert_eq!(statuses, [204, 200, 400, 404]);
    p(
        "GET",
        "/schedules/PXXEGQZ",
        &[
            ("since", "2026-11-24T00:00:00Z"),
            ("until", "2026-11-25T00:00:00Z"),
        ],
        None,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
