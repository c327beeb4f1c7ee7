//! Import of the fixtures, XML errors and format detection.

use app::domain::schedule::SessionKind;
use chrono::{TimeZone, Utc};

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/c3voc/",
            $name
        ))
    };
}

const DEMOCON: &[u8] = fixture!("pretalx-democon.json");
const CAMP: &[u8] = fixture!("frab-camp2019.json");
const BASE: &str = "https://marquee.example.org";

fn import_doc(bytes: &[u8]) -> Result<ImportReport, FormatError> {
    parse(bytes, "conf", &mut |_, _| {})
}

#[test]
fn pretalx_democon_imports_without_skips() {
    let mut calls = Vec::new();
    let r = parse(DEMOCON, "democon", &mut |done, total| {
        calls.push((done, total))
    })
    .unwrap();
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    let s = &r.schedule;
    assert_eq!(
        (
            s.event.slug.as_str(),
            s.event.name.as_str(),
            s.event.time_zone.as_str()
        ),
        ("democon", "DemoCon", "UTC")
    );
    assert_eq!(
        (s.event.start_date.to_string(), s.event.end_date.to_string()),
        ("2020-12-14".into(), "2020-12-16".into())
    );
    let tracks: Vec<_> = s
        .tracks
        .iter()
        .map(|t| (t.slug.as_str(), t.name.as_str(), t.position))
        .collect();
    assert_eq!(
        tracks,
        [("gray-room", "Gray Room", 0), ("tan-room", "Tan Room", 1)]
    );
    assert_eq!(s.sessions.len(), 36);
    let first = s.session("8079583e-8321-506c-95af-fd2903a5f075").unwrap();
    assert_eq!(
        first.start,
        Utc.with_ymd_and_hms(2020, 12, 14, 8, 0, 0).unwrap(),
        "+01:00 in the file"
    );
    assert_eq!(
        (first.duration_min, first.track.as_str(), first.kind),
        (30, "gray-room", SessionKind::Talk)
    );
    assert_eq!(
        (first.language.as_deref(), first.abstract_md.as_str()),
        (Some("en"), "Brand back-end models!")
    );
    assert_eq!(first.speakers, ["id:26"]);
    assert_eq!(s.speaker("id:26").unwrap().name, "Brian Robinson");
    assert!(s.sessions.windows(2).all(|w| w[0].start <= w[1].start));
    assert_eq!(
        (calls.first(), calls.last()),
        (Some(&(0, 36)), Some(&(36, 36)))
    );
}

#[test]
fn frab_camp2019_imports_and_reports_its_repairs() {
    let r = parse(CAMP, "camp2019", &mut |_, _| {}).unwrap();
    let s = &r.schedule;
    assert_eq!(
        (s.event.time_zone.as_str(), s.sessions.len(), s.tracks.len()),
        ("Europe/Berlin", 79, 2)
    );
    assert_eq!(s.speakers.len(), 90);
    let reasons: Vec<_> = r
        .skipped
        .iter()
        .map(|k| format!("{}: {}", k.path, k.reason))
        .collect();
    assert_eq!(reasons.len(), 6, "{reasons:#?}");
    assert!(
        reasons
            .iter()
            .filter(|r| r.ends_with(".title: title had surrounding whitespace; trimmed"))
            .count()
            == 5
    );
    assert!(reasons.contains(
        &r#"schedule.conference.days[1].rooms["Meitner"][5].persons[0].public_name: name had surrounding whitespace; trimmed"#
            .to_owned()
    ));
    let card10 = s.session("c9edea6f-1da1-4772-a0a9-6dd4e33f11bb").unwrap();
    assert_eq!(
        card10.start,
        Utc.with_ymd_and_hms(2019, 8, 21, 10, 0, 0).unwrap()
    );
    assert_eq!((card10.duration_min, card10.track.as_str()), (45, "curie"));
    assert_eq!(
        card10.speakers.len(),
        card10
            .speakers
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
    );
}

#[test]
fn xml_errors_are_located() {
    let e = import_doc(b"<schedule>\n  <version>1</version>\n  <conference><title>x</titel>");
    let e = e.unwrap_err().to_string();
    let want = "line 3, column 23: not well-formed XML: ill-formed document: \
                expected `</title>`, but `</titel>` was found";
    assert_eq!(e, want);
    let deep = format!("<schedule>{}", "<a>".repeat(40));
    let e = import_doc(deep.as_bytes()).unwrap_err();
    assert!(e.message.contains("nested deeper than 32"), "{e}");
    let e = import_doc(b"<?xml version=\"1.0\"?><html/>").unwrap_err();
    assert_eq!(
        e.to_string(),
        "$: expected a <schedule> root element, found <html>"
    );
    let xml = export_xml(
        &parse(DEMOCON, "democon", &mut |_, _| {}).unwrap().schedule,
        BASE,
    );
    let bad = xml.replacen(" id=\"", " id=\"x", 1);
    let e = import_doc(bad.as_bytes()).unwrap_err();
    let at = r#"schedule.conference.days[0].rooms["Gray Room"][0].id"#;
    assert_eq!(
        (
            e.path.as_str(),
            e.message
                .starts_with("expected a positive integer, found string \"x")
        ),
        (at, true),
        "{e}"
    );
}

#[test]
fn detects_format_by_first_byte() {
    assert_eq!(detect(b" \n{\"a\":1}"), Some(Format::Json));
    assert_eq!(detect(b"\xEF\xBB\xBF<?xml?>"), Some(Format::Xml));
    assert_eq!(detect(b"schedule"), None);
    assert_eq!(detect(b"   "), None);
}
