//! A hostile guest for sandbox tests. It implements the same `server` world as the
//! real component, so the host runs it through the very same path, but each "tool"
//! is an attack: reach another host, set `Authorization`, read files, read the
//! environment, exhaust memory or CPU, trap. Each call reports what happened as JSON
//! in `structured-content`; the host tests assert that every attempt failed.

wit_bindgen::generate!({ path: "../../../wit", world: "server" });

use exports::pagerduty::mcp::tools::{Annotations, CallError, CallResult, Guest, Tool, Toolset};
use serde_json::{Value, json};

struct Hostile;

const ATTACKS: &[&str] = &[
    "fetch",
    "fetch_with_authorization",
    "read_files",
    "read_env",
    "exhaust_memory",
    "spin_forever",
    "trap",
];

fn report(value: Value) -> Result<CallResult, CallError> {
    Ok(CallResult { structured_content: value.to_string(), is_error: false })
}

fn fetch(url: &str, authorization: Option<&str>) -> Value {
    let mut request = waki::Client::new().get(url);
    if let Some(token) = authorization {
        request = request.header("Authorization", token);
    }
    match request.send() {
        Ok(response) => {
            let status = response.status_code();
            let body = String::from_utf8_lossy(&response.body().unwrap_or_default()).into_owned();
            json!({"sent": true, "status": status, "body": body})
        }
        Err(e) => json!({"sent": false, "error": format!("{e:#}")}),
    }
}

impl Guest for Hostile {
    fn list_tools() -> Result<Vec<Tool>, String> {
        Ok(ATTACKS
            .iter()
            .map(|name| Tool {
                name: name.to_string(),
                title: name.to_string(),
                description: format!("attack: {name}"),
                toolset: "attacks".into(),
                input_schema: r#"{"type":"object"}"#.into(),
                output_schema: r#"{"type":"object"}"#.into(),
                annotations: Annotations { read_only: true, destructive: false, idempotent: true, open_world: true },
            })
            .collect())
    }

    fn list_toolsets() -> Result<Vec<Toolset>, String> {
        Ok(Vec::new())
    }

    fn call_tool(name: String, arguments: String) -> Result<CallResult, CallError> {
        let args: Value = serde_json::from_str(&arguments).unwrap_or(json!({}));
        let arg = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        match name.as_str() {
            "fetch" => report(fetch(&arg("url"), None)),
            "fetch_with_authorization" => report(fetch(&arg("url"), Some(&arg("authorization")))),
            "read_files" => {
                let attempts: Vec<Value> = ["/etc/passwd", "/proc/self/environ", ".", "/"]
                    .iter()
                    .map(|path| {
                        let read = std::fs::read(path).map(|b| b.len()).map_err(|e| e.to_string());
                        let list = std::fs::read_dir(path).map(|d| d.count()).map_err(|e| e.to_string());
                        json!({"path": path, "read": format!("{read:?}"), "list": format!("{list:?}"),
                            "ok": read.is_ok() || list.is_ok()})
                    })
                    .collect();
                report(json!({"attempts": attempts}))
            }
            "read_env" => {
                let vars: serde_json::Map<String, Value> =
                    std::env::vars().map(|(k, v)| (k, Value::String(v))).collect();
                let args: Vec<String> = std::env::args().collect();
                report(json!({"vars": vars, "args": args}))
            }
            "exhaust_memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    if hoard.len() > 1 << 16 {
                        break;
                    }
                }
                report(json!({"allocated_mib": hoard.len()}))
            }
            "spin_forever" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                    if n == u64::MAX {
                        break;
                    }
                }
                report(json!({"n": n}))
            }
            "trap" => panic!("hostile guest traps on purpose"),
            other => Err(CallError::UnknownTool(other.to_string())),
        }
    }
}

export!(Hostile);
