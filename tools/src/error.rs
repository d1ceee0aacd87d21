//! Tool errors: the stable codes of `docs/conventions.md` and the error envelope they become.

use std::fmt;

/// The machine-readable error codes a tool can return. Their spelling is a contract
/// (`docs/conventions.md`): clients branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A malformed ID argument; carries the resource's code word, e.g. `"INCIDENT"`.
    InvalidId(&'static str),
    /// A required argument is absent, null or blank.
    MissingParameter,
    /// Wrong type, unknown argument, value outside an enum, bad timestamp, bad range.
    InvalidParameter,
    /// Arguments that cannot be combined.
    ConflictingParameters,
    /// `current_user_context=true` but there is no user (or nothing to filter by).
    UserContextUnavailable,
    /// PagerDuty answered 401.
    Unauthorized,
    /// PagerDuty answered 403.
    Forbidden,
    /// PagerDuty answered 404.
    NotFound,
    /// PagerDuty kept answering 429.
    RateLimited,
    /// Any other non-2xx answer, or a body that could not be parsed.
    UpstreamError,
    /// No answer: refused, timed out, or denied by the sandbox.
    NetworkError,
    /// Not even one item fits in the output cap.
    ResponseTooLarge,
    /// The tool failed inside the sandbox (a crash, or the sandbox's memory cap): a
    /// host-side fault, not something the arguments can fix. Set by hosts, never by a
    /// tool; documented in `docs/conventions.md`.
    InternalError,
}

impl ErrorCode {
    /// The code as it appears in the envelope's `error.code`.
    pub fn as_string(&self) -> String {
        match self {
            ErrorCode::InvalidId(resource) => format!("INVALID_{resource}_ID"),
            ErrorCode::MissingParameter => "MISSING_PARAMETER".into(),
            ErrorCode::InvalidParameter => "INVALID_PARAMETER".into(),
            ErrorCode::ConflictingParameters => "CONFLICTING_PARAMETERS".into(),
            ErrorCode::UserContextUnavailable => "USER_CONTEXT_UNAVAILABLE".into(),
            ErrorCode::Unauthorized => "UNAUTHORIZED".into(),
            ErrorCode::Forbidden => "FORBIDDEN".into(),
            ErrorCode::NotFound => "NOT_FOUND".into(),
            ErrorCode::RateLimited => "RATE_LIMITED".into(),
            ErrorCode::UpstreamError => "UPSTREAM_ERROR".into(),
            ErrorCode::NetworkError => "NETWORK_ERROR".into(),
            ErrorCode::ResponseTooLarge => "RESPONSE_TOO_LARGE".into(),
            ErrorCode::InternalError => "INTERNAL_ERROR".into(),
        }
    }
}

/// A tool-level failure: reported to the model as an `isError` result so it can
/// correct its call, never as a protocol error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError {
    /// The stable code.
    pub code: ErrorCode,
    /// A sentence for the model: what was wrong and, where possible, what to do.
    pub message: String,
    /// The HTTP status PagerDuty answered with, when the error came from PagerDuty.
    pub upstream_status: Option<u16>,
}

impl ToolError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ToolError {
            code,
            message: message.into(),
            upstream_status: None,
        }
    }

    /// `INVALID_PARAMETER` with `message`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameter, message)
    }

    /// `MISSING_PARAMETER` for the argument `name`.
    pub fn missing(name: &str) -> Self {
        Self::new(
            ErrorCode::MissingParameter,
            format!("Missing required parameter '{name}'"),
        )
    }

    /// `CONFLICTING_PARAMETERS` with `message`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ConflictingParameters, message)
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_string(), self.message)
    }
}

impl std::error::Error for ToolError {}

/// What ends a text that was cut, so a reader knows there was more.
pub const CUT_MARKER: &str = "… [cut]";

/// `text` cut to its first `max_bytes` bytes (at a character boundary) followed by
/// [`CUT_MARKER`]; unchanged when it fits.
pub fn cut_text(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    format!(
        "{}{CUT_MARKER}",
        &text[..text.floor_char_boundary(max_bytes)]
    )
}

/// The result type of everything a tool does.
pub type ToolResult<T> = Result<T, ToolError>;
