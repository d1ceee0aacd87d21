//! `--demo`'s in-process fake PagerDuty keeps no request log, so a served demo does
//! not grow with every call.

use pagerduty_mcp_host::demo::Demo;
use pagerduty_mcp_host::{Sandbox, SandboxConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fake_keeps_no_request_log() {
    let demo = Demo::start().expect("the demo fake starts");
    assert_eq!(demo.fake().state().request_log_capacity(), 0);
    let sandbox = Sandbox::new(SandboxConfig {
        api_base: demo.base_url().to_owned(),
        token: Some(demo.token().to_owned()),
        ..SandboxConfig::default()
    })
    .expect("the sandbox starts");
    for _ in 0..25 {
        let outcome = sandbox
            .call_tool("list_incidents", r#"{"limit": 100}"#)
            .await
            .unwrap()
            .unwrap();
        assert!(!outcome.is_error, "{}", outcome.structured_content);
        assert_eq!(demo.fake().requests().len(), 0, "nothing is kept per call");
    }
}
