//! The language switcher: a plain GET form (works without JS); `enhance.js`
//! hides the apply button and submits the form on change.

use leptos::prelude::*;

use crate::i18n::LANGS;

#[component]
pub fn LangSwitch(current: String, action: String, label: String, apply: String) -> impl IntoView {
    let options = LANGS
        .iter()
        .map(|(code, name)| {
            view! { <option value=*code selected=*code == current>{*name}</option> }
        })
        .collect_view();
    view! {
        <form method="get" action=action class="lang-switch">
            <label for="lang-select">{label}</label>
            <select id="lang-select" name="lang">
                {options}
            </select>
            <button type="submit" class="lang-apply">
                {apply}
            </button>
        </form>
    }
}
