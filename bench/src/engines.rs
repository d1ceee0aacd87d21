//! The MCP server component (`pagerduty_mcp_http.wasm`) under `wasmtime serve`, side
//! by side with our native HTTP server (`--http --per-request-token`): calls per
//! second and latency of `get_incident` with 1, 8 and 32 concurrent clients, every
//! request carrying the caller's PagerDuty token, against the same fake; and both
//! components' sizes.
//!
//! Its report section sits between [`BEGIN`] and [`END`], so `--engines-only`
//! (`bench/run.sh --engines`) can refresh it without touching the rest.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::report::{f_bytes, f_ms};
use crate::rpc::Launch;
use crate::{Cli, FAKE_USER_TOKEN, HttpLoad, Load, Who, free_port, http_load, log, wait_listening};

/// The concurrent clients of each measurement.
pub const CLIENTS: [usize; 3] = [1, 8, 32];

/// Where the section starts in the report.
pub const BEGIN: &str = "<!-- engines:begin (bench/run.sh --engines rewrites this section) -->";
/// Where it ends.
pub const END: &str = "<!-- engines:end -->";

/// A component should weigh less than this (issue 11).
const SIZE_BUDGET: u64 = 1 << 20;

/// The figures of the comparison.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// When and how it was measured.
    pub date: String,
    pub quick: bool,
    pub cpus: usize,
    pub seconds: f64,
    /// One load per [`CLIENTS`] entry.
    pub component: Vec<HttpLoad>,
    pub native: Vec<HttpLoad>,
    pub tools_bytes: Option<u64>,
    pub http_bytes: Option<u64>,
}

/// Starts both servers against `fake_url` and measures them in turn at each
/// client count.
pub fn run(
    cli: &Cli,
    ours: &Launch,
    fake_url: &str,
    ids: &[String],
    seconds: f64,
    logs: &Path,
) -> anyhow::Result<Comparison> {
    let (Some(wasmtime), Some(component)) = (&cli.wasmtime, &cli.http_component) else {
        anyhow::bail!("the comparison needs --wasmtime and --http-component");
    };
    let authorization = format!("Token token={FAKE_USER_TOKEN}");

    // The native server takes each call's token from its request, like the component.
    let native_addr = format!("127.0.0.1:{}", free_port()?);
    let native_launch = Launch {
        env: ours
            .env
            .iter()
            .filter(|(k, _)| k != "PAGERDUTY_API_TOKEN")
            .cloned()
            .collect(),
        log: logs.join("engines-native.log"),
        ..ours.with_args(&["--http", &native_addr, "--per-request-token"])
    };
    let child = native_launch
        .command()?
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let native = wait_listening(
        "pagerduty-mcp --http",
        child,
        &native_addr,
        &native_launch.log,
    )?;

    let component_addr = format!("127.0.0.1:{}", free_port()?);
    let component_log = logs.join("engines-wasmtime-serve.log");
    let child = Command::new(wasmtime)
        .args(["serve", "-Scli", "--addr", &component_addr, "--env"])
        .arg(format!("PAGERDUTY_API_HOST={fake_url}"))
        .arg(component)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&component_log)?)
        .stderr(fs::File::create(component_log.with_extension("err"))?)
        .spawn()?;
    let served = wait_listening("wasmtime serve", child, &component_addr, &component_log)?;

    let mut comparison = Comparison {
        date: crate::utc_now(),
        quick: cli.quick,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        seconds,
        tools_bytes: cli
            .component
            .as_ref()
            .and_then(|p| fs::metadata(p).ok())
            .map(|m| m.len()),
        http_bytes: fs::metadata(component).ok().map(|m| m.len()),
        ..Comparison::default()
    };
    let tool = Who::Ours.get_tool();
    for clients in CLIENTS {
        for (name, addr) in [("component", &served.addr), ("native", &native.addr)] {
            log(format!("engines: {name}, {tool} with {clients} clients"));
            let load = Load {
                clients,
                seconds,
                authorization: Some(&authorization),
            };
            let load = http_load(addr, tool, &[], ids, true, load)?;
            if name == "component" {
                comparison.component.push(load);
            } else {
                comparison.native.push(load);
            }
        }
    }
    Ok(comparison)
}

fn calls_per_second(load: &HttpLoad) -> f64 {
    load.calls as f64 / load.seconds.max(f64::EPSILON)
}

/// The report section, between [`BEGIN`] and [`END`].
pub fn markdown(c: &Comparison) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "{BEGIN}");
    let _ = writeln!(
        m,
        "## The MCP server component under `wasmtime serve` vs the native host\n"
    );
    let mode = if c.quick {
        "quick mode, small samples"
    } else {
        "full run"
    };
    let _ = writeln!(
        m,
        "_Measured on {} ({mode}; {} CPUs; {:.1} s per point). `bench/run.sh --engines` re-measures only this section._\n",
        c.date, c.cpus, c.seconds
    );
    let _ = writeln!(
        m,
        "`get_incident` against the fake, every request carrying the caller's PagerDuty token \
         (`Authorization: Token token=…`). **Component:** `pagerduty_mcp_http.wasm` under \
         `wasmtime serve -Scli` (wasmtime-cli 48.0.8; stateless MCP, a fresh instance per HTTP \
         request). **Native:** `pagerduty-mcp --http --per-request-token` (rmcp sessions, a fresh \
         sandbox instance per tool call). Each client is a thread with one keep-alive connection \
         sending one call at a time.\n"
    );
    let _ = writeln!(
        m,
        "| clients | component calls/s | component p50 | component p99 | native calls/s | native p50 | native p99 |\n\
         |---:|---:|---:|---:|---:|---:|---:|"
    );
    for (component, native) in c.component.iter().zip(&c.native) {
        let _ = writeln!(
            m,
            "| {} | {:.0} | {} | {} | {:.0} | {} | {} |",
            component.clients,
            calls_per_second(component),
            f_ms(component.latency.p50),
            f_ms(component.latency.p99),
            calls_per_second(native),
            f_ms(native.latency.p50),
            f_ms(native.latency.p99),
        );
    }
    let _ = writeln!(m, "\n| component | size |\n|---|---:|");
    for (name, bytes) in [
        (
            "`pagerduty_mcp_tools.wasm` (`server` world, run by the native host)",
            c.tools_bytes,
        ),
        (
            "`pagerduty_mcp_http.wasm` (`http-server` world, any wasi:http engine)",
            c.http_bytes,
        ),
    ] {
        let size = match bytes {
            Some(b) if b >= SIZE_BUDGET => format!("{} — over the 1 MiB budget", f_bytes(b)),
            Some(b) => f_bytes(b),
            None => "not built".to_owned(),
        };
        let _ = writeln!(m, "| {name} | {size} |");
    }
    let _ = writeln!(m, "\n{}", limits(c));
    let _ = writeln!(m, "{END}");
    m
}

/// What limits throughput, from the figures.
fn limits(c: &Comparison) -> String {
    let (Some(c1), Some(n1), Some(c_last), Some(c8)) = (
        c.component.first(),
        c.native.first(),
        c.component.last(),
        c.component.get(1),
    ) else {
        return String::new();
    };
    let growth = calls_per_second(c_last) / calls_per_second(c8).max(f64::EPSILON);
    let first_growth = calls_per_second(c8) / calls_per_second(c1).max(f64::EPSILON);
    format!(
        "**What limits throughput.** With one client the component's median call takes {} \
         against {} natively. Per request, `wasmtime serve` instantiates the component afresh, \
         reads its environment, checks the request and answers it in line (no async runtime, no \
         service loop: `components/http/src/stateless.rs`); the native host keeps rmcp's \
         service, its sessions and the compiled component, and instantiates only the tools, per \
         call. With more \
         clients the component's calls/s change ×{first_growth:.2} from 1 to {} clients and \
         ×{growth:.2} from {} to {}, while latency grows with the queue: the {} CPUs are shared \
         by the load generator's threads, the server and the fake PagerDuty, which answers every \
         call too, so past a few clients the run is CPU-bound, not bound by either server's \
         concurrency. On a shared machine these figures move between runs by tens of percent.",
        f_ms(c1.latency.p50),
        f_ms(n1.latency.p50),
        c8.clients,
        c8.clients,
        c_last.clients,
        c.cpus
    )
}

/// `report` with its comparison section replaced by `section`, or `section`
/// appended when it has none.
pub fn splice(report: &str, section: &str) -> String {
    if let (Some(start), Some(end)) = (report.find(BEGIN), report.find(END))
        && start < end
    {
        let mut out = String::with_capacity(report.len() + section.len());
        out.push_str(&report[..start]);
        out.push_str(section.trim_end());
        out.push_str(&report[end + END.len()..]);
        return out;
    }
    let mut out = report.trim_end().to_owned();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(section);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_in_place_or_appended() {
        let appended = splice("# Report\n\nbody\n", &format!("{BEGIN}\nv1\n{END}\n"));
        assert_eq!(
            appended,
            format!("# Report\n\nbody\n\n{BEGIN}\nv1\n{END}\n")
        );
        let replaced = splice(
            &format!("{appended}\n## After\n"),
            &format!("{BEGIN}\nv2\n{END}\n"),
        );
        assert_eq!(
            replaced,
            format!("# Report\n\nbody\n\n{BEGIN}\nv2\n{END}\n\n## After\n")
        );
    }
}
