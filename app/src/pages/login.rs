//! `/login`: a plain form posted to the server's `/login` handler, so it
//! works without JavaScript.

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};

pub fn render() -> AnyView {
    let lang = request::lang();
    let failed = request::query("error").is_some();
    if failed {
        request::set_status(http::StatusCode::UNAUTHORIZED);
    }
    let body = view! {
        <section class="card narrow">
            <h1>{t!("login.title", locale = lang).to_string()}</h1>
            {failed.then(|| view! {
                <p class="error" role="alert" data-testid="login-error">{t!("login.failed", locale = lang).to_string()}</p>
            })}
            <form method="post" action="/login" class="stack">
                <label for="email">{t!("login.email", locale = lang).to_string()}</label>
                <input id="email" name="email" type="email" autocomplete="username" required />
                <label for="password">{t!("login.password", locale = lang).to_string()}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <button type="submit" class="primary">{t!("login.submit", locale = lang).to_string()}</button>
            </form>
        </section>
    };
    layout::frame(
        t!("login.title", locale = lang).to_string(),
        None,
        body.into_any(),
    )
}
