//! "You are on in 14:10": a countdown to one instant that follows the
//! server's clock (the offset between the render time the server sent and
//! the browser's clock at hydration), recomputed from the clock every
//! second so it never drifts.

use leptos::prelude::*;

/// `H:MM:SS`, or `MM:SS` under an hour.
pub fn format_remaining(secs: i64) -> String {
    let s = secs.max(0);
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[island]
pub fn StartsIn(
    target_ms: i64,
    server_ms: i64,
    template: String,
    now_text: String,
) -> impl IntoView {
    let initial = (target_ms - server_ms) / 1000;
    let remaining = RwSignal::new(initial);
    Effect::new(move |_| {
        let offset = server_ms as f64 - now_ms();
        let tick = move || {
            remaining.set(((target_ms as f64 - (now_ms() + offset)) / 1000.0).ceil() as i64)
        };
        tick();
        set_interval(tick, std::time::Duration::from_secs(1));
    });
    view! {
        <p class="starts-in" role="timer" aria-live="off" data-testid="starts-in">
            {move || {
                let r = remaining.get();
                if r > 0 { template.replace("{t}", &format_remaining(r)) } else { now_text.clone() }
            }}
        </p>
    }
}

#[cfg(feature = "hydrate")]
fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(feature = "hydrate"))]
fn now_ms() -> f64 {
    0.0
}

#[cfg(test)]
mod tests {
    use super::format_remaining;

    #[test]
    fn remaining_time_reads_like_a_clock() {
        assert_eq!(format_remaining(850), "14:10");
        assert_eq!(format_remaining(3600 + 61), "1:01:01");
        assert_eq!(format_remaining(-5), "00:00");
    }
}
