//! "Copy" beside a read-only URL field. Without JavaScript the button stays
//! hidden and the field is there to select by hand.

use leptos::prelude::*;

/// Copies the value of the input whose id is `target`, then says so for a
/// moment. Falls back to selecting the text and `execCommand("copy")` where
/// the Clipboard API is missing (plain http on a LAN address is not a
/// secure context, and organisers do run it that way).
#[island]
pub fn CopyButton(target: String, label: String, done: String) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    let copied = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let on_click = move |_| {
        // Clicks only happen in the browser; the server just renders.
        #[cfg(not(feature = "hydrate"))]
        let _ = &target;
        #[cfg(feature = "hydrate")]
        {
            if copy_field(&target) {
                copied.set(true);
                set_timeout(move || copied.set(false), std::time::Duration::from_secs(2));
            }
        }
    };
    view! {
        <button type="button" class="copy-button" hidden=move || !hydrated.get() on:click=on_click aria-live="polite">
            {move || if copied.get() { done.clone() } else { label.clone() }}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn copy_field(id: &str) -> bool {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let Some(input) = doc
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return false;
    };
    input.select();
    let clipboard = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| js_sys::Reflect::get(&n, &"clipboard".into()).ok())
        .filter(|c| !c.is_undefined())
        .map(|c| c.unchecked_into::<web_sys::Clipboard>());
    match clipboard {
        Some(c) => {
            let _ = c.write_text(&input.value());
            true
        }
        None => doc
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
            .and_then(|d| d.exec_command("copy").ok())
            .unwrap_or(false),
    }
}
