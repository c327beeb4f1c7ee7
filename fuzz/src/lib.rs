//! What the C3VOC targets share.

use server::c3voc;

/// Parses `doc`; when it is accepted, exports the schedule with `export`
/// and checks that the export imports again to the same schedule.
pub fn round_trip(doc: &[u8], export: fn(&app::domain::schedule::Schedule, &str) -> String) {
    let Ok(report) = c3voc::parse(doc, "fuzz", &mut |_, _| {}) else {
        return;
    };
    let out = export(&report.schedule, "https://marquee.test/e/fuzz");
    let again = match c3voc::parse(out.as_bytes(), "fuzz", &mut |_, _| {}) {
        Ok(r) => r,
        Err(e) => panic!("our own export does not import: {e:?}\n{out}"),
    };
    assert_eq!(
        again.schedule, report.schedule,
        "the export changed the schedule:\n{out}"
    );
}
