//! The in-memory account: every resource's records, plus accessors for tests.
//!
//! [`Dataset`] and the record types are declared with the resources (the
//! struct and its list of resources in `src/resources/mod.rs`, each record
//! type and its accessors in its resource's module) and re-exported here; the
//! data is produced by [`crate::generate`].

pub use crate::resources::Dataset;
pub use crate::resources::records::*;
