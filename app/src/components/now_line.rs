//! The "now" line across the schedule grid, positioned in grid slots and
//! moved every 30 seconds once hydrated.

use leptos::prelude::*;

#[island]
pub fn NowLine(
    day_start_ms: i64,
    day_end_ms: i64,
    slot_minutes: i64,
    initial: Option<f64>,
    label: String,
) -> impl IntoView {
    let pos = RwSignal::new(initial);
    Effect::new(move |_| {
        let update = move || {
            let now = js_now_ms();
            let p = (now >= day_start_ms as f64 && now < day_end_ms as f64)
                .then(|| (now - day_start_ms as f64) / (slot_minutes as f64 * 60_000.0));
            pos.set(p);
        };
        update();
        set_interval(update, std::time::Duration::from_secs(30));
    });
    view! {
        <div
            class="now-line"
            aria-hidden="true"
            style=move || match pos.get() {
                Some(p) => format!("--now:{p:.3}"),
                None => "display:none".to_owned(),
            }
        >
            <span>{label}</span>
        </div>
    }
}

#[cfg(feature = "hydrate")]
fn js_now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(feature = "hydrate"))]
fn js_now_ms() -> f64 {
    0.0
}
