//! "Copy" beside a read-only URL field. Without JavaScript the button stays
//! hidden and the field is there to select by hand; `enhance.js` shows it,
//! copies the field whose id is `target` and says `done` for a moment.

use leptos::prelude::*;

#[component]
pub fn CopyButton(target: String, label: String, done: String) -> impl IntoView {
    view! {
        <button
            type="button"
            class="copy-button"
            hidden=true
            aria-live="polite"
            data-copy-target=target
            data-done=done
        >
            {label}
        </button>
    }
}
