//! The API's resources, one module each: the record types, the part of the
//! dataset built from the organisation table (or the seed), the JSON rendering
//! (an `impl Render` block) and the routes (a `router()` that
//! [`crate::routes::router`] merges). The list and get-by-ID mechanics they use
//! are in [`crate::handlers`].

pub mod escalation_policies;
pub mod incidents;
pub mod oncalls;
pub mod priorities;
pub mod schedules;
pub mod services;
pub mod teams;
pub mod users;
