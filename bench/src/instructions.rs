//! Instructions per call, counted by `valgrind --tool=callgrind` (stable on a noisy
//! machine, unlike time): the server runs under callgrind twice, answering `few`
//! and then `many` calls of one kind after the same start-up; the difference of the
//! two totals over `many - few` is one call's cost in the whole server process
//! (the JSON-RPC, the sandbox, the component's code, the HTTP client, libc).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::rpc::{Launch, StdioServer};

/// One kind of call: a `tools/call` of a tool, or `tools/list`.
pub struct Call {
    /// Its label in the report.
    pub label: String,
    /// `None`: `tools/list`.
    pub tool: Option<(String, Value)>,
}

/// What callgrind counted for one kind of call.
#[derive(Debug, Clone, Default)]
pub struct Count {
    /// The label of the call.
    pub label: String,
    /// Instructions per call, in millions.
    pub per_call_millions: f64,
    /// Per call, in millions, by where the code lives: the component's compiled
    /// code (wasmtime maps it anonymously: callgrind's `???` object), the
    /// server's binary (host, wasmtime, rmcp, the HTTP client), libc (memory
    /// copies, allocation), anything else.
    pub guest: f64,
    pub host: f64,
    pub libc: f64,
    pub other: f64,
    /// The answer's size in bytes (one JSON-RPC line).
    pub answer_bytes: usize,
}

/// Self instructions by object in a callgrind output file.
#[derive(Debug, Default, Clone, Copy)]
struct ByObject {
    guest: u64,
    host: u64,
    libc: u64,
    other: u64,
}

impl ByObject {
    fn total(&self) -> u64 {
        self.guest + self.host + self.libc + self.other
    }
}

/// Sums the self cost lines of `text` (callgrind's format, one event) by object:
/// `ob=` names the object of the lines that follow (`(n) name` defines `n`, `(n)`
/// refers to it); the line after `calls=` is a call's inclusive cost, not counted.
fn by_object(text: &str, program: &str) -> ByObject {
    let mut names = std::collections::HashMap::<&str, &str>::new();
    let mut current = "";
    let mut after_calls = false;
    let mut sums = ByObject::default();
    for line in text.lines() {
        // A call's target object may be the first to name an object id.
        if let Some(object) = line.strip_prefix("cob=") {
            if let Some((id, name)) = object.split_once(") ") {
                names.insert(id, name);
            }
            continue;
        }
        if let Some(object) = line.strip_prefix("ob=") {
            current = match object.split_once(") ") {
                Some((id, name)) => {
                    names.insert(id, name);
                    name
                }
                None => names
                    .get(object.trim_end_matches(')'))
                    .copied()
                    .unwrap_or(""),
            };
            continue;
        }
        if line.starts_with("calls=") {
            after_calls = true;
            continue;
        }
        let first = line.bytes().next();
        if !matches!(first, Some(b'0'..=b'9' | b'+' | b'-' | b'*')) {
            continue;
        }
        if std::mem::take(&mut after_calls) {
            continue;
        }
        let cost: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        // wasmtime maps the component's code anonymously: callgrind names it `???`.
        let slot = if current.is_empty() || current == "???" {
            &mut sums.guest
        } else if current == program {
            &mut sums.host
        } else if current.contains("/libc.so") {
            &mut sums.libc
        } else {
            &mut sums.other
        };
        *slot += cost;
    }
    sums
}

/// Whether callgrind can run here (`valgrind` on the `PATH`).
pub fn available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Counts each of `calls` on the server `launch` starts (`few` and `many` calls
/// per run; `work` holds callgrind's output files).
pub fn count(
    launch: &Launch,
    calls: &[Call],
    few: usize,
    many: usize,
    work: &Path,
) -> anyhow::Result<Vec<Count>> {
    let mut counts = Vec::new();
    for (k, call) in calls.iter().enumerate() {
        let run = |n: usize| total(launch, call, n, &work.join(format!("callgrind-{k}-{n}")));
        let ((low, _), (high, answer_bytes)) = (run(few)?, run(many)?);
        let per_call = |high: u64, low: u64| (high as f64 - low as f64) / (many - few) as f64 / 1e6;
        counts.push(Count {
            label: call.label.clone(),
            per_call_millions: per_call(high.total(), low.total()),
            guest: per_call(high.guest, low.guest),
            host: per_call(high.host, low.host),
            libc: per_call(high.libc, low.libc),
            other: per_call(high.other, low.other),
            answer_bytes,
        });
    }
    Ok(counts)
}

/// The instructions of one run with `n` calls by object, and the last answer's size.
fn total(launch: &Launch, call: &Call, n: usize, out: &Path) -> anyhow::Result<(ByObject, usize)> {
    let mut args = vec![
        "--tool=callgrind".to_owned(),
        format!("--callgrind-out-file={}", out.display()),
        launch.program.display().to_string(),
    ];
    args.extend(launch.args.iter().cloned());
    let log = out.with_extension("log");
    let _ = std::fs::remove_file(&log);
    let under_valgrind = Launch {
        program: "valgrind".into(),
        args,
        env: launch.env.clone(),
        cwd: launch.cwd.clone(),
        log: log.clone(),
    };
    let mut server = StdioServer::spawn("pagerduty-mcp under callgrind", &under_valgrind)?;
    server.initialize()?;
    let mut answer_bytes = 0;
    for _ in 0..n {
        answer_bytes = match &call.tool {
            Some((tool, arguments)) => server.call_tool(tool, arguments)?.answer.line_bytes,
            None => server.list_tools()?.0.line_bytes,
        };
    }
    server.close(Duration::from_secs(120));
    let text =
        std::fs::read_to_string(&log).with_context(|| format!("reading {}", log.display()))?;
    let Some(collected) = text
        .lines()
        .find_map(|line| line.split_once("Collected : ").map(|(_, n)| n.trim()))
    else {
        bail!("callgrind reported no total in {}", log.display());
    };
    let collected: u64 = collected.parse()?;
    let profile =
        std::fs::read_to_string(out).with_context(|| format!("reading {}", out.display()))?;
    let objects = by_object(&profile, &launch.program.display().to_string());
    // The objects' sum is the total callgrind reports; anything else means the
    // file was not read right.
    if objects.total() != collected {
        bail!(
            "{}: the cost lines add up to {} instructions, callgrind collected {collected}",
            out.display(),
            objects.total()
        );
    }
    Ok((objects, answer_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_costs_are_summed_by_object_and_calls_left_out() {
        let profile = "events: Ir\nsummary: 40\n\nob=(3) /usr/lib/libc.so.6\nfl=(1) a.c\nfn=(1) f\n\
            34 5\n+1 2\ncob=(6) /bin/server\ncfn=(9) k\ncalls=1 0\n* 100\nob=(2) ???\nfn=(2) g\n-3 7\n\
            ob=(6)\nfn=(3) h\n1 10\nob=(3)\nfn=(4) i\n2 6\nob=(5) /lib/ld.so\n3 10\n";
        let sums = by_object(profile, "/bin/server");
        assert_eq!(
            (sums.guest, sums.host, sums.libc, sums.other),
            (7, 10, 13, 10)
        );
        assert_eq!(sums.total(), 40);
    }
}
