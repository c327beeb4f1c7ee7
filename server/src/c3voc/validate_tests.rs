//! The exports checked by the reference validators: `check-jsonschema`
//! against schema.json and `xmllint` against schedule.xml.xsd. These live
//! here rather than in server/tests because the module is private to the
//! binary. A missing validator fails the test: a silent pass would hide
//! exactly the regressions these exist for.

use std::path::Path;
use std::process::Command;

use app::domain::schedule::Schedule;

use super::{export_json, export_xml, parse};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/c3voc");

/// Runs `tool` (from env var `var`, else `default` on PATH) with `args`,
/// failing the test with its output unless it succeeds.
fn run(var: &str, default: &str, args: &[&str]) {
    let tool = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    let out = Command::new(&tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {tool} ({e}); run `make test`, which installs the validators, or set {var} to its path")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn validate(name: &str, schedule: &Schedule) {
    // What the export route passes: the event's public URL.
    let base = format!("https://marquee.example.org/e/{}", schedule.event.slug);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join(format!("{name}.json"));
    let xml = dir.path().join(format!("{name}.xml"));
    std::fs::write(&json, export_json(schedule, &base)).unwrap();
    std::fs::write(&xml, export_xml(schedule, &base)).unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let schema = format!("{FIXTURES}/schema.json");
    let xsd = format!("{FIXTURES}/schedule.xml.xsd");
    run(
        "CHECK_JSONSCHEMA",
        "check-jsonschema",
        &["--schemafile", &schema, &path(&json)],
    );
    run(
        "XMLLINT",
        "xmllint",
        &["--noout", "--schema", &xsd, &path(&xml)],
    );
}

fn fixture(name: &str, slug: &str) -> Schedule {
    let bytes = std::fs::read(format!("{FIXTURES}/{name}")).unwrap();
    parse(&bytes, slug, &mut |_, _| {}).unwrap().schedule
}

#[test]
fn pretalx_democon_exports_validate() {
    validate("democon", &fixture("pretalx-democon.json", "democon"));
}

#[test]
fn frab_camp2019_exports_validate() {
    validate("camp2019", &fixture("frab-camp2019.json", "camp-2019"));
}

#[test]
fn tricky_schedule_exports_validate() {
    validate("tricky", &super::round_trip_tests::tricky());
}
