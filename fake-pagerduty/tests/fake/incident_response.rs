//! Behaviour tests of the incident-response writes: create, bulk update, snooze,
//! merge, responder requests, status updates, and the timeline entries every
//! incident write appends.

use crate::common;

use common::{Client, fake};
use fake_pagerduty::dataset::{Agent, LogKind, Status};
use fake_pagerduty::{CURRENT_USER_EMAIL, CURRENT_USER_ID, FakePagerDuty};
use serde_json::json;

const ME: Option<&str> = Some(CURRENT_USER_EMAIL);

/// The IDs of the default dataset's incidents in `status`.
fn in_status(f: &FakePagerDuty, status: Status) -> Vec<String> {
    f.dataset()
        .incidents
        .iter()
        .filter(|i| i.status == status)
        .map(|i| i.id.clone())
        .collect()
}

/// The kinds of the timeline entries of incident `id`, oldest first.
fn log_kinds(f: &FakePagerDuty, id: &str) -> Vec<LogKind> {
    f.dataset()
        .incident(id)
        .unwrap()
        .log
        .iter()
        .map(|e| e.kind.clone())
        .collect()
}

fn create_body(service: &str, extra: &str) -> String {
    format!(
        r#"{{"incident":{{"type":"incident","title":"Checkout down","service":{{"id":"{service}","type":"service_reference"}}{extra}}}}}"#
    )
}

#[test]
fn create_opens_an_incident_assigned_by_the_policy() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let service = &data.services[0];
    let body = create_body(
        &service.id,
        r#","incident_key":"checkout-1","urgency":"low","body":{"type":"incident_body","details":{"text":"EU payments fail"}}"#,
    );
    let r = c.write("POST", "/incidents", ME, &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let incident = r.json()["incident"].clone();
    let id = incident["id"].as_str().unwrap().to_string();
    assert_eq!(incident["status"], json!("triggered"));
    assert_eq!(incident["urgency"], json!("low"));
    assert_eq!(incident["service"]["id"], json!(service.id));
    assert_eq!(
        incident["escalation_policy"]["id"],
        json!(service.escalation_policy_id)
    );
    assert_eq!(
        incident["incident_number"],
        json!(data.incidents.iter().map(|i| i.number).max().unwrap() + 1)
    );
    assert_eq!(
        incident["body"],
        json!({"type": "incident_body", "details": {"text": "EU payments fail"}})
    );
    assert!(!incident["assignments"].as_array().unwrap().is_empty());
    // A later read shows it, and its timeline: trigger, assign, notify.
    assert_eq!(c.ok(&format!("/incidents/{id}"), &[])["incident"], incident);
    let kinds = log_kinds(&f, &id);
    assert_eq!(kinds[0], LogKind::Trigger);
    assert!(matches!(kinds[1], LogKind::Assign { .. }));
    assert!(matches!(kinds[2], LogKind::Notify { .. }));
    let stored = f.dataset().incident(&id).unwrap().clone();
    assert_eq!(stored.first_trigger_log_entry_id, stored.log[0].id);
    assert_eq!(
        stored.body_details.as_deref(),
        Some(r#"{"text":"EU payments fail"}"#)
    );
    // The same key on the same service while it is open: refused.
    let r = c.write("POST", "/incidents", ME, &body);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("checkout-1"), "{}", r.body);
    // Details as text (PagerDuty's documented example) are accepted too.
    let r = c.write(
        "POST",
        "/incidents",
        ME,
        &create_body(
            &service.id,
            r#","body":{"type":"incident_body","details":"Disk full"}"#,
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.json()["incident"]["body"]["details"],
        json!({"text": "Disk full"})
    );
}

#[test]
fn create_assigns_the_users_given_and_refuses_bad_bodies() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let service = &data.services[1].id;
    let users = format!(
        r#","assignments":[{{"assignee":{{"id":"{CURRENT_USER_ID}","type":"user_reference"}}}}]"#
    );
    let r = c.write("POST", "/incidents", ME, &create_body(service, &users));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.json()["incident"]["assignments"][0]["assignee"]["id"],
        json!(CURRENT_USER_ID)
    );
    let policy = format!(
        r#",{},"escalation_policy":{{"id":"{}","type":"escalation_policy_reference"}}"#,
        &users[1..],
        data.escalation_policies[0].id
    );
    for (from, body) in [
        (None, create_body(service, "")),
        (Some("nobody@example.com"), create_body(service, "")),
        (ME, create_body(service, &policy)),
        (ME, create_body("PNOPE00", "")),
        (ME, create_body(service, r#","urgency":"medium""#)),
        (
            ME,
            create_body(
                service,
                r#","priority":{"id":"PNOPE00","type":"priority_reference"}"#,
            ),
        ),
        (
            ME,
            r#"{"incident":{"type":"incident","service":{"id":"P1","type":"service_reference"}}}"#
                .to_string(),
        ),
    ] {
        let before = f.dataset().incidents.len();
        let r = c.write("POST", "/incidents", from, &body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(f.dataset().incidents.len(), before);
    }
}

#[test]
fn bulk_update_applies_every_change_or_none() {
    let f = fake();
    let c = Client::new(&f);
    let triggered = in_status(&f, Status::Triggered);
    let priority = f.dataset().priorities[0].clone();
    let body = format!(
        r#"{{"incidents":[{{"id":"{}","type":"incident_reference","status":"acknowledged","urgency":"low"}},
        {{"id":"{}","type":"incident_reference","priority":{{"id":"{}","type":"priority_reference"}}}}]}}"#,
        triggered[0], triggered[1], priority.id
    );
    let r = c.write("PUT", "/incidents", ME, &body);
    assert_eq!(r.status, 200, "{}", r.body);
    let answer = r.json();
    assert_eq!(answer["incidents"].as_array().unwrap().len(), 2);
    assert_eq!(answer["incidents"][0]["status"], json!("acknowledged"));
    let first = c.ok(&format!("/incidents/{}", triggered[0]), &[])["incident"].clone();
    assert_eq!(first["status"], json!("acknowledged"));
    assert_eq!(first["urgency"], json!("low"));
    let second = c.ok(&format!("/incidents/{}", triggered[1]), &[])["incident"].clone();
    assert_eq!(second["priority"]["id"], json!(priority.id));
    assert!(
        log_kinds(&f, &triggered[1])
            .iter()
            .any(|k| matches!(k, LogKind::FieldChange { field, .. } if field == "priority"))
    );

    // One unknown incident: 400, and nothing changes.
    let resolved = in_status(&f, Status::Acknowledged)[0].clone();
    let body = format!(
        r#"{{"incidents":[{{"id":"{resolved}","type":"incident_reference","status":"resolved"}},
        {{"id":"QNOSUCHINCIDENT","type":"incident_reference","status":"resolved"}}]}}"#
    );
    let r = c.write("PUT", "/incidents", ME, &body);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        f.dataset().incident(&resolved).unwrap().status,
        Status::Acknowledged
    );
    // More than 250: 413, as the spec documents.
    let many: Vec<String> = (0..251)
        .map(|_| {
            format!(r#"{{"id":"{resolved}","type":"incident_reference","status":"resolved"}}"#)
        })
        .collect();
    let r = c.write(
        "PUT",
        "/incidents",
        ME,
        &format!(r#"{{"incidents":[{}]}}"#, many.join(",")),
    );
    assert_eq!(r.status, 413, "{}", r.body);
    // No From: refused.
    let r = c.write("PUT", "/incidents", None, &body);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], json!(2016));
    assert_eq!(
        f.dataset().incident(&resolved).unwrap().status,
        Status::Acknowledged
    );
}

#[test]
fn every_update_appends_its_timeline_entry() {
    let f = fake();
    let c = Client::new(&f);
    let id = in_status(&f, Status::Triggered)[0].clone();
    let path = format!("/incidents/{id}");
    let data = f.dataset();
    let incident = data.incident(&id).unwrap();
    let other_urgency = if incident.urgency == "high" {
        "low"
    } else {
        "high"
    };
    let other_policy = data
        .escalation_policies
        .iter()
        .find(|p| p.id != incident.escalation_policy_id && p.rules.len() >= 2)
        .unwrap()
        .id
        .clone();
    let priority = data
        .priorities
        .iter()
        .find(|p| Some(&p.id) != incident.priority_id.as_ref())
        .unwrap()
        .clone();
    let put = |fields: &str| {
        let r = c.write(
            "PUT",
            &path,
            ME,
            &format!(r#"{{"incident":{{"type":"incident_reference"{fields}}}}}"#),
        );
        assert_eq!(r.status, 200, "{fields}: {}", r.body);
        r.json()["incident"].clone()
    };
    let before = log_kinds(&f, &id).len();
    put(&format!(r#","urgency":"{other_urgency}""#));
    put(&format!(
        r#","priority":{{"id":"{}","type":"priority_reference"}}"#,
        priority.id
    ));
    let ack = put(r#","status":"acknowledged""#);
    assert_eq!(ack["status"], json!("acknowledged"));
    // Reassigning an acknowledged incident triggers it again.
    let reassigned = put(&format!(
        r#","assignments":[{{"assignee":{{"id":"{CURRENT_USER_ID}","type":"user_reference"}}}}]"#
    ));
    assert_eq!(reassigned["status"], json!("triggered"));
    assert_eq!(
        reassigned["assignments"][0]["assignee"]["id"],
        json!(CURRENT_USER_ID)
    );
    put(&format!(
        r#","escalation_policy":{{"id":"{other_policy}","type":"escalation_policy_reference"}}"#
    ));
    put(r#","escalation_level":2"#);
    let r = c.write(
        "POST",
        &format!("{path}/notes"),
        ME,
        r#"{"note":{"content":"Rolled back."}}"#,
    );
    assert_eq!(r.status, 200);
    let resolved = put(r#","status":"resolved""#);
    assert_eq!(resolved["status"], json!("resolved"));
    // A resolved incident is not reassigned.
    let r = c.write(
        "PUT",
        &path,
        ME,
        r#"{"incident":{"type":"incident_reference","escalation_level":1}}"#,
    );
    assert_eq!(r.status, 400);

    let stored = f.dataset().incident(&id).unwrap().clone();
    let kinds: Vec<&LogKind> = stored.log[before..]
        .iter()
        .filter(|e| !matches!(e.kind, LogKind::Notify { .. }))
        .map(|e| &e.kind)
        .collect();
    assert!(matches!(kinds[0], LogKind::UrgencyChange { to, .. } if to == other_urgency));
    assert!(
        matches!(kinds[1], LogKind::FieldChange { field, summary } if field == "priority" && summary.contains(&priority.name))
    );
    assert_eq!(kinds[2], &LogKind::Acknowledge);
    assert_eq!(
        kinds[3],
        &LogKind::Assign {
            user_ids: vec![CURRENT_USER_ID.to_string()]
        }
    );
    assert!(
        matches!(kinds[4], LogKind::Delegate { escalation_policy_id, .. } if escalation_policy_id == &other_policy)
    );
    assert!(matches!(kinds[5], LogKind::Escalate { level: 2, user_ids } if !user_ids.is_empty()));
    assert_eq!(
        kinds[6],
        &LogKind::Annotate {
            note: "Rolled back.".into()
        }
    );
    assert_eq!(kinds[7], &LogKind::Resolve);
    assert_eq!(kinds.len(), 8);
    assert!(
        stored.log[before..]
            .iter()
            .all(|e| e.at >= stored.created_at)
    );
    assert!(
        stored.log[before..]
            .iter()
            .filter(|e| !matches!(e.kind, LogKind::Notify { .. }))
            .all(|e| e.agent == Agent::User(CURRENT_USER_ID.to_string()))
    );
    // Escalating beyond the policy's levels is refused.
    let open = in_status(&f, Status::Acknowledged)[0].clone();
    let r = c.write(
        "PUT",
        &format!("/incidents/{open}"),
        ME,
        r#"{"incident":{"type":"incident_reference","escalation_level":99}}"#,
    );
    assert_eq!(r.status, 400, "{}", r.body);
}

#[test]
fn snooze_needs_an_acknowledged_incident() {
    let f = fake();
    let c = Client::new(&f);
    let triggered = in_status(&f, Status::Triggered)[0].clone();
    let r = c.write(
        "POST",
        &format!("/incidents/{triggered}/snooze"),
        ME,
        r#"{"duration":600}"#,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("acknowledged"));
    assert!(
        f.dataset()
            .incident(&triggered)
            .unwrap()
            .snoozed_until
            .is_none()
    );

    let acked = in_status(&f, Status::Acknowledged)[0].clone();
    let path = format!("/incidents/{acked}/snooze");
    for bad in [r#"{"duration":0}"#, r#"{"duration":604801}"#, r#"{}"#, "{"] {
        assert_eq!(c.write("POST", &path, ME, bad).status, 400, "{bad}");
    }
    assert_eq!(
        c.write("POST", &path, None, r#"{"duration":600}"#).status,
        400
    );
    let r = c.write("POST", &path, ME, r#"{"duration":3600}"#);
    assert_eq!(r.status, 201, "{}", r.body);
    let stored = f.dataset().incident(&acked).unwrap().clone();
    let until = stored.snoozed_until.expect("snoozed");
    assert!(matches!(stored.log.last().unwrap().kind, LogKind::Snooze { until: u } if u == until));
    // A later read shows when it triggers again.
    let incident = c.ok(&format!("/incidents/{acked}"), &[])["incident"].clone();
    let unack = incident["pending_actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["type"] == json!("unacknowledge"))
        .unwrap()
        .clone();
    assert_eq!(
        unack["at"],
        json!(fake_pagerduty::timefmt::utc(until)),
        "{incident}"
    );
    assert_eq!(
        c.write("POST", "/incidents/QNOPE/snooze", ME, r#"{"duration":60}"#)
            .status,
        404
    );
}

#[test]
fn merge_moves_the_alerts_and_resolves_the_sources() {
    let f = fake();
    let c = Client::new(&f);
    let open = in_status(&f, Status::Acknowledged);
    let (target, source) = (open[0].clone(), open[1].clone());
    let data = f.dataset();
    let alerts =
        data.incident(&target).unwrap().alerts.len() + data.incident(&source).unwrap().alerts.len();
    let path = format!("/incidents/{target}/merge");
    let body = |id: &str| {
        format!(r#"{{"source_incidents":[{{"id":"{id}","type":"incident_reference"}}]}}"#)
    };
    // Into itself: refused.
    let r = c.write("PUT", &path, ME, &body(&target));
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(c.write("PUT", &path, ME, &body("QNOPE")).status, 400);
    assert_eq!(c.write("PUT", &path, None, &body(&source)).status, 400);
    assert_eq!(
        c.write("PUT", "/incidents/QNOPE/merge", ME, &body(&source))
            .status,
        404
    );
    let r = c.write("PUT", &path, ME, &body(&source));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["incident"]["id"], json!(target));
    assert_eq!(r.json()["incident"]["type"], json!("incident_reference"));
    let kept = c.ok(&format!("/incidents/{target}"), &[])["incident"].clone();
    assert_eq!(kept["alert_counts"]["all"], json!(alerts));
    let merged = c.ok(&format!("/incidents/{source}"), &[])["incident"].clone();
    assert_eq!(merged["status"], json!("resolved"));
    assert_eq!(merged["alert_counts"]["all"], json!(0));
    assert!(
        log_kinds(&f, &target)
            .iter()
            .any(|k| matches!(k, LogKind::FieldChange { field, summary } if field == "merge" && summary.contains(&source)))
    );
    let source_log = log_kinds(&f, &source);
    assert!(source_log.contains(&LogKind::Resolve));
    assert!(
        source_log
            .iter()
            .any(|k| matches!(k, LogKind::FieldChange { field, .. } if field == "merge"))
    );
    // The kept incident is open; a resolved one cannot take merges.
    let r = c.write(
        "PUT",
        &format!("/incidents/{source}/merge"),
        ME,
        &body(&open[2]),
    );
    assert_eq!(r.status, 400, "{}", r.body);
}

#[test]
fn responder_requests_and_status_updates_are_recorded() {
    let f = fake();
    let c = Client::new(&f);
    let id = in_status(&f, Status::Acknowledged)[0].clone();
    let path = format!("/incidents/{id}");
    let data = f.dataset();
    let helper = data
        .users
        .iter()
        .find(|u| u.id != CURRENT_USER_ID)
        .unwrap()
        .id
        .clone();
    let policy = data.escalation_policies[0].id.clone();
    let request = format!(
        r#"{{"requester_id":"{CURRENT_USER_ID}","message":"Please join the bridge","responder_request_targets":[
        {{"responder_request_target":{{"id":"{helper}","type":"user_reference"}}}},
        {{"responder_request_target":{{"id":"{policy}","type":"escalation_policy_reference"}}}}]}}"#
    );
    let notified_before = log_kinds(&f, &id)
        .iter()
        .filter(|k| matches!(k, LogKind::Notify { .. }))
        .count();
    let r = c.write("POST", &format!("{path}/responder_requests"), ME, &request);
    assert_eq!(r.status, 200, "{}", r.body);
    let answer = r.json()["responder_request"].clone();
    assert_eq!(answer["requester"]["id"], json!(CURRENT_USER_ID));
    assert_eq!(
        answer["responder_request_targets"][0]["responder_request_target"]["id"],
        json!(helper)
    );
    let incident = c.ok(&path, &[])["incident"].clone();
    assert_eq!(
        incident["responder_requests"][0]["message"],
        json!("Please join the bridge")
    );
    let notified: Vec<String> = log_kinds(&f, &id)
        .into_iter()
        .filter_map(|k| match k {
            LogKind::Notify { user_id, .. } => Some(user_id),
            _ => None,
        })
        .collect();
    assert!(notified.len() > notified_before);
    assert!(notified.contains(&helper));
    for bad in [
        r#"{"message":"x","responder_request_targets":[{"id":"P1","type":"user_reference"}]}"#
            .to_string(),
        format!(
            r#"{{"requester_id":"{CURRENT_USER_ID}","message":"x","responder_request_targets":[]}}"#
        ),
        format!(
            r#"{{"requester_id":"{CURRENT_USER_ID}","message":"x","responder_request_targets":[{{"id":"PNOPE00","type":"user_reference"}}]}}"#
        ),
        format!(
            r#"{{"requester_id":"PNOPE00","message":"x","responder_request_targets":[{{"id":"{helper}","type":"user_reference"}}]}}"#
        ),
    ] {
        let r = c.write("POST", &format!("{path}/responder_requests"), ME, &bad);
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    assert_eq!(
        c.write(
            "POST",
            &format!("{path}/responder_requests"),
            None,
            &request
        )
        .status,
        400
    );

    let r = c.write(
        "POST",
        &format!("{path}/status_updates"),
        ME,
        r#"{"message":"Mitigated; next update in 30 minutes."}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let update = r.json()["status_update"].clone();
    assert_eq!(update["sender"]["id"], json!(CURRENT_USER_ID));
    let stored = f.dataset().incident(&id).unwrap().clone();
    assert_eq!(stored.status_updates.len(), 1);
    assert_eq!(stored.status_updates[0].id, update["id"].as_str().unwrap());
    assert!(matches!(
        &stored.log.last().unwrap().kind,
        LogKind::FieldChange { field, summary } if field == "status_update" && summary.starts_with("Mitigated")
    ));
    for (from, body) in [
        (ME, r#"{"message":" "}"#),
        (ME, "{}"),
        (None, r#"{"message":"x"}"#),
    ] {
        assert_eq!(
            c.write("POST", &format!("{path}/status_updates"), from, body)
                .status,
            400,
            "{body}"
        );
    }
}
