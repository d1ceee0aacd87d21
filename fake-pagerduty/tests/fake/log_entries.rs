//! The incident timeline over HTTP: `/incidents/{id}/log_entries`, `/log_entries`
//! and `/log_entries/{id}`.

use crate::common;
use crate::spec_conformance::log_every_kind;

use common::{Client, NOW, fake, ids};
use fake_pagerduty::dataset::{Incident, LogKind, Status};
use serde_json::{Value, json};

/// The timeline of `incident`, oldest first (PagerDuty answers newest first).
fn timeline(c: &Client, incident: &str, query: &[(&str, &str)]) -> Vec<Value> {
    let mut query = query.to_vec();
    query.push(("limit", "100"));
    let body = c.ok(&format!("/incidents/{incident}/log_entries"), &query);
    assert_eq!(body["more"], json!(false));
    let mut entries = body["log_entries"].as_array().unwrap().clone();
    entries.reverse();
    entries
}

fn types(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect()
}

fn find(data: &[Incident], keep: impl Fn(&Incident) -> bool) -> &Incident {
    data.iter().find(|i| keep(i)).expect("such an incident")
}

#[test]
fn a_resolved_incident_goes_from_trigger_to_resolve_in_order() {
    let f = fake();
    let data = f.dataset();
    let c = Client::new(&f);
    let incident = find(&data.incidents, |i| {
        i.status == Status::Resolved && i.log.iter().any(|e| matches!(e.kind, LogKind::Acknowledge))
    });
    let entries = timeline(&c, &incident.id, &[]);
    let kinds = types(&entries);
    assert_eq!(kinds.first(), Some(&"trigger_log_entry"), "{kinds:?}");
    assert_eq!(kinds[1], "assign_log_entry");
    assert_eq!(kinds.last(), Some(&"resolve_log_entry"), "{kinds:?}");
    // The trigger entry is the incident's first trigger log entry.
    assert_eq!(entries[0]["id"], json!(incident.first_trigger_log_entry_id));
    assert_eq!(entries[0]["agent"]["type"], json!("service_reference"));
    assert_eq!(entries[0]["summary"], json!("Triggered through the API."));
    let times: Vec<&str> = entries
        .iter()
        .map(|e| e["created_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    for e in &entries {
        assert_eq!(e["incident"]["id"], json!(incident.id));
    }
}

#[test]
fn every_incident_has_a_timeline_consistent_with_its_state() {
    let f = fake();
    let data = f.dataset();
    for i in &data.incidents {
        assert_eq!(i.log[0].id, i.first_trigger_log_entry_id, "{}", i.id);
        assert!(matches!(i.log[0].kind, LogKind::Trigger));
        assert!(i.log.windows(2).all(|w| w[0].at <= w[1].at), "{}", i.id);
        let acks = i
            .log
            .iter()
            .filter(|e| matches!(e.kind, LogKind::Acknowledge))
            .count();
        let resolves = i
            .log
            .iter()
            .filter(|e| matches!(e.kind, LogKind::Resolve))
            .count();
        let notes = i
            .log
            .iter()
            .filter(|e| matches!(e.kind, LogKind::Annotate { .. }))
            .count();
        assert_eq!(notes, i.notes.len(), "{}", i.id);
        assert_eq!(
            resolves,
            usize::from(i.status == Status::Resolved),
            "{}",
            i.id
        );
        if i.status == Status::Acknowledged {
            assert_eq!(acks, 1, "{}", i.id);
        }
        if i.status == Status::Triggered {
            assert_eq!(acks, 0, "{}", i.id);
        }
        let escalated = i
            .log
            .iter()
            .any(|e| matches!(e.kind, LogKind::Escalate { .. }));
        assert_eq!(escalated, i.escalation_level == 2, "{}", i.id);
    }
    assert!(
        data.incidents.iter().any(|i| i.escalation_level == 2),
        "some incidents escalate"
    );
}

#[test]
fn an_acknowledged_incident_has_an_acknowledge_entry_by_its_acknowledger() {
    let f = fake();
    let data = f.dataset();
    let c = Client::new(&f);
    let incident = find(&data.incidents, |i| i.status == Status::Acknowledged);
    let (acknowledger, _) = &incident.acknowledgements[0];
    let entries = timeline(&c, &incident.id, &[]);
    let ack = entries
        .iter()
        .find(|e| e["type"] == "acknowledge_log_entry")
        .expect("an acknowledge entry");
    assert_eq!(ack["agent"]["id"], json!(acknowledger));
    assert_eq!(ack["agent"]["type"], json!("user_reference"));
    let name = data.user(acknowledger).unwrap().name.clone();
    assert_eq!(ack["summary"], json!(format!("Acknowledged by {name}.")));
    assert!(!types(&entries).contains(&"resolve_log_entry"));
}

#[test]
fn an_escalated_incident_is_acknowledged_by_level_two() {
    let f = fake();
    let data = f.dataset();
    let c = Client::new(&f);
    let incident = find(&data.incidents, |i| i.escalation_level == 2);
    let entries = timeline(&c, &incident.id, &[]);
    let escalate = entries
        .iter()
        .find(|e| e["type"] == "escalate_log_entry")
        .expect("an escalate entry");
    let ack = entries
        .iter()
        .find(|e| e["type"] == "acknowledge_log_entry")
        .expect("an acknowledge entry");
    assert_eq!(escalate["assignees"][0]["id"], ack["agent"]["id"]);
    assert!(escalate["created_at"].as_str() < ack["created_at"].as_str());
    assert!(
        escalate["summary"]
            .as_str()
            .unwrap()
            .starts_with("Escalated to level 2 by timeout: ")
    );
    if incident.status == Status::Acknowledged {
        assert_eq!(
            incident.assignments[0].0,
            ack["agent"]["id"].as_str().unwrap()
        );
    }
}

#[test]
fn a_note_appears_as_annotate_with_its_text() {
    let f = fake();
    let data = f.dataset();
    let c = Client::new(&f);
    let incident = find(&data.incidents, |i| !i.notes.is_empty());
    let note = &incident.notes[0];
    let entries = timeline(&c, &incident.id, &[("include[]", "channels")]);
    let annotate = entries
        .iter()
        .find(|e| e["type"] == "annotate_log_entry")
        .expect("an annotate entry");
    assert_eq!(annotate["agent"]["id"], json!(note.user_id));
    assert_eq!(annotate["channel"]["type"], json!("note"));
    assert_eq!(annotate["channel"]["summary"], json!(note.content));
    // Without include[]=channels a channel is only its type.
    let bare = timeline(&c, &incident.id, &[]);
    let bare_annotate = bare
        .iter()
        .find(|e| e["type"] == "annotate_log_entry")
        .unwrap();
    assert_eq!(bare_annotate["channel"], json!({"type": "note"}));
}

#[test]
fn overview_drops_notifications() {
    let f = fake();
    let data = f.dataset();
    let c = Client::new(&f);
    let incident = find(&data.incidents, |i| {
        i.log
            .iter()
            .any(|e| matches!(e.kind, LogKind::Notify { .. }))
    });
    let full = timeline(&c, &incident.id, &[]);
    assert!(types(&full).contains(&"notify_log_entry"));
    let notify = full
        .iter()
        .find(|e| e["type"] == "notify_log_entry")
        .unwrap();
    assert!(notify["user"]["id"].is_string());
    let overview = timeline(&c, &incident.id, &[("is_overview", "true")]);
    assert!(!types(&overview).contains(&"notify_log_entry"));
    assert_eq!(
        overview.len(),
        full.len()
            - types(&full)
                .iter()
                .filter(|t| **t == "notify_log_entry")
                .count()
    );
}

#[test]
fn every_kind_is_rendered_and_listed_newest_first() {
    let f = fake();
    let id = log_every_kind(&f);
    let c = Client::new(&f);
    let body = c.ok(&format!("/incidents/{id}/log_entries"), &[("limit", "100")]);
    let newest: Vec<&str> = body["log_entries"]
        .as_array()
        .unwrap()
        .iter()
        .take(8)
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        newest,
        [
            "resolve_log_entry",
            "escalate_log_entry",
            "assign_log_entry",
            "delegate_log_entry",
            "field_value_change_log_entry",
            "urgency_change_log_entry",
            "unacknowledge_log_entry",
            "snooze_log_entry",
        ]
    );
    let summaries: Vec<&str> = body["log_entries"]
        .as_array()
        .unwrap()
        .iter()
        .take(8)
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries[0], "Resolved by timeout.");
    assert_eq!(summaries[4], "Priority changed to P1.");
    assert!(summaries[5].starts_with("Urgency changed from low to high by "));
    assert_eq!(summaries[6], "Unacknowledged due to timeout.");
    assert!(summaries[7].starts_with("Snoozed by "));
}

#[test]
fn one_log_entry_by_id_and_unknown_ids() {
    let f = fake();
    let data = f.dataset();
    let c = Client::new(&f);
    let incident = &data.incidents[0];
    let entry = &incident.log[0];
    let body = c.ok(&format!("/log_entries/{}", entry.id), &[]);
    assert_eq!(body["log_entry"]["id"], json!(entry.id));
    assert_eq!(body["log_entry"]["incident"]["id"], json!(incident.id));
    assert_eq!(c.get("/log_entries/RNOPE", &[]).status, 404);
    assert_eq!(c.get("/incidents/QNOPE/log_entries", &[]).status, 404);
    for bad in [
        ("since", "yesterday"),
        ("is_overview", "maybe"),
        ("include[]", "users"),
        ("time_zone", "Mars/Olympus"),
    ] {
        let r = c.get("/log_entries", &[bad]);
        assert_eq!(r.status, 400, "{bad:?}: {}", r.body);
        assert_eq!(r.json()["error"]["code"], json!(2001));
    }
    let r = c.get(
        "/log_entries",
        &[
            ("since", "2026-11-20T00:00:00Z"),
            ("until", "2026-11-10T00:00:00Z"),
        ],
    );
    assert_eq!(r.status, 400);
}

#[test]
fn account_log_windows_teams_and_order() {
    let f = fake();
    let data = f.dataset();
    let c = Client::new(&f);
    // Default window: the month before now.
    let body = c.ok("/log_entries", &[("limit", "100"), ("total", "true")]);
    let month_ago = NOW - time::Duration::days(31);
    let in_month: usize = data
        .incidents
        .iter()
        .flat_map(|i| &i.log)
        .filter(|e| e.at >= month_ago && e.at < NOW)
        .count();
    assert_eq!(body["total"], json!(in_month));
    let times: Vec<&str> = body["log_entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["created_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // A team's entries are those of its incidents.
    let team = &data.teams[0].id;
    let body = c.ok(
        "/log_entries",
        &[
            ("team_ids[]", team),
            ("since", "2026-11-17T00:00:00Z"),
            ("until", "2026-11-24T07:00:00Z"),
            ("limit", "100"),
        ],
    );
    for e in body["log_entries"].as_array().unwrap() {
        let incident = data
            .incident(e["incident"]["id"].as_str().unwrap())
            .unwrap();
        assert!(incident.team_ids.contains(team));
        let at = e["created_at"].as_str().unwrap();
        assert!(("2026-11-17T00:00:00Z".."2026-11-24T07:00:00Z").contains(&at));
    }
    assert!(!ids(&body, "log_entries").is_empty());
}
