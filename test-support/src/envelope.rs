//! The tool result envelope, as tests read it.

use serde_json::Value;

/// The error code of a tool result envelope (`error.code`, e.g. `"NOT_FOUND"`), or
/// `""` when the envelope carries none, so that comparing it with an expected code
/// fails with both values shown rather than panicking on the missing field.
pub fn error_code(envelope: &Value) -> &str {
    envelope["error"]["code"].as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_code_of_an_error_and_nothing_from_a_result() {
        assert_eq!(
            error_code(&json!({"error": {"code": "NOT_FOUND", "message": "x"}})),
            "NOT_FOUND"
        );
        assert_eq!(error_code(&json!({"users": [], "metadata": {}})), "");
        assert_eq!(error_code(&json!({"error": {"code": 2001}})), "");
    }
}
