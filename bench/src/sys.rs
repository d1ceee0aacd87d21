//! /proc readings (RSS and CPU time of a process tree) and the machine description.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::process::Command;

/// Parent pid of every process, from /proc/<pid>/stat.
fn parents() -> HashMap<u32, u32> {
    let mut map = HashMap::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return map;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(fields) = stat_fields(pid) {
            // fields[0] is the state; ppid is the next one.
            if let Some(ppid) = fields.get(1).and_then(|s| s.parse().ok()) {
                map.insert(pid, ppid);
            }
        }
    }
    map
}

/// The fields of /proc/<pid>/stat after the `(comm)` field.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// `pid` and all its descendants.
pub fn tree(pid: u32) -> Vec<u32> {
    let parents = parents();
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parents.iter().filter(|&(_, &pp)| pp == p).map(|(&c, _)| c));
        i += 1;
    }
    out
}

/// VmRSS of one process in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Sum of VmRSS over `pid` and its descendants, in KiB, and how many processes.
pub fn rss_tree_kib(pid: u32) -> (u64, usize) {
    let pids = tree(pid);
    let total = pids.iter().filter_map(|&p| rss_kib(p)).sum();
    (total, pids.len())
}

/// User + system CPU time of `pid` and its live descendants, in milliseconds
/// (clock ticks of 10 ms, the Linux USER_HZ on every mainstream architecture).
pub fn cpu_tree_ms(pid: u32) -> f64 {
    tree(pid)
        .iter()
        .filter_map(|&p| {
            let f = stat_fields(p)?;
            // After (comm): state=0 ppid=1 ... utime=11 stime=12 (fields 14/15 of stat).
            let utime: u64 = f.get(11)?.parse().ok()?;
            let stime: u64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) as f64 * 10.0)
        })
        .sum()
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    });
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The machine and toolchain, as (label, value) rows.
pub fn machine(python: &Path, repo: &Path) -> Vec<(String, String)> {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let os = fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "unknown".into());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let git = command_output(
        "git",
        &[
            "-C",
            &repo.to_string_lossy(),
            "rev-parse",
            "--short",
            "HEAD",
        ],
    );
    let dirty = command_output(
        "git",
        &["-C", &repo.to_string_lossy(), "status", "--porcelain"],
    )
    .is_some();
    let py_pkgs = command_output(
        &python.to_string_lossy(),
        &[
            "-c",
            "import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in \
             ['pagerduty-mcp-server', 'fastmcp', 'mcp', 'pagerduty', 'pydantic']))",
        ],
    );
    vec![
        ("CPUs (nproc)".into(), nproc.to_string()),
        ("CPU model".into(), cpu),
        ("RAM".into(), mem),
        ("OS".into(), format!("{os}, Linux {}", kernel.trim())),
        (
            "Load average at start (1/5/15 min)".into(),
            load.join(" / "),
        ),
        (
            "rustc".into(),
            command_output("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        ),
        (
            "Python (original server's venv)".into(),
            command_output(&python.to_string_lossy(), &["--version"])
                .unwrap_or_else(|| "unknown".into()),
        ),
        (
            "Original server packages".into(),
            py_pkgs.unwrap_or_else(|| "unknown".into()),
        ),
        (
            "pagerduty-mcp commit".into(),
            match git {
                Some(rev) if dirty => format!("{rev} (with uncommitted changes)"),
                Some(rev) => rev,
                None => "unknown".into(),
            },
        ),
    ]
}
