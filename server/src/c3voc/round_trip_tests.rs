//! Round trips JSON → Schedule → JSON/XML → Schedule, determinism and DST
//! offsets in exports.

use app::domain::schedule::Schedule;

use super::*;

const DEMOCON: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/c3voc/pretalx-democon.json"
));
const CAMP: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/c3voc/frab-camp2019.json"
));
const BASE: &str = "https://marquee.example.org";

fn round_trip(s: &Schedule, slug: &str) {
    let json = export_json(s, BASE);
    assert_eq!(json, export_json(s, BASE), "deterministic");
    let back = parse(json.as_bytes(), slug, &mut |_, _| {}).unwrap();
    assert!(back.skipped.is_empty(), "{:?}", back.skipped);
    assert_eq!(&back.schedule, s, "JSON round trip");
    assert_eq!(export_json(&back.schedule, BASE), json);
    let xml = export_xml(s, BASE);
    assert_eq!(xml, export_xml(s, BASE), "deterministic");
    let back = parse(xml.as_bytes(), slug, &mut |_, _| {}).unwrap();
    assert!(back.skipped.is_empty(), "{:?}", back.skipped);
    let mut without_streams = s.clone();
    without_streams
        .tracks
        .iter_mut()
        .for_each(|t| t.stream_url = None);
    assert_eq!(back.schedule, without_streams, "XML round trip");
}

#[test]
fn fixtures_round_trip_through_json_and_xml() {
    round_trip(
        &parse(DEMOCON, "democon", &mut |_, _| {}).unwrap().schedule,
        "democon",
    );
    round_trip(
        &parse(CAMP, "camp-2019", &mut |_, _| {}).unwrap().schedule,
        "camp-2019",
    );
}

/// A schedule with what tends to break exports: markup and CR in text,
/// non-ASCII slugs, a stream URL, a name-keyed speaker, DST offsets.
pub(super) fn tricky() -> Schedule {
    let text = r##"{"schedule": {"version": "7", "conference": {"title": "Конф <&> \"x\"", "acronym": "зал",
      "time_zone_name": "Europe/Berlin", "start": "2026-10-24", "end": "2026-10-26",
      "rooms": [{"name": "Зал 1", "url": "https://stream.example.org/zal?a=1&b=2"}, {"name": "Hall & <B>"}],
      "tracks": [{"name": "Hall & <B>", "color": "#ABC"}], "days": [{"index": 1, "date": "2026-10-25", "rooms": {
      "Hall & <B>": [
        {"guid": "00000000-0000-4000-8000-000000000001", "title": "Fold 1", "date": "2026-10-25T02:30:00+02:00", "duration": "00:30", "type": "Keynote"},
        {"guid": "00000000-0000-4000-8000-000000000002", "title": "Fold 2", "date": "2026-10-25T02:30:00+01:00", "duration": "00:30", "language": "de"},
        {"guid": "00000000-0000-4000-8000-000000000003", "title": "After", "date": "2026-10-25T03:00:00+01:00", "duration": "28:00",
         "abstract": "line 1\r\nline <2> & \"3\"", "type": "Coffee break", "persons": [{"name": "Zoë"}]}]}}]}}}"##;
    let r = parse(text.as_bytes(), "зал", &mut |_, _| {}).unwrap();
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    r.schedule
}

#[test]
fn tricky_schedule_round_trips() {
    let s = tricky();
    assert_eq!(
        s.tracks[0].stream_url.as_deref(),
        Some("https://stream.example.org/zal?a=1&b=2")
    );
    assert_eq!(
        (s.tracks[0].slug.as_str(), s.tracks[1].color.as_str()),
        ("зал-1", "#aabbcc")
    );
    assert_eq!(s.speakers[0].key, "name:zoë");
    round_trip(&s, "зал");
}

#[test]
fn dst_fold_exports_both_offsets() {
    let s = tricky();
    let json = export_json(&s, BASE);
    for needle in [
        r#""date": "2026-10-25T02:30:00+02:00""#,
        r#""date": "2026-10-25T02:30:00+01:00""#,
        r#""date": "2026-10-25T03:00:00+01:00""#,
        r#""day_start": "2026-10-25T00:00:00+02:00""#,
        r#""day_end": "2026-10-26T07:00:00+01:00""#,
        r#""day_start": "2026-10-26T00:00:00+01:00""#,
    ] {
        assert!(json.contains(needle), "{needle} missing from\n{json}");
    }
    let xml = export_xml(&s, BASE);
    for needle in [
        "<date>2026-10-25T02:30:00+02:00</date>",
        "<date>2026-10-25T02:30:00+01:00</date>",
        "<date>2026-10-25T03:00:00+01:00</date>",
        r#"<day index="2" date="2026-10-25" start="2026-10-25T00:00:00+02:00" end="2026-10-26T07:00:00+01:00">"#,
    ] {
        assert!(xml.contains(needle), "{needle} missing from\n{xml}");
    }
}

#[test]
fn session_urls_accept_the_origin_or_the_event_url_as_base() {
    let s = tricky();
    let want = r#""url": "https://m.example/e/%D0%B7%D0%B0%D0%BB/talk/00000000-0000-4000-8000-000000000001""#;
    for base in [
        "https://m.example",
        "https://m.example/",
        "https://m.example/e/зал",
        "https://m.example/e/%D0%B7%D0%B0%D0%BB/",
    ] {
        assert!(export_json(&s, base).contains(want), "{base}");
    }
    let xml = export_xml(&s, "https://m.example/e/зал");
    assert!(xml.contains("<url>https://m.example/e/%D0%B7%D0%B0%D0%BB/talk/00000000-0000-4000-8000-000000000001</url>"));
    assert!(
        !export_xml(&s, "").contains("<url>"),
        "the XSD wants absolute http(s) URLs or none"
    );
}

/// Found by the c3voc_json fuzz target: in 1013 Moscow kept local mean
/// time, +02:30:17, and the export wrote it as +02:30, so every session of
/// such a schedule came back 17 seconds late.
#[test]
fn offsets_with_seconds_round_trip() {
    let doc = br#"{"schedule": {"version": "1", "conference": {"acronym": "old", "title": "Old",
      "time_zone_name": "Europe/Moscow", "days": [{"index": 1, "date": "1013-11-23",
      "rooms": {"Hall": [{"guid": "cae2ba2d-5bfb-5838-9739-ae4cbe73fc45", "id": 1,
        "title": "Talk", "date": "1013-11-23T17:50:00+03:00", "start": "17:50",
        "duration": "00:40", "room": "Hall", "type": "Talk", "persons": []}]}}]}}}"#;
    let s = parse(doc, "old", &mut |_, _| {}).unwrap().schedule;
    assert_eq!(
        s.sessions[0].start.to_rfc3339(),
        "1013-11-23T14:50:00+00:00"
    );
    assert!(export_json(&s, "https://x.test").contains("\"1013-11-23T14:50:00+00:00\""));
    round_trip(&s, "old");
}

#[test]
fn cancelled_talks_leave_both_exports_and_nothing_else_does() {
    let mut s = tricky();
    let gone = s.sessions[1].guid.clone();
    let kept = s.sessions[0].guid.clone();
    s.sessions[1].cancelled = true;
    let (json, xml) = (export_json(&s, BASE), export_xml(&s, BASE));
    assert!(
        !json.contains(&gone) && !xml.contains(&gone),
        "cancelled talk exported"
    );
    assert!(json.contains(&kept) && xml.contains(&kept));
    let back = parse(json.as_bytes(), "зал", &mut |_, _| {})
        .unwrap()
        .schedule;
    let mut expected = s.clone();
    expected.sessions.retain(|x| !x.cancelled);
    assert_eq!(back.sessions, expected.sessions);
}
