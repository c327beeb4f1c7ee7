//! Monitors: checks of organiser-chosen targets (HTTP, TCP, HLS) that
//! change a component's status (see `app::domain::monitor` for the rules
//! and `app::store` for the claim and what a result does).

pub mod check;
pub mod runner;
pub mod target;
