//! "You are on in 14:10": a countdown to one instant. The server renders
//! it at its clock; `enhance.js` follows the server's clock from there
//! (the offset between `server_ms` and the browser's clock) and
//! recomputes it every second, so it never drifts.

use leptos::prelude::*;

/// `H:MM:SS`, or `MM:SS` under an hour (`enhance.js` prints the same).
pub fn format_remaining(secs: i64) -> String {
    let s = secs.max(0);
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[component]
pub fn StartsIn(
    target_ms: i64,
    server_ms: i64,
    /// Translated, with a literal `{t}` placeholder.
    template: String,
    now_text: String,
) -> impl IntoView {
    let remaining = (target_ms - server_ms) / 1000;
    let text = if remaining > 0 {
        template.replace("{t}", &format_remaining(remaining))
    } else {
        now_text.clone()
    };
    view! {
        <p
            class="starts-in"
            role="timer"
            aria-live="off"
            data-testid="starts-in"
            data-starts-in=""
            data-target-ms=target_ms
            data-server-ms=server_ms
            data-template=template
            data-now-text=now_text
        >
            {text}
        </p>
    }
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
