//! `--demo`: an in-process fake PagerDuty on a loopback port, so every
//! subcommand works without a PagerDuty account or token.

use fake_pagerduty::{FakePagerDuty, Options};

/// A running fake PagerDuty; stops when dropped.
pub struct Demo {
    fake: FakePagerDuty,
    base_url: String,
}

impl Demo {
    /// Starts the fake PagerDuty (on its own thread and runtime) with its
    /// default dataset, on a free port of 127.0.0.1, keeping no request log:
    /// nothing reads it in demo mode, and a served demo must not grow with
    /// every call.
    pub fn start() -> anyhow::Result<Demo> {
        let fake = FakePagerDuty::spawn(Options {
            request_log_capacity: 0,
            ..Options::default()
        })?;
        let base_url = fake.base_url();
        Ok(Demo { fake, base_url })
    }

    /// The fake's API base URL, e.g. `http://127.0.0.1:43210`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token the fake accepts for its current user (a user-level REST API key).
    pub fn token(&self) -> &'static str {
        fake_pagerduty::USER_TOKEN
    }

    /// The running fake (its data, injected faults). It keeps no request log.
    pub fn fake(&self) -> &FakePagerDuty {
        &self.fake
    }
}
