//! The embedded component precompiled at build time, run where it lies in this binary.
//!
//! `host/build.rs` compiles the embedded component with the engine's settings
//! (`engine_config.rs`) for the target's baseline CPU, and the artifact is
//! included here, page-aligned, in the binary's read-only data. On Linux x86_64
//! wasmtime runs it in place ([`Component::deserialize_raw`]): a start copies
//! nothing and reads only the pages it needs (the binary's own pages, shared
//! with every other process running it), the way a loaded executable is. Its
//! machine code is made executable in place by [`InPlaceCode`]. Elsewhere the
//! artifact is copied into fresh memory ([`Component::deserialize`]).
//!
//! Either way wasmtime first checks that the artifact fits the engine (its
//! version, compiler settings and wasm features) and that this CPU has every
//! feature the code uses; when it does not, the caller falls back to the
//! compiled-component cache and the compiler.

use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use wasmtime::component::Component;
use wasmtime::{CustomCodeMemory, Engine};

/// A value placed at a page boundary: the artifact's sections are page-aligned
/// relative to its start, so its code section is page-aligned in memory and its
/// protection can change without touching anything else.
#[repr(C, align(4096))]
struct PageAligned<T: ?Sized>(T);

/// The artifact (empty when the build could not precompile the component).
static ARTIFACT: &PageAligned<[u8]> =
    &PageAligned(*include_bytes!(env!("PAGERDUTY_PRECOMPILED_PATH")));

/// The bytes of the artifact precompiled at build time; empty when the build
/// could not make one.
pub(super) fn artifact() -> &'static [u8] {
    &ARTIFACT.0
}

/// Whether the artifact is run in place on this platform.
const IN_PLACE: bool = cfg!(all(target_os = "linux", target_arch = "x86_64"));

/// The code-memory hook the engine needs to run the artifact in place (`None`
/// where it is copied instead).
pub(super) fn code_memory() -> Option<Arc<dyn CustomCodeMemory>> {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    return Some(Arc::new(InPlaceCode));
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    None
}

/// The component of [`artifact`] for `engine`; the engine's error when the
/// artifact does not fit it or this CPU. Run in place for the first engine
/// that loads it (the process's one engine), copied for any other.
pub(super) fn component(engine: &Engine) -> anyhow::Result<Component> {
    // The component run in place: made once and never dropped, since dropping
    // it would make its code non-executable while another copy may run it.
    static IN_PLACE_LOADED: Mutex<Option<Component>> = Mutex::new(None);
    let bytes = artifact();
    anyhow::ensure!(
        !bytes.is_empty(),
        "this binary has no precompiled component"
    );
    let mut in_place = IN_PLACE_LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let run_in_place = match in_place.as_ref() {
        Some(component) if Engine::same(component.engine(), engine) => {
            return Ok(component.clone());
        }
        Some(_) => false,
        None => IN_PLACE,
    };
    // SAFETY: wasmtime runs these bytes as machine code. They are part of this
    // program's own binary (what `Engine::precompile_component` gave for the
    // embedded component in the build script), as trusted as the rest of its
    // code. Run in place, the memory lives as long as the process and nothing
    // writes to it (read-only data), and the one `Component` made from it is
    // kept in `IN_PLACE_LOADED` for the life of the process.
    let component = unsafe {
        if run_in_place {
            Component::deserialize_raw(engine, NonNull::from(bytes))
        } else {
            Component::deserialize(engine, bytes)
        }
    }
    .map_err(anyhow::Error::from)?;
    if run_in_place {
        *in_place = Some(component.clone());
    }
    Ok(component)
}

/// Makes code executable with `mprotect`, wherever it lies: in wasmtime's own
/// memory (a component compiled or loaded at run time: read+write again when
/// wasmtime unpublishes it) or in the artifact run in place (read-only again).
/// What wasmtime does itself on this platform, plus the in-place case it
/// cannot handle alone. x86_64 needs no instruction-cache maintenance.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
struct InPlaceCode;

/// The page size the hook works in (x86_64 Linux's base page).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
const PAGE: usize = 4096;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
impl InPlaceCode {
    fn protect(
        ptr: *const u8,
        len: usize,
        flags: rustix::mm::MprotectFlags,
    ) -> wasmtime::Result<()> {
        if len == 0 {
            return Ok(());
        }
        // SAFETY: wasmtime hands over a page-aligned range of code memory it
        // owns (or the artifact's code section); changing its protection is
        // what this hook is for.
        unsafe { rustix::mm::mprotect(ptr as *mut _, len, flags) }
            .map_err(|e| wasmtime::Error::msg(format!("mprotect of code memory: {e}")))
    }

    /// Whether `ptr` lies in the embedded artifact.
    fn in_artifact(ptr: *const u8) -> bool {
        artifact().as_ptr_range().contains(&ptr)
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
impl CustomCodeMemory for InPlaceCode {
    fn required_alignment(&self) -> usize {
        PAGE
    }

    fn publish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
        use rustix::mm::MprotectFlags;
        Self::protect(ptr, len, MprotectFlags::READ | MprotectFlags::EXEC)
    }

    fn unpublish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
        use rustix::mm::MprotectFlags;
        if Self::in_artifact(ptr) {
            Self::protect(ptr, len, MprotectFlags::READ)
        } else {
            Self::protect(ptr, len, MprotectFlags::READ | MprotectFlags::WRITE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_precompiled_the_component_page_aligned() {
        let bytes = artifact();
        assert!(bytes.len() > 100_000, "{} bytes", bytes.len());
        assert_eq!(bytes.as_ptr() as usize % 4096, 0);
        // An ELF object, as `Engine::precompile_component` writes.
        assert_eq!(&bytes[..4], b"\x7fELF");
    }

    #[test]
    fn the_artifact_fits_the_sandbox_engine_and_is_loaded_once() {
        let engine = super::super::engine(1).unwrap().0;
        let first = component(engine).unwrap();
        let again = component(engine).unwrap();
        assert!(Engine::same(first.engine(), again.engine()));
        // The same compiled code: the one in-place component, not a second copy.
        assert_eq!(
            first.image_range().start as usize,
            again.image_range().start as usize
        );
        if IN_PLACE {
            let image = first.image_range();
            assert_eq!(image.start, artifact().as_ptr());
        }
    }

    #[test]
    fn an_engine_of_other_settings_refuses_the_artifact() {
        let mut config = crate::sandbox::engine_config::engine_config();
        config.epoch_interruption(false);
        let other = Engine::new(&config).unwrap();
        let error = component(&other).unwrap_err();
        assert!(
            format!("{error:#}").contains("epoch"),
            "wasmtime names the mismatched setting: {error:#}"
        );
    }
}
