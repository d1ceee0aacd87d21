//! Integration tests of the spec checker against PagerDuty's OpenAPI spec.

mod common;

mod catalog;
mod examples;
mod fetch_script;
mod requests;
mod responses;
mod whole_spec;
