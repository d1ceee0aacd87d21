//! `fake-pagerduty --port N [--seed S] [--now 2026-11-24T07:00:00Z]`: serves the fake
//! PagerDuty API on 127.0.0.1, prints the base URL on stdout, logs requests to
//! stderr, and runs until killed.

use std::io::{IsTerminal, Write};

use anyhow::{Context, bail};
use fake_pagerduty::{FakePagerDuty, Options};

const USAGE: &str =
    "usage: fake-pagerduty [--port N] [--seed S] [--now ISO8601] [--anonymous-is-current-user]";

fn parse_args() -> anyhow::Result<Options> {
    // Nothing can read the request log of this process (requests are logged to
    // stderr instead): keep none, so a long benchmark does not grow the fake.
    let mut options = Options {
        request_log_capacity: 0,
        ..Options::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |what: &str| -> anyhow::Result<String> {
            inline
                .clone()
                .or_else(|| args.next())
                .with_context(|| format!("{what} needs a value\n{USAGE}"))
        };
        match name.as_str() {
            "--port" => {
                options.port = value("--port")?
                    .parse()
                    .context("--port must be a port number")?
            }
            "--seed" => {
                options.seed = value("--seed")?
                    .parse()
                    .context("--seed must be an unsigned integer")?
            }
            "--now" => {
                let v = value("--now")?;
                options.now = Some(
                    fake_pagerduty::timefmt::parse(&v)
                        .with_context(|| format!("--now: cannot parse '{v}'"))?,
                );
            }
            "--anonymous-is-current-user" => options.anonymous_is_current_user = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument '{other}'\n{USAGE}"),
        }
    }
    Ok(options)
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let options = parse_args()?;
    let fake = FakePagerDuty::spawn(options)?;
    let data = fake.dataset();
    println!("{}", fake.base_url());
    std::io::stdout().flush().ok();
    eprintln!(
        "fake-pagerduty listening on {} (seed {}, now {}); tokens: user '{}', account '{}', oauth '{}'; current user {} <{}>",
        fake.base_url(),
        data.seed,
        fake_pagerduty::timefmt::utc(data.now),
        fake_pagerduty::USER_TOKEN,
        fake_pagerduty::ACCOUNT_TOKEN,
        fake_pagerduty::OAUTH_TOKEN,
        fake_pagerduty::CURRENT_USER_ID,
        fake_pagerduty::CURRENT_USER_EMAIL,
    );
    loop {
        std::thread::park();
    }
}
