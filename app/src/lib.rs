//! Marquee's Leptos application: pages, islands, the pure domain core and,
//! behind the `ssr` feature, the store and server-side state.

#![recursion_limit = "256"]

rust_i18n::i18n!("locales", fallback = "en");

pub mod domain;
pub mod i18n;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod cache_policy;
#[cfg(feature = "ssr")]
pub mod catchup_input;
#[cfg(feature = "ssr")]
pub mod change_input;
#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod error;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod markdown;
#[cfg(feature = "ssr")]
pub mod read_model;
#[cfg(feature = "ssr")]
pub mod shift_input;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;

pub mod components;
pub mod pages;
pub mod shell;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
