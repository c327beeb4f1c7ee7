//! Web Push delivery: the VAPID keys and signatures, and the worker that
//! drains the outbox (see `app::store` for the tables and
//! `app::domain::push` for the rules).

pub mod ece;
pub mod send;
pub mod vapid;
pub mod worker;
