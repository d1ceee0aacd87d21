//! The engine's compilation settings, defined once: the host's engine uses them, and
//! `host/build.rs` (which includes this file) precompiles the embedded component with
//! them, since wasmtime loads an artifact only into an engine of the same settings.
//! Nothing here may depend on the host's command line or environment.

/// The wasmtime configuration of every engine that runs the tools component.
pub fn engine_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .cranelift_opt_level(wasmtime::OptLevel::Speed);
    config
}
