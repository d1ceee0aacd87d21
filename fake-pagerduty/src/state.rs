//! Shared server state: the data, the request log, the injected fault and the clock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use time::OffsetDateTime;

use crate::dataset::Dataset;
use crate::render::Render;
use crate::{DEFAULT_REQUEST_LOG_CAPACITY, Fault, RecordedRequest};

/// State shared by all handlers.
#[derive(Debug)]
pub struct AppState {
    data: RwLock<Arc<Dataset>>,
    /// The last `request_log_capacity` requests, oldest first.
    requests: Mutex<VecDeque<RecordedRequest>>,
    request_log_capacity: usize,
    anonymous_is_current_user: bool,
    fault: Mutex<Option<Fault>>,
    base_url: String,
    start: OffsetDateTime,
    started: Instant,
}

/// What to do with the next request because of an injected fault.
#[derive(Debug, Clone)]
pub enum FaultAction {
    /// Answer with this status, body and headers instead of handling the request.
    Respond {
        /// HTTP status.
        status: u16,
        /// Response body.
        body: String,
        /// Extra response headers.
        headers: Vec<(String, String)>,
    },
    /// Wait, then handle the request normally.
    Delay(u64),
}

impl AppState {
    /// State around `data`, serving at `base_url`; the clock starts at `data.now`.
    /// The request log keeps the last [`DEFAULT_REQUEST_LOG_CAPACITY`] requests
    /// (see [`AppState::with_request_log_capacity`]).
    pub fn new(data: Dataset, base_url: String) -> AppState {
        let start = data.now;
        AppState {
            data: RwLock::new(Arc::new(data)),
            requests: Mutex::new(VecDeque::new()),
            request_log_capacity: DEFAULT_REQUEST_LOG_CAPACITY,
            anonymous_is_current_user: false,
            fault: Mutex::new(None),
            base_url,
            start,
            started: Instant::now(),
        }
    }

    /// The same state keeping only the last `capacity` requests in its log
    /// (0: no log at all), so a long-running fake's memory does not grow with
    /// every request.
    pub fn with_request_log_capacity(mut self, capacity: usize) -> AppState {
        self.request_log_capacity = capacity;
        self
    }

    /// The same state answering requests without `Authorization` as the current
    /// user ([`crate::Options::anonymous_is_current_user`]).
    pub fn with_anonymous_is_current_user(mut self, anonymous: bool) -> AppState {
        self.anonymous_is_current_user = anonymous;
        self
    }

    /// Whether requests without `Authorization` act as the current user.
    pub fn anonymous_is_current_user(&self) -> bool {
        self.anonymous_is_current_user
    }

    /// How many requests the log keeps at most.
    pub fn request_log_capacity(&self) -> usize {
        self.request_log_capacity
    }

    /// The base URL used in `self` links.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The fake's current time: `Options::now` plus the time elapsed since start.
    pub fn now(&self) -> OffsetDateTime {
        let elapsed = self.started.elapsed();
        self.start + time::Duration::seconds(elapsed.as_secs() as i64)
    }

    /// A consistent snapshot of the data.
    pub fn snapshot(&self) -> Arc<Dataset> {
        self.data.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the data (copy-on-write: earlier snapshots are unaffected).
    pub fn update<R>(&self, f: impl FnOnce(&mut Dataset) -> R) -> R {
        let mut guard = self.data.write().unwrap_or_else(|e| e.into_inner());
        f(Arc::make_mut(&mut guard))
    }

    /// A renderer over `data` with this server's base URL and clock.
    pub fn render<'a>(&'a self, data: &'a Dataset) -> Render<'a> {
        Render::new(data, &self.base_url, self.now())
    }

    /// Appends a request to the log, dropping the oldest once the log holds
    /// [`request_log_capacity`](AppState::request_log_capacity) requests.
    pub fn record(&self, request: RecordedRequest) {
        if self.request_log_capacity == 0 {
            return;
        }
        let mut log = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        while log.len() >= self.request_log_capacity {
            log.pop_front();
        }
        log.push_back(request);
    }

    /// The request log: the last requests received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Installs (or removes) a fault.
    pub fn set_fault(&self, fault: Option<Fault>) {
        *self.fault.lock().unwrap_or_else(|e| e.into_inner()) = fault;
    }

    /// Consumes one use of the current fault, if any.
    pub fn take_fault(&self) -> Option<FaultAction> {
        let mut guard = self.fault.lock().unwrap_or_else(|e| e.into_inner());
        let (action, exhausted) = match guard.as_mut()? {
            Fault::Status {
                status,
                body,
                headers,
                times,
            } => {
                if *times == 0 {
                    (None, true)
                } else {
                    *times -= 1;
                    let action = FaultAction::Respond {
                        status: *status,
                        body: body.clone(),
                        headers: headers.clone(),
                    };
                    (Some(action), *times == 0)
                }
            }
            Fault::Delay { millis, times } => {
                if *times == 0 {
                    (None, true)
                } else {
                    *times -= 1;
                    (Some(FaultAction::Delay(*millis)), *times == 0)
                }
            }
        };
        if exhausted {
            *guard = None;
        }
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_state() -> AppState {
        let data = Dataset::generate(
            crate::DEFAULT_SEED,
            time::macros::datetime!(2026-11-24 07:00 UTC),
        );
        AppState::new(data, "http://127.0.0.1:1".into())
    }

    fn request(n: usize) -> RecordedRequest {
        RecordedRequest {
            method: "GET".into(),
            path: format!("/incidents/{n}"),
            query: vec![],
            headers: vec![],
            body: None,
            status: 200,
            response_body: "x".repeat(1000),
        }
    }

    #[test]
    fn the_request_log_keeps_the_last_requests_only() {
        let state = new_state();
        assert_eq!(state.request_log_capacity(), DEFAULT_REQUEST_LOG_CAPACITY);
        let total = DEFAULT_REQUEST_LOG_CAPACITY * 3 + 7;
        for n in 0..total {
            state.record(request(n));
            assert!(state.requests.lock().unwrap().len() <= DEFAULT_REQUEST_LOG_CAPACITY);
        }
        let log = state.requests();
        assert_eq!(log.len(), DEFAULT_REQUEST_LOG_CAPACITY);
        let expected: Vec<String> = (total - DEFAULT_REQUEST_LOG_CAPACITY..total)
            .map(|n| format!("/incidents/{n}"))
            .collect();
        let paths: Vec<String> = log.into_iter().map(|r| r.path).collect();
        assert_eq!(paths, expected, "the last requests, oldest first");
        state.clear_requests();
        assert!(state.requests().is_empty());
    }

    #[test]
    fn a_small_log_and_no_log() {
        let state = new_state().with_request_log_capacity(3);
        for n in 0..10 {
            state.record(request(n));
        }
        let paths: Vec<String> = state.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/incidents/7", "/incidents/8", "/incidents/9"]);

        let state = new_state().with_request_log_capacity(0);
        for n in 0..10 {
            state.record(request(n));
        }
        assert!(state.requests().is_empty());
    }
}
