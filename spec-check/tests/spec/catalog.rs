//! Every PagerDuty operation a catalog entry declares is an operation of the spec,
//! under the spec's own path template (so `{id}` is the spec's parameter name too).
//! The tools' unit tests check the other half: every request a tool sends is one of
//! its declared operations.

use crate::common::raw_spec;
use pagerduty_tools::catalog;

#[test]
fn every_declared_operation_is_in_the_spec() {
    let paths = &raw_spec()["paths"];
    let mut checked = 0;
    for tool in catalog::all_tools() {
        for op in tool.operations {
            let method = op.method.as_str().to_ascii_lowercase();
            assert!(
                paths[op.path][&method].is_object(),
                "{}: {} {} is not an operation of PagerDuty's OpenAPI document",
                tool.name,
                op.method.as_str(),
                op.path
            );
            checked += 1;
        }
    }
    assert!(checked >= catalog::all_tools().count(), "{checked}");
}
