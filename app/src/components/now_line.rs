//! The "now" line across the schedule grid, positioned in grid slots;
//! `enhance.js` moves it every 30 seconds from the day's bounds.

use leptos::prelude::*;

#[component]
pub fn NowLine(
    day_start_ms: i64,
    day_end_ms: i64,
    slot_minutes: i64,
    /// Thousandths of a slot from the day's start (`Agenda::now_position`).
    initial: Option<i64>,
    label: String,
) -> impl IntoView {
    view! {
        <div
            class="now-line"
            aria-hidden="true"
            style=initial.map_or_else(|| "display:none".to_owned(), style)
            data-day-start-ms=day_start_ms
            data-day-end-ms=day_end_ms
            data-slot-minutes=slot_minutes
        >
            <span>{label}</span>
        </div>
    }
}

/// `--now` in slots, from thousandths of a slot, printed with integers
/// (as `enhance.js` prints it).
fn style(milli_slots: i64) -> String {
    format!("--now:{}.{:03}", milli_slots / 1000, milli_slots % 1000)
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
