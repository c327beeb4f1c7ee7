//! Event time vs. the viewer's own time. The server renders every time in
//! the event's zone; after hydration a toggle (remembered in localStorage)
//! switches every `LocalTime` on the page to the browser's zone.
//!
//! The choice is one page-wide signal rather than context, so `LocalTime`
//! islands that arrive later (a live region swapped in after a schedule
//! change) follow it too.

use leptos::prelude::*;

const STORAGE_KEY: &str = "marquee.zone";

thread_local! {
    static SHOW_LOCAL: ArcRwSignal<bool> = ArcRwSignal::new(false);
}

/// The page-wide "show my time" choice.
fn zone_choice() -> ArcRwSignal<bool> {
    SHOW_LOCAL.with(Clone::clone)
}

#[island]
pub fn ZoneScope(
    /// "Times in Europe/Moscow (+03:00)", already translated.
    event_label: String,
    /// Translated "Your time ({zone})" with a literal `{zone}` placeholder.
    local_label: String,
    show_local: String,
    show_event: String,
    children: Children,
) -> impl IntoView {
    let show = RwSignal::from(zone_choice());
    let hydrated = RwSignal::new(false);
    let zone = RwSignal::new(String::new());
    Effect::new(move |_| {
        hydrated.set(true);
        zone.set(browser::zone_name());
        if browser::load(STORAGE_KEY).as_deref() == Some("local") {
            show.set(true);
        }
    });
    let toggle = move |_| {
        show.update(|v| *v = !*v);
        browser::store(
            STORAGE_KEY,
            if show.get_untracked() {
                "local"
            } else {
                "event"
            },
        );
    };
    view! {
        <div class="zone-bar">
            <span class="zone-label" data-testid="zone-label">
                {move || {
                    if show.get() { local_label.replace("{zone}", &zone.get()) } else { event_label.clone() }
                }}
            </span>
            <button
                type="button"
                class="zone-toggle"
                data-testid="zone-toggle"
                aria-pressed=move || show.get().to_string()
                hidden=move || !hydrated.get()
                on:click=toggle
            >
                {move || if show.get() { show_event.clone() } else { show_local.clone() }}
            </button>
        </div>
        {children()}
    }
}

/// One instant, shown as HH:MM in the event's zone (server) or the viewer's.
#[island]
pub fn LocalTime(utc_ms: i64, text: String, iso: String) -> impl IntoView {
    // The first client render must match the server's HTML, so the shared
    // choice is applied by an effect, which runs only after hydration (the
    // scope may already have switched before this island hydrates).
    let local = RwSignal::new(false);
    let show = zone_choice();
    Effect::new(move |_| local.set(show.get()));
    view! {
        <time datetime=iso>
            {move || if local.get() { browser::local_hhmm(utc_ms) } else { text.clone() }}
        </time>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::JsValue;

    pub fn local_hhmm(utc_ms: i64) -> String {
        let d = js_sys::Date::new(&JsValue::from_f64(utc_ms as f64));
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    }

    pub fn zone_name() -> String {
        let opts = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
            .resolved_options();
        js_sys::Reflect::get(&opts, &JsValue::from_str("timeZone"))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    pub fn load(key: &str) -> Option<String> {
        storage()?.get_item(key).ok()?
    }

    pub fn store(key: &str, value: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(key, value);
        }
    }
}

/// On the server nothing is local: the event's zone is all there is.
#[cfg(not(feature = "hydrate"))]
mod browser {
    pub fn local_hhmm(_utc_ms: i64) -> String {
        String::new()
    }
    pub fn zone_name() -> String {
        String::new()
    }
    pub fn load(_key: &str) -> Option<String> {
        None
    }
    pub fn store(_key: &str, _value: &str) {}
}
