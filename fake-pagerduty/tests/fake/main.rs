//! Integration tests of the fake PagerDuty: its API behaviour and its answers
//! checked against PagerDuty's OpenAPI spec.

mod common;

mod api;
mod incident_context;
mod incident_response;
mod log_entries;
mod overrides;
mod services_people;
mod spec_conformance;
