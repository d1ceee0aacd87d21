//! The wasmtime harness: the built component (and a hostile one) in the host's sandbox,
//! against the fake PagerDuty. One test binary, so wasmtime is linked once.

mod call_limits;
mod catalog_examples;
mod component;
mod fuzz;
mod sandbox;
mod skeleton;
mod upstream;
