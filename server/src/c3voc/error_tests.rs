//! Strict errors and their paths, and what gets skipped instead.

use chrono::{TimeZone, Utc};

use super::*;

const INVALID: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/c3voc/invalid-example.json"
));

fn import(bytes: &[u8]) -> Result<ImportReport, FormatError> {
    parse(bytes, "conf", &mut |_, _| {})
}

/// A two-day document whose second day holds `event` in room "Saal 1".
fn doc(event: &str) -> String {
    format!(
        r#"{{"schedule": {{"version": "1", "conference": {{"title": "Conf", "acronym": "conf",
        "time_zone_name": "Europe/Berlin", "days": [
          {{"index": 1, "date": "2026-10-24", "rooms": {{}}}},
          {{"index": 2, "date": "2026-10-25", "day_start": "2026-10-25T00:00:00+02:00",
            "rooms": {{"Saal 1": [{event}]}}}}]}}}}}}"#
    )
}

fn event(fields: &str) -> String {
    format!(
        r#"{{"guid": "8079583e-8321-506c-95af-fd2903a5f075", "id": 1, "title": "Talk",
        "date": "2026-10-25T10:00:00+01:00", "duration": "00:30", "type": "Talk", "persons": [] {fields}}}"#
    )
}

fn error_of(text: &str) -> String {
    import(text.as_bytes()).map(|_| ()).unwrap_err().to_string()
}

const EV: &str = r#"schedule.conference.days[1].rooms["Saal 1"][0]"#;

#[test]
fn invalid_example_fails_at_the_string_id() {
    let e = import(INVALID).unwrap_err();
    assert_eq!(
        e.path,
        r#"schedule.conference.days[0].rooms["Winterchaos"][0].id"#
    );
    assert_eq!(
        e.message,
        r#"expected a positive integer, found string "2814""#
    );
}

#[test]
fn structural_errors_name_the_spot() {
    let wrong_type = doc(&event(r#", "title": 5"#));
    assert_eq!(
        error_of(&wrong_type),
        format!("{EV}.title: expected a string, found number 5")
    );
    let bad_duration = doc(&event(r#", "duration": 45"#));
    assert_eq!(
        error_of(&bad_duration),
        format!("{EV}.duration: expected a string, found number 45")
    );
    let soon = doc(&event(r#", "duration": "soon""#));
    let want = r#"duration: expected a duration such as "00:45" ([H]H:MM), found string "soon""#;
    assert_eq!(error_of(&soon), format!("{EV}.{want}"));
    let late = doc(&event(r#", "start": "25:00""#));
    let want = r#"start: expected a time such as "09:30" (HH:MM), found string "25:00""#;
    assert_eq!(error_of(&late), format!("{EV}.{want}"));
    let no_guid = doc(&event("").replace(r#""guid": "8079583e-8321-506c-95af-fd2903a5f075","#, ""));
    assert_eq!(
        error_of(&no_guid),
        format!("{EV}.guid: expected a UUID string, found nothing")
    );
    let no_time = doc(
        r#"{"guid": "8079583e-8321-506c-95af-fd2903a5f075", "title": "T", "duration": "00:30"}"#,
    );
    assert!(error_of(&no_time).starts_with(&format!("{EV}.date: expected a date-time")));
    let person = doc(&event(r#", "persons": [{"id": "x", "public_name": "P"}]"#)
        .replace(r#", "persons": []"#, ""));
    assert_eq!(
        error_of(&person),
        format!(r#"{EV}.persons[0].id: expected an integer, found string "x""#)
    );

    assert!(error_of("this is not json").starts_with("$: expected a C3VOC schedule in JSON"));
    assert_eq!(
        error_of(""),
        "$: expected a C3VOC schedule in JSON (starting with '{') or XML (starting with '<'), found an empty document"
    );
    assert_eq!(
        error_of("{\"schedule\": {"),
        "line 1, column 14: not valid JSON: EOF while parsing an object"
    );
    assert_eq!(
        error_of("[1]"),
        "$: expected an object with a \"schedule\" member, found an array"
    );
    assert_eq!(
        error_of("{}"),
        "schedule: expected an object, found nothing"
    );
    assert_eq!(
        error_of(r#"{"schedule": {"version": "1"}}"#),
        "schedule.conference: expected an object, found nothing"
    );
    let rooms = doc("").replace(r#"{"Saal 1": []}"#, r#"["Saal 1"]"#);
    assert_eq!(
        error_of(&rooms),
        "schedule.conference.days[1].rooms: expected an object mapping room names to lists of events, found an array"
    );
    let zone = doc(&event("")).replace("Europe/Berlin", "Mars/Olympus");
    assert!(
        error_of(&zone)
            .starts_with("schedule.conference.time_zone_name: unknown time zone \"Mars/Olympus\"")
    );
    let no_zone = doc(&event("")).replace(r#""time_zone_name": "Europe/Berlin","#, "");
    assert!(
        error_of(&no_zone)
            .starts_with("schedule.conference.time_zone_name: expected an IANA time zone name")
    );
}

#[test]
fn unusable_values_skip_the_event_with_its_path() {
    let two = |a: &str, b: &str| doc(&format!("{},{}", event(a), event(b)));
    let cases = [
        (two("", ""), "[1].guid", "duplicate guid, first used at"),
        (
            doc(&event(r#", "duration": "00:75""#)),
            "[0].duration",
            r#"duration "00:75" has minutes or seconds over 59; event skipped"#,
        ),
        (
            doc(&event(r#", "duration": "0:00""#)),
            "[0].duration",
            r#"duration "0:00" is zero; event skipped"#,
        ),
        (
            doc(&event(r#", "guid": "nope""#)),
            "[0].guid",
            r#"guid "nope" is not a UUID; event skipped"#,
        ),
        (
            doc(&event(r#", "title": "  ""#)),
            "[0].title",
            "empty title; event skipped",
        ),
        (
            doc(&event(r#", "date": "soon""#)),
            "[0].date",
            r#"date "soon" is not an ISO 8601 date-time; event skipped"#,
        ),
    ];
    for (text, at, why) in cases {
        let r = import(text.as_bytes()).unwrap();
        assert_eq!(r.skipped.len(), 1, "{text}: {:?}", r.skipped);
        let rooms = r#"schedule.conference.days[1].rooms["Saal 1"]"#;
        assert_eq!(r.skipped[0].path, format!("{rooms}{at}"));
        assert!(
            r.skipped[0].reason.starts_with(why),
            "{}",
            r.skipped[0].reason
        );
    }
}

#[test]
fn wall_clock_starts_use_the_zone_and_skip_dst_gaps() {
    let local = |date: &str, start: &str| {
        let ev = format!(
            r#"{{"guid": "8079583e-8321-506c-95af-fd2903a5f075", "title": "T", "start": "{start}", "duration": "0:30"}}"#
        );
        import(
            doc(&ev)
                .replace("2026-10-25\",", &format!("{date}\","))
                .as_bytes(),
        )
        .unwrap()
    };
    // In the fold the earlier instant (still CEST) wins.
    let fold = local("2026-10-25", "02:30");
    assert_eq!(
        fold.schedule.sessions[0].start,
        Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap()
    );
    // A frab day running 09:00 to 04:00: 01:00 is early the next morning.
    let ev = r#"{"guid": "8079583e-8321-506c-95af-fd2903a5f075", "title": "T", "start": "01:00", "duration": "0:30"}"#;
    let late = doc(ev).replace("T00:00:00+02:00", "T09:00:00+02:00");
    let late = import(late.as_bytes()).unwrap().schedule.sessions[0].start;
    assert_eq!(late, Utc.with_ymd_and_hms(2026, 10, 26, 0, 0, 0).unwrap());
    let gap = local("2026-03-29", "02:30");
    assert!(gap.schedule.sessions.is_empty());
    assert!(
        gap.skipped[0].reason.contains("does not exist"),
        "{:?}",
        gap.skipped
    );
}

#[test]
fn persons_without_names_are_dropped_or_named_from_elsewhere() {
    let a = event(r#", "persons": [{"id": 7, "public_name": "Ann"}, {"id": 8}, {}]"#);
    let b = event(
        r#", "guid": "2d64f8e2-26ee-529f-b5ab-3b3f326e31b9", "persons": [{"id": 7}, {"guid": "b379c473-93b9-4eae-9a09-d482e86cede3", "name": "Bo"}]"#,
    );
    let r = import(doc(&format!("{a},{b}")).as_bytes()).unwrap();
    let s = &r.schedule;
    assert_eq!(
        s.speakers
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["Ann", "Bo"]
    );
    assert_eq!(
        s.session("2d64f8e2-26ee-529f-b5ab-3b3f326e31b9")
            .unwrap()
            .speakers,
        ["id:7", "b379c473-93b9-4eae-9a09-d482e86cede3"]
    );
    assert_eq!(
        s.session("8079583e-8321-506c-95af-fd2903a5f075")
            .unwrap()
            .speakers,
        ["id:7"]
    );
    let reasons: Vec<_> = r.skipped.iter().map(|k| k.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "person has no name, guid or id; dropped",
            "person has no name; dropped",
            "person id:7 has no name here; the name given elsewhere is used"
        ]
    );
}

/// RUSTSEC-2026-0194: quick-xml's duplicate-attribute check was quadratic,
/// so this document (one tag, 100,000 attributes, the last repeating the
/// first) took minutes; the check is now linear and names the attribute.
#[test]
fn a_repeated_attribute_is_refused_even_among_very_many() {
    let mut tag = String::from("<schedule><conference");
    for i in 0..100_000 {
        tag.push_str(&format!(" a{i}=\"\""));
    }
    tag.push_str(" a0=\"\"/></schedule>");
    let err = error_of(&tag);
    assert!(
        err.contains("the attribute \"a0\" appears twice in <conference>"),
        "{err}"
    );
    let err = error_of(r#"<schedule><conference title="a" title="b"/></schedule>"#);
    assert!(err.contains("\"title\" appears twice"), "{err}");
}

/// Found by the c3voc_xml fuzz target: a raw NUL in a text was imported,
/// and then our own XML export (which drops it) no longer round-tripped.
/// XML 1.0 forbids control characters, raw or as character references.
#[test]
fn control_characters_in_xml_are_refused_with_their_place() {
    let err = error_of("<schedule>\n<version>1\u{0}</version></schedule>");
    assert!(
        err.contains("line 2, column 11") && err.contains("U+0000 is not allowed"),
        "{err}"
    );
    let err = error_of("<schedule><version a=\"&#1;\">&#2;</version></schedule>");
    assert!(err.contains("is not allowed"), "{err}");
}
