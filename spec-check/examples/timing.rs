//! Prints how long loading the spec and the first checks take:
//! `cargo run -p spec-check --example timing [--release]`.

use std::time::Instant;

use serde_json::json;

fn main() -> anyhow::Result<()> {
    let start = Instant::now();
    let spec = spec_check::Spec::load_pinned()?;
    println!("load_pinned:                  {:?}", start.elapsed());

    let headers = vec![
        (
            "Accept".to_string(),
            "application/vnd.pagerduty+json;version=2".to_string(),
        ),
        ("Content-Type".to_string(), "application/json".to_string()),
    ];
    let query = vec![("statuses[]".to_string(), "triggered".to_string())];
    let t = Instant::now();
    let result = spec.check_request("GET", "/incidents", &query, &headers);
    println!(
        "first check_request:          {:?} ({result:?})",
        t.elapsed()
    );

    let body = json!({"incidents": [], "limit": 25, "offset": 0, "more": false, "total": null});
    let t = Instant::now();
    let result = spec.check_response("GET", "/incidents", 200, &body);
    println!(
        "first check_response (compile): {:?} ({result:?})",
        t.elapsed()
    );
    let t = Instant::now();
    let result = spec.check_response("GET", "/incidents", 200, &body);
    println!(
        "second check_response (cached): {:?} ({result:?})",
        t.elapsed()
    );
    Ok(())
}
