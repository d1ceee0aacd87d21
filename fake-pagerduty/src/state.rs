//! Shared server state: the data, the request log, the injected fault and the clock.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use time::OffsetDateTime;

use crate::dataset::Dataset;
use crate::render::Render;
use crate::{Fault, RecordedRequest};

/// State shared by all handlers.
#[derive(Debug)]
pub struct AppState {
    data: RwLock<Arc<Dataset>>,
    requests: Mutex<Vec<RecordedRequest>>,
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
    pub fn new(data: Dataset, base_url: String) -> AppState {
        let start = data.now;
        AppState {
            data: RwLock::new(Arc::new(data)),
            requests: Mutex::new(Vec::new()),
            fault: Mutex::new(None),
            base_url,
            start,
            started: Instant::now(),
        }
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

    /// Appends a request to the log.
    pub fn record(&self, request: RecordedRequest) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request);
    }

    /// The request log.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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
