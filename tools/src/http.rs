//! The HTTP seam: what the PagerDuty client needs from a transport.
//!
//! In the component the transport is wasi:http (via `waki`); in native unit tests it is
//! a scripted fake. Keeping the seam this small is what lets the client logic compile
//! and run natively.

/// The HTTP methods the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// Status changes (`PUT /incidents/{id}`).
    Put,
    /// Creation (`POST /incidents/{id}/notes`).
    Post,
    /// Removal (`DELETE /schedules/{id}/overrides/{override_id}`).
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// An outgoing request with an absolute URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL, query included.
    pub url: String,
    /// Header names and values, in order. Names are fixed by the client.
    pub headers: Vec<(&'static str, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

/// A response, its body read whole (up to the transport's cap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of the header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why no response arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No answer: refused or reset; worth retrying. Carries the cause.
    Network(String),
    /// No answer within the request timeout; worth one more try at most (a PagerDuty
    /// that did not answer in time is unlikely to answer the third time, and each try
    /// costs a whole timeout). Carries the cause.
    Timeout(String),
    /// The sandbox refused the destination; retrying cannot help. Carries the cause.
    Denied(String),
    /// The body exceeded the transport's cap and was not read whole.
    BodyTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
}

/// Sends requests. One call = one HTTP exchange; retries are the client's business.
pub trait Transport {
    /// Sends `request` and reads the response body.
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Waits between retries. Part of the seam so tests can observe waits without
    /// spending them.
    fn sleep(&self, duration: std::time::Duration) {
        std::thread::sleep(duration);
    }
}

/// The largest response body the component reads (16 MiB).
pub const MAX_RESPONSE_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The wasi:http transport used inside the component.
#[cfg(target_arch = "wasm32")]
pub struct WasiHttp;

#[cfg(target_arch = "wasm32")]
impl Transport for WasiHttp {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let client = waki::Client::new();
        let builder = match request.method {
            Method::Get => client.get(&request.url),
            Method::Put => client.put(&request.url),
            Method::Post => client.post(&request.url),
            Method::Delete => client.delete(&request.url),
        };
        let mut builder = builder.headers(request.headers.iter().map(|(k, v)| (*k, v.as_str())));
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = builder.send().map_err(|e| {
            let cause = format!("{e:#}");
            if cause.contains("HttpRequestDenied") {
                TransportError::Denied(format!("the sandbox denied the destination ({cause})"))
            } else if cause.contains("Timeout") {
                // wasi:http's ConnectionTimeout, ConnectionReadTimeout, HttpResponseTimeout.
                TransportError::Timeout(cause)
            } else {
                TransportError::Network(cause)
            }
        })?;
        let status = response.status_code();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk(64 * 1024).map_err(|e| {
            TransportError::Network(format!("reading the response body failed: {e:#}"))
        })? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_RESPONSE_BODY_BYTES {
                return Err(TransportError::BodyTooLarge {
                    limit: MAX_RESPONSE_BODY_BYTES,
                });
            }
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}
