//! The language switcher: a plain GET form (works without JS) that submits
//! itself on change once hydrated.

use leptos::prelude::*;

use crate::i18n::LANGS;

#[island]
pub fn LangSwitch(current: String, action: String, label: String, apply: String) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let on_change = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(form) = _ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
                .and_then(|s| s.form())
            {
                let _ = form.submit();
            }
        }
    };
    let options = LANGS
        .iter()
        .map(|(code, name)| {
            view! { <option value=*code selected=*code == current>{*name}</option> }
        })
        .collect_view();
    view! {
        <form method="get" action=action class="lang-switch">
            <label for="lang-select">{label}</label>
            <select id="lang-select" name="lang" on:change=on_change>
                {options}
            </select>
            <button type="submit" class="lang-apply" hidden=move || hydrated.get()>
                {apply}
            </button>
        </form>
    }
}
