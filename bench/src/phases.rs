//! Where a list call's instructions go, by phase: `pagerduty-mcp-bench-phase` (the
//! project's own code paths for one `list_incidents` answer, compiled natively) run
//! under callgrind with few and with many repetitions of one phase; the difference
//! per repetition is that phase's cost. Next to the whole server's count (which
//! splits by code object only: its binary is stripped, the component's code is
//! anonymous to callgrind) it names the phases the object split cannot.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

/// One phase, and what it costs.
#[derive(Debug, Clone)]
pub struct Phase {
    /// The phase's name for `pagerduty-mcp-bench-phase`.
    pub name: &'static str,
    /// Instructions per repetition, in millions.
    pub per_run_millions: f64,
}

/// The phases counted, in the report's order (see `src/bin/phase.rs`).
pub const PHASES: [&str; 5] = ["project", "call", "verbatim", "parsed", "value"];

/// Counts every phase of [`PHASES`] on `answer` (the body of PagerDuty's answer
/// to the `list_incidents` request with `arguments`), `few` and `many` times.
pub fn count(
    phase_program: &Path,
    answer: &Path,
    arguments: &str,
    few: usize,
    many: usize,
    work: &Path,
) -> anyhow::Result<Vec<Phase>> {
    PHASES
        .iter()
        .map(|&name| {
            let run = |n: usize| -> anyhow::Result<u64> {
                let out = work.join(format!("callgrind-phase-{name}-{n}"));
                let output = Command::new("valgrind")
                    .arg("--tool=callgrind")
                    .arg(format!("--callgrind-out-file={}", out.display()))
                    .arg(phase_program)
                    .args([
                        name,
                        &answer.display().to_string(),
                        arguments,
                        &n.to_string(),
                    ])
                    .output()
                    .with_context(|| {
                        format!("running {} under valgrind", phase_program.display())
                    })?;
                let stderr = String::from_utf8_lossy(&output.stderr);
                if !output.status.success() {
                    bail!("phase {name} ({n} runs) failed: {stderr}");
                }
                let Some(collected) = stderr
                    .lines()
                    .find_map(|line| line.split_once("Collected : ").map(|(_, n)| n.trim()))
                else {
                    bail!("callgrind reported no total for phase {name}: {stderr}");
                };
                Ok(collected.parse()?)
            };
            let (low, high) = (run(few)?, run(many)?);
            Ok(Phase {
                name,
                per_run_millions: (high as f64 - low as f64) / (many - few) as f64 / 1e6,
            })
        })
        .collect()
}
