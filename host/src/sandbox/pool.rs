//! The instance pool: where each call's fresh instance gets its memory.
//!
//! Every call runs in a new instance (calls are isolated from each other). With
//! wasmtime's on-demand allocator that instance is a new mapping: the guest's
//! first touch of each page of its heap is a page fault, and dropping the
//! instance unmaps it again (with a TLB flush on every core). A
//! `list_incidents` of 86 incidents took about 110 page faults and 0.7 ms of
//! kernel time per call that way.
//!
//! From wasmtime's pooling allocator, an instance takes a slot whose memory was
//! mapped once: on release the slot's dirty pages are zeroed in place (up to
//! [`MEMORY_KEEP_RESIDENT`], with the kernel's `PAGEMAP_SCAN` where it has it,
//! so only written pages are touched) instead of being given back to the
//! kernel. The same call then takes under one page fault and 0.4 ms of kernel
//! time (release build, 1000 sequential calls).
//!
//! Sizing: the process has one engine, so one pool, made when the first
//! sandbox starts: as many slots as that sandbox's `max_concurrent_calls`, at
//! least [`MIN_SLOTS`] (so that other sandboxes of the process, as in tests,
//! have room too). Slots cost at start-up (each async stack's guard page is
//! one `mprotect`: 1024 slots added 2.5 ms to a start, 64 add nothing
//! measurable). An instance is made only while holding one of the pool's
//! [`InstancePool::permits`], so a sandbox whose calls would overflow the pool
//! waits for a slot instead of failing.
//!
//! Each memory slot reserves address space for a 4 GiB memory plus guard pages,
//! so that compiled code needs no bounds checks (the same reservation as on
//! demand): 64 slots reserve about 512 GiB of address space (two memories
//! each), no memory. A slot
//! holds memory only once a call used it, at most what that call touched.
//! Where the reservation is refused (an address-space limit such as
//! `ulimit -v`), the engine falls back to the on-demand allocator, logs it, and
//! works as before, only with the slower release.

use std::sync::Arc;

use tokio::sync::Semaphore;
use wasmtime::{Config, Enabled, InstanceAllocationStrategy, PoolingAllocationConfig};

/// The fewest slots a pool has, whatever the first sandbox asks for.
pub const MIN_SLOTS: usize = 64;

/// Bytes of each memory slot that stay mapped between calls and are zeroed
/// in place (more than a list call of 100 incidents touches); the rest of a
/// slot a call used is given back to the kernel.
const MEMORY_KEEP_RESIDENT: usize = 8 << 20;

/// The most memories, tables and core instances one component may have in the
/// pool. The tools component has 1 memory, 2 tables and 3 core instances;
/// the limits leave room for other components of the same interface.
const MEMORIES_PER_MODULE: u32 = 2;
const TABLES_PER_MODULE: u32 = 4;
const CORE_INSTANCES_PER_COMPONENT: u32 = 8;

/// The process's instance pool: its size and the permits that keep instances
/// within it.
#[derive(Debug)]
pub(super) struct InstancePool {
    /// How many instances the pool holds.
    pub slots: usize,
    /// One permit per slot: held by every store from before its instance is
    /// made until the store is dropped.
    pub permits: Arc<Semaphore>,
}

impl InstancePool {
    /// A pool for `wanted` concurrent instances (at least [`MIN_SLOTS`]).
    pub fn for_instances(wanted: usize) -> InstancePool {
        let slots = wanted.max(MIN_SLOTS);
        InstancePool {
            slots,
            permits: Arc::new(Semaphore::new(slots)),
        }
    }

    /// `config` with instances allocated from this pool. `table_elements` is
    /// the largest table an instance may grow (the store's limiter refuses more).
    pub fn configure(&self, mut config: Config, table_elements: usize) -> Config {
        let slots = u32::try_from(self.slots).unwrap_or(u32::MAX);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(slots)
            .total_core_instances(slots.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
            .total_memories(slots.saturating_mul(MEMORIES_PER_MODULE))
            .total_tables(slots.saturating_mul(2))
            .total_stacks(slots)
            .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
            .max_memories_per_module(MEMORIES_PER_MODULE)
            .max_memories_per_component(MEMORIES_PER_MODULE * CORE_INSTANCES_PER_COMPONENT)
            .max_tables_per_module(TABLES_PER_MODULE)
            .max_tables_per_component(TABLES_PER_MODULE * CORE_INSTANCES_PER_COMPONENT)
            .table_elements(table_elements)
            .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
            .table_keep_resident(64 << 10)
            .pagemap_scan(Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        config
    }
}
