//! The pure core: schedule types, import diffing and time-zone rules.
//! No I/O, no Leptos, no sqlx, no clock reads (callers pass `now`), so it
//! compiles to wasm and native and is tested in milliseconds.

pub mod access;
pub mod address;
pub mod agenda;
pub mod audit;
pub mod change;
pub mod diff;
pub mod email;
pub mod invitation;
pub mod monitor;
pub mod notice;
pub mod push;
pub mod replan;
pub mod report;
pub mod schedule;
pub mod screen;
pub mod shift;
pub mod slug;
pub mod speaker;
pub mod speaker_link;
pub mod status;
pub mod time;
pub mod webhook;
