//! `pagerduty-mcp-bench`: measures pagerduty-mcp (ours) and the original Python
//! PagerDuty MCP server (PyPI `pagerduty-mcp-server`) in one run, on one machine,
//! against one fake PagerDuty process, over raw newline-delimited JSON-RPC on the
//! servers' stdio (and Streamable HTTP for the throughput figure), and writes a
//! Markdown report. Normally started by `bench/run.sh`, which builds everything
//! and prepares the original server's venv.
//!
//! It is a benchmark, not a test: no timing is asserted. It fails only when a
//! server does not answer correctly (a JSON-RPC error, `isError`, an answer that
//! does not parse, or the two servers disagreeing on which incidents match).

mod compare;
mod engines;
mod handoff;
mod http;
mod instructions;
mod phases;
mod raw;
mod report;
mod rpc;
mod stats;
mod sys;

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use clap::Parser;
use serde_json::{Value, json};

use crate::http::HttpMcp;
use crate::rpc::{Launch, StdioServer};
use crate::stats::{Summary, summarize};

/// Measure pagerduty-mcp against the original Python PagerDuty MCP server.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Our server binary (target/release/pagerduty-mcp).
    #[arg(long)]
    ours: PathBuf,
    /// The fake PagerDuty binary (target/release/fake-pagerduty).
    #[arg(long)]
    fake: PathBuf,
    /// The Python of the original server's venv (bench/.venv/bin/python).
    #[arg(long)]
    python: PathBuf,
    /// The wrapper that starts the original server against the fake (bench/original_server.py).
    #[arg(long)]
    original: PathBuf,
    /// The tools component (target/components/pagerduty_mcp_tools.wasm), for its size.
    #[arg(long)]
    component: Option<PathBuf>,
    /// Where to write the Markdown report.
    #[arg(long)]
    out: PathBuf,
    /// Scratch directory: logs, the compiled-component cache, raw results.
    #[arg(long)]
    work_dir: PathBuf,
    /// Few repetitions (CI): every figure is measured, with small samples.
    #[arg(long)]
    quick: bool,
    /// Cold starts per server (default 20, quick 3).
    #[arg(long)]
    cold_runs: Option<usize>,
    /// Tool calls on one connection per server (default 1000, quick 100).
    #[arg(long)]
    calls: Option<usize>,
    /// Starts with an empty compiled-component cache (default 3, quick 1).
    #[arg(long)]
    compile_runs: Option<usize>,
    /// Seconds of HTTP load per tool and server (default 10, quick 2).
    #[arg(long)]
    http_seconds: Option<f64>,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// The fake's dataset seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The fake's clock.
    #[arg(long, default_value = "2026-11-24T07:00:00Z")]
    now: String,
    /// The command line to print under "Reproduce".
    #[arg(long, default_value = "bench/run.sh")]
    reproduce: String,
    /// wasmtime-cli 48.0.8, to serve the MCP server component (`wasmtime serve -Scli`).
    #[arg(long, requires = "http_component")]
    wasmtime: Option<PathBuf>,
    /// The MCP server component (target/components/pagerduty_mcp_http.wasm): compared
    /// under `wasmtime serve` with our `--http --per-request-token`.
    #[arg(long, requires = "wasmtime")]
    http_component: Option<PathBuf>,
    /// Only the component-vs-native comparison: its section of `--out` is replaced (or
    /// appended), the rest of the report is kept as it is.
    #[arg(long, requires = "http_component")]
    engines_only: bool,
}

/// The token the fake accepts for its current user (`fake_pagerduty::USER_TOKEN`).
pub const FAKE_USER_TOKEN: &str = "fake-user-token";

/// The two servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Ours,
    Theirs,
}

impl Who {
    pub const BOTH: [Who; 2] = [Who::Ours, Who::Theirs];

    pub fn name(self) -> &'static str {
        match self {
            Who::Ours => "pagerduty-mcp",
            Who::Theirs => "original",
        }
    }
    fn list_tool(self) -> &'static str {
        match self {
            Who::Ours => "list_incidents",
            Who::Theirs => "get_incidents",
        }
    }
    fn get_tool(self) -> &'static str {
        match self {
            Who::Ours => "get_incident",
            Who::Theirs => "get_incidents",
        }
    }
}

/// The same arguments mean the same query for both servers: explicit teams (no
/// user context), all statuses, no time window (PagerDuty's default one).
fn list_args(teams: &[String]) -> Value {
    json!({"current_user_context": false, "team_ids": teams, "limit": 100})
}

fn get_args(id: &str) -> Value {
    json!({"incident_id": id})
}

/// A pair of figures, ours and theirs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pair<T> {
    pub ours: T,
    pub theirs: T,
}

impl<T> Pair<T> {
    pub fn get(&self, who: Who) -> &T {
        match who {
            Who::Ours => &self.ours,
            Who::Theirs => &self.theirs,
        }
    }
    fn set(&mut self, who: Who, value: T) {
        match who {
            Who::Ours => self.ours = value,
            Who::Theirs => self.theirs = value,
        }
    }
}

/// Answer sizes for one query.
#[derive(Debug, Clone, Default)]
pub struct Bytes {
    pub query: String,
    pub items: Pair<usize>,
    /// The tool result JSON text (content[0].text).
    pub text: Pair<usize>,
    /// The whole JSON-RPC answer line on the pipe.
    pub line: Pair<usize>,
    /// The text cut to the fields both answers have (recursively), compact JSON.
    pub common: Pair<usize>,
    /// Field path → (ours-only, theirs-only).
    pub ours_only: Vec<(String, compare::OnlyIn)>,
    pub theirs_only: Vec<(String, compare::OnlyIn)>,
    /// Fields both have, with different values.
    pub differing: Vec<(String, compare::Differs)>,
    /// Same-fields bytes of the item list alone (without `metadata`).
    pub common_items: Pair<usize>,
}

/// HTTP throughput of one server.
#[derive(Debug, Clone, Default)]
pub struct HttpLoad {
    pub tool: String,
    pub clients: usize,
    pub calls: usize,
    pub seconds: f64,
    pub latency: Summary,
}

#[derive(Debug, Clone, Default)]
pub struct HttpServer {
    /// Why there is no figure (e.g. "not available yet").
    pub unavailable: Option<String>,
    pub listening_ms: f64,
    pub loads: Vec<HttpLoad>,
    pub rss_after_kib: u64,
}

/// Everything the report shows.
#[derive(Debug, Default)]
pub struct Results {
    pub quick: bool,
    pub date: String,
    pub machine: Vec<(String, String)>,
    pub reproduce: String,
    pub seed: u64,
    pub now: String,
    pub fake_url: String,
    pub teams: Vec<(String, String, usize)>,
    pub chosen_teams: Vec<String>,
    pub cold_list: Pair<Summary>,
    pub cold_init: Pair<Summary>,
    /// First start with an empty cache (the embedded artifact).
    pub first_start: Summary,
    /// First start with an empty cache and without the embedded artifact (compiles).
    pub first_start_compiling: Summary,
    pub compile_ms: Summary,
    /// Loading the embedded artifact.
    pub load_ms: Summary,
    pub sandbox_ready_ms: Summary,
    /// Loading the cached artifact (without the embedded one).
    pub cache_load_ms: Summary,
    pub cache_ready_ms: Summary,
    pub wasm_bytes: Option<u64>,
    pub cwasm_bytes: Option<u64>,
    pub binary_bytes: u64,
    pub tools: Pair<usize>,
    pub calls: usize,
    pub warmup: usize,
    pub lat_list: Pair<Summary>,
    pub lat_get: Pair<Summary>,
    pub rss_idle_kib: Pair<u64>,
    pub rss_after_kib: Pair<u64>,
    pub processes: Pair<usize>,
    pub cpu_ms_per_call: Pair<f64>,
    /// Ours only: `ping` round trips and tool calls that need no PagerDuty I/O.
    pub overhead_ping: Summary,
    pub overhead_call: Summary,
    pub bytes: Vec<Bytes>,
    pub http_clients: usize,
    pub http: Pair<HttpServer>,
    pub original_env: Vec<String>,
    /// The MCP server component under `wasmtime serve` vs our native HTTP server.
    pub engines: Option<engines::Comparison>,
    /// The PagerDuty request of each timed call sent straight to the fake,
    /// interleaved with the calls: `list_incidents`'s and `get_incident`'s.
    pub raw_list: Summary,
    pub raw_get: Summary,
    /// Bytes of the raw `list_incidents` answer.
    pub raw_list_bytes: usize,
    /// Ours: instructions per call (callgrind); empty when not counted.
    pub instructions: Vec<instructions::Count>,
    /// The `list_incidents` call by phase (callgrind, natively); empty when not counted.
    pub phases: Vec<phases::Phase>,
    /// `get_oncall_handoff` (ours only): requests per call and latency.
    pub handoff: Option<handoff::Handoff>,
}

fn main() {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("pagerduty-mcp-bench: {e:#}");
            std::process::exit(1);
        }
    }
}

/// The fake PagerDuty process, killed on drop.
struct Fake {
    child: Child,
    url: String,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_fake(cli: &Cli, logs: &Path) -> anyhow::Result<Fake> {
    let log = fs::File::create(logs.join("fake-pagerduty.log"))?;
    let mut child = Command::new(&cli.fake)
        .args([
            "--port",
            "0",
            "--seed",
            &cli.seed.to_string(),
            "--now",
            &cli.now,
        ])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("starting {}", cli.fake.display()))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let url = line.trim().to_owned();
    if !url.starts_with("http://") {
        let _ = child.kill();
        bail!("fake-pagerduty printed no base URL (got {line:?})");
    }
    Ok(Fake { child, url })
}

fn base_env() -> Vec<(String, String)> {
    ["PATH", "HOME", "LANG", "TZ"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect()
}

/// The time now, e.g. `2026-11-29 14:05 UTC`.
fn utc_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn log(msg: impl AsRef<str>) {
    eprintln!("[bench] {}", msg.as_ref());
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let quick = cli.quick;
    let cold_runs = cli.cold_runs.unwrap_or(if quick { 3 } else { 20 }).max(1);
    let calls = cli.calls.unwrap_or(if quick { 100 } else { 1000 }).max(10);
    let compile_runs = cli.compile_runs.unwrap_or(if quick { 1 } else { 3 }).max(1);
    let load_runs = if quick { 3 } else { 10 };
    let http_seconds = cli.http_seconds.unwrap_or(if quick { 2.0 } else { 10.0 });

    let work = std::path::absolute(&cli.work_dir)?;
    let logs = work.join("logs");
    let _ = fs::remove_dir_all(&logs);
    fs::create_dir_all(&logs)?;
    let cache = work.join("cache");
    let repo = std::env::current_dir()?;

    let mut r = Results {
        quick,
        date: utc_now(),
        machine: sys::machine(&cli.python, &repo),
        reproduce: cli.reproduce.clone(),
        seed: cli.seed,
        now: cli.now.clone(),
        calls,
        warmup: if quick { 2 } else { 10 },
        http_clients: cli.clients,
        ..Results::default()
    };

    let fake = start_fake(cli, &logs)?;
    r.fake_url = fake.url.clone();
    log(format!("fake PagerDuty at {}", fake.url));

    let mut env = base_env();
    env.push(("PAGERDUTY_API_HOST".into(), fake.url.clone()));
    env.push(("PAGERDUTY_API_TOKEN".into(), FAKE_USER_TOKEN.into()));
    let ours = Launch {
        program: std::path::absolute(&cli.ours)?,
        args: vec![],
        env: {
            let mut e = env.clone();
            e.push((
                "PAGERDUTY_MCP_CACHE_DIR".into(),
                cache.to_string_lossy().into(),
            ));
            e
        },
        cwd: work.clone(),
        log: logs.join("pagerduty-mcp.log"),
    };
    let original_env = [
        // No network call to PyPI at start-up (FastMCP's update check) and no banner:
        // the original in its fastest configuration.
        ("FASTMCP_CHECK_FOR_UPDATES", "off"),
        ("FASTMCP_SHOW_SERVER_BANNER", "false"),
    ];
    r.original_env = original_env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let theirs = Launch {
        program: std::path::absolute(&cli.python)?,
        args: vec![std::path::absolute(&cli.original)?.to_string_lossy().into()],
        env: {
            let mut e = env.clone();
            e.extend(
                original_env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            e.push((
                "XDG_CACHE_HOME".into(),
                work.join("xdg-cache").to_string_lossy().into(),
            ));
            e
        },
        cwd: work.clone(),
        log: logs.join("original.log"),
    };
    let launch = |who: Who| match who {
        Who::Ours => &ours,
        Who::Theirs => &theirs,
    };

    if cli.engines_only {
        let (_, chosen) = choose_teams(&ours)?;
        let ids = incident_ids(&ours, &chosen)?;
        let comparison = engines::run(cli, &ours, &fake.url, &ids, http_seconds, &logs)?;
        drop(fake);
        let existing = fs::read_to_string(&cli.out).unwrap_or_default();
        fs::write(
            &cli.out,
            engines::splice(&existing, &engines::markdown(&comparison)),
        )?;
        log(format!(
            "updated the component section of {}",
            cli.out.display()
        ));
        return Ok(());
    }

    // --- The component: first starts (embedded artifact; compiling), loads ---------
    // Without the artifact precompiled into the binary (PAGERDUTY_MCP_PRECOMPILED=off)
    // a first start compiles with Cranelift and writes the cache.
    let no_embedded = ours.with_env("PAGERDUTY_MCP_PRECOMPILED", "off");
    log(format!(
        "first starts with an empty cache, with and without the embedded artifact ({compile_runs}x each)"
    ));
    let mut first = Vec::new();
    let mut first_compiling = Vec::new();
    let mut compile = Vec::new();
    for i in 0..compile_runs {
        for (embedded, base) in [(true, &ours), (false, &no_embedded)] {
            let dir = work.join("cache-empty");
            let _ = fs::remove_dir_all(&dir);
            let logfile = logs.join(format!("first-start-{i}-{embedded}.log"));
            let l = Launch {
                log: logfile.clone(),
                ..base
                    .with_env("PAGERDUTY_MCP_CACHE_DIR", &dir.to_string_lossy())
                    .with_args(&["--log-level", "pagerduty_mcp_host=debug"])
            };
            let (_, list_ms, _) = cold_start(Who::Ours, &l)?;
            if embedded {
                first.push(list_ms);
            } else {
                first_compiling.push(list_ms);
                compile.extend(log_ms(&logfile, "compiled the component"));
                if i == 0 {
                    r.cwasm_bytes = largest_cwasm(&dir);
                }
            }
        }
    }
    r.first_start = summarize(&first);
    r.first_start_compiling = summarize(&first_compiling);
    r.compile_ms = summarize(&compile);

    // The warm cache used from here on (by starts without the embedded artifact).
    let _ = fs::remove_dir_all(&cache);
    cold_start(Who::Ours, &no_embedded)?;
    cold_start(Who::Theirs, &theirs)?; // also warms the OS file cache for Python
    let (mut load, mut ready) = (Vec::new(), Vec::new());
    let (mut cache_load, mut cache_ready) = (Vec::new(), Vec::new());
    for i in 0..load_runs {
        for (embedded, base) in [(true, &ours), (false, &no_embedded)] {
            let logfile = logs.join(format!("warm-start-{i}-{embedded}.log"));
            let l = Launch {
                log: logfile.clone(),
                ..base.with_args(&["--log-level", "pagerduty_mcp_host=debug"])
            };
            cold_start(Who::Ours, &l)?;
            let (load, ready) = match embedded {
                true => (&mut load, &mut ready),
                false => (&mut cache_load, &mut cache_ready),
            };
            load.extend(log_ms(&logfile, "loaded the precompiled component"));
            ready.extend(log_ms(&logfile, "sandbox ready"));
        }
    }
    r.load_ms = summarize(&load);
    r.sandbox_ready_ms = summarize(&ready);
    r.cache_load_ms = summarize(&cache_load);
    r.cache_ready_ms = summarize(&cache_ready);
    r.wasm_bytes = cli
        .component
        .as_ref()
        .and_then(|p| fs::metadata(p).ok())
        .map(|m| m.len());
    r.binary_bytes = fs::metadata(&cli.ours)?.len();

    // --- Cold start: spawn → initialize → tools/list answered --------------------
    log(format!("cold starts ({cold_runs}x each, interleaved)"));
    let mut cold: Pair<Vec<f64>> = Pair::default();
    let mut init: Pair<Vec<f64>> = Pair::default();
    for i in 0..cold_runs {
        let order = if i % 2 == 0 {
            Who::BOTH
        } else {
            [Who::Theirs, Who::Ours]
        };
        for who in order {
            let (init_ms, list_ms, tools) = cold_start(who, launch(who))?;
            match who {
                Who::Ours => {
                    cold.ours.push(list_ms);
                    init.ours.push(init_ms);
                }
                Who::Theirs => {
                    cold.theirs.push(list_ms);
                    init.theirs.push(init_ms);
                }
            }
            r.tools.set(who, tools);
        }
    }
    r.cold_list = Pair {
        ours: summarize(&cold.ours),
        theirs: summarize(&cold.theirs),
    };
    r.cold_init = Pair {
        ours: summarize(&init.ours),
        theirs: summarize(&init.theirs),
    };

    // --- The query: teams whose incidents (default window) add up to ≤ 100 --------
    let (teams, chosen) = choose_teams(&ours)?;
    r.teams = teams;
    r.chosen_teams = chosen.clone();
    log(format!("list_incidents filter: team_ids {chosen:?}"));

    // --- One connection each: idle RSS, answer bytes, latency, RSS after N calls ---
    session(&mut r, &ours, &theirs, &chosen)?;
    log("get_oncall_handoff: requests per call and latency (ours only)");
    r.handoff = Some(handoff::measure(
        &ours,
        if quick { 20 } else { 200 },
        r.warmup,
        &logs,
    )?);

    // --- Instructions per call (callgrind) ---------------------------------------------
    if instructions::available() {
        let (few, many) = if quick { (1, 3) } else { (2, 12) };
        log(format!(
            "instructions per call: callgrind, {few} and {many} calls of each kind"
        ));
        let ids = incident_ids(&ours, &chosen)?;
        let calls = [
            instructions::Call {
                label: "`tools/list`".into(),
                tool: None,
            },
            instructions::Call {
                label: "`get_incident`".into(),
                tool: Some(("get_incident".into(), get_args(&ids[0]))),
            },
            instructions::Call {
                label: format!(
                    "`list_incidents` ({} incidents)",
                    r.bytes.first().map_or(0, |b| b.items.ours)
                ),
                tool: Some(("list_incidents".into(), list_args(&chosen))),
            },
        ];
        r.instructions = instructions::count(&ours, &calls, few, many, &logs)?;
        log("the list call by phase: callgrind, natively");
        let answer = logs.join("list-incidents-answer.json");
        let (_, body) = raw::fetch(
            &r.fake_url,
            &raw::list_incidents_path(&chosen),
            FAKE_USER_TOKEN,
        )?;
        fs::write(&answer, body)?;
        let program = std::env::current_exe()?.with_file_name("pagerduty-mcp-bench-phase");
        r.phases = phases::count(
            &program,
            &answer,
            &list_args(&chosen).to_string(),
            few,
            many,
            &logs,
        )?;
    } else {
        log("instructions per call: not counted (valgrind is not installed)");
    }

    // --- HTTP throughput -------------------------------------------------------------
    http_phase(&mut r, cli, &ours, &theirs, &chosen, http_seconds)?;
    if cli.http_component.is_some() {
        let ids = incident_ids(&ours, &chosen)?;
        r.engines = Some(engines::run(
            cli,
            &ours,
            &fake.url,
            &ids,
            http_seconds,
            &logs,
        )?);
    }

    drop(fake);
    if let Some(dir) = cli.out.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(&cli.out, report::markdown(&r))?;
    fs::write(work.join("results.txt"), format!("{r:#?}\n"))?;
    log(format!("wrote {}", cli.out.display()));
    Ok(())
}

/// Spawn → `initialize` answered → `tools/list` answered; closes the server.
/// Returns (ms to initialize answer, ms to tools/list answer, number of tools).
fn cold_start(who: Who, launch: &Launch) -> anyhow::Result<(f64, f64, usize)> {
    let mut s = StdioServer::spawn(who.name(), launch)?;
    let init = s.initialize()?;
    let (list, names) = s.list_tools()?;
    for tool in [who.list_tool(), who.get_tool()] {
        if !names.iter().any(|n| n == tool) {
            bail!(
                "{}: tools/list has no {tool} (tools: {names:?})",
                who.name()
            );
        }
    }
    let out = (
        ms(init.at - s.spawned_at),
        ms(list.at - s.spawned_at),
        names.len(),
    );
    s.close(Duration::from_secs(10));
    Ok(out)
}

/// The `ms=` values of the log lines containing `message`.
fn log_ms(path: &Path, message: &str) -> Vec<f64> {
    rpc::log_lines(path, message)
        .iter()
        .filter_map(|l| {
            let rest = &l[l.find(" ms=")? + 4..];
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            rest[..end].parse().ok()
        })
        .collect()
}

fn largest_cwasm(dir: &Path) -> Option<u64> {
    fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .filter_map(|e| e.metadata().ok().map(|m| m.len()))
        .max()
}

/// The teams (id, name, incidents in the default window) and the subset of
/// teams with the most incidents that still fit in one answer of 100, so both
/// servers return the same incidents.
#[allow(clippy::type_complexity)]
fn choose_teams(ours: &Launch) -> anyhow::Result<(Vec<(String, String, usize)>, Vec<String>)> {
    let mut s = StdioServer::spawn("pagerduty-mcp", ours)?;
    s.initialize()?;
    let teams = s.call_tool("list_teams", &json!({"limit": 100}))?.json;
    let mut out = Vec::new();
    for team in teams["teams"]
        .as_array()
        .ok_or_else(|| anyhow!("list_teams: no teams"))?
    {
        let id = team["id"].as_str().unwrap_or_default().to_owned();
        let name = team["name"]
            .as_str()
            .or(team["summary"].as_str())
            .unwrap_or_default()
            .to_owned();
        let n = s
            .call_tool(
                "list_incidents",
                &json!({"current_user_context": false, "team_ids": [id], "limit": 1000}),
            )?
            .json["metadata"]["count"]
            .as_u64()
            .unwrap_or(0) as usize;
        out.push((id, name, n));
    }
    s.close(Duration::from_secs(5));
    if out.is_empty() || out.len() > 16 {
        bail!("expected a handful of teams in the fake, got {}", out.len());
    }
    let mut best: (usize, u32) = (0, 0);
    for mask in 1u32..(1 << out.len()) {
        let sum: usize = (0..out.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| out[i].2)
            .sum();
        if sum <= 100
            && (sum > best.0 || (sum == best.0 && mask.count_ones() > best.1.count_ones()))
        {
            best = (sum, mask);
        }
    }
    if best.0 == 0 {
        bail!("no team has incidents in the default window");
    }
    let chosen = (0..out.len())
        .filter(|i| best.1 & (1 << i) != 0)
        .map(|i| out[i].0.clone())
        .collect();
    Ok((out, chosen))
}

fn session(
    r: &mut Results,
    ours: &Launch,
    theirs: &Launch,
    teams: &[String],
) -> anyhow::Result<()> {
    log(format!(
        "one connection each: idle RSS, answer bytes, {} calls (interleaved)",
        r.calls
    ));
    let mut servers = [
        StdioServer::spawn("pagerduty-mcp", ours)?,
        StdioServer::spawn("original", theirs)?,
    ];
    for s in servers.iter_mut() {
        s.initialize()?;
        s.list_tools()?;
    }
    thread::sleep(Duration::from_secs(1));
    for (who, s) in Who::BOTH.iter().zip(&servers) {
        let (kib, n) = sys::rss_tree_kib(s.pid());
        r.rss_idle_kib.set(*who, kib);
        r.processes.set(*who, n);
    }
    let cpu_before: Vec<f64> = servers.iter().map(|s| sys::cpu_tree_ms(s.pid())).collect();

    // The comparison calls (they count toward the N calls).
    let args = list_args(teams);
    let list: Vec<rpc::ToolAnswer> = Who::BOTH
        .iter()
        .zip(servers.iter_mut())
        .map(|(who, s)| s.call_tool(who.list_tool(), &args))
        .collect::<anyhow::Result<_>>()?;
    let (ids_o, ids_t) = (
        compare::ids(&list[0].json, "incidents"),
        compare::ids(&list[1].json, "incidents"),
    );
    let (mut so, mut st) = (ids_o.clone(), ids_t.clone());
    so.sort();
    st.sort();
    if so.is_empty() || so != st {
        bail!(
            "the servers disagree on the incidents of team_ids {teams:?}: ours {} ({:?}…), original {} ({:?}…)",
            so.len(),
            so.iter().take(3).collect::<Vec<_>>(),
            st.len(),
            st.iter().take(3).collect::<Vec<_>>()
        );
    }
    r.bytes.push(bytes_row(
        format!(
            "`list_incidents` / `get_incidents`, team_ids of {} teams, limit 100",
            teams.len()
        ),
        &list,
    ));
    let get: Vec<rpc::ToolAnswer> = Who::BOTH
        .iter()
        .zip(servers.iter_mut())
        .map(|(who, s)| s.call_tool(who.get_tool(), &get_args(&so[0])))
        .collect::<anyhow::Result<_>>()?;
    for g in &get {
        if compare::ids(&g.json, "incidents") != [so[0].clone()] {
            bail!(
                "get incident {}: unexpected answer {}",
                so[0],
                rpc::truncate(&g.text, 300)
            );
        }
    }
    r.bytes.push(bytes_row(
        format!("`get_incident` / `get_incidents(incident_id)`, {}", so[0]),
        &get,
    ));

    let expected = so.len();
    let mut lat_list: Pair<Vec<f64>> = Pair::default();
    let mut lat_get: Pair<Vec<f64>> = Pair::default();
    let (mut raw_list, mut raw_get) = (Vec::new(), Vec::new());
    let list_path = raw::list_incidents_path(teams);
    for i in 0..r.calls - 2 {
        let order = if i % 4 < 2 { [0, 1] } else { [1, 0] };
        for k in order {
            let who = Who::BOTH[k];
            let s = &mut servers[k];
            let (lat, sink) = if i % 2 == 0 {
                let a = s.call_tool(who.list_tool(), &args)?;
                let n = a.json["incidents"].as_array().map_or(0, Vec::len);
                if n != expected {
                    bail!(
                        "{}: call {i}: {n} incidents instead of {expected}",
                        who.name()
                    );
                }
                (a.answer.latency, &mut lat_list)
            } else {
                let id = &so[(i / 2) % so.len()];
                let a = s.call_tool(who.get_tool(), &get_args(id))?;
                if compare::ids(&a.json, "incidents") != [id.clone()] {
                    bail!("{}: call {i}: wrong answer for incident {id}", who.name());
                }
                (a.answer.latency, &mut lat_get)
            };
            if i / 2 >= r.warmup {
                match who {
                    Who::Ours => sink.ours.push(ms(lat)),
                    Who::Theirs => sink.theirs.push(ms(lat)),
                }
            }
        }
        // The same PagerDuty request, straight to the fake.
        if i / 2 >= r.warmup {
            if i % 2 == 0 {
                let (t, bytes) = raw::get(&r.fake_url, &list_path, FAKE_USER_TOKEN)?;
                raw_list.push(ms(t));
                r.raw_list_bytes = bytes;
            } else {
                let id = &so[(i / 2) % so.len()];
                raw_get.push(ms(raw::get(
                    &r.fake_url,
                    &raw::get_incident_path(id),
                    FAKE_USER_TOKEN,
                )?
                .0));
            }
        }
        if i % 200 == 199 {
            log(format!("  {} calls", i + 3));
        }
    }
    r.raw_list = summarize(&raw_list);
    r.raw_get = summarize(&raw_get);
    r.lat_list = Pair {
        ours: summarize(&lat_list.ours),
        theirs: summarize(&lat_list.theirs),
    };
    r.lat_get = Pair {
        ours: summarize(&lat_get.ours),
        theirs: summarize(&lat_get.theirs),
    };
    sandbox_overhead(r, &mut servers[0])?;
    for (k, s) in servers.iter().enumerate() {
        let who = Who::BOTH[k];
        r.rss_after_kib.set(who, sys::rss_tree_kib(s.pid()).0);
        r.cpu_ms_per_call.set(
            who,
            (sys::cpu_tree_ms(s.pid()) - cpu_before[k]) / r.calls as f64,
        );
    }
    for s in servers {
        s.close(Duration::from_secs(10));
    }
    Ok(())
}

/// The sandbox's share of a call, on our server: a `ping` (JSON-RPC round trip, no
/// sandbox) against a tool call that fails validation inside the component (a fresh
/// instance, the component's work, the envelope; no PagerDuty I/O), interleaved.
fn sandbox_overhead(r: &mut Results, ours: &mut StdioServer) -> anyhow::Result<()> {
    let n = if r.quick { 50 } else { 500 };
    let invalid = json!({"incident_id": "P@X"});
    let (mut ping, mut call) = (Vec::new(), Vec::new());
    for i in 0..n + 10 {
        let p = ours.request("ping", json!({}))?;
        let c = ours.request(
            "tools/call",
            json!({"name": "get_incident", "arguments": invalid}),
        )?;
        let result = &c.message["result"];
        if result["isError"] != true
            || result["structuredContent"]["error"]["code"] != "INVALID_INCIDENT_ID"
        {
            bail!(
                "sandbox overhead: unexpected answer {}",
                rpc::truncate(&c.message.to_string(), 300)
            );
        }
        if i >= 10 {
            ping.push(ms(p.latency));
            call.push(ms(c.latency));
        }
    }
    r.overhead_ping = summarize(&ping);
    r.overhead_call = summarize(&call);
    Ok(())
}

fn bytes_row(query: String, answers: &[rpc::ToolAnswer]) -> Bytes {
    let (a, b) = compare::align_by_id(
        &compare::plural(&answers[0].json, "incidents"),
        &compare::plural(&answers[1].json, "incidents"),
        "incidents",
    );
    let (ca, cb) = compare::intersect(&a, &b);
    let (oa, ob) = compare::one_sided_fields(&a, &b);
    let mut differing: Vec<_> = compare::differing_values(&a, &b).into_iter().collect();
    differing.sort_by(|x, y| {
        let delta = |d: &compare::Differs| d.bytes_a as i64 - d.bytes_b as i64;
        delta(&y.1).cmp(&delta(&x.1)).then(x.0.cmp(&y.0))
    });
    let sort = |m: std::collections::BTreeMap<String, compare::OnlyIn>| {
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|x, y| y.1.bytes.cmp(&x.1.bytes).then(x.0.cmp(&y.0)));
        v
    };
    Bytes {
        query,
        items: Pair {
            ours: compare::ids(&answers[0].json, "incidents").len(),
            theirs: compare::ids(&answers[1].json, "incidents").len(),
        },
        text: Pair {
            ours: answers[0].text.len(),
            theirs: answers[1].text.len(),
        },
        line: Pair {
            ours: answers[0].answer.line_bytes,
            theirs: answers[1].answer.line_bytes,
        },
        common: Pair {
            ours: compare::json_len(&ca),
            theirs: compare::json_len(&cb),
        },
        common_items: Pair {
            ours: compare::json_len(&ca["incidents"]),
            theirs: compare::json_len(&cb["incidents"]),
        },
        ours_only: sort(oa),
        theirs_only: sort(ob),
        differing,
    }
}

/// Ids for get_incident, from the fake through our stdio server, sorted.
fn incident_ids(ours: &Launch, teams: &[String]) -> anyhow::Result<Vec<String>> {
    let mut s = StdioServer::spawn("pagerduty-mcp", ours)?;
    s.initialize()?;
    let a = s.call_tool(Who::Ours.list_tool(), &list_args(teams))?;
    s.close(Duration::from_secs(5));
    let mut ids = compare::ids(&a.json, "incidents");
    ids.sort();
    Ok(ids)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server started in HTTP mode, killed on drop.
struct HttpProcess {
    child: Child,
    addr: String,
}

impl Drop for HttpProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_http(who: Who, launch: &Launch) -> anyhow::Result<(HttpProcess, f64)> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let launch = match who {
        Who::Ours => launch.with_args(&["--http", &addr]),
        Who::Theirs => launch.with_env("BENCH_ORIGINAL_HTTP", &addr),
    };
    let started = Instant::now();
    let child = launch
        .command()?
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let p = wait_listening(who.name(), child, &addr, &launch.log)?;
    Ok((p, ms(started.elapsed())))
}

/// `child`, once it accepts connections on `addr` (at most 60 s); `log` is named
/// when it exits first.
fn wait_listening(name: &str, child: Child, addr: &str, log: &Path) -> anyhow::Result<HttpProcess> {
    let started = Instant::now();
    let mut p = HttpProcess {
        child,
        addr: addr.to_owned(),
    };
    loop {
        if TcpStream::connect(addr).is_ok() {
            return Ok(p);
        }
        if let Some(status) = p.child.try_wait()? {
            bail!(
                "{name}: exited ({status}) before listening on {addr}; see {}",
                log.display()
            );
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("{name}: not listening on {addr} after 60 s");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn http_phase(
    r: &mut Results,
    cli: &Cli,
    ours: &Launch,
    theirs: &Launch,
    teams: &[String],
    seconds: f64,
) -> anyhow::Result<()> {
    let help = Command::new(&cli.ours).arg("--help").output()?;
    let has_http = String::from_utf8_lossy(&help.stdout).contains("--http");
    if !has_http {
        r.http.ours.unavailable =
            Some("not available yet (`pagerduty-mcp --help` lists no `--http`)".into());
    }
    let ids = incident_ids(ours, teams)?;
    for who in Who::BOTH {
        if who == Who::Ours && !has_http {
            continue;
        }
        log(format!("HTTP: {} with {} clients", who.name(), cli.clients));
        let (process, listening_ms) =
            start_http(who, if who == Who::Ours { ours } else { theirs })?;
        let mut server = HttpServer {
            listening_ms,
            ..HttpServer::default()
        };
        // One client, one call at a time (latency without load), then N clients.
        for clients in [1, cli.clients] {
            let secs = if clients == 1 {
                (seconds / 4.0).max(0.5)
            } else {
                seconds
            };
            for (tool, get) in [(who.list_tool(), false), (who.get_tool(), true)] {
                let label = match (who, get) {
                    (Who::Ours, _) => tool.to_owned(),
                    (Who::Theirs, false) => "get_incidents(team_ids)".into(),
                    (Who::Theirs, true) => "get_incidents(incident_id)".into(),
                };
                let load = Load {
                    clients,
                    seconds: secs,
                    authorization: None,
                };
                let load = http_load(&process.addr, tool, teams, &ids, get, load)
                    .with_context(|| format!("{}: HTTP load with {tool}", who.name()))?;
                server.loads.push(HttpLoad {
                    tool: label,
                    ..load
                });
            }
        }
        // the process tree of the server (the child we spawned)
        server.rss_after_kib = sys::rss_tree_kib(process.child.id()).0;
        r.http.set(who, server);
        drop(process);
    }
    Ok(())
}

/// How hard [`http_load`] pushes: clients, for how long, with which `Authorization`.
#[derive(Debug, Clone, Copy)]
pub struct Load<'a> {
    pub clients: usize,
    pub seconds: f64,
    pub authorization: Option<&'a str>,
}

fn http_load(
    addr: &str,
    tool: &str,
    teams: &[String],
    ids: &[String],
    get: bool,
    load: Load<'_>,
) -> anyhow::Result<HttpLoad> {
    let Load {
        clients,
        seconds,
        authorization,
    } = load;
    let barrier = Arc::new(Barrier::new(clients));
    let duration = Duration::from_secs_f64(seconds);
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let (barrier, addr, tool) = (barrier.clone(), addr.to_owned(), tool.to_owned());
            let (teams, ids) = (teams.to_vec(), ids.to_vec());
            let authorization = authorization.map(str::to_owned);
            thread::spawn(move || -> anyhow::Result<(Instant, Instant, Vec<f64>)> {
                let mut client = HttpMcp::new(&addr, "/mcp");
                if let Some(value) = &authorization {
                    client = client.with_authorization(value);
                }
                let result = (|| {
                    client.initialize()?;
                    let args = |i: usize| {
                        if get {
                            get_args(&ids[(c * 7 + i) % ids.len()])
                        } else {
                            list_args(&teams)
                        }
                    };
                    for i in 0..2 {
                        client.call_tool(&tool, &args(i))?;
                    }
                    Ok::<_, anyhow::Error>(args)
                })();
                barrier.wait();
                let args = result?;
                let start = Instant::now();
                let mut lat = Vec::new();
                let mut i = 0;
                while start.elapsed() < duration {
                    lat.push(ms(client.call_tool(&tool, &args(i))?));
                    i += 1;
                }
                Ok((start, Instant::now(), lat))
            })
        })
        .collect();
    let mut results = Vec::new();
    for h in handles {
        results.push(
            h.join()
                .map_err(|_| anyhow!("a client thread panicked"))??,
        );
    }
    let start = results.iter().map(|r| r.0).min().expect("clients ≥ 1");
    let end = results.iter().map(|r| r.1).max().expect("clients ≥ 1");
    let lat: Vec<f64> = results.into_iter().flat_map(|r| r.2).collect();
    Ok(HttpLoad {
        tool: tool.into(),
        clients,
        calls: lat.len(),
        seconds: (end - start).as_secs_f64(),
        latency: summarize(&lat),
    })
}
