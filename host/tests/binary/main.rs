//! Integration tests of the `pagerduty-mcp` binary and its sandbox. One test binary,
//! so wasmtime is linked once.

mod common;

mod cache;
mod cancel;
mod cli_smoke;
mod concurrency;
mod demo;
mod docs_up_to_date;
mod exactness;
mod http;
mod http_limits;
mod pool;
mod sandbox_limits;
mod secrets;
mod toolsets;
