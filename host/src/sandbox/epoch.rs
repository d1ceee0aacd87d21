//! The epoch ticker: the clock of the deadline while guest code runs.
//!
//! Epoch interruption needs someone to increment the engine's epoch. One
//! background thread does it every [`EPOCH_TICK`] while at least one call is
//! running, and parks otherwise, so an idle server costs no wake-ups. Each
//! store's epoch callback checks its own deadline on every tick and yields to
//! the async executor in between.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, Thread};
use std::time::Duration;

use wasmtime::Engine;

/// How often the engine's epoch is incremented while calls are running.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Keeps the ticker running while alive: hold one for the duration of a call.
pub(super) struct Ticking(&'static EpochTicker);

/// Starts (or keeps) ticking `engine`'s epoch until the returned guard is
/// dropped. There is one ticker per process, for the process-wide engine.
pub(super) fn ticking(engine: &'static Engine) -> Ticking {
    EpochTicker::global(engine).activate()
}

/// Ticks the process-wide engine's epoch every [`EPOCH_TICK`] while at least
/// one call is running, and sleeps otherwise.
struct EpochTicker {
    active: AtomicUsize,
    thread: Thread,
}

impl EpochTicker {
    fn global(engine: &'static Engine) -> &'static EpochTicker {
        static TICKER: OnceLock<EpochTicker> = OnceLock::new();
        TICKER.get_or_init(|| {
            let handle = thread::Builder::new()
                .name("pagerduty-mcp-epoch".into())
                .spawn(move || {
                    // Waits until the initialisation below has finished.
                    let ticker = EpochTicker::global(engine);
                    loop {
                        if ticker.active.load(Ordering::Acquire) == 0 {
                            thread::park();
                            continue;
                        }
                        thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .expect("spawning the epoch thread");
            EpochTicker {
                active: AtomicUsize::new(0),
                thread: handle.thread().clone(),
            }
        })
    }

    fn activate(&'static self) -> Ticking {
        if self.active.fetch_add(1, Ordering::AcqRel) == 0 {
            self.thread.unpark();
        }
        Ticking(self)
    }
}

impl Drop for Ticking {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}
