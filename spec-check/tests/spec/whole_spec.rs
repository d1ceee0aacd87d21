//! Every schema of every operation in the spec converts and compiles, and
//! every path template resolves back to its own operation.

use crate::common;

use serde_json::{Value, json};

#[test]
fn every_operation_resolves_and_every_schema_compiles() {
    let spec = common::spec();
    let raw = common::raw_spec();
    let mut operations = 0;
    let mut schemas = 0;
    let mut problems = Vec::new();
    for (template, item) in raw["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(op_id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            operations += 1;
            let path = common::concrete(template);
            // `/{entity_type}/…` templates only match when no literal
            // template is more specific; skip their identity check.
            if !template.starts_with("/{") {
                let found = spec.operation_id(method, &path);
                if found.as_deref() != Some(op_id) {
                    problems.push(format!("{method} {path}: expected {op_id}, got {found:?}"));
                }
            }
            let Some(found) = spec.operation_id(method, &path) else {
                continue;
            };
            if found != op_id {
                continue;
            }
            // A value that no schema accepts in full is fine here: we only
            // look for compilation failures.
            let probe = json!({"__probe__": true});
            for status in op["responses"].as_object().unwrap().keys() {
                let Ok(code) = status.parse::<u16>() else {
                    continue;
                };
                schemas += 1;
                if let Err(errors) = spec.check_response(method, &path, code, &probe) {
                    problems.extend(errors.into_iter().filter(|e| e.contains("cannot compile")));
                }
            }
            if op.get("requestBody").is_some() {
                schemas += 1;
                if let Err(errors) = spec.check_request_body(method, &path, &probe) {
                    problems.extend(errors.into_iter().filter(|e| e.contains("cannot compile")));
                }
            }
        }
    }
    eprintln!("{operations} operations, {schemas} response/request schemas compiled");
    assert_eq!(operations, 465);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
