//! The generated docs match the catalog: `docs/tools.md` (`pagerduty-mcp tools
//! --markdown`) and the README's tool table (between `<!-- tools:begin -->` and
//! `<!-- tools:end -->`). These fail when a committed file no longer matches what the
//! code generates; `PAGERDUTY_MCP_UPDATE_DOCS=1` rewrites the files instead
//! (`scripts/update-docs`).

use crate::common;

const BEGIN: &str = "<!-- tools:begin -->\n";
const END: &str = "<!-- tools:end -->";

fn updating() -> bool {
    std::env::var_os("PAGERDUTY_MCP_UPDATE_DOCS").is_some_and(|v| v == "1")
}

/// Fails with the first differing line, or rewrites `path` when updating.
fn compare(path: &str, generated: &str, committed: &str, how: &str) {
    if generated == committed {
        return;
    }
    if updating() {
        std::fs::write(path, generated).expect("the docs file is writable");
        return;
    }
    let first_difference = generated
        .lines()
        .zip(committed.lines())
        .position(|(a, b)| a != b)
        .map_or("at the end".to_string(), |i| format!("at line {}", i + 1));
    panic!("{path} is out of date ({first_difference}): run {how}");
}

#[test]
fn docs_tools_md_matches_the_catalog() {
    let output = common::pagerduty_mcp()
        .args(["tools", "--markdown"])
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = String::from_utf8(output.stdout).unwrap();
    for section in [
        "## list_incidents",
        "## get_schedule",
        "## resolve_incident",
        "Example call:",
        "Example result:",
        "Toolset: `people`.",
    ] {
        assert!(generated.contains(section), "{section}");
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/tools.md");
    let committed = std::fs::read_to_string(path).expect("docs/tools.md exists");
    compare(path, &generated, &committed, "scripts/update-docs");
}

#[test]
fn the_readme_tool_table_matches_the_catalog() {
    let output = common::pagerduty_mcp()
        .args(["tools", "--readme-table"])
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let table = String::from_utf8(output.stdout).unwrap();
    for tool in [
        "| `list_incidents` | `incidents` | read |",
        "| `resolve_incident` | `incidents` | **write** |",
    ] {
        assert!(table.contains(tool), "{tool}");
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md exists");
    let start = readme
        .find(BEGIN)
        .expect("README.md has the tools:begin marker")
        + BEGIN.len();
    let end = readme
        .find(END)
        .expect("README.md has the tools:end marker");
    let generated = format!("{}{table}{}", &readme[..start], &readme[end..]);
    compare(path, &generated, &readme, "scripts/update-docs");
}
