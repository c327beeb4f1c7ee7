//! Event time vs. the viewer's own time. The server renders every time in
//! the event's zone; `enhance.js` shows the toggle (remembered in
//! localStorage) that switches every `LocalTime` on the page, those a live
//! update brings included, to the browser's zone.

use leptos::prelude::*;

#[component]
pub fn ZoneScope(
    /// "Times in Europe/Moscow (+03:00)", already translated.
    event_label: String,
    /// Translated "Your time ({zone})" with a literal `{zone}` placeholder.
    local_label: String,
    show_local: String,
    show_event: String,
    children: Children,
) -> impl IntoView {
    let (label, button) = (event_label.clone(), show_local.clone());
    view! {
        <div
            class="zone-bar"
            data-zone-bar=""
            data-event-label=event_label
            data-local-label=local_label
            data-show-local=show_local
            data-show-event=show_event
        >
            <span class="zone-label" data-testid="zone-label">
                {label}
            </span>
            <button
                type="button"
                class="zone-toggle"
                data-testid="zone-toggle"
                aria-pressed="false"
                hidden=true
            >
                {button}
            </button>
        </div>
        {children()}
    }
}

/// One instant, shown as HH:MM in the event's zone (`text`, rendered by
/// the server) or the viewer's.
#[component]
pub fn LocalTime(utc_ms: i64, text: String, iso: String) -> impl IntoView {
    view! { <time datetime=iso data-utc-ms=utc_ms>{text}</time> }
}
