//! Outgoing webhooks: Standard Webhooks signatures and the worker that
//! sends what the outbox fans out to them (see `app::store` for the
//! tables and `app::domain::webhook` for the rules and payloads).

pub mod sign;
pub mod worker;
