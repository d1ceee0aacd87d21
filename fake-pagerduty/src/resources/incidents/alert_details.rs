//! What the monitoring tool said: the payload of an alert (`body.details`), as a
//! Prometheus/Grafana-style check would send it through the Events API v2: the
//! metric, its threshold and observed value, the host, and links to the runbook
//! and the dashboard.
//!
//! The payload is drawn from its own random stream (derived from the seed and the
//! alert's ID), so adding it changed no other part of the generated history.

use serde_json::{Value, json};

use crate::resources::change_events::slug;
use crate::rng::Rng;

/// A kind of check: the words of an incident title it matches and what it measures.
struct Check {
    /// Lower-case words; the first check one of whose words the title contains wins.
    words: &'static [&'static str],
    /// The metric's name.
    metric: &'static str,
    /// Its unit.
    unit: &'static str,
    /// `above` or `below`: which side of the threshold fires.
    condition: &'static str,
    /// The threshold.
    threshold: i64,
    /// How far past the threshold the observed value lands (the range of the excess).
    excess: (i64, i64),
}

const CHECKS: &[Check] = &[
    Check {
        words: &["latency"],
        metric: "http_request_duration_p99_ms",
        unit: "ms",
        condition: "above",
        threshold: 2000,
        excess: (100, 7000),
    },
    Check {
        words: &["expires"],
        metric: "tls_certificate_days_remaining",
        unit: "days",
        condition: "below",
        threshold: 7,
        excess: (1, 7),
    },
    Check {
        words: &["conversion"],
        metric: "checkout_conversion_vs_baseline",
        unit: "percent",
        condition: "below",
        threshold: -30,
        excess: (1, 25),
    },
    Check {
        words: &["login"],
        metric: "auth_failures_per_minute",
        unit: "per_minute",
        condition: "above",
        threshold: 50,
        excess: (10, 900),
    },
    Check {
        words: &[
            "error", "5xx", "failure", "failed", "failing", "502", "bouncing", "timeouts",
        ],
        metric: "error_rate",
        unit: "percent",
        condition: "above",
        threshold: 5,
        excess: (1, 35),
    },
    Check {
        words: &["lag", "backlog", "queue", "late", "stuck"],
        metric: "backlog_messages",
        unit: "messages",
        condition: "above",
        threshold: 10_000,
        excess: (500, 240_000),
    },
    Check {
        words: &["disk", "usage", "quota", "exhausted", "budget"],
        metric: "utilization",
        unit: "percent",
        condition: "above",
        threshold: 85,
        excess: (1, 15),
    },
    Check {
        words: &[
            "restarted",
            "crashloop",
            "notready",
            "elections",
            "autoscaler",
        ],
        metric: "restarts_last_15m",
        unit: "count",
        condition: "above",
        threshold: 3,
        excess: (1, 20),
    },
];

/// Any other check: a probe that fails.
const PROBE: Check = Check {
    words: &[],
    metric: "probe_failures",
    unit: "count",
    condition: "above",
    threshold: 1,
    excess: (1, 9),
};

/// The region a host name says it is in (`edge-1.euw1` is in eu-west-1).
fn region(host: &str) -> &'static str {
    if host.contains("euw1") {
        "eu-west-1"
    } else {
        "us-east-1"
    }
}

/// The payload of alert `alert_id` of a `check` (the incident title without its
/// host) on `host` of service `service_name`.
pub fn generate(seed: u64, alert_id: &str, service_name: &str, check: &str, host: &str) -> Value {
    let mut rng = Rng::derived(seed, &format!("alert-details:{alert_id}"));
    let lower = check.to_ascii_lowercase();
    let kind = CHECKS
        .iter()
        .find(|c| c.words.iter().any(|w| lower.contains(w)))
        .unwrap_or(&PROBE);
    let excess = rng.range(kind.excess.0, kind.excess.1 + 1);
    let value = if kind.condition == "above" {
        kind.threshold + excess
    } else {
        kind.threshold - excess
    };
    let service = slug(service_name);
    json!({
        "check": check,
        "metric": kind.metric,
        "condition": kind.condition,
        "threshold": kind.threshold,
        "value": value,
        "unit": kind.unit,
        "host": host,
        "region": region(host),
        "environment": "production",
        "runbook_url": format!("https://runbooks.example.com/{service}/{}", kind.metric.replace('_', "-")),
        "dashboard_url": format!("https://grafana.example.com/d/{service}?var-host={host}"),
    })
}

/// The links of a payload (`body.contexts`): its dashboard and its runbook.
pub fn contexts(details: &Value) -> Vec<Value> {
    [("dashboard_url", "Dashboard"), ("runbook_url", "Runbook")]
        .iter()
        .filter_map(|(key, text)| {
            let href = details.get(*key)?.as_str()?;
            Some(json!({ "type": "link", "href": href, "text": text }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_follow_the_check_and_fire() {
        let d = generate(
            7,
            "Q1",
            "API Gateway",
            "p99 latency above 2s on /v1/orders",
            "edge-1.euw1",
        );
        assert_eq!(d["metric"], "http_request_duration_p99_ms");
        assert!(d["value"].as_i64().unwrap() > d["threshold"].as_i64().unwrap());
        assert_eq!(d["region"], "eu-west-1");
        assert_eq!(
            d["runbook_url"],
            "https://runbooks.example.com/api-gateway/http-request-duration-p99-ms"
        );
        let d = generate(
            7,
            "Q1",
            "API Gateway",
            "TLS certificate for api.example.com expires in 7 days",
            "edge-1.use1",
        );
        assert!(d["value"].as_i64().unwrap() < d["threshold"].as_i64().unwrap());
        let d = generate(
            7,
            "Q2",
            "Support Portal",
            "Chat widget not loading",
            "support-portal",
        );
        assert_eq!(d["metric"], "probe_failures");
        assert_eq!(contexts(&d).len(), 2);
        assert_eq!(
            generate(
                7,
                "Q2",
                "Support Portal",
                "Chat widget not loading",
                "support-portal"
            ),
            d,
            "the same alert always gets the same payload"
        );
    }
}
