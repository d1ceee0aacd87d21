//! Serving MCP: on stdio, or over Streamable HTTP until Ctrl-C or SIGTERM.

use std::process::ExitCode;

use super::Failure;
use crate::http::{HttpConfig, HttpServer};
use crate::http_auth::HttpAuth;
use crate::mcp::{self, McpServer};

/// How MCP is served: stdio, or Streamable HTTP (`--http <addr>`) from clones
/// of the same [`McpServer`].
pub(super) enum Transport {
    /// MCP on stdin/stdout.
    Stdio,
    /// MCP at `http://ADDR/mcp`.
    Http(HttpConfig),
}

/// Serves `server` on `transport` until the client leaves (stdio) or a
/// shutdown signal (HTTP).
pub(super) async fn serve(server: McpServer, transport: Transport) -> Result<ExitCode, Failure> {
    // Ask the component for its tools while the client is still connecting.
    let warm = server.clone();
    tokio::spawn(async move {
        let _ = warm.tools().await;
    });
    match transport {
        Transport::Stdio => {
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "serving MCP on stdio");
            mcp::serve_stdio(server).await.map_err(Failure::runtime)?;
        }
        Transport::Http(config) => {
            let http = HttpServer::bind(server, &config)
                .await
                .map_err(Failure::runtime)?;
            let auth = match &config.auth {
                HttpAuth::None => "none",
                HttpAuth::AccessToken(_) => "access token",
                HttpAuth::PerRequestToken => "per-request PagerDuty token",
            };
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                url = %http.url(),
                auth,
                "serving MCP over Streamable HTTP"
            );
            // A fixed line for scripts (port 0 picks the port).
            eprintln!("pagerduty-mcp: listening on {}", http.url());
            http.serve(shutdown_signal())
                .await
                .map_err(Failure::runtime)?;
            tracing::info!("HTTP server stopped");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
