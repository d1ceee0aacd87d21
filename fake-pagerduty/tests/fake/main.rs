//! Integration tests of the fake PagerDuty: its API behaviour and its answers
//! checked against PagerDuty's OpenAPI spec.

mod common;

mod api;
mod overrides;
mod spec_conformance;
