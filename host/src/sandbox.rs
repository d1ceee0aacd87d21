//! The wasmtime sandbox that runs the tools component.
//!
//! One process-wide [`Engine`] (component model, async, epoch interruption)
//! compiles each component once: the compiled artifact is cached on disk
//! (see [`cache`](self#the-compiled-component-cache)) so a warm start only
//! maps a file. A [`Sandbox`] links the component against WASI 0.2 and
//! `wasi:http` once ([`InstancePre`](wasmtime::component::InstancePre)) and then
//! gives every [`Sandbox::list_tools`] / [`Sandbox::call_tool`] a fresh
//! [`Store`] and instance, so calls are isolated from each other and run in
//! parallel. [`Sandbox::call_tool_as`] is the same call on behalf of a caller
//! with their own PagerDuty token: the token goes into that call's store only
//! (its [`EgressPolicy`]); the default token ([`SandboxConfig::token`]) serves
//! every other call.
//!
//! Instances use wasmtime's default on-demand allocator. The pooling allocator
//! was measured (release build, demo data, 300 sequential and 8×100 concurrent
//! calls): instantiate-and-call time went from about 0.2–0.3 ms to 0.15–0.3 ms,
//! within noise next to a PagerDuty round trip, while reserving over 500 GB
//! of address space and capping concurrent instances; so it is not used.
//!
//! Each call runs with
//! * a memory cap ([`SandboxConfig::memory_limit_bytes`]),
//! * a deadline ([`SandboxConfig::call_deadline`]) enforced twice: by epoch
//!   interruption while guest code runs (the engine's epoch is ticked every
//!   10 ms by a background thread while calls are active, and the guest yields
//!   to the async executor on each tick) and by a tokio timeout around the whole
//!   call (host-side awaits such as HTTP requests are not interrupted by epochs),
//! * a WASI context with no preopened directories, no sockets, no arguments,
//!   no stdin/stdout (stderr is inherited so guest panics are visible), and an
//!   environment holding only `PAGERDUTY_API_HOST`,
//!   `PAGERDUTY_ENABLE_WRITE_TOOLS`, `PAGERDUTY_CALL_DEADLINE_MS`, and when set
//!   `PAGERDUTY_USER_EMAIL` and `PAGERDUTY_MAX_OUTPUT_BYTES` — never the token,
//! * outgoing HTTP through [`EgressPolicy`], which allows only the API host
//!   and adds the `Authorization` header on the host side.
//!
//! A trap, a hit memory limit or an exceeded deadline during a tool call becomes
//! a tool error result (`isError`, the envelope of the tool contract), and the
//! sandbox keeps serving.
//!
//! # The compiled-component cache
//!
//! Compiling the component with Cranelift takes seconds; loading a precompiled
//! artifact takes milliseconds. The artifact is stored as
//! `<cache dir>/<key>.cwasm`, where the key is a SHA-256 over the component's
//! SHA-256 (computed at build time for the embedded component), the engine's
//! [`precompile_compatibility_hash`](Engine::precompile_compatibility_hash)
//! (wasmtime version, compiler settings, host CPU features) and this crate's
//! version. The cache directory is `$PAGERDUTY_MCP_CACHE_DIR` if set (the value
//! `off` disables the cache), else `$XDG_CACHE_HOME/pagerduty-mcp`, else
//! `$HOME/.cache/pagerduty-mcp`; it is created with mode 0700 and ignored when
//! group- or world-writable. Files are written to a temporary name and renamed,
//! so readers never see partial files. An unreadable or incompatible artifact
//! is recompiled and replaced; any cache failure only costs compile time. At
//! most [`CACHE_KEEP`] artifacts are kept (newest first).

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, OptLevel, ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub use crate::egress::AuthScheme;
use crate::egress::{ApiBase, ApiToken, EgressPolicy};

/// Bindings generated from `wit/world.wit`.
mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "server",
        exports: { default: async },
    });
}

pub use bindings::exports::pagerduty::mcp::tools::{
    Annotations, CallError, CallResult as CallOutcome, Tool as ToolInfo,
};

/// The component built from this workspace's root package, embedded at build time.
pub static EMBEDDED_COMPONENT: &[u8] = include_bytes!(env!("PAGERDUTY_COMPONENT_PATH"));

/// SHA-256 (hex) of [`EMBEDDED_COMPONENT`], computed at build time.
const EMBEDDED_COMPONENT_SHA256: &str = env!("PAGERDUTY_COMPONENT_SHA256");

/// The default API base URL.
pub const DEFAULT_API_BASE: &str = "https://api.pagerduty.com";

/// How many compiled artifacts the on-disk cache keeps.
pub const CACHE_KEEP: usize = 8;

/// How often the engine's epoch is incremented while calls are running.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Everything a [`Sandbox`] needs to know.
#[derive(Clone)]
pub struct SandboxConfig {
    /// The PagerDuty API base URL (`http`/`https`, host, optional port, no path).
    /// The only destination the component may send requests to; it receives it
    /// as `PAGERDUTY_API_HOST`.
    pub api_base: String,
    /// The API token the host adds to outgoing requests. Never given to the guest.
    pub token: Option<String>,
    /// How the token is sent (tokens starting `pdus+_` always use `Bearer`).
    pub auth_scheme: AuthScheme,
    /// Whether the write tools are listed and callable (`PAGERDUTY_ENABLE_WRITE_TOOLS`).
    pub enable_write_tools: bool,
    /// The `From` address for write tools (`PAGERDUTY_USER_EMAIL`), if configured.
    pub user_email: Option<String>,
    /// The output cap in bytes (`PAGERDUTY_MAX_OUTPUT_BYTES`), if configured.
    pub max_output_bytes: Option<usize>,
    /// Connect / first-byte / between-bytes timeout for each HTTP request
    /// (where the guest sets none). Default 30 s.
    pub request_timeout: Duration,
    /// The longest one `list_tools` / `call_tool` may take. Default 60 s.
    pub call_deadline: Duration,
    /// The most linear memory one call's instance may use. Default 64 MiB.
    pub memory_limit_bytes: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            api_base: DEFAULT_API_BASE.to_owned(),
            token: None,
            auth_scheme: AuthScheme::Token,
            enable_write_tools: false,
            user_email: None,
            max_output_bytes: None,
            request_timeout: Duration::from_secs(30),
            call_deadline: Duration::from_secs(60),
            memory_limit_bytes: 64 << 20,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("api_base", &self.api_base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("auth_scheme", &self.auth_scheme)
            .field("enable_write_tools", &self.enable_write_tools)
            .field("user_email", &self.user_email)
            .field("max_output_bytes", &self.max_output_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("call_deadline", &self.call_deadline)
            .field("memory_limit_bytes", &self.memory_limit_bytes)
            .finish()
    }
}

impl SandboxConfig {
    /// The guest's whole environment: API host, write switch, the call deadline
    /// in milliseconds (`PAGERDUTY_CALL_DEADLINE_MS`, so the component can stop
    /// retrying before the host stops it), and the optional email and output
    /// cap. Never the token.
    pub fn guest_env(&self, base: &ApiBase) -> Vec<(String, String)> {
        let mut env = vec![
            ("PAGERDUTY_API_HOST".to_owned(), base.as_str().to_owned()),
            (
                "PAGERDUTY_ENABLE_WRITE_TOOLS".to_owned(),
                self.enable_write_tools.to_string(),
            ),
            (
                "PAGERDUTY_CALL_DEADLINE_MS".to_owned(),
                self.call_deadline.as_millis().to_string(),
            ),
        ];
        if let Some(email) = &self.user_email {
            env.push(("PAGERDUTY_USER_EMAIL".to_owned(), email.clone()));
        }
        if let Some(max) = self.max_output_bytes {
            env.push(("PAGERDUTY_MAX_OUTPUT_BYTES".to_owned(), max.to_string()));
        }
        env
    }
}

/// Runs the tools component: cheap to clone, safe to share between tasks.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    pre: bindings::ServerPre<StoreState>,
    egress: EgressPolicy,
    guest_env: Vec<(String, String)>,
    call_deadline: Duration,
    memory_limit_bytes: usize,
    tools: tokio::sync::OnceCell<Arc<Vec<ToolInfo>>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("egress", &self.inner.egress)
            .field("call_deadline", &self.inner.call_deadline)
            .field("memory_limit_bytes", &self.inner.memory_limit_bytes)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A sandbox running the embedded component (built from this workspace).
    pub fn new(config: SandboxConfig) -> anyhow::Result<Sandbox> {
        Self::build(config, EMBEDDED_COMPONENT, Some(EMBEDDED_COMPONENT_SHA256))
    }

    /// A sandbox running `component_wasm`, any component of the `server` world
    /// (binary or, for tests, WAT text).
    pub fn with_component(config: SandboxConfig, component_wasm: &[u8]) -> anyhow::Result<Sandbox> {
        Self::build(config, component_wasm, None)
    }

    fn build(config: SandboxConfig, wasm: &[u8], sha256: Option<&str>) -> anyhow::Result<Sandbox> {
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
        if base.is_insecure() && config.token.is_some() {
            tracing::warn!(api_host = %base, "the API host uses plain http: the token is sent unencrypted");
        }
        let engine = engine()?;
        let component = component(engine, wasm, sha256)?;
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
                engine: engine.clone(),
                pre,
                egress,
                guest_env: config.guest_env(&base),
                call_deadline: config.call_deadline,
                memory_limit_bytes: config.memory_limit_bytes,
                tools: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// The component's tools (write tools only when enabled), in the
    /// component's order. Asked once per sandbox, then cached.
    pub async fn list_tools(&self) -> anyhow::Result<Vec<ToolInfo>> {
        let tools = self
            .inner
            .tools
            .get_or_try_init(|| async {
                let (result, _) = self.run(Op::List, None).await;
                match result {
                    Ok(OpResult::List(tools)) => Ok(Arc::new(tools)),
                    Ok(OpResult::Call(_)) => unreachable!("list-tools answers a tool list"),
                    Err(fault) => Err(anyhow::anyhow!(
                        "listing the tools failed: {}",
                        fault.message()
                    )),
                }
            })
            .await?;
        Ok(tools.as_ref().clone())
    }

    /// Calls the tool `name` with `arguments_json` (a JSON object as text).
    ///
    /// `Ok(Ok(outcome))` is the tool's result, which may be a tool error
    /// (`outcome.is_error`), including the sandbox's own errors: a timeout
    /// (`NETWORK_ERROR`), a trap or exceeded memory limit (`INTERNAL_ERROR`).
    /// `Ok(Err(_))` is a call that never reached a tool (unknown tool, arguments
    /// not an object). `Err(_)` is a host fault.
    ///
    /// Outgoing requests carry the sandbox's default token
    /// ([`SandboxConfig::token`]); see [`Sandbox::call_tool_as`] to call on
    /// behalf of a caller with their own token.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments_json: &str,
    ) -> anyhow::Result<Result<CallOutcome, CallError>> {
        self.call(None, name, arguments_json).await
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
        self.call(Some(token), name, arguments_json).await
    }

    async fn call(
        &self,
        token: Option<&ApiToken>,
        name: &str,
        arguments_json: &str,
    ) -> anyhow::Result<Result<CallOutcome, CallError>> {
        let started = Instant::now();
        let (result, instantiated) = self
            .run(
                Op::Call {
                    name,
                    arguments: arguments_json,
                },
                token,
            )
            .await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let result = result.map(|r| match r {
            OpResult::Call(r) => r,
            OpResult::List(_) => unreachable!("call-tool answers a call result"),
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

    /// Instantiates the component in a fresh store and runs `op` under the
    /// memory limit and the deadline, authenticating with `token` (default:
    /// the sandbox's). Returns the result and whether the instantiation
    /// succeeded.
    async fn run(&self, op: Op<'_>, token: Option<&ApiToken>) -> (Result<OpResult, Fault>, bool) {
        let inner = &self.inner;
        let deadline = inner.call_deadline;
        let _ticking = EpochTicker::global().activate();
        let mut instantiated = false;
        let work = async {
            let mut store = self.new_store(token);
            let server = match inner.pre.instantiate_async(&mut store).await {
                Ok(server) => server,
                Err(error) => return Err(Fault::classify(error, store.data(), inner)),
            };
            instantiated = true;
            let tools = server.pagerduty_mcp_tools();
            let result = match op {
                Op::List => tools.call_list_tools(&mut store).await.map(OpResult::List),
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
        (result, instantiated)
    }

    /// A fresh store for one operation; its egress policy carries `token`, or
    /// the default token when `None`.
    fn new_store(&self, token: Option<&ApiToken>) -> Store<StoreState> {
        let inner = &self.inner;
        let egress = match token {
            Some(token) => inner.egress.for_token(token),
            None => inner.egress.clone(),
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
            limiter: Limiter {
                memory_limit: inner.memory_limit_bytes,
                memory_limit_hit: false,
            },
            deadline_hit: false,
        };
        let mut store = Store::new(&inner.engine, state);
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
    Call { name: &'a str, arguments: &'a str },
}

/// What [`Sandbox::run`] got back.
enum OpResult {
    List(Vec<ToolInfo>),
    Call(Result<CallOutcome, CallError>),
}

/// Why a call did not produce a result.
#[derive(Debug)]
enum Fault {
    /// The deadline passed.
    Deadline(Duration),
    /// The instance tried to grow its memory beyond the limit.
    Memory(usize),
    /// The guest trapped (or another runtime error occurred).
    Trap(String),
}

impl Fault {
    fn classify(error: wasmtime::Error, state: &StoreState, inner: &Inner) -> Fault {
        if state.deadline_hit || matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            return Fault::Deadline(inner.call_deadline);
        }
        if state.limiter.memory_limit_hit {
            return Fault::Memory(inner.memory_limit_bytes);
        }
        let text = match error.downcast_ref::<Trap>() {
            Some(trap) => format!("wasm trap: {trap}"),
            None => format!("{error:#}"),
        };
        Fault::Trap(text.lines().next().unwrap_or_default().to_owned())
    }

    fn message(&self) -> String {
        match self {
            Fault::Deadline(d) => format!(
                "the tool call exceeded its deadline of {}",
                format_duration(*d)
            ),
            Fault::Memory(limit) => {
                format!(
                    "the tool call exceeded the sandbox memory limit of {}",
                    format_bytes(*limit)
                )
            }
            Fault::Trap(text) => format!("the tool crashed in the sandbox ({text})"),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Fault::Deadline(_) => "NETWORK_ERROR",
            Fault::Memory(_) | Fault::Trap(_) => "INTERNAL_ERROR",
        }
    }

    fn into_outcome(self) -> CallOutcome {
        error_outcome(self.code(), &self.message())
    }
}

/// A tool error result in the envelope of the tool contract.
pub fn error_outcome(code: &str, message: &str) -> CallOutcome {
    // Written by hand to keep the contract's key order (metadata first).
    let text = |s: &str| Value::String(s.to_owned()).to_string();
    let structured_content = format!(
        r#"{{"metadata":{{"count":0,"description":"Error occurred while processing request"}},"error":{{"message":{},"code":{}}}}}"#,
        text(message),
        text(code)
    );
    CallOutcome {
        structured_content,
        is_error: true,
    }
}

/// `60s`, `1.5s`, `250ms`.
fn format_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d >= Duration::from_secs(1) {
        format!("{}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// `64 MiB`, or bytes when not a whole number of MiB.
fn format_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// Per-call store data.
struct StoreState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    egress: EgressPolicy,
    limiter: Limiter,
    deadline_hit: bool,
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

/// Caps linear memory and records when the cap was hit.
struct Limiter {
    memory_limit: usize,
    memory_limit_hit: bool,
}

/// The most table elements one instance may have.
const TABLE_ELEMENTS_LIMIT: usize = 1 << 20;

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            self.memory_limit_hit = true;
            wasmtime::bail!(
                "memory limit of {} exceeded",
                format_bytes(self.memory_limit)
            );
        }
        Ok(true)
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

/// The process-wide engine (also what the epoch ticker increments).
static ENGINE: OnceLock<Engine> = OnceLock::new();

/// The process-wide engine, created on first use.
fn engine() -> anyhow::Result<&'static Engine> {
    if let Some(engine) = ENGINE.get() {
        return Ok(engine);
    }
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .cranelift_opt_level(OptLevel::Speed);
    let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
    Ok(ENGINE.get_or_init(|| engine))
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

/// The compiled component: from this process's memory, the disk cache, or
/// compiled (and then cached).
fn component(engine: &Engine, wasm: &[u8], sha256: Option<&str>) -> anyhow::Result<Component> {
    static LOADED: OnceLock<Mutex<HashMap<String, Component>>> = OnceLock::new();
    let digest = match sha256 {
        Some(d) => d.to_owned(),
        None => hex(&Sha256::digest(wasm)),
    };
    let key = cache_key(engine, &digest);
    // Held while loading so that concurrent sandboxes compile a component once.
    let mut loaded = LOADED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(component) = loaded.get(&key) {
        return Ok(component.clone());
    }
    let component = load_or_compile(engine, wasm, &key)?;
    loaded.insert(key, component.clone());
    Ok(component)
}

fn load_or_compile(engine: &Engine, wasm: &[u8], key: &str) -> anyhow::Result<Component> {
    let dir = cache_dir();
    let path = dir.as_ref().map(|d| d.join(format!("{key}.cwasm")));
    if let Some(path) = &path
        && path.is_file()
    {
        let started = Instant::now();
        // SAFETY: the file was written by `Component::serialize` of this same
        // engine configuration (the key covers the compatibility hash) into a
        // private (0700) directory, via write-then-rename so it is never
        // partial; wasmtime additionally checks the header and version.
        match unsafe { Component::deserialize_file(engine, path) } {
            Ok(component) => {
                tracing::debug!(
                    path = %path.display(),
                    ms = started.elapsed().as_secs_f64() * 1000.0,
                    "loaded the precompiled component"
                );
                return Ok(component);
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), "ignoring an unusable precompiled component: {error:#}");
                let _ = fs::remove_file(path);
            }
        }
    }

    let started = Instant::now();
    let component = Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the component")?;
    tracing::info!(
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "compiled the component"
    );
    if let (Some(dir), Some(path)) = (&dir, &path) {
        match store_artifact(&component, dir, path) {
            Ok(()) => {
                tracing::debug!(path = %path.display(), "cached the precompiled component");
                prune_cache(dir, path);
            }
            Err(error) => {
                tracing::warn!(dir = %dir.display(), "could not cache the precompiled component: {error:#}")
            }
        }
    }
    Ok(component)
}

fn store_artifact(component: &Component, dir: &Path, path: &Path) -> anyhow::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let bytes = component.serialize().map_err(anyhow::Error::from)?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("component"),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    Ok(result?)
}

/// Keeps the [`CACHE_KEEP`] newest artifacts (always including `keep`).
fn prune_cache(dir: &Path, keep: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut artifacts: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm") && p != keep)
        .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    artifacts.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    for (_, old) in artifacts.into_iter().skip(CACHE_KEEP.saturating_sub(1)) {
        let _ = fs::remove_file(old);
    }
}

fn cache_key(engine: &Engine, component_sha256: &str) -> String {
    let mut compat = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let mut h = Sha256::new();
    h.update(component_sha256.as_bytes());
    h.update(compat.finish().to_le_bytes());
    h.update(concat!("pagerduty-mcp-host ", env!("CARGO_PKG_VERSION")).as_bytes());
    hex(&h.finalize()[..16])
}

/// The cache directory, created if needed; `None` when caching is off or the
/// directory is unusable.
fn cache_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("PAGERDUTY_MCP_CACHE_DIR") {
        Some(v) if v == "off" || v.is_empty() => return None,
        Some(v) => PathBuf::from(v),
        None => match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(xdg) => PathBuf::from(xdg).join("pagerduty-mcp"),
            None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?)
                .join(".cache")
                .join("pagerduty-mcp"),
        },
    };
    if let Err(error) = create_private_dir(&dir) {
        tracing::debug!(dir = %dir.display(), "not caching the compiled component: {error}");
        return None;
    }
    Some(dir)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = fs::metadata(dir)?;
        let uid = geteuid();
        if meta.mode() & 0o022 != 0 || meta.uid() != uid {
            return Err(std::io::Error::other(
                "the directory is writable by others or not owned by this user",
            ));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

#[cfg(unix)]
unsafe extern "C" {
    /// The effective user id (POSIX; no preconditions, cannot fail).
    safe fn geteuid() -> u32;
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Ticks the process-wide engine's epoch every [`EPOCH_TICK`] while at least
/// one call is running, and sleeps otherwise.
struct EpochTicker {
    active: AtomicUsize,
    thread: Thread,
}

/// Keeps the ticker running while alive.
struct Ticking(&'static EpochTicker);

impl EpochTicker {
    fn global() -> &'static EpochTicker {
        static TICKER: OnceLock<EpochTicker> = OnceLock::new();
        TICKER.get_or_init(|| {
            let handle = thread::Builder::new()
                .name("pagerduty-mcp-epoch".into())
                .spawn(|| {
                    let ticker = EpochTicker::global();
                    let engine = ENGINE.get().expect("the engine exists before any call");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_env_never_contains_the_token() {
        let config = SandboxConfig {
            token: Some("SECRET".into()),
            user_email: Some("a@example.com".into()),
            max_output_bytes: Some(1000),
            enable_write_tools: true,
            ..SandboxConfig::default()
        };
        let base = ApiBase::parse("https://api.pagerduty.com/").unwrap();
        let env = config.guest_env(&base);
        assert_eq!(
            env,
            [
                (
                    "PAGERDUTY_API_HOST".to_owned(),
                    "https://api.pagerduty.com".to_owned()
                ),
                ("PAGERDUTY_ENABLE_WRITE_TOOLS".to_owned(), "true".to_owned()),
                ("PAGERDUTY_CALL_DEADLINE_MS".to_owned(), "60000".to_owned()),
                (
                    "PAGERDUTY_USER_EMAIL".to_owned(),
                    "a@example.com".to_owned()
                ),
                ("PAGERDUTY_MAX_OUTPUT_BYTES".to_owned(), "1000".to_owned()),
            ]
        );
        assert!(!format!("{config:?}").contains("SECRET"));
    }

    #[test]
    fn formats() {
        assert_eq!(format_duration(Duration::from_secs(60)), "60s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(1000), "1000 bytes");
    }

    #[test]
    fn error_envelope_escapes_and_keeps_order() {
        let outcome = error_outcome("INTERNAL_ERROR", "a \"quoted\"\nmessage");
        assert!(outcome.structured_content.starts_with(r#"{"metadata":"#));
        let v: Value = serde_json::from_str(&outcome.structured_content).unwrap();
        assert_eq!(v["error"]["message"], "a \"quoted\"\nmessage");
        assert_eq!(v["error"]["code"], "INTERNAL_ERROR");
    }

    #[test]
    fn error_envelope_shape() {
        let outcome = error_outcome(
            "NETWORK_ERROR",
            "the tool call exceeded its deadline of 60s",
        );
        assert!(outcome.is_error);
        let v: serde_json::Value = serde_json::from_str(&outcome.structured_content).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"metadata":{"count":0,"description":"Error occurred while processing request"},
                   "error":{"message":"the tool call exceeded its deadline of 60s","code":"NETWORK_ERROR"}})
        );
    }
}
