//! The "now" line across the schedule grid, positioned in grid slots and
//! moved every 30 seconds once hydrated.

use leptos::prelude::*;

#[island]
pub fn NowLine(
    day_start_ms: i64,
    day_end_ms: i64,
    slot_minutes: i64,
    /// Thousandths of a slot from the day's start (`Agenda::now_position`).
    initial: Option<i64>,
    label: String,
) -> impl IntoView {
    let pos = RwSignal::new(initial);
    Effect::new(move |_| {
        let update = move || {
            let now = js_now_ms() as i64;
            let p = (now >= day_start_ms && now < day_end_ms)
                .then(|| (now - day_start_ms) / slot_minutes.max(1) / 60);
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
                Some(p) => style(p),
                None => "display:none".to_owned(),
            }
        >
            <span>{label}</span>
        </div>
    }
}

/// `--now` in slots, from thousandths of a slot, printed with integers.
fn style(milli_slots: i64) -> String {
    format!("--now:{}.{:03}", milli_slots / 1000, milli_slots % 1000)
}

#[cfg(feature = "hydrate")]
fn js_now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(feature = "hydrate"))]
fn js_now_ms() -> f64 {
    0.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_position_prints_as_a_decimal_number_of_slots() {
        assert_eq!(super::style(1500), "--now:1.500");
        assert_eq!(super::style(7), "--now:0.007");
        assert_eq!(super::style(12_042), "--now:12.042");
    }
}
