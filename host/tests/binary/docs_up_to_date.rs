//! `docs/tools.md` is generated from the catalog (`pagerduty-mcp tools --markdown`);
//! this fails when the committed file no longer matches what the code generates.

use crate::common;

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
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/tools.md");
    let committed = std::fs::read_to_string(path).expect("docs/tools.md exists");
    if generated != committed {
        let first_difference = generated
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .map_or("at the end".to_string(), |i| format!("at line {}", i + 1));
        panic!(
            "docs/tools.md is out of date ({first_difference}): run \
             `cargo run --release -- tools --markdown > docs/tools.md`"
        );
    }
    for section in [
        "## list_incidents",
        "## get_schedule",
        "## resolve_incident",
        "Example call:",
        "Example result:",
    ] {
        assert!(generated.contains(section), "{section}");
    }
}
