//! The `marquee` binary's subcommands, run as a user would run them.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_marquee");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/c3voc");

fn run(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("MARQUEE_DATABASE_URL", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn import_reports_what_it_did_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    let file = format!("{FIXTURES}/pretalx-democon.json");
    let out = run(&db, &["import", &file, "--event", "democon"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("version 1"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&db, &["import", &file, "--event", "democon"], None);
    assert!(
        text(&out.stdout).contains("version 1 (unchanged)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_bad_file_is_refused_naming_the_file_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"schedule": {"version": "1", "conference": {"title": "x", "days": 3}}}"#,
    )
    .unwrap();
    let out = run(
        &db,
        &["import", bad.to_str().unwrap(), "--event", "x"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("schedule.conference"),
        "{err}"
    );

    let out = run(&db, &["import", "/no/such/file.json", "--event", "x"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/no/such/file.json: cannot read"));

    let out = run(
        &db,
        &["import", bad.to_str().unwrap(), "--event", "Not A Slug"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--event"));
}

#[test]
fn users_and_tokens_are_created_and_duplicates_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    let out = run(
        &db,
        &["user", "add", "a@example.org", "--password-stdin"],
        Some("long-enough-password\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        &db,
        &["user", "add", "a@example.org", "--password-stdin"],
        Some("long-enough-password\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already exists"));
    let out = run(
        &db,
        &["user", "add", "b@example.org", "--password-stdin"],
        Some("short\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("password"));

    let out = run(&db, &["token", "create", "--name", "ci"], None);
    assert!(out.status.success());
    let token = text(&out.stdout).trim().to_owned();
    assert!(token.starts_with("mq_") && token.len() == 67, "{token}");
    // Only the hash is stored: the token itself is nowhere in the database file.
    let bytes = std::fs::read(dir.path().join("m.db")).unwrap();
    let wal = std::fs::read(dir.path().join("m.db-wal")).unwrap_or_default();
    for b in [&bytes, &wal] {
        assert!(!b.windows(token.len()).any(|w| w == token.as_bytes()));
    }
}

#[test]
fn an_unreadable_database_is_a_clear_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/missing-dir/m.db", dir.path().display());
    let out = run(&db, &["demo"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot open database") && err.contains("missing-dir"),
        "{err}"
    );
}

#[test]
fn serve_refuses_a_port_in_use_with_a_clear_message() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site/pkg")).unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    let site = dir.path().join("site");
    let out = run(
        &db,
        &[
            "serve",
            "--addr",
            &addr,
            "--site-root",
            site.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already in use"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn shift_previews_as_a_table_then_applies() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    assert!(
        run(&db, &["demo", "--date", "2026-11-23"], None)
            .status
            .success()
    );
    let args = [
        "shift",
        "--event",
        "demo",
        "--tracks",
        "all",
        "--from",
        "17:25",
        "--to",
        "18:15",
        "--date",
        "2026-11-23",
    ];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let out = run(&db, &dry, None);
    let table = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        table.contains("Postmortems without blame") && table.contains("17:50 → 18:15"),
        "{table}"
    );
    assert!(table.contains("dry run: nothing changed"));
    let out = run(&db, &args, None);
    assert_eq!(out.status.code(), Some(2), "a reason is required");
    assert!(text(&out.stderr).contains("--reason"));
    let mut apply = args.to_vec();
    apply.extend(["--reason", "player outage"]);
    let out = run(&db, &apply, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("applied as schedule version 2"));
    let out = run(
        &db,
        &[
            "shift",
            "--event",
            "demo",
            "--tracks",
            "track-9",
            "--from",
            "17:25",
            "--by",
            "30",
            "--date",
            "2026-11-23",
            "--dry-run",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--tracks"),
        "{}",
        text(&out.stderr)
    );
}

/// The demo's guid of the talk titled `title`.
fn demo_guid(title: &str) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    server::demo::conference("demo", day)
        .sessions
        .into_iter()
        .find(|s| s.title == title)
        .unwrap()
        .guid
}

#[test]
fn change_moves_cancels_and_restores_one_talk_naming_the_flag_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    assert!(
        run(&db, &["demo", "--date", "2026-11-23"], None)
            .status
            .success()
    );
    let guid = demo_guid("Postmortems without blame");
    let mv = [
        "change", "--event", "demo", "--move", &guid, "--to", "20:10", "--track", "track-4",
    ];
    let mut dry = mv.to_vec();
    dry.push("--dry-run");
    let out = run(&db, &dry, None);
    let table = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        table.contains("Postmortems without blame") && table.contains("track-4 20:10"),
        "{table}"
    );
    assert!(table.contains("dry run: nothing changed"));
    let out = run(&db, &mv, None);
    assert_eq!(out.status.code(), Some(2), "a reason is required");
    assert!(
        text(&out.stderr).contains("--reason"),
        "{}",
        text(&out.stderr)
    );
    let mut apply = mv.to_vec();
    apply.extend(["--reason", "speaker late"]);
    let out = run(&db, &apply, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("applied as schedule version 2"));

    let out = run(
        &db,
        &[
            "change",
            "--event",
            "demo",
            "--cancel",
            "no-such-talk",
            "--reason",
            "x",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--cancel"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &db,
        &[
            "change", "--event", "demo", "--cancel", &guid, "--reason", "ill",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("cancelled"));
    let out = run(
        &db,
        &[
            "change",
            "--event",
            "demo",
            "--restore",
            &guid,
            "--reason",
            "better",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("applied as schedule version 4"));
    // Exactly one of --move, --swap, --cancel, --restore.
    let out = run(&db, &["change", "--event", "demo", "--reason", "x"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shift_restarts_or_resumes_the_talks_it_interrupts() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    assert!(
        run(&db, &["demo", "--date", "2026-11-23"], None)
            .status
            .success()
    );
    let shift = |mode: &str| {
        run(
            &db,
            &[
                "shift",
                "--event",
                "demo",
                "--tracks",
                "track-2",
                "--from",
                "17:25",
                "--to",
                "18:15",
                "--date",
                "2026-11-23",
                "--interrupted",
                mode,
                "--dry-run",
            ],
            None,
        )
    };
    let out = shift("restart");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("interrupted after 25 min")
            && text(&out.stdout).contains("→ 18:15 (40 min)"),
        "{}",
        text(&out.stdout)
    );
    let out = shift("resume");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("→ 18:15 (15 min)"),
        "{}",
        text(&out.stdout)
    );
    let out = shift("later");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn speaker_links_are_printed_once_and_work_as_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    assert!(
        run(&db, &["demo", "--date", "2026-11-23"], None)
            .status
            .success()
    );
    let out = run(
        &db,
        &[
            "speaker",
            "link",
            "--event",
            "demo",
            "--public-url",
            "https://marquee.example",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = text(&out.stdout);
    assert_eq!(lines.lines().count(), 18, "one link per demo speaker");
    let anna = lines
        .lines()
        .find(|l| l.starts_with("Anna Volkova\t"))
        .unwrap();
    let url = anna.split('\t').nth(1).unwrap();
    assert!(
        url.starts_with("https://marquee.example/s/sp_")
            && url.len() == "https://marquee.example/s/sp_".len() + 64,
        "{url}"
    );
    let out = run(
        &db,
        &["speaker", "link", "--event", "demo", "--speaker", "nobody"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--speaker"));
}

/// The stream components of an event as its status page lists them.
async fn streams(store: &app::store::Store, event: &str) -> Vec<(String, Option<String>, i64)> {
    store
        .load_status(event, chrono::Utc::now())
        .await
        .unwrap()
        .components
        .into_iter()
        .map(|c| (c.name, c.track, c.position))
        .collect()
}

#[tokio::test]
async fn cli_and_api_imports_leave_the_same_stream_components() {
    let file = format!("{FIXTURES}/frab-camp2019.json");
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    let out = run(&db, &["import", &file, "--event", "camp"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cli = streams(&app::store::Store::connect(&db).await.unwrap(), "camp").await;

    let t = common::app().await;
    let res = t.import("camp", std::fs::read(&file).unwrap()).await;
    assert_eq!(res.status(), axum::http::StatusCode::OK);
    let api = streams(&t.state.store, "camp").await;

    assert!(!api.is_empty(), "the API import made stream components");
    assert_eq!(cli, api);
    assert!(
        cli.iter()
            .all(|(name, track, _)| track.is_some() && name.ends_with(" stream"))
    );
}

#[test]
fn tokens_are_limited_listed_without_secret_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    assert!(
        run(&db, &["demo", "--date", "2026-11-23"], None)
            .status
            .success()
    );
    let out = run(
        &db,
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--event",
            "demo",
            "--role",
            "scheduler",
            "--expires",
            "30d",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let secret = text(&out.stdout).trim().to_owned();
    assert!(
        text(&out.stderr).contains("what a scheduler may, on \"demo\" only, until"),
        "{}",
        text(&out.stderr)
    );
    for (args, complaint) in [
        (
            &["token", "create", "--name", "x", "--event", "nope"][..],
            "--event: no event \"nope\"",
        ),
        (
            &["token", "create", "--name", "x", "--role", "root"][..],
            "is not a role",
        ),
        (
            &["token", "create", "--name", "x", "--expires", "soon"][..],
            "a positive number and a unit",
        ),
    ] {
        let out = run(&db, args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(complaint),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }

    let out = run(&db, &["token", "list"], None);
    let list = text(&out.stdout);
    assert!(!list.contains(&secret) && !list.contains("mq_"), "{list}");
    let row = list
        .lines()
        .find(|l| l.contains("\tci\t"))
        .expect("the token is listed");
    assert!(
        row.starts_with("1\tci\tdemo\tscheduler\t") && row.ends_with("\tlive"),
        "{row}"
    );

    let out = run(&db, &["token", "revoke", "ci"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("token 1 (\"ci\") revoked"));
    let list = text(&run(&db, &["token", "list"], None).stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with("1\tci\t") && l.ends_with("\trevoked")),
        "{list}"
    );
    let out = run(&db, &["token", "revoke", "ci"], None);
    assert_eq!(out.status.code(), Some(2), "no live token of that name");
}

#[test]
fn users_are_listed_granted_roles_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    assert!(
        run(&db, &["demo", "--date", "2026-11-23"], None)
            .status
            .success()
    );
    let add = |email: &str, extra: &[&str]| {
        let mut args = vec!["user", "add", email, "--password-stdin"];
        args.extend_from_slice(extra);
        run(&db, &args, Some("long-enough-password\n"))
    };
    assert!(text(&add("first@example.org", &[]).stdout).contains("(admin"));
    let out = add("second@example.org", &[]);
    assert!(
        text(&out.stdout).contains("only where granted a role"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&add("third@example.org", &["--admin"]).stdout).contains("(admin"));

    let out = run(
        &db,
        &[
            "user",
            "grant",
            "second@example.org",
            "--event",
            "demo",
            "--role",
            "communicator",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("second@example.org is now communicator of \"demo\""));
    let out = run(
        &db,
        &[
            "user",
            "grant",
            "second@example.org",
            "--event",
            "nope",
            "--role",
            "viewer",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("event \"nope\" not found"),
        "{}",
        text(&out.stderr)
    );

    let list = text(&run(&db, &["user", "list"], None).stdout);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines[0], "email\tadmin\troles\tcreated");
    assert!(
        lines[1].starts_with("first@example.org\tyes\t-\t"),
        "{list}"
    );
    assert!(
        lines[2].starts_with("second@example.org\tno\tdemo:communicator\t"),
        "{list}"
    );
    assert!(
        lines[3].starts_with("third@example.org\tyes\t-\t"),
        "{list}"
    );

    let out = run(
        &db,
        &["user", "revoke", "second@example.org", "--event", "demo"],
        None,
    );
    assert!(text(&out.stdout).contains("has no role on \"demo\" any more"));
    let out = run(&db, &["user", "remove", "second@example.org"], None);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("their sessions have ended"));
    let out = run(&db, &["user", "remove", "second@example.org"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&run(&db, &["user", "list"], None).stdout)
            .lines()
            .count(),
        3
    );
}

#[test]
fn catch_up_prints_the_alternatives_with_their_costs_and_applies_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    assert!(
        run(&db, &["demo", "--date", "2026-11-23"], None)
            .status
            .success()
    );
    let ask = [
        "catch-up",
        "--event",
        "demo",
        "--tracks",
        "all",
        "--from",
        "18:00",
        "--delay",
        "15",
        "--interrupted",
        "resume",
    ];
    let out = run(&db, &ask, None);
    let table = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        table.contains("everything_later") && table.contains("shorten_breaks"),
        "{table}"
    );
    assert!(
        table.contains("track-4    ends 22:00 (was 22:00), breaks -"),
        "the day ends on time when breaks give way: {table}"
    );
    assert!(
        table.contains("ends 22:15 (was 22:00)"),
        "everything later: {table}"
    );
    assert!(table.contains("nothing changed"));

    let mut apply = ask.to_vec();
    apply.extend(["--apply", "shorten_breaks"]);
    let out = run(&db, &apply, None);
    assert_eq!(out.status.code(), Some(2), "a reason is required");
    assert!(
        text(&out.stderr).contains("--reason"),
        "{}",
        text(&out.stderr)
    );
    let mut bad = ask.to_vec();
    bad.extend(["--apply", "teleport", "--reason", "x"]);
    let out = run(&db, &bad, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--apply"),
        "{}",
        text(&out.stderr)
    );
    let mut bad = ask.to_vec();
    bad[8] = "0";
    let out = run(&db, &bad, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--delay"),
        "{}",
        text(&out.stderr)
    );

    apply.extend(["--reason", "stream down"]);
    let out = run(&db, &apply, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("applied shorten_breaks as schedule version 2"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn proposals_are_made_listed_reminded_and_published_or_refused_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    assert!(
        run(&db, &["demo", "--date", "2026-11-23"], None)
            .status
            .success()
    );
    let guid = demo_guid("Postmortems without blame");
    let out = run(
        &db,
        &[
            "change",
            "--event",
            "demo",
            "--move",
            &guid,
            "--to",
            "20:10",
            "--reason",
            "late",
            "--propose",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("proposal 1 saved on schedule version 1") && said.contains("asked: "),
        "{said}"
    );
    // A second step of the same proposal.
    let out = run(
        &db,
        &[
            "change", "--event", "demo", "--move", &guid, "--to", "20:30", "--reason", "later",
            "--amends", "1",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&db, &["proposal", "list", "--event", "demo"], None);
    let list = text(&out.stdout);
    assert!(
        list.contains("#1 proposed on version 1") && list.contains("waiting 0 min"),
        "{list}"
    );
    let out = run(
        &db,
        &["speakers", "remind", "--event", "demo", "--proposal", "1"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("reminded: "));
    // The wrong version is refused naming the flag, nothing changes.
    let out = run(
        &db,
        &[
            "proposal",
            "publish",
            "--event",
            "demo",
            "1",
            "--version",
            "7",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--version"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&db, &["proposal", "publish", "--event", "demo", "1"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("published as schedule version 2"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&db, &["proposal", "discard", "--event", "demo", "1"], None);
    assert_eq!(out.status.code(), Some(2), "published: not open");
    assert!(text(&out.stderr).contains("already published"));
}
