//! `pagerduty-mcp`: the PagerDuty MCP server (see `pagerduty-mcp --help`).

fn main() -> std::process::ExitCode {
    pagerduty_mcp_host::cli::main()
}
