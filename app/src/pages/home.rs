//! `/`: the list of events.

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};

pub fn render() -> AnyView {
    let lang = request::lang();
    let events = request::state().read_model.all();
    let body = if events.is_empty() {
        view! { <p>{t!("home.empty", locale = lang).to_string()}</p> }.into_any()
    } else {
        events
            .iter()
            .map(|v| {
                let e = &v.schedule.event;
                view! {
                    <li>
                        <a href=format!("/e/{}", e.slug)>{e.name.clone()}</a>
                        " · "
                        <span>{format!("{} – {} ({})", e.start_date, e.end_date, e.time_zone)}</span>
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    layout::frame(
        t!("home.title", locale = lang).to_string(),
        None,
        view! {
            <h1>{t!("home.title", locale = lang).to_string()}</h1>
            <ul class="event-list">{body}</ul>
        }
        .into_any(),
    )
}
