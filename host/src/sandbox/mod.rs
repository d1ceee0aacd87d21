//! The wasmtime sandbox that runs the tools component.
//!
//! One process-wide [`Engine`] (component model, async, epoch interruption)
//! compiles each component once; the compiled artifact is cached on disk
//! (`cache.rs`: `$PAGERDUTY_MCP_CACHE_DIR`, else the user's cache directory) so
//! a warm start only reads a file and verifies its MAC before loading it. A
//! [`Sandbox`] links the component against WASI 0.2 and `wasi:http` once
//! ([`InstancePre`](wasmtime::component::InstancePre))
//! and then gives every [`Sandbox::list_tools`] / [`Sandbox::call_tool`] a fresh
//! [`Store`] and instance, so calls are isolated from each other and run in
//! parallel. [`Sandbox::call_tool_as`] is the same call on behalf of a caller
//! with their own PagerDuty token: the token goes into that call's store only
//! (its [`EgressPolicy`]); the default token ([`SandboxConfig::token`]) serves
//! every other call.
//!
//! Instances come from wasmtime's pooling allocator (`pool.rs`): a slot's
//! memory stays mapped between calls and is zeroed in place, which saves a
//! call its page faults and unmapping (about 0.3 ms of kernel time for a list
//! of 86 incidents). Where the pool's address space cannot be reserved, the
//! engine falls back to on-demand allocation.
//!
//! Each call runs with
//! * a memory cap ([`SandboxConfig::memory_limit_bytes`]),
//! * a deadline ([`SandboxConfig::call_deadline`]) enforced twice: by epoch
//!   interruption while guest code runs (`epoch.rs` ticks the engine's epoch
//!   every 10 ms while calls are active, and the guest yields to the async
//!   executor on each tick) and by a tokio timeout around the whole call
//!   (host-side awaits such as HTTP requests are not interrupted by epochs),
//! * a WASI context with no preopened directories, no sockets, no arguments,
//!   no stdin/stdout (stderr is inherited so guest panics are visible), and an
//!   environment holding only the component's configuration
//!   ([`SandboxConfig::guest_env`]) — never the token,
//! * outgoing HTTP through [`EgressPolicy`], which allows only the API host
//!   and adds the `Authorization` header on the host side.
//!
//! A trap, a hit memory limit or an exceeded deadline during a tool call becomes
//! a tool error result (`isError`, the envelope of the tool contract; `fault.rs`),
//! and the sandbox keeps serving.
//!
//! At most [`SandboxConfig::max_concurrent_calls`] instances exist at once
//! (default 8): every list and call takes one of that many slots before it
//! instantiates and gives it back when its store is dropped. A call that finds
//! every slot taken waits for one, in arrival order, at most
//! [`SandboxConfig::queue_timeout`] (default 10 s, not counted in its
//! deadline), then fails with [`Busy`]. So the guests' memory is bounded by
//! `max_concurrent_calls × memory_limit_bytes` (512 MiB by default) whatever
//! the load, and a flood of calls queues instead of growing the process.
//!
//! A call can be cancelled ([`Sandbox::call_tool_until`]): the cancellation is
//! raced against the call, whose future is then dropped, which stops the guest
//! at its next yield (every epoch tick, every host await: a retry wait on
//! `wasi:clocks`, a pending request) and frees its instance at once; a call
//! still waiting for a slot leaves the queue at once. The same
//! cancellation is in that store's [`EgressPolicy`] ([`EgressPolicy::cancelled_by`]),
//! because wasi-http sends requests from tasks of their own: no request leaves
//! after the cancellation, and one in flight is aborted with its connection.
//!
//! Files: `mod.rs` the call path (instantiate, list, call), `config.rs` the
//! configuration and guest environment, `cache.rs` the compiled-component
//! cache, `epoch.rs` the epoch ticker, `fault.rs` faults → tool errors,
//! `pool.rs` the instance pool.

mod cache;
mod config;
mod embedded;
mod engine_config;
mod epoch;
mod fault;
mod pool;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub use self::cache::CACHE_KEEP;
pub use self::config::{
    DEFAULT_API_BASE, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MEMORY_LIMIT_BYTES,
    DEFAULT_QUEUE_TIMEOUT, SandboxConfig, ToolSelection,
};
pub use self::fault::error_outcome;
use self::fault::{Fault, format_bytes, format_duration};
use self::pool::InstancePool;
pub use crate::egress::AuthScheme;
use crate::egress::{ApiBase, ApiToken, EgressPolicy};

/// Bindings generated from `wit/world.wit` (read through the link `host/wit`, so
/// that the crate `cargo package` makes carries the WIT too).
mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "server",
        exports: { default: async },
    });
}

pub use bindings::exports::pagerduty::mcp::tools::{
    Annotations, CallError, CallResult as CallOutcome, CatalogTool, Tool as ToolInfo,
    Toolset as ToolsetInfo,
};

/// The component refused its configuration (e.g. an unknown toolset name); the
/// message lists the valid values. Hosts report it at start-up, as a usage error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidConfiguration(pub String);

impl fmt::Display for InvalidConfiguration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidConfiguration {}

/// A tool call stopped because its caller cancelled it
/// ([`Sandbox::call_tool_until`]): no request was sent after the cancellation;
/// one sent before it may have taken effect at PagerDuty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the tool call was cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// A list or call found every instance slot taken
/// ([`SandboxConfig::max_concurrent_calls`]) and none came free within
/// [`SandboxConfig::queue_timeout`]: nothing ran, nothing was sent to
/// PagerDuty, and the same call may simply be made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// How many calls were running: the configured maximum.
    pub running: usize,
    /// How long the call waited for a slot.
    pub waited: Duration,
}

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let calls = if self.running == 1 {
            "1 tool call is running"
        } else {
            &format!("{} tool calls are running", self.running)
        };
        write!(f, "the server is busy: {calls}, the most it runs at once")?;
        if !self.waited.is_zero() {
            write!(
                f,
                ", and none finished within {}",
                format_duration(self.waited)
            )?;
        }
        f.write_str("; nothing was sent to PagerDuty; try again")
    }
}

impl std::error::Error for Busy {}

/// The tools component (`components/tools`, `pagerduty_mcp_tools.wasm`), embedded at build time.
pub static EMBEDDED_COMPONENT: &[u8] = include_bytes!(env!("PAGERDUTY_COMPONENT_PATH"));

/// SHA-256 (hex) of [`EMBEDDED_COMPONENT`], computed at build time.
const EMBEDDED_COMPONENT_SHA256: &str = env!("PAGERDUTY_COMPONENT_SHA256");

/// Runs the tools component: cheap to clone, safe to share between tasks.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    engine: &'static Engine,
    pre: bindings::ServerPre<StoreState>,
    egress: EgressPolicy,
    guest_env: Vec<(String, String)>,
    call_deadline: Duration,
    memory_limit_bytes: usize,
    tools: tokio::sync::OnceCell<Arc<Vec<ToolInfo>>>,
    /// How many stores (instances) exist right now.
    live_stores: Arc<AtomicUsize>,
    /// One permit per instance that may exist at once.
    slots: Arc<Semaphore>,
    /// The process's instance pool's permits (`pool.rs`), when instances come
    /// from a pool: taken after a slot, so the pool is never overdrawn.
    pool_permits: Option<Arc<Semaphore>>,
    max_concurrent_calls: usize,
    queue_timeout: Duration,
    /// How many lists and calls are waiting for a slot right now.
    waiting: AtomicUsize,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("egress", &self.inner.egress)
            .field("call_deadline", &self.inner.call_deadline)
            .field("memory_limit_bytes", &self.inner.memory_limit_bytes)
            .field("max_concurrent_calls", &self.inner.max_concurrent_calls)
            .field("queue_timeout", &self.inner.queue_timeout)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A sandbox running the embedded component (built from this workspace).
    pub fn new(config: SandboxConfig) -> anyhow::Result<Sandbox> {
        Self::build(
            config,
            EMBEDDED_COMPONENT,
            Some(EMBEDDED_COMPONENT_SHA256),
            true,
        )
    }

    /// A sandbox running `component_wasm`, any component of the `server` world
    /// (binary or, for tests, WAT text).
    pub fn with_component(config: SandboxConfig, component_wasm: &[u8]) -> anyhow::Result<Sandbox> {
        Self::build(config, component_wasm, None, false)
    }

    /// `embedded`: `wasm` is [`EMBEDDED_COMPONENT`], whose artifact this binary
    /// carries precompiled (`embedded.rs`).
    fn build(
        config: SandboxConfig,
        wasm: &[u8],
        sha256: Option<&str>,
        embedded: bool,
    ) -> anyhow::Result<Sandbox> {
        let started = Instant::now();
        let base = ApiBase::parse(&config.api_base)?;
        let egress = EgressPolicy::new(
            base.clone(),
            config.token.as_deref(),
            config.auth_scheme,
            config.request_timeout,
        )?;
        anyhow::ensure!(
            !config.call_deadline.is_zero(),
            "the call deadline must be positive"
        );
        anyhow::ensure!(
            (1..=Semaphore::MAX_PERMITS).contains(&config.max_concurrent_calls),
            "the number of concurrent calls must be at least 1"
        );
        if base.is_insecure() && config.token.is_some() {
            tracing::warn!(api_host = %base, "the API host uses plain http: the token is sent unencrypted");
        }
        let (engine, pool) = engine(config.max_concurrent_calls)?;
        if let Some(pool) = pool.filter(|pool| pool.slots < config.max_concurrent_calls) {
            tracing::warn!(
                slots = pool.slots,
                max_concurrent_calls = config.max_concurrent_calls,
                "the process's instance pool, made for an earlier sandbox, is smaller than this \
                 sandbox's concurrency: calls beyond it wait for a slot"
            );
        }
        let component = cache::component(engine, wasm, sha256, embedded)?;
        let linker = linker(engine)?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component's imports cannot be satisfied (only WASI 0.2 and wasi:http are provided)")?;
        let pre = bindings::ServerPre::new(instance_pre)
            .map_err(anyhow::Error::from)
            .context("the component does not export the pagerduty:mcp/tools interface of the `server` world")?;
        tracing::debug!(
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "sandbox ready"
        );
        Ok(Sandbox {
            inner: Arc::new(Inner {
                engine,
                pre,
                egress,
                guest_env: config.guest_env(&base),
                call_deadline: config.call_deadline,
                memory_limit_bytes: config.memory_limit_bytes,
                tools: tokio::sync::OnceCell::new(),
                live_stores: Arc::new(AtomicUsize::new(0)),
                slots: Arc::new(Semaphore::new(config.max_concurrent_calls)),
                pool_permits: pool.map(|pool| pool.permits.clone()),
                max_concurrent_calls: config.max_concurrent_calls,
                queue_timeout: config.queue_timeout,
                waiting: AtomicUsize::new(0),
            }),
        })
    }

    /// The tools the component offers under this configuration (the selected
    /// toolsets and extra tools, write tools only when enabled), in the
    /// component's order. Asked once per sandbox, then cached. An unusable tool
    /// selection is an [`InvalidConfiguration`] error. Listing takes an
    /// instance slot like a call (it instantiates the component), so it can
    /// fail with [`Busy`]; a failed listing is asked again next time.
    pub async fn list_tools(&self) -> anyhow::Result<Vec<ToolInfo>> {
        let tools = self
            .inner
            .tools
            .get_or_try_init(|| async {
                match self.run(Op::List, None, None).await?.0 {
                    Ok(OpResult::List(Ok(tools))) => Ok(Arc::new(tools)),
                    Ok(OpResult::List(Err(message))) => {
                        Err(anyhow::Error::new(InvalidConfiguration(message)))
                    }
                    Ok(_) => unreachable!("list-tools answers a tool list"),
                    Err(fault) => Err(anyhow::anyhow!(
                        "listing the tools failed: {}",
                        fault.message()
                    )),
                }
            })
            .await?;
        Ok(tools.as_ref().clone())
    }

    /// Every toolset of the component's catalog, whether it is selected, and
    /// which of its tools are offered. An unusable tool selection is an
    /// [`InvalidConfiguration`] error; all slots taken, [`Busy`].
    pub async fn list_toolsets(&self) -> anyhow::Result<Vec<ToolsetInfo>> {
        match self.run(Op::Toolsets, None, None).await?.0 {
            Ok(OpResult::Toolsets(Ok(toolsets))) => Ok(toolsets),
            Ok(OpResult::Toolsets(Err(message))) => {
                Err(anyhow::Error::new(InvalidConfiguration(message)))
            }
            Ok(_) => unreachable!("list-toolsets answers toolsets"),
            Err(fault) => Err(anyhow::anyhow!(
                "listing the toolsets failed: {}",
                fault.message()
            )),
        }
    }

    /// Calls the tool `name` with `arguments_json` (a JSON object as text).
    ///
    /// `Ok(Ok(outcome))` is the tool's result, which may be a tool error
    /// (`outcome.is_error`), including the sandbox's own errors: a timeout
    /// (`NETWORK_ERROR`), a trap or exceeded memory limit (`INTERNAL_ERROR`).
    /// `Ok(Err(_))` is a call that never reached a tool (unknown tool, arguments
    /// not an object). `Err(_)` is a host fault, or [`Busy`]
    /// (`error.is::<Busy>()`) when no instance slot came free in time.
    ///
    /// Outgoing requests carry the sandbox's default token
    /// ([`SandboxConfig::token`]); see [`Sandbox::call_tool_as`] to call on
    /// behalf of a caller with their own token.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments_json: &str,
    ) -> anyhow::Result<Result<CallOutcome, CallError>> {
        self.call(None, name, arguments_json, None).await
    }

    /// Like [`Sandbox::call_tool`], but every request this call sends to
    /// PagerDuty carries `token` instead of the default token. The token is
    /// bound to this call's own store (its egress policy), so concurrent calls
    /// with different tokens never see each other's.
    pub async fn call_tool_as(
        &self,
        token: &ApiToken,
        name: &str,
        arguments_json: &str,
    ) -> anyhow::Result<Result<CallOutcome, CallError>> {
        self.call(Some(token), name, arguments_json, None).await
    }

    /// Like [`Sandbox::call_tool_as`] (the default token when `token` is
    /// `None`), until `cancel` is cancelled: then the call stops at once and
    /// the answer is `Err` of [`Cancelled`] (`error.is::<Cancelled>()`), also
    /// while it is still waiting for an instance slot.
    ///
    /// Stopping means: the guest is dropped at its next yield (a retry wait, a
    /// pending request, or the next epoch tick of busy code), its instance is
    /// freed before this returns, no request of the call leaves after the
    /// cancellation, and a request in flight is aborted with its connection.
    /// A request PagerDuty already received may still take effect there.
    pub async fn call_tool_until(
        &self,
        token: Option<&ApiToken>,
        name: &str,
        arguments_json: &str,
        cancel: &CancellationToken,
    ) -> anyhow::Result<Result<CallOutcome, CallError>> {
        self.call(token, name, arguments_json, Some(cancel)).await
    }

    /// How many instances exist right now: one per list or call in progress,
    /// never more than [`SandboxConfig::max_concurrent_calls`]. A finished,
    /// failed or cancelled call's instance is gone.
    pub fn instances_in_use(&self) -> usize {
        self.inner.live_stores.load(Ordering::SeqCst)
    }

    /// How many lists and calls are waiting for an instance slot right now.
    pub fn calls_waiting(&self) -> usize {
        self.inner.waiting.load(Ordering::SeqCst)
    }

    async fn call(
        &self,
        token: Option<&ApiToken>,
        name: &str,
        arguments_json: &str,
        cancel: Option<&CancellationToken>,
    ) -> anyhow::Result<Result<CallOutcome, CallError>> {
        let started = Instant::now();
        let run = self.run(
            Op::Call {
                name,
                arguments: arguments_json,
            },
            token,
            cancel,
        );
        let finished = match cancel {
            None => Some(run.await),
            // Biased: once cancelled, the call is dropped without another poll;
            // dropping it drops its store (instance, requests, connections).
            Some(cancel) => tokio::select! {
                biased;
                () = cancel.cancelled() => None,
                finished = run => Some(finished),
            },
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let Some(finished) = finished else {
            tracing::info!(tool = name, ms, "tool call cancelled");
            return Err(anyhow::Error::new(Cancelled));
        };
        let (result, instantiated) = match finished {
            Ok(finished) => finished,
            Err(busy) => {
                tracing::warn!(tool = name, ms, "tool call refused: {busy}");
                return Err(anyhow::Error::new(busy));
            }
        };
        let result = result.map(|r| match r {
            OpResult::Call(r) => r,
            _ => unreachable!("call-tool answers a call result"),
        });
        match result {
            Ok(Ok(outcome)) => {
                tracing::debug!(tool = name, is_error = outcome.is_error, ms, "tool call");
                Ok(Ok(outcome))
            }
            Ok(Err(call_error)) => {
                tracing::debug!(tool = name, error = ?call_error, ms, "tool call rejected");
                Ok(Err(call_error))
            }
            Err(fault) => {
                if let (false, Fault::Trap(text)) = (instantiated, &fault) {
                    // Instantiation failing for another reason than a limit or
                    // the deadline is the host's problem.
                    return Err(anyhow::anyhow!(
                        "instantiating the component failed: {text}"
                    ));
                }
                tracing::error!(
                    tool = name,
                    ms,
                    "tool call failed in the sandbox: {}",
                    fault.message()
                );
                Ok(Ok(fault.into_outcome()))
            }
        }
    }

    /// Waits for an instance slot (at most the queue timeout, else [`Busy`]),
    /// then instantiates the component in a fresh store and runs `op` under
    /// the memory limit and the deadline, authenticating with `token`
    /// (default: the sandbox's), its requests stopped by `cancel` (see
    /// [`EgressPolicy::cancelled_by`]). Returns the result and whether the
    /// instantiation succeeded. The slot is given back when the store is
    /// dropped, also when this future is dropped mid-way.
    async fn run(
        &self,
        op: Op<'_>,
        token: Option<&ApiToken>,
        cancel: Option<&CancellationToken>,
    ) -> Result<(Result<OpResult, Fault>, bool), Busy> {
        let inner = &self.inner;
        let slot = self.slot().await?;
        let deadline = inner.call_deadline;
        let _ticking = epoch::ticking(inner.engine);
        let mut instantiated = false;
        let work = async {
            let mut store = self.new_store(token, cancel, slot);
            let server = match inner.pre.instantiate_async(&mut store).await {
                Ok(server) => server,
                Err(error) => return Err(Fault::classify(error, store.data(), inner)),
            };
            instantiated = true;
            let tools = server.pagerduty_mcp_tools();
            let result = match op {
                Op::List => tools.call_list_tools(&mut store).await.map(OpResult::List),
                Op::Toolsets => tools
                    .call_list_toolsets(&mut store)
                    .await
                    .map(OpResult::Toolsets),
                Op::Call { name, arguments } => tools
                    .call_call_tool(&mut store, name, arguments)
                    .await
                    .map(OpResult::Call),
            };
            result.map_err(|error| Fault::classify(error, store.data(), inner))
        };
        let result = match tokio::time::timeout(deadline, work).await {
            Ok(result) => result,
            Err(_) => Err(Fault::Deadline(deadline)),
        };
        Ok((result, instantiated))
    }

    /// One of the [`SandboxConfig::max_concurrent_calls`] instance slots (and,
    /// when instances come from a pool, one of the pool's permits):
    /// at once when one is free, else the first to come free within the queue
    /// timeout (the semaphores are fair: first come, first served), else [`Busy`].
    /// Dropping the future leaves the queue.
    async fn slot(&self) -> Result<Slot, Busy> {
        let inner = &self.inner;
        let started = Instant::now();
        let own = self.permit(&inner.slots, started).await?;
        let pooled = match &inner.pool_permits {
            Some(permits) => Some(self.permit(permits, started).await?),
            None => None,
        };
        Ok(Slot {
            _own: own,
            _pooled: pooled,
        })
    }

    /// A permit of `semaphore`, waiting at most what is left of the queue
    /// timeout since `started`.
    async fn permit(
        &self,
        semaphore: &Arc<Semaphore>,
        started: Instant,
    ) -> Result<OwnedSemaphorePermit, Busy> {
        let inner = &self.inner;
        if let Ok(permit) = semaphore.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let _waiting = Waiting::new(&inner.waiting);
        tracing::debug!(
            running = inner.max_concurrent_calls,
            "every instance slot is taken; waiting for one"
        );
        let left = inner.queue_timeout.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, semaphore.clone().acquire_owned()).await {
            Ok(Ok(permit)) => {
                tracing::debug!(
                    ms = started.elapsed().as_secs_f64() * 1000.0,
                    "got an instance slot"
                );
                Ok(permit)
            }
            // The semaphore is never closed; treat it as full if it were.
            Ok(Err(_)) | Err(_) => Err(Busy {
                running: inner.max_concurrent_calls,
                waited: inner.queue_timeout,
            }),
        }
    }

    /// A fresh store for one operation, holding its instance `slot`; its
    /// egress policy carries `token`, or the default token when `None`, and
    /// stops sending once `cancel` fires.
    fn new_store(
        &self,
        token: Option<&ApiToken>,
        cancel: Option<&CancellationToken>,
        slot: Slot,
    ) -> Store<StoreState> {
        let inner = &self.inner;
        let egress = match token {
            Some(token) => inner.egress.for_token(token),
            None => inner.egress.clone(),
        };
        let egress = match cancel {
            Some(cancel) => egress.cancelled_by(cancel.clone()),
            None => egress,
        };
        let mut wasi = WasiCtx::builder();
        wasi.envs(&inner.guest_env)
            .inherit_stderr()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let state = StoreState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            egress,
            limiter: Limiter::new(inner.memory_limit_bytes),
            deadline_hit: false,
            _live: LiveStore::new(&inner.live_stores),
            _slot: slot,
        };
        let mut store = Store::new(inner.engine, state);
        store.limiter(|state| &mut state.limiter);
        let deadline_at = Instant::now() + inner.call_deadline;
        store.epoch_deadline_callback(move |mut ctx| {
            if Instant::now() >= deadline_at {
                ctx.data_mut().deadline_hit = true;
                Ok(UpdateDeadline::Interrupt)
            } else {
                // Yield on every tick so a busy guest cannot starve the executor
                // (and the tokio timeout around the call can fire).
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store.set_epoch_deadline(1);
        store
    }
}

/// What [`Sandbox::run`] does with the instance.
enum Op<'a> {
    List,
    Toolsets,
    Call { name: &'a str, arguments: &'a str },
}

/// What [`Sandbox::run`] got back.
enum OpResult {
    List(Result<Vec<ToolInfo>, String>),
    Toolsets(Result<Vec<ToolsetInfo>, String>),
    Call(Result<CallOutcome, CallError>),
}

/// Per-call store data.
struct StoreState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    egress: EgressPolicy,
    limiter: Limiter,
    deadline_hit: bool,
    _live: LiveStore,
    /// The instance slot this store holds; given back when the store is dropped.
    _slot: Slot,
}

/// An instance slot of a sandbox, and the pool's permit when instances come
/// from a pool: both given back when dropped.
struct Slot {
    _own: OwnedSemaphorePermit,
    _pooled: Option<OwnedSemaphorePermit>,
}

/// Counts a list or call in [`Sandbox::calls_waiting`] while it waits for a slot.
struct Waiting<'a>(&'a AtomicUsize);

impl Waiting<'_> {
    fn new(count: &AtomicUsize) -> Waiting<'_> {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a store in [`Sandbox::instances_in_use`] while it exists.
struct LiveStore(Arc<AtomicUsize>);

impl LiveStore {
    fn new(count: &Arc<AtomicUsize>) -> LiveStore {
        count.fetch_add(1, Ordering::SeqCst);
        LiveStore(count.clone())
    }
}

impl Drop for LiveStore {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StoreState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.egress,
        }
    }
}

/// Caps the linear memory of one instance, all its memories together, and
/// records when the cap was hit.
struct Limiter {
    memory_limit: usize,
    /// The bytes of linear memory the instance has (its memories' sizes).
    memory_in_use: usize,
    /// The growth last allowed, taken back if the allocation then failed.
    last_growth: usize,
    memory_limit_hit: bool,
}

impl Limiter {
    fn new(memory_limit: usize) -> Limiter {
        Limiter {
            memory_limit,
            memory_in_use: 0,
            last_growth: 0,
            memory_limit_hit: false,
        }
    }
}

/// The most table elements one instance may have.
const TABLE_ELEMENTS_LIMIT: usize = 1 << 20;

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Called with current = 0 when a memory is created.
        let growth = desired.saturating_sub(current);
        let total = self.memory_in_use.saturating_add(growth);
        if total > self.memory_limit {
            self.memory_limit_hit = true;
            wasmtime::bail!(
                "memory limit of {} exceeded",
                format_bytes(self.memory_limit)
            );
        }
        self.memory_in_use = total;
        self.last_growth = growth;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory_in_use = self.memory_in_use.saturating_sub(self.last_growth);
        self.last_growth = 0;
        tracing::debug!("a guest memory could not grow: {error:#}");
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= TABLE_ELEMENTS_LIMIT)
    }
}

/// The process-wide engine, created on first use: one per process, so each
/// component is compiled once and one epoch ticker serves every store. Its
/// instance pool, if it has one, is sized for `concurrency` instances when this
/// call creates it (`pool.rs`).
fn engine(concurrency: usize) -> anyhow::Result<(&'static Engine, Option<&'static InstancePool>)> {
    static ENGINE: OnceLock<(Engine, Option<InstancePool>)> = OnceLock::new();
    if let Some((engine, pool)) = ENGINE.get() {
        return Ok((engine, pool.as_ref()));
    }
    let mut config = engine_config::engine_config();
    // Runtime-only (not compilation settings): lets the embedded artifact run in
    // place, and takes instances from a pool.
    config.with_custom_code_memory(embedded::code_memory());
    let pool = InstancePool::for_instances(concurrency);
    let created = match Engine::new(&pool.configure(config.clone(), TABLE_ELEMENTS_LIMIT)) {
        Ok(engine) => {
            tracing::debug!(slots = pool.slots, "instances come from a pool");
            (engine, Some(pool))
        }
        Err(error) => {
            tracing::info!(
                %error,
                "the instance pool's address space could not be reserved; \
                 instances are allocated on demand (calls take more kernel time)"
            );
            (Engine::new(&config).map_err(anyhow::Error::from)?, None)
        }
    };
    let (engine, pool) = ENGINE.get_or_init(|| created);
    Ok((engine, pool.as_ref()))
}

/// A linker with WASI 0.2 and wasi:http. Filesystem and sockets are linked so
/// that any WASI 0.2 import resolves, but the per-call context grants nothing
/// through them (no preopens, sockets disallowed).
fn linker(engine: &Engine) -> anyhow::Result<Linker<StoreState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
        .map_err(anyhow::Error::from)?;
    Ok(linker)
}
