//! Behaviour tests of what surrounds an incident: an alert by ID with the
//! monitoring payload, outlier incidents, change events and their correlation
//! with incidents, priorities.

use crate::common;

use common::{Client, fake, ids};
use fake_pagerduty::Dataset;
use serde_json::json;
use time::Duration;

fn parse_time(v: &serde_json::Value) -> time::OffsetDateTime {
    fake_pagerduty::timefmt::parse(v.as_str().expect("a timestamp")).expect("ISO 8601")
}

#[test]
fn an_alert_by_id_carries_the_monitoring_payload() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let incident = data.incidents.iter().find(|i| i.alerts.len() >= 2).unwrap();
    let listed = c.ok(&format!("/incidents/{}/alerts", incident.id), &[]);
    for (n, a) in incident.alerts.iter().enumerate() {
        let one = c.ok(&format!("/incidents/{}/alerts/{}", incident.id, a.id), &[]);
        let alert = &one["alert"];
        assert_eq!(alert, &listed["alerts"][n], "the list and the get agree");
        assert_eq!(alert["incident"]["id"], json!(incident.id));
        let body = &alert["body"];
        assert_eq!(body["type"], "alert_body");
        let details = &body["details"];
        for key in [
            "metric",
            "threshold",
            "value",
            "host",
            "runbook_url",
            "dashboard_url",
        ] {
            assert!(!details[key].is_null(), "{key} in {details}");
        }
        assert_eq!(details["host"], json!(a.source));
        let (value, threshold) = (
            details["value"].as_i64().unwrap(),
            details["threshold"].as_i64().unwrap(),
        );
        match details["condition"].as_str().unwrap() {
            "above" => assert!(value > threshold, "{details}"),
            _ => assert!(value < threshold, "{details}"),
        }
        let hrefs: Vec<&str> = body["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["href"].as_str().unwrap())
            .collect();
        assert!(hrefs.contains(&details["runbook_url"].as_str().unwrap()));
        assert!(hrefs.contains(&details["dashboard_url"].as_str().unwrap()));
        assert_eq!(body["cef_details"]["details"], *details);
        assert_eq!(body["cef_details"]["dedup_key"], json!(a.alert_key));
    }
    // An alert of another incident is not this incident's.
    let other = data.incidents.iter().find(|i| i.id != incident.id).unwrap();
    let r = c.get(
        &format!("/incidents/{}/alerts/{}", other.id, incident.alerts[0].id),
        &[],
    );
    assert_eq!(r.status, 404);
}

#[test]
fn unknown_ids_are_404() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let incident = &data.incidents[0];
    for path in [
        format!("/incidents/{}/alerts/QDOESNOTEXIST1", incident.id),
        format!("/incidents/QDOESNOTEXIST1/alerts/{}", incident.alerts[0].id),
        "/incidents/QDOESNOTEXIST1/outlier_incident".to_string(),
        "/incidents/QDOESNOTEXIST1/related_change_events".to_string(),
        "/change_events/0DOESNOTEXIST".to_string(),
        "/services/PNOPE00/change_events".to_string(),
    ] {
        let r = c.get(&path, &[]);
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(
            r.json(),
            json!({"error": {"message": "Not Found", "code": 2100}})
        );
    }
}

#[test]
fn related_change_events_precede_the_incident_on_its_service() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let mut with_culprit = 0;
    for incident in data
        .incidents
        .iter()
        .step_by(3)
        .chain(data.open_incidents())
    {
        let body = c.ok(
            &format!("/incidents/{}/related_change_events", incident.id),
            &[("limit", "100")],
        );
        let events = body["change_events"].as_array().unwrap();
        let mut previous = None;
        for e in events {
            let at = parse_time(&e["timestamp"]);
            let before = incident.created_at - at;
            assert!(before >= Duration::ZERO, "{e} is after {}", incident.id);
            let service = e["services"][0]["id"].as_str().unwrap();
            match e["correlation_reason"]["reason"].as_str().unwrap() {
                "most_recent" => {
                    assert_eq!(service, incident.service_id);
                    assert!(before <= Duration::hours(24));
                }
                "related_service" => {
                    assert_ne!(service, incident.service_id);
                    assert!(before <= Duration::hours(4));
                }
                other => panic!("unexpected reason {other}"),
            }
            if let Some(p) = previous {
                assert!(at <= p, "newest first");
            }
            previous = Some(at);
        }
        let culprit = events.iter().any(|e| {
            let before = incident.created_at - parse_time(&e["timestamp"]);
            e["services"][0]["id"] == json!(incident.service_id)
                && before >= Duration::minutes(2)
                && before <= Duration::minutes(60)
        });
        if incident.status.is_open() {
            assert!(
                culprit,
                "open incident {} has a deploy before it",
                incident.id
            );
        }
        with_culprit += usize::from(culprit);
    }
    assert!(with_culprit > 40, "{with_culprit}");

    // `limit` cuts and says there is more.
    let busy = data
        .incidents
        .iter()
        .find(|i| data.related_change_events(i).len() >= 2)
        .expect("an incident with several related changes");
    let one = c.ok(
        &format!("/incidents/{}/related_change_events", busy.id),
        &[("limit", "1")],
    );
    assert_eq!(one["change_events"].as_array().unwrap().len(), 1);
    assert_eq!(one["more"], json!(true));
    for bad in ["0", "-1", "many"] {
        let r = c.get(
            &format!("/incidents/{}/related_change_events", busy.id),
            &[("limit", bad)],
        );
        assert_eq!(r.status, 400, "limit={bad}");
    }
}

#[test]
fn change_event_lists_filter_and_page() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let all = c.ok("/change_events", &[("limit", "100"), ("total", "true")]);
    assert_eq!(all["total"], json!(data.change_events.len()));
    assert_eq!(all["more"], json!(true));
    let times: Vec<_> = all["change_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| parse_time(&e["timestamp"]))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(*times.last().unwrap() >= data.now - Duration::days(57));

    let since = data.now - Duration::days(3);
    let until = data.now - Duration::days(1);
    let (s, u) = (
        fake_pagerduty::timefmt::utc(since),
        fake_pagerduty::timefmt::utc(until),
    );
    let platform = fake_pagerduty::ids::TEAM_PLATFORM;
    let body = c.ok(
        "/change_events",
        &[
            ("since", &s),
            ("until", &u),
            ("team_ids[]", platform),
            ("limit", "100"),
        ],
    );
    let events = body["change_events"].as_array().unwrap();
    assert!(!events.is_empty());
    for e in events {
        let at = parse_time(&e["timestamp"]);
        assert!(at >= since && at < until);
        let service = data
            .service(e["services"][0]["id"].as_str().unwrap())
            .unwrap();
        assert!(service.team_ids.iter().any(|t| t == platform));
    }

    let integration = &data.change_events[0].integration_id;
    let body = c.ok(
        "/change_events",
        &[("integration_ids[]", integration), ("limit", "100")],
    );
    let events = body["change_events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(
        events
            .iter()
            .all(|e| e["integration"]["id"] == json!(integration))
    );

    let service = fake_pagerduty::ids::SERVICE_API_GATEWAY;
    let body = c.ok(
        &format!("/services/{service}/change_events"),
        &[("limit", "100"), ("total", "true")],
    );
    let expected = data
        .change_events
        .iter()
        .filter(|e| e.service_id == service)
        .count();
    assert_eq!(body["total"], json!(expected));
    assert!(
        body["change_events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["services"][0]["id"] == json!(service))
    );

    let r = c.get("/change_events", &[("since", &u), ("until", &s)]);
    assert_eq!(r.status, 400);
    let r = c.get("/change_events", &[("since", "yesterday")]);
    assert_eq!(r.status, 400);

    let e = &data.change_events[10];
    let one = c.ok(&format!("/change_events/{}", e.id), &[]);
    assert_eq!(one["change_event"]["id"], json!(e.id));
    assert_eq!(one["change_event"]["summary"], json!(e.summary));
    assert!(one["change_event"]["links"][0]["href"].is_string());
    assert!(one["change_event"]["custom_details"].is_object());
}

#[test]
fn outlier_incidents_classify_by_the_service_history() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let mut categories = std::collections::BTreeSet::new();
    for incident in data.incidents.iter().step_by(7) {
        let body = c.ok(&format!("/incidents/{}/outlier_incident", incident.id), &[]);
        let o = &body["outlier_incident"];
        assert_eq!(o["incident"]["id"], json!(incident.id));
        let occurrence = &o["incident"]["occurrence"];
        let count = occurrence["count"].as_u64().unwrap();
        assert!(count >= 1);
        let category = occurrence["category"].as_str().unwrap().to_string();
        assert_eq!(category == "anomalous", count == 1, "{occurrence}");
        assert_eq!(parse_time(&occurrence["until"]), incident.created_at);
        categories.insert(category);
        assert!(o["incident_template"]["mined_text"].is_string());
    }
    assert!(categories.contains("frequent"), "{categories:?}");
    assert!(categories.contains("anomalous"), "{categories:?}");

    let incident = data.incidents.last().unwrap();
    let full = c.ok(
        &format!("/incidents/{}/outlier_incident", incident.id),
        &[("additional_details[]", "incident")],
    );
    assert_eq!(
        full["outlier_incident"]["incident"]["incident_number"],
        json!(incident.number)
    );
    let since = fake_pagerduty::timefmt::utc(incident.created_at + Duration::hours(1));
    let r = c.get(
        &format!("/incidents/{}/outlier_incident", incident.id),
        &[("since", &since)],
    );
    assert_eq!(r.status, 400);
    let r = c.get(
        &format!("/incidents/{}/outlier_incident", incident.id),
        &[("additional_details[]", "services")],
    );
    assert_eq!(r.status, 400);
}

#[test]
fn priorities_are_listed_highest_first() {
    let f = fake();
    let c = Client::new(&f);
    let body = c.ok("/priorities", &[("total", "true")]);
    let names: Vec<&str> = body["priorities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["P1", "P2", "P3", "P4", "P5"]);
    assert_eq!(body["total"], json!(5));
    let page = c.ok("/priorities", &[("limit", "2"), ("offset", "2")]);
    assert_eq!(
        ids(&page, "priorities"),
        ids(&body, "priorities")[2..4].to_vec()
    );
    assert_eq!(page["more"], json!(true));
}

#[test]
fn change_events_are_deterministic_and_shift_with_the_clock() {
    let now = common::NOW;
    let a = Dataset::generate(7, now);
    let b = Dataset::generate(7, now);
    assert_eq!(a.change_events, b.change_events);
    let later = Dataset::generate(7, now + Duration::days(30));
    assert_eq!(a.change_events.len(), later.change_events.len());
    for (x, y) in a.change_events.iter().zip(&later.change_events) {
        assert_eq!(x.id, y.id);
        assert_eq!(y.timestamp - x.timestamp, Duration::days(30));
    }
    assert_ne!(
        Dataset::generate(8, now).change_events[0].id,
        a.change_events[0].id
    );
}
