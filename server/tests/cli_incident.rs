//! `marquee incident …` and `marquee maintenance …`, run as a deploy script
//! would run them, checked against what the store then holds.

use std::process::{Command, Output};

use app::domain::status::IncidentStatus;
use app::store::{IncidentRecord, Store};
use chrono::{DateTime, Duration, DurationRound, Utc};

const BIN: &str = env!("CARGO_BIN_EXE_marquee");
const ZONE: chrono_tz::Tz = chrono_tz::Europe::Moscow; // the demo's

fn run(db: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("MARQUEE_DATABASE_URL", db)
        .output()
        .unwrap()
}

/// Stdout of a run that must succeed.
fn ok(db: &str, args: &[&str]) -> String {
    let out = run(db, args);
    let (o, e) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{args:?}: {o}{e}");
    o
}

/// Stderr of a run that must be refused as bad input (exit 2).
fn refused(db: &str, args: &[&str]) -> String {
    let out = run(db, args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        text(&out.stdout)
    );
    text(&out.stderr)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The id in "… maintenance 7 "Name": …".
fn id_in(line: &str) -> String {
    line.split_whitespace()
        .skip_while(|w| *w != "incident" && *w != "maintenance")
        .nth(1)
        .unwrap_or_else(|| panic!("no id in {line:?}"))
        .to_owned()
}

async fn incident(db: &str, id: &str) -> IncidentRecord {
    let store = Store::connect(db).await.unwrap();
    let s = store.load_status("demo", Utc::now()).await.unwrap();
    s.incidents
        .into_iter()
        .find(|i| i.id.to_string() == id)
        .unwrap_or_else(|| panic!("no incident {id}"))
}

/// Event time as a person types it: `YYYY-MM-DD HH:MM`.
fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&ZONE).format("%Y-%m-%d %H:%M").to_string()
}

#[tokio::test]
async fn a_maintenance_is_scheduled_moved_extended_and_completed_in_event_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    ok(&db, &["demo"]);
    let hour = Utc::now().duration_trunc(Duration::minutes(1)).unwrap() + Duration::hours(2);
    let (from, until) = (hour, hour + Duration::hours(1));

    let out = ok(
        &db,
        &[
            "maintenance",
            "schedule",
            "--event",
            "demo",
            "--name",
            "Player upgrade",
            "--body",
            "The player is upgraded.",
            "--from",
            &local(from),
            "--until",
            &until.to_rfc3339(),
            "--component",
            "track-1",
        ],
    );
    assert!(out.contains("scheduled"), "{out}");
    let id = id_in(&out);
    let m = incident(&db, &id).await;
    assert_eq!(
        (m.scheduled_for, m.scheduled_until),
        (Some(from), Some(until))
    );
    assert_eq!(m.status, IncidentStatus::Scheduled);

    // Before it starts, both ends may move.
    let (from2, until2) = (from + Duration::minutes(30), until + Duration::minutes(30));
    ok(
        &db,
        &[
            "maintenance",
            "update",
            "--event",
            "demo",
            &id,
            "--body",
            "Half an hour later.",
            "--from",
            &local(from2),
            "--until",
            &local(until2),
        ],
    );
    let m = incident(&db, &id).await;
    assert_eq!(
        (m.scheduled_for, m.scheduled_until),
        (Some(from2), Some(until2))
    );

    // An end before the start is refused naming the flag, and changes nothing.
    let err = refused(
        &db,
        &[
            "maintenance",
            "extend",
            "--event",
            "demo",
            &id,
            "--until",
            &local(from),
        ],
    );
    assert!(err.contains("--until") && err.contains("after"), "{err}");
    assert_eq!(incident(&db, &id).await.scheduled_until, Some(until2));
    // So is a time that is no time.
    let err = refused(
        &db,
        &[
            "maintenance",
            "extend",
            "--event",
            "demo",
            &id,
            "--until",
            "late",
        ],
    );
    assert!(err.contains("--until") && err.contains("HH:MM"), "{err}");

    // Extended: a new end, and an update telling everyone so.
    let until3 = until2 + Duration::minutes(45);
    ok(
        &db,
        &[
            "maintenance",
            "extend",
            "--event",
            "demo",
            &id,
            "--until",
            &local(until3),
        ],
    );
    let m = incident(&db, &id).await;
    assert_eq!(m.scheduled_until, Some(until3));
    let hhmm = until3.with_timezone(&ZONE).format("%H:%M").to_string();
    assert_eq!(
        m.updates[0].body_md,
        format!("Extended until {hhmm} (Europe/Moscow).")
    );
    assert_eq!(m.updates.len(), 3, "opened, moved, extended");

    ok(&db, &["maintenance", "complete", "--event", "demo", &id]);
    let m = incident(&db, &id).await;
    assert_eq!(m.status, IncidentStatus::Completed);
    // Closed: its window stays as it was.
    let err = refused(
        &db,
        &[
            "maintenance",
            "extend",
            "--event",
            "demo",
            &id,
            "--until",
            &local(until3 + Duration::hours(1)),
        ],
    );
    assert!(err.contains("--status"), "{err}");
    assert_eq!(incident(&db, &id).await.scheduled_until, Some(until3));
}

#[tokio::test]
async fn an_incident_is_opened_updated_listed_and_resolved_from_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    ok(&db, &["demo"]);
    let err = refused(&db, &["incident", "open", "--event", "demo"]);
    assert!(err.contains("--name"), "{err}");
    let err = refused(
        &db,
        &[
            "incident",
            "open",
            "--event",
            "demo",
            "--name",
            "x",
            "--body",
            "y",
            "--component",
            "no-such-thing",
        ],
    );
    assert!(err.contains("--component"), "{err}");
    assert!(ok(&db, &["incident", "list", "--event", "demo"]).contains("no open incident"));

    let out = ok(
        &db,
        &[
            "incident",
            "open",
            "--event",
            "demo",
            "--template",
            "stream_down",
            "--lang",
            "fr",
            "--component",
            "track-2",
            "--impact",
            "minor",
        ],
    );
    let id = id_in(&out);
    let i = incident(&db, &id).await;
    assert_eq!(i.status, IncidentStatus::Investigating);
    assert_eq!(i.impact.as_str(), "minor");
    assert_eq!(i.component_ids.len(), 1);
    assert!(ok(&db, &["incident", "list", "--event", "demo"]).contains(&format!("incident {id} ")));

    ok(
        &db,
        &[
            "incident",
            "update",
            "--event",
            "demo",
            &id,
            "--status",
            "identified",
            "--body",
            "Encoder restarted.",
        ],
    );
    let err = refused(
        &db,
        &[
            "incident", "update", "--event", "demo", &id, "--status", "sleeping",
        ],
    );
    assert!(err.contains("--status"), "{err}");
    // A signature is one line, and a refused one posts nothing.
    let err = refused(
        &db,
        &[
            "incident",
            "--signature",
            "Deploy\nbot",
            "resolve",
            "--event",
            "demo",
            &id,
        ],
    );
    assert!(err.contains("--signature"), "{err}");
    assert_eq!(incident(&db, &id).await.updates.len(), 2);
    // Signed where the script chose to sign (the flag goes anywhere).
    ok(
        &db,
        &[
            "incident",
            "resolve",
            "--event",
            "demo",
            &id,
            "--signature",
            "Deploy bot",
        ],
    );
    let i = incident(&db, &id).await;
    assert_eq!(i.status, IncidentStatus::Resolved);
    assert_eq!(i.updates[1].body_md, "Encoder restarted.");
    assert_eq!(i.updates[0].signature.as_deref(), Some("Deploy bot"));
    assert_eq!(i.updates[1].signature, None);
    assert!(ok(&db, &["incident", "list", "--event", "demo"]).contains("no open incident"));
    // An unknown event is named.
    let out = run(&db, &["incident", "list", "--event", "nope"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn a_weekly_series_is_made_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    ok(&db, &["demo"]);
    let from = Utc::now().duration_trunc(Duration::minutes(1)).unwrap() + Duration::days(1);
    let schedule = |weeks: &str| {
        vec![
            "maintenance".to_owned(),
            "schedule".into(),
            "--event".into(),
            "demo".into(),
            "--name".into(),
            "Weekly window".into(),
            "--body".into(),
            "Routine.".into(),
            "--from".into(),
            local(from),
            "--until".into(),
            local(from + Duration::hours(1)),
            "--weeks".into(),
            weeks.into(),
        ]
    };
    let args = schedule("3");
    let out = ok(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let ids: Vec<String> = out.lines().map(id_in).collect();
    assert_eq!(ids.len(), 3, "{out}");
    for (week, id) in ids.iter().enumerate() {
        let m = incident(&db, id).await;
        // Moscow keeps one offset all year: exactly a week apart.
        assert_eq!(m.scheduled_for, Some(from + Duration::weeks(week as i64)));
        assert_eq!(
            m.scheduled_until,
            Some(from + Duration::weeks(week as i64) + Duration::hours(1))
        );
    }
    let args = schedule("60");
    let err = refused(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("--weeks"), "{err}");
    let store = Store::connect(&db).await.unwrap();
    let all = store
        .load_status("demo", Utc::now())
        .await
        .unwrap()
        .incidents;
    assert_eq!(all.len(), 3, "the refused series made nothing");
}

#[tokio::test]
async fn one_window_of_a_series_is_cancelled_and_a_refusal_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    ok(&db, &["demo"]);
    let from = Utc::now().duration_trunc(Duration::minutes(1)).unwrap() + Duration::days(1);
    let out = ok(
        &db,
        &[
            "maintenance",
            "schedule",
            "--event",
            "demo",
            "--name",
            "Weekly window",
            "--body",
            "Routine.",
            "--from",
            &local(from),
            "--until",
            &local(from + Duration::hours(1)),
            "--component",
            "track-1",
            "--weeks",
            "2",
        ],
    );
    let ids: Vec<String> = out.lines().map(id_in).collect();
    assert_eq!(ids.len(), 2, "{out}");

    // `--id N` as the brief's contract says; the positional id works too.
    let out = ok(
        &db,
        &[
            "maintenance",
            "cancel",
            "--event",
            "demo",
            "--id",
            &ids[0],
            "--body",
            "Moved to Friday.",
        ],
    );
    assert!(out.starts_with("cancelled maintenance"), "{out}");
    assert!(out.contains("completed"), "{out}");
    let m = incident(&db, &ids[0]).await;
    assert_eq!(m.status, IncidentStatus::Completed);
    assert!(m.cancelled_at.is_some());
    assert_eq!(m.updates[0].body_md, "Moved to Friday.");
    let other = incident(&db, &ids[1]).await;
    assert_eq!(
        (other.status, other.cancelled_at),
        (IncidentStatus::Scheduled, None)
    );

    // Again: refused naming why, nothing added.
    let err = refused(&db, &["maintenance", "cancel", "--event", "demo", &ids[0]]);
    assert!(err.contains("cancelled already"), "{err}");
    assert_eq!(incident(&db, &ids[0]).await.updates.len(), 2);
    // An unknown id, an incident: refused.
    let err = refused(
        &db,
        &["maintenance", "cancel", "--event", "demo", "--id", "999999"],
    );
    assert!(err.contains("no maintenance 999999"), "{err}");
    let line = ok(
        &db,
        &[
            "incident", "open", "--event", "demo", "--name", "Wi-Fi", "--body", "Down.",
        ],
    );
    let inc = id_in(&line);
    let err = refused(&db, &["maintenance", "cancel", "--event", "demo", &inc]);
    assert!(err.contains(&format!("no maintenance {inc}")), "{err}");
    // No id at all: clap refuses (exit 2) before anything is opened.
    let out = run(&db, &["maintenance", "cancel", "--event", "demo"]);
    assert_eq!(out.status.code(), Some(2));
    // The other window is cancelled with the default text.
    ok(&db, &["maintenance", "cancel", "--event", "demo", &ids[1]]);
    let other = incident(&db, &ids[1]).await;
    assert_eq!(
        other.updates[0].body_md,
        "This scheduled maintenance has been cancelled."
    );
}
