//! Running the fake on its own thread and tokio runtime.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use tokio::sync::oneshot;

use crate::dataset::Dataset;
use crate::state::AppState;
use crate::{Fault, Options, RecordedRequest, routes};

/// A running fake PagerDuty on 127.0.0.1. Dropping it stops the server.
#[derive(Debug)]
pub struct FakePagerDuty {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakePagerDuty {
    /// Generates the dataset and starts serving on its own thread with its own
    /// tokio runtime (so it works from sync code and from inside another runtime).
    /// Returns once the socket is listening.
    pub fn spawn(options: Options) -> anyhow::Result<FakePagerDuty> {
        let listener = TcpListener::bind(("127.0.0.1", options.port))
            .with_context(|| format!("binding 127.0.0.1:{}", options.port))?;
        listener
            .set_nonblocking(true)
            .context("setting the listener non-blocking")?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let base_url = format!("http://{addr}");
        let data = Dataset::generate(options.seed, options.resolved_now());
        let state = Arc::new(
            AppState::new(data, base_url)
                .with_request_log_capacity(options.request_log_capacity)
                .with_anonymous_is_current_user(options.anonymous_is_current_user),
        );
        let app = routes::router(state.clone());
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<()>>();
        let thread = std::thread::Builder::new()
            .name(format!("fake-pagerduty-{}", addr.port()))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("fake-pagerduty-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(
                            anyhow::Error::new(e).context("building the tokio runtime")
                        ));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(
                                anyhow::Error::new(e).context("registering the listener")
                            ));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    tokio::select! {
                        result = axum::serve(listener, app) => {
                            if let Err(e) = result {
                                tracing::error!(target: "fake_pagerduty", "server error: {e}");
                            }
                        }
                        _ = shutdown_rx => {}
                    }
                });
                runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            })
            .context("spawning the server thread")?;
        ready_rx
            .recv()
            .context("the server thread exited before listening")??;
        Ok(FakePagerDuty {
            addr,
            state,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The requests received so far, in order: the last
    /// [`Options::request_log_capacity`] of them.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state.clear_requests()
    }

    /// A snapshot of the data as it is now (writes made later do not change it).
    pub fn dataset(&self) -> Arc<Dataset> {
        self.state.snapshot()
    }

    /// Injects a fault for the next requests (`None` removes it).
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.state.set_fault(fault)
    }

    /// The shared state (for embedding the router elsewhere).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }
}

impl Drop for FakePagerDuty {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
