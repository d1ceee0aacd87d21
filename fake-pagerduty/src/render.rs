//! JSON rendering in PagerDuty's shapes: the context every resource renders
//! with, and the conventions they share. Each resource's own rendering (its
//! reference, its full object) is an `impl Render` block in its module.
//!
//! References look like `{"id","type":"<kind>_reference","summary","self","html_url"}`.
//! Where the spec allows a full object (e.g. `include[]=assignees` on incidents) the
//! full object with its own `type` is embedded; where the spec only allows a
//! reference (e.g. `include[]=teams` on users) the reference keeps its
//! `*_reference` type and gains the full object's fields (`enrich`). Values
//! PagerDuty sends as `null` are `null` where the spec documents that
//! (`resolved_at` of an open incident, `start`/`end` of a permanent on-call, a
//! layer's `end`, coverage without a window) and are left out where the spec
//! forbids `null` (`priority` of an incident without one, `schedule` of a direct
//! on-call).

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::dataset::Dataset;
use crate::query::Includes;
use crate::timefmt;
use crate::tz::Zone;

pub use crate::resources::incidents::incident_summary;

/// Host of the web UI links (`html_url`).
pub const WEB_BASE: &str = "https://demo.pagerduty.com";

/// Rendering context: the data, the API base URL for `self` links and the zone
/// timestamps are shown in.
pub struct Render<'a> {
    /// The account.
    pub data: &'a Dataset,
    /// The fake's base URL, e.g. `http://127.0.0.1:1234`.
    pub base: &'a str,
    /// Time zone requested with `time_zone` (UTC when `None`).
    pub zone: Option<Zone>,
    /// The server's current time (for pending actions).
    pub now: OffsetDateTime,
}

/// No `include[]`: how embedded objects are rendered (PagerDuty does not expand
/// includes recursively).
pub(crate) fn no_includes() -> Includes {
    Includes::default()
}

/// Keeps the reference's `type` and adds the full object's other fields.
pub(crate) fn enrich(reference: Value, full: Value) -> Value {
    match (reference, full) {
        (Value::Object(r), Value::Object(mut f)) => {
            if let Some(t) = r.get("type") {
                f.insert("type".into(), t.clone());
            }
            Value::Object(f)
        }
        (r, _) => r,
    }
}

impl<'a> Render<'a> {
    /// A new rendering context with UTC timestamps.
    pub fn new(data: &'a Dataset, base: &'a str, now: OffsetDateTime) -> Render<'a> {
        Render {
            data,
            base,
            zone: None,
            now,
        }
    }

    /// The same context rendering timestamps in `zone`.
    pub fn in_zone(mut self, zone: Option<Zone>) -> Render<'a> {
        self.zone = zone;
        self
    }

    /// A timestamp in the requested zone.
    pub fn time(&self, t: OffsetDateTime) -> String {
        timefmt::in_zone(t, self.zone.as_ref())
    }

    /// A `<kind>_reference` to `{api_path}/{id}` (API) and `{web_path}/{id}` (web UI).
    pub(crate) fn reference(
        &self,
        kind: &str,
        id: &str,
        summary: &str,
        api_path: &str,
        web_path: &str,
    ) -> Value {
        json!({
            "id": id,
            "type": format!("{kind}_reference"),
            "summary": summary,
            "self": format!("{}/{api_path}/{id}", self.base),
            "html_url": format!("{WEB_BASE}/{web_path}/{id}"),
        })
    }
}
