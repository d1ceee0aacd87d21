//! Every tool of the catalog, called with its documented example through the real
//! component in the sandbox against the fake PagerDuty at the docs' clock (where the
//! examples are valid, some having fixed dates): each succeeds, each request
//! it sends is a valid operation of PagerDuty's OpenAPI spec and each answer
//! validates (the [`Harness`] checks both when dropped), and each write tool sends
//! its write exactly once, with the `From` header.

use fake_pagerduty::Options;
use host_tests::{Harness, header};
use pagerduty_mcp_host::docs::DOCS_NOW;
use pagerduty_mcp_host::sandbox::ToolSelection;
use pagerduty_tools::catalog;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn every_tool_answers_its_example_with_spec_valid_requests() {
    let now = time::OffsetDateTime::parse(DOCS_NOW, &time::format_description::well_known::Rfc3339)
        .expect("the docs' clock is a timestamp");
    let mut called = 0;
    for tool in catalog::all_tools() {
        // A fresh fake per tool: an example write must not change what the next
        // example finds.
        let options = Options {
            now: Some(now),
            ..Options::default()
        };
        let h = Harness::with_fake(options, |c| c.selection = ToolSelection::everything());
        let arguments: Value = serde_json::from_str(tool.example).expect("the example is JSON");
        let answer = h.ok(tool.name, arguments).await;
        assert!(
            answer.envelope[tool.resource].is_array(),
            "{}: no '{}' list in {}",
            tool.name,
            tool.resource,
            answer.envelope
        );
        let requests = h.take_requests();
        let writes: Vec<_> = requests.iter().filter(|r| r.method != "GET").collect();
        if tool.is_write() {
            assert_eq!(
                writes.len(),
                1,
                "{}: one write, sent once: {:?}",
                tool.name,
                requests
                    .iter()
                    .map(|r| (&r.method, &r.path))
                    .collect::<Vec<_>>()
            );
            assert_eq!(
                header(writes[0], "from"),
                Some(fake_pagerduty::CURRENT_USER_EMAIL),
                "{}: the write names its user",
                tool.name
            );
        } else {
            assert!(writes.is_empty(), "{}: a read tool wrote", tool.name);
        }
        called += 1;
    }
    assert!(called >= 52, "the whole catalog was called: {called}");
}
