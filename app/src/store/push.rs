//! Web Push persistence, one file per thing it holds: VAPID keys, browser
//! subscriptions, the outbox of notices, and their deliveries (fan-out,
//! leases for the sending worker, attempts), and pruning what no longer
//! serves. Speakers' answers to moved slots live beside speaker links, in
//! `speakers.rs`.

mod delivery;
mod keys;
mod outbox;
mod prune;
mod reach;
mod subscriptions;

pub use delivery::{AttemptOutcome, DueDelivery, PushCounts};
pub use keys::VapidKeyRecord;
pub(super) use outbox::{
    change_moves, enqueue_change, enqueue_incident, enqueue_proposal, enqueue_shift,
    enqueue_speaker_reminder, enqueue_withdrawal,
};
pub use prune::PruneCounts;
pub use reach::{EventReach, NoticeOf, NoticeReach};
pub use subscriptions::NewSubscription;
