//! Sandbox behaviour with a hand-written test component (WAT): isolation,
//! traps, the memory limit and the deadline all become tool errors, and the
//! sandbox keeps serving afterwards.

use std::time::{Duration, Instant};

use pagerduty_mcp_host::{CallError, Sandbox, SandboxConfig};
use serde_json::Value;

/// A component of the `server` world with one tool, `echo`. `call-tool`
/// dispatches on the first letter of the tool name:
/// `e` success, `l` endless loop, `t` trap, `g` grows memory forever,
/// `b` returns text that is not JSON, `i` invalid-arguments, `c` counts calls
/// in a global (to show per-call isolation), `d` grows each of its two
/// memories by 2.5 MiB, anything else unknown-tool.
pub(crate) const TEST_COMPONENT: &str = r#"
(component
  (core module $m
    (memory (export "memory") 1)
    (memory $second 1)
    (global $heap (mut i32) (i32.const 4096))
    (global $count (mut i32) (i32.const 0))
    (data (i32.const 1024) "echo")
    (data (i32.const 1032) "Echo")
    (data (i32.const 1040) "Test tool")
    (data (i32.const 1056) "{\"type\":\"object\"}")
    (data (i32.const 1076) "test")
    (data (i32.const 1100) "{\"metadata\":{\"count\":0,\"description\":\"ok\"},\"items\":[]}")
    (data (i32.const 1200) "not json")
    (data (i32.const 1220) "arguments must be an object")
    ;; "{\"metadata\":{\"count\":N}}" with N a digit at offset 1300+21
    (data (i32.const 1300) "{\"metadata\":{\"count\":0}}")

    (func (export "realloc") (param $old i32) (param $old_len i32) (param $align i32) (param $len i32) (result i32)
      (local $ret i32)
      (local.set $ret
        (i32.and
          (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
          (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
      (global.set $heap (i32.add (local.get $ret) (local.get $len)))
      (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
        (then
          (drop (memory.grow
            (i32.add
              (i32.div_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65536))
              (i32.const 1))))))
      (local.get $ret))

    ;; result<list<tool>, string>: ok, a list of one tool record at 64
    (func (export "list-tools") (result i32)
      (i32.store8 (i32.const 0) (i32.const 0))
      (i32.store (i32.const 4) (i32.const 64))
      (i32.store (i32.const 8) (i32.const 1))
      (i32.store (i32.const 64) (i32.const 1024))
      (i32.store (i32.const 68) (i32.const 4))
      (i32.store (i32.const 72) (i32.const 1032))
      (i32.store (i32.const 76) (i32.const 4))
      (i32.store (i32.const 80) (i32.const 1040))
      (i32.store (i32.const 84) (i32.const 9))
      (i32.store (i32.const 88) (i32.const 1076))
      (i32.store (i32.const 92) (i32.const 4))
      (i32.store (i32.const 96) (i32.const 1056))
      (i32.store (i32.const 100) (i32.const 17))
      (i32.store (i32.const 104) (i32.const 1056))
      (i32.store (i32.const 108) (i32.const 17))
      (i32.store8 (i32.const 112) (i32.const 1))
      (i32.store8 (i32.const 113) (i32.const 0))
      (i32.store8 (i32.const 114) (i32.const 1))
      (i32.store8 (i32.const 115) (i32.const 1))
      (i32.const 0))

    ;; result<list<toolset>, string>: ok, an empty list
    (func (export "list-toolsets") (result i32)
      (i32.store8 (i32.const 200) (i32.const 0))
      (i32.store (i32.const 204) (i32.const 0))
      (i32.store (i32.const 208) (i32.const 0))
      (i32.const 200))

    (func $ok (param $ptr i32) (param $len i32) (param $is_error i32) (result i32)
      (i32.store8 (i32.const 512) (i32.const 0))
      (i32.store (i32.const 516) (local.get $ptr))
      (i32.store (i32.const 520) (local.get $len))
      (i32.store8 (i32.const 524) (local.get $is_error))
      (i32.const 512))

    (func $err (param $case i32) (param $ptr i32) (param $len i32) (result i32)
      (i32.store8 (i32.const 512) (i32.const 1))
      (i32.store8 (i32.const 516) (local.get $case))
      (i32.store (i32.const 520) (local.get $ptr))
      (i32.store (i32.const 524) (local.get $len))
      (i32.const 512))

    (func (export "call-tool") (param $np i32) (param $nl i32) (param $ap i32) (param $al i32) (result i32)
      (local $c i32)
      (local.set $c (i32.load8_u (local.get $np)))
      (if (i32.eq (local.get $c) (i32.const 101)) ;; e
        (then (return (call $ok (i32.const 1100) (i32.const 54) (i32.const 0)))))
      (if (i32.eq (local.get $c) (i32.const 108)) ;; l
        (then (loop $forever (br $forever))))
      (if (i32.eq (local.get $c) (i32.const 116)) ;; t
        (then unreachable))
      (if (i32.eq (local.get $c) (i32.const 103)) ;; g
        (then
          (loop $grow
            (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
          unreachable))
      (if (i32.eq (local.get $c) (i32.const 100)) ;; d
        (then
          (if (i32.eq (memory.grow (i32.const 40)) (i32.const -1)) (then unreachable))
          (if (i32.eq (memory.grow $second (i32.const 40)) (i32.const -1)) (then unreachable))
          (return (call $ok (i32.const 1100) (i32.const 54) (i32.const 0)))))
      (if (i32.eq (local.get $c) (i32.const 98)) ;; b
        (then (return (call $ok (i32.const 1200) (i32.const 8) (i32.const 0)))))
      (if (i32.eq (local.get $c) (i32.const 105)) ;; i
        (then (return (call $err (i32.const 1) (i32.const 1220) (i32.const 27)))))
      (if (i32.eq (local.get $c) (i32.const 99)) ;; c
        (then
          (global.set $count (i32.add (global.get $count) (i32.const 1)))
          (i32.store8 (i32.const 1321) (i32.add (i32.const 48) (global.get $count)))
          (return (call $ok (i32.const 1300) (i32.const 24) (i32.const 0)))))
      (call $err (i32.const 0) (local.get $np) (local.get $nl)))
  )
  (core instance $i (instantiate $m))

  (type $annotations' (record (field "read-only" bool) (field "destructive" bool) (field "idempotent" bool) (field "open-world" bool)))
  (export $annotations "annotations" (type $annotations'))
  (type $tool' (record
    (field "name" string) (field "title" string) (field "description" string) (field "toolset" string)
    (field "input-schema" string) (field "output-schema" string) (field "annotations" $annotations)))
  (export $tool "tool" (type $tool'))
  (type $catalog-tool' (record (field "name" string) (field "title" string) (field "write" bool) (field "offered" bool)))
  (export $catalog-tool "catalog-tool" (type $catalog-tool'))
  (type $toolset' (record
    (field "name" string) (field "description" string) (field "on-by-default" bool) (field "selected" bool)
    (field "tools" (list $catalog-tool))))
  (export $toolset "toolset" (type $toolset'))
  (type $call-result' (record (field "structured-content" string) (field "is-error" bool)))
  (export $call-result "call-result" (type $call-result'))
  (type $call-error' (variant (case "unknown-tool" string) (case "invalid-arguments" string) (case "invalid-configuration" string)))
  (export $call-error "call-error" (type $call-error'))

  (func $list-tools (result (result (list $tool) (error string)))
    (canon lift (core func $i "list-tools") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func $list-toolsets (result (result (list $toolset) (error string)))
    (canon lift (core func $i "list-toolsets") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func $call-tool (param "name" string) (param "arguments" string) (result (result $call-result (error $call-error)))
    (canon lift (core func $i "call-tool") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))

  (instance $tools
    (export "annotations" (type $annotations))
    (export "tool" (type $tool))
    (export "catalog-tool" (type $catalog-tool))
    (export "toolset" (type $toolset))
    (export "call-result" (type $call-result))
    (export "call-error" (type $call-error))
    (export "list-tools" (func $list-tools))
    (export "list-toolsets" (func $list-toolsets))
    (export "call-tool" (func $call-tool)))
  (export "pagerduty:mcp/tools@0.2.0" (instance $tools))
)
"#;

fn config() -> SandboxConfig {
    SandboxConfig {
        api_base: "http://127.0.0.1:9".into(),
        token: Some("test-token".into()),
        call_deadline: Duration::from_millis(500),
        memory_limit_bytes: 4 << 20,
        ..SandboxConfig::default()
    }
}

fn sandbox() -> Sandbox {
    Sandbox::with_component(config(), TEST_COMPONENT.as_bytes()).expect("test component loads")
}

/// The sandbox answers the next call normally, whatever the last one did.
async fn assert_still_serves(sandbox: &Sandbox) {
    let outcome = sandbox.call_tool("echo", "{}").await.unwrap().unwrap();
    assert!(!outcome.is_error, "{}", outcome.structured_content);
}

fn error_of(json: &str) -> (String, String) {
    let v: Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["metadata"]["count"], 0);
    assert_eq!(
        v["metadata"]["description"],
        "Error occurred while processing request"
    );
    (
        test_support::error_code(&v).to_owned(),
        v["error"]["message"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn lists_and_calls() {
    let sandbox = sandbox();
    let tools = sandbox.list_tools().await.unwrap();
    assert_eq!(tools.len(), 1);
    let tool = &tools[0];
    assert_eq!(
        (
            tool.name.as_str(),
            tool.title.as_str(),
            tool.description.as_str()
        ),
        ("echo", "Echo", "Test tool")
    );
    assert_eq!(tool.input_schema, r#"{"type":"object"}"#);
    assert!(tool.annotations.read_only && !tool.annotations.destructive);
    assert!(tool.annotations.idempotent && tool.annotations.open_world);

    let outcome = sandbox.call_tool("echo", "{}").await.unwrap().unwrap();
    assert!(!outcome.is_error);
    let v: Value = serde_json::from_str(&outcome.structured_content).unwrap();
    assert_eq!(v["metadata"]["description"], "ok");
}

#[tokio::test]
async fn call_errors_pass_through() {
    let sandbox = sandbox();
    match sandbox.call_tool("nope", "{}").await.unwrap() {
        Err(CallError::UnknownTool(name)) => assert_eq!(name, "nope"),
        other => panic!("{other:?}"),
    }
    match sandbox.call_tool("invalid", "[]").await.unwrap() {
        Err(CallError::InvalidArguments(why)) => assert_eq!(why, "arguments must be an object"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn every_call_gets_a_fresh_instance() {
    let sandbox = sandbox();
    for _ in 0..3 {
        let outcome = sandbox.call_tool("count", "{}").await.unwrap().unwrap();
        assert_eq!(outcome.structured_content, r#"{"metadata":{"count":1}}"#);
    }
}

#[tokio::test]
async fn trap_becomes_internal_error_and_the_sandbox_keeps_serving() {
    let sandbox = sandbox();
    let outcome = sandbox.call_tool("trap", "{}").await.unwrap().unwrap();
    assert!(outcome.is_error);
    let (code, message) = error_of(&outcome.structured_content);
    assert_eq!(code, "INTERNAL_ERROR");
    assert!(message.contains("crashed"), "{message}");
    assert_still_serves(&sandbox).await;
}

#[tokio::test]
async fn endless_loop_hits_the_deadline() {
    let sandbox = sandbox();
    let started = Instant::now();
    let outcome = sandbox.call_tool("loop", "{}").await.unwrap().unwrap();
    let took = started.elapsed();
    assert!(outcome.is_error);
    let (code, message) = error_of(&outcome.structured_content);
    assert_eq!(code, "NETWORK_ERROR");
    assert_eq!(message, "the tool call exceeded its deadline of 500ms");
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert_still_serves(&sandbox).await;
}

#[tokio::test(flavor = "current_thread")]
async fn endless_loop_does_not_starve_a_single_threaded_runtime() {
    let sandbox = sandbox();
    let ticker = tokio::spawn(async {
        let mut ticks = 0;
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            ticks += 1;
        }
        ticks
    });
    let outcome = sandbox.call_tool("loop", "{}").await.unwrap().unwrap();
    assert!(outcome.is_error);
    assert_eq!(ticker.await.unwrap(), 10);
}

#[tokio::test]
async fn memory_limit_becomes_internal_error() {
    let sandbox = sandbox();
    let outcome = sandbox.call_tool("grow", "{}").await.unwrap().unwrap();
    assert!(outcome.is_error);
    let (code, message) = error_of(&outcome.structured_content);
    assert_eq!(code, "INTERNAL_ERROR");
    assert_eq!(
        message,
        "the tool call exceeded the sandbox memory limit of 4 MiB"
    );
    assert_still_serves(&sandbox).await;
}

/// The cap is the instance's, all its memories together: two memories of 2.5 MiB
/// each exceed a cap of 4 MiB although each alone is below it.
#[tokio::test]
async fn memory_limit_counts_every_memory_of_the_instance() {
    let sandbox = sandbox();
    let outcome = sandbox.call_tool("double", "{}").await.unwrap().unwrap();
    assert!(outcome.is_error, "{}", outcome.structured_content);
    let (code, message) = error_of(&outcome.structured_content);
    assert_eq!(code, "INTERNAL_ERROR");
    assert_eq!(
        message,
        "the tool call exceeded the sandbox memory limit of 4 MiB"
    );
    let roomy = Sandbox::with_component(
        SandboxConfig {
            memory_limit_bytes: 6 << 20,
            ..config()
        },
        TEST_COMPONENT.as_bytes(),
    )
    .unwrap();
    let outcome = roomy.call_tool("double", "{}").await.unwrap().unwrap();
    assert!(!outcome.is_error, "{}", outcome.structured_content);
}

#[tokio::test]
async fn concurrent_calls() {
    let sandbox = sandbox();
    let calls = (0..16).map(|i| {
        let sandbox = sandbox.clone();
        tokio::spawn(async move {
            let name = if i % 4 == 0 { "trap" } else { "echo" };
            sandbox
                .call_tool(name, "{}")
                .await
                .unwrap()
                .unwrap()
                .is_error
        })
    });
    let mut errors = 0;
    for call in calls {
        errors += usize::from(call.await.unwrap());
    }
    assert_eq!(errors, 4);
}

#[test]
fn invalid_configuration_is_rejected() {
    for api_base in ["ftp://x", "https://api.pagerduty.com/v2", "not a url"] {
        let config = SandboxConfig {
            api_base: api_base.into(),
            ..config()
        };
        assert!(
            Sandbox::with_component(config, TEST_COMPONENT.as_bytes()).is_err(),
            "{api_base}"
        );
    }
    let err = Sandbox::with_component(config(), b"(component)").unwrap_err();
    assert!(
        format!("{err:#}").contains("pagerduty:mcp/tools"),
        "{err:#}"
    );
}

/// Prints the per-call overhead of the sandbox (fresh store + instance + a
/// trivial call). Run with `cargo test --release -p pagerduty-mcp-host --test
/// sandbox_limits -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "timing; run explicitly in release mode"]
async fn per_call_overhead() {
    for (label, sandbox) in [
        ("test component", sandbox()),
        (
            "embedded component",
            Sandbox::new(config()).expect("embedded component loads"),
        ),
    ] {
        let tools = sandbox.list_tools().await.unwrap();
        // `echo` for the test component; for the embedded one an unknown tool
        // name, answered without any HTTP.
        let name = if tools.iter().any(|t| t.name == "echo") {
            "echo"
        } else {
            "no_such_tool"
        };
        for _ in 0..50 {
            let _ = sandbox.call_tool(name, "{}").await.unwrap();
        }
        let n = 2000;
        let started = Instant::now();
        for _ in 0..n {
            let _ = sandbox.call_tool(name, "{}").await.unwrap();
        }
        let per_call = started.elapsed() / n;
        println!("{label}: {per_call:?} per call ({name})");
    }
}
