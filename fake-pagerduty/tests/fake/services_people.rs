//! Behaviour tests of business services, service dependencies, maintenance
//! windows and notification rules over HTTP.

use crate::common;

use common::{Client, NOW, fake, ids};
use fake_pagerduty::ids::{
    SERVICE_API_GATEWAY, SERVICE_CHECKOUT_WEB, SERVICE_KUBERNETES_PLATFORM, SERVICE_PAYMENTS_API,
    TEAM_PAYMENTS, TEAM_PLATFORM, USER_GRACE_LIU, USER_VICTORIA_HAYES,
};
use fake_pagerduty::{CURRENT_USER_EMAIL, CURRENT_USER_ID};
use serde_json::{Value, json};
use time::Duration;
use time::format_description::well_known::Rfc3339;

fn at(minutes_from_now: i64) -> String {
    (NOW + Duration::minutes(minutes_from_now))
        .format(&Rfc3339)
        .unwrap()
}

fn window_body(services: &[&str], start: &str, end: &str, description: &str) -> String {
    let services: Vec<Value> = services
        .iter()
        .map(|id| json!({"id": id, "type": "service_reference"}))
        .collect();
    json!({"maintenance_window": {"type": "maintenance_window", "start_time": start,
        "end_time": end, "description": description, "services": services}})
    .to_string()
}

fn window_ids(c: &Client, query: &[(&str, &str)]) -> Vec<String> {
    ids(&c.ok("/maintenance_windows", query), "maintenance_windows")
}

#[test]
fn business_services_list_and_get() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let body = c.ok("/business_services", &[("total", "true")]);
    assert_eq!(body["total"], json!(data.business_services.len()));
    let names: Vec<&str> = body["business_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);
    assert!(names.contains(&"Online Checkout"));
    let checkout = data
        .business_services
        .iter()
        .find(|b| b.name == "Online Checkout")
        .unwrap();
    let one = c.ok(&format!("/business_services/{}", checkout.id), &[])["business_service"].clone();
    assert_eq!(one["point_of_contact"], json!("Jordan Lee"));
    assert_eq!(one["team"]["id"], json!(TEAM_PAYMENTS));
    let page = c.ok("/business_services", &[("limit", "2"), ("offset", "1")]);
    assert_eq!(page["business_services"].as_array().unwrap().len(), 2);
    assert_eq!(page["more"], json!(true));
    assert_eq!(c.get("/business_services/PNOPE00", &[]).status, 404);
}

#[test]
fn dependencies_are_symmetric() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let checkout = data
        .business_services
        .iter()
        .find(|b| b.name == "Online Checkout")
        .unwrap();
    let business = c.ok(
        &format!("/service_dependencies/business_services/{}", checkout.id),
        &[],
    )["relationships"]
        .clone();
    let supported_by_web = business.as_array().unwrap().iter().any(|r| {
        r["dependent_service"] == json!({"id": checkout.id, "type": "business_service_reference"})
            && r["supporting_service"]
                == json!({"id": SERVICE_CHECKOUT_WEB, "type": "technical_service_reference"})
    });
    assert!(supported_by_web, "{business}");
    // The mobile app depends on online checkout: a business-to-business dependency
    // shows on both.
    assert!(business.as_array().unwrap().iter().any(|r| {
        r["supporting_service"]["id"] == json!(checkout.id)
            && r["dependent_service"]["type"] == json!("business_service_reference")
    }));
    // Every relationship of a technical service shows on the other side too.
    for service in &data.services {
        let mine = c.ok(
            &format!("/service_dependencies/technical_services/{}", service.id),
            &[],
        )["relationships"]
            .clone();
        for r in mine.as_array().unwrap() {
            let (other, kind) = if r["supporting_service"]["id"] == json!(service.id) {
                (&r["dependent_service"], "dependent")
            } else {
                assert_eq!(r["dependent_service"]["id"], json!(service.id));
                (&r["supporting_service"], "supporting")
            };
            let path = match other["type"].as_str().unwrap() {
                "technical_service_reference" => "technical_services",
                "business_service_reference" => "business_services",
                t => panic!("unexpected type {t}"),
            };
            let theirs = c.ok(
                &format!(
                    "/service_dependencies/{path}/{}",
                    other["id"].as_str().unwrap()
                ),
                &[],
            );
            assert!(
                theirs["relationships"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t["id"] == r["id"]),
                "{} ({kind}) missing from {other}",
                r["id"]
            );
        }
    }
    // The API Gateway is supported by Kubernetes and supports the Payments API.
    let gateway = c.ok(
        &format!("/service_dependencies/technical_services/{SERVICE_API_GATEWAY}"),
        &[],
    )["relationships"]
        .clone();
    let pairs: Vec<(String, String)> = gateway
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["supporting_service"]["id"].as_str().unwrap().to_string(),
                r["dependent_service"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(pairs.contains(&(
        SERVICE_KUBERNETES_PLATFORM.to_string(),
        SERVICE_API_GATEWAY.to_string()
    )));
    assert!(pairs.contains(&(
        SERVICE_API_GATEWAY.to_string(),
        SERVICE_PAYMENTS_API.to_string()
    )));
    assert_eq!(
        c.get("/service_dependencies/technical_services/PNOPE00", &[])
            .status,
        404
    );
    assert_eq!(
        c.get(
            &format!("/service_dependencies/business_services/{SERVICE_API_GATEWAY}"),
            &[]
        )
        .status,
        404,
        "a technical service is not a business service"
    );
}

#[test]
fn maintenance_window_filters() {
    let f = fake();
    let c = Client::new(&f);
    let all = window_ids(&c, &[("filter", "all")]);
    assert_eq!(all.len(), f.dataset().maintenance_windows.len());
    assert_eq!(window_ids(&c, &[]), all, "no filter: every window");
    let past = window_ids(&c, &[("filter", "past")]);
    let ongoing = window_ids(&c, &[("filter", "ongoing")]);
    let future = window_ids(&c, &[("filter", "future")]);
    let open = window_ids(&c, &[("filter", "open")]);
    assert!(!past.is_empty() && !ongoing.is_empty() && !future.is_empty());
    assert_eq!(past.len() + ongoing.len() + future.len(), all.len());
    assert_eq!(open.len(), ongoing.len() + future.len());
    assert!(open.iter().all(|id| !past.contains(id)));
    // By service and team: the Payments drill is ongoing, on Payments services.
    let payments = c.ok(
        "/maintenance_windows",
        &[
            ("filter", "ongoing"),
            ("service_ids[]", SERVICE_PAYMENTS_API),
        ],
    );
    assert_eq!(payments["maintenance_windows"].as_array().unwrap().len(), 1);
    let w = &payments["maintenance_windows"][0];
    assert_eq!(w["description"], json!("Payments database failover drill"));
    assert!(
        w["teams"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == json!(TEAM_PAYMENTS))
    );
    assert_eq!(
        window_ids(&c, &[("filter", "ongoing"), ("team_ids[]", TEAM_PAYMENTS)]),
        ids(&payments, "maintenance_windows")
    );
    let platform_future = c.ok(
        "/maintenance_windows",
        &[("filter", "future"), ("team_ids[]", TEAM_PLATFORM)],
    );
    assert_eq!(
        platform_future["maintenance_windows"][0]["created_by"]["id"],
        json!(CURRENT_USER_ID)
    );
    assert_eq!(
        window_ids(&c, &[("query", "TLS")]).len(),
        1,
        "query searches the description"
    );
    assert_eq!(
        c.get("/maintenance_windows", &[("filter", "soon")]).status,
        400
    );
    // A service in an ongoing window is in maintenance.
    assert_eq!(
        c.ok(&format!("/services/{SERVICE_PAYMENTS_API}"), &[])["service"]["status"],
        json!("maintenance")
    );
    assert_ne!(
        c.ok(&format!("/services/{SERVICE_API_GATEWAY}"), &[])["service"]["status"],
        json!("maintenance")
    );
    // Includes enrich the references.
    let included = c.ok(
        &format!(
            "/maintenance_windows/{}",
            ids(&payments, "maintenance_windows")[0]
        ),
        &[("include[]", "services"), ("include[]", "users")],
    );
    assert_eq!(
        included["maintenance_window"]["services"][0]["name"],
        json!("Payments API")
    );
    assert!(included["maintenance_window"]["created_by"]["email"].is_string());
}

#[test]
fn creating_then_deleting_windows() {
    let f = fake();
    let c = Client::new(&f);
    let create =
        |from: Option<&str>, body: &str| c.write("POST", "/maintenance_windows", from, body);
    let future = window_body(&[SERVICE_API_GATEWAY], &at(60), &at(120), "Router swap");
    // From is required, services must exist, start before end, end in the future.
    assert_eq!(create(None, &future).status, 400);
    for bad in [
        window_body(&["PNOPE00"], &at(60), &at(120), "x"),
        window_body(&[SERVICE_API_GATEWAY], &at(120), &at(60), "x"),
        window_body(&[SERVICE_API_GATEWAY], &at(-120), &at(-60), "x"),
        window_body(&[], &at(60), &at(120), "x"),
    ] {
        let r = create(Some(CURRENT_USER_EMAIL), &bad);
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    let r = create(Some(CURRENT_USER_EMAIL), &future);
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json()["maintenance_window"].clone();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["created_by"]["id"], json!(CURRENT_USER_ID));
    assert_eq!(
        created["sequence_number"],
        json!(f.dataset().maintenance_windows.len())
    );
    assert!(window_ids(&c, &[("filter", "future")]).contains(&id));
    assert!(!window_ids(&c, &[("filter", "ongoing")]).contains(&id));

    // A start in the past becomes now: the window is ongoing.
    let r = create(
        Some("grace.liu@example.com"),
        &window_body(
            &[SERVICE_KUBERNETES_PLATFORM],
            &at(-30),
            &at(30),
            "Node drain",
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let ongoing = r.json()["maintenance_window"].clone();
    let ongoing_id = ongoing["id"].as_str().unwrap().to_string();
    assert_eq!(ongoing["created_by"]["id"], json!(USER_GRACE_LIU));
    assert!(window_ids(&c, &[("filter", "ongoing")]).contains(&ongoing_id));
    assert_eq!(
        c.ok(&format!("/services/{SERVICE_KUBERNETES_PLATFORM}"), &[])["service"]["status"],
        json!("maintenance")
    );

    // Deleting the future window removes it.
    let r = c.write(
        "DELETE",
        &format!("/maintenance_windows/{id}"),
        Some(CURRENT_USER_EMAIL),
        "",
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(r.body.is_empty());
    assert_eq!(
        c.get(&format!("/maintenance_windows/{id}"), &[]).status,
        404
    );
    assert!(!window_ids(&c, &[("filter", "all")]).contains(&id));
    // Deleting the ongoing one ends it: it is past now, and stays.
    let path = format!("/maintenance_windows/{ongoing_id}");
    assert_eq!(c.write("DELETE", &path, None, "").status, 204);
    let ended = c.ok(&path, &[])["maintenance_window"].clone();
    assert!(ended["end_time"].as_str().unwrap() < ongoing["end_time"].as_str().unwrap());
    assert!(window_ids(&c, &[("filter", "past")]).contains(&ongoing_id));
    assert_ne!(
        c.ok(&format!("/services/{SERVICE_KUBERNETES_PLATFORM}"), &[])["service"]["status"],
        json!("maintenance")
    );
    // A past window cannot be deleted (405, no body); an unknown one is 404.
    let r = c.write("DELETE", &path, None, "");
    assert_eq!(r.status, 405);
    assert!(r.body.is_empty());
    assert_eq!(c.get(&path, &[]).status, 200);
    assert_eq!(
        c.write("DELETE", "/maintenance_windows/PNOPE00", None, "")
            .status,
        404
    );
}

#[test]
fn notification_rules_by_urgency() {
    let f = fake();
    let c = Client::new(&f);
    let data = f.dataset();
    let me = data.current_user();
    let path = format!("/users/{CURRENT_USER_ID}/notification_rules");
    let all = c.ok(&path, &[("urgency", "all")])["notification_rules"].clone();
    assert_eq!(all.as_array().unwrap().len(), me.notification_rules.len());
    let high = c.ok(&path, &[])["notification_rules"].clone();
    assert!(
        high.as_array()
            .unwrap()
            .iter()
            .all(|r| r["urgency"] == json!("high")),
        "PagerDuty's default is high"
    );
    let low = c.ok(&path, &[("urgency", "low")])["notification_rules"].clone();
    assert_eq!(
        high.as_array().unwrap().len() + low.as_array().unwrap().len(),
        all.as_array().unwrap().len()
    );
    let rule = &all[0];
    assert_eq!(rule["type"], json!("assignment_notification_rule"));
    assert!(
        rule["contact_method"]["type"]
            .as_str()
            .unwrap()
            .ends_with("_contact_method_reference")
    );
    assert!(rule["contact_method"].get("address").is_none());
    let full = c.ok(
        &path,
        &[("urgency", "all"), ("include[]", "contact_methods")],
    )["notification_rules"]
        .clone();
    assert!(full[0]["contact_method"]["address"].is_string());
    // The owner has only email rules.
    let owner = c.ok(
        &format!("/users/{USER_VICTORIA_HAYES}/notification_rules"),
        &[("urgency", "all")],
    )["notification_rules"]
        .clone();
    assert!(
        owner
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["contact_method"]["type"] == json!("email_contact_method_reference"))
    );
    assert_eq!(c.get(&path, &[("urgency", "urgent")]).status, 400);
    assert_eq!(c.get("/users/PNOPE00/notification_rules", &[]).status, 404);
}
