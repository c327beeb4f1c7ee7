//! Integration tests of the store. Every test body runs on a fresh SQLite
//! file and, when `MARQUEE_TEST_POSTGRES_URL` names a server, on a fresh
//! PostgreSQL database created for it and dropped afterwards.

use app::domain::diff::diff_schedules;
use app::domain::schedule::{Event, Schedule, Session, SessionKind, Speaker, Track};
use app::domain::time::{local_to_utc, parse_zone};
use app::error::AppError;
use app::store::{Backend, Store};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use sqlx::{AnyPool, Row};

#[path = "support/backends.rs"]
mod backends;

use backends::{Db, on_each_backend};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn session(guid: &str, track: &str, start: &str, speakers: &[&str]) -> Session {
    Session {
        guid: guid.into(),
        title: format!("Talk {guid}"),
        abstract_md: format!("About *{guid}*"),
        kind: SessionKind::Talk,
        start: at(start),
        duration_min: 30,
        track: track.into(),
        language: None,
        pinned: false,
        speakers: speakers.iter().map(|s| (*s).to_owned()).collect(),
        cancelled: false,
    }
}

/// A small schedule, deliberately listed out of order.
fn fixture(slug: &str) -> Schedule {
    let mut keynote = session("g-key", "main", "2026-11-23T09:00:00Z", &["zoe", "adam"]);
    keynote.kind = SessionKind::Keynote;
    keynote.pinned = true;
    keynote.language = Some("ru".into());
    keynote.title = "Ключевой доклад — «Marquee»".into();
    let mut lunch = session("g-lunch", "side", "2026-11-23T12:00:00Z", &[]);
    lunch.kind = SessionKind::Break;
    lunch.duration_min = 60;
    Schedule {
        event: Event {
            slug: slug.into(),
            name: "Conf 2026".into(),
            time_zone: "Europe/Moscow".into(),
            start_date: date("2026-11-23"),
            end_date: date("2026-11-24"),
        },
        tracks: vec![
            Track {
                slug: "side".into(),
                name: "Side".into(),
                color: "#00ff00".into(),
                stream_url: None,
                position: 2,
            },
            Track {
                slug: "main".into(),
                name: "Main hall".into(),
                color: "#ff0000".into(),
                stream_url: Some("https://example.org/live".into()),
                position: 1,
            },
        ],
        speakers: vec![
            Speaker {
                key: "zoe".into(),
                name: "Zoe".into(),
                email: Some("zoe@example.org".into()),
            },
            Speaker {
                key: "adam".into(),
                name: "Adam".into(),
                email: None,
            },
            Speaker {
                key: "bob".into(),
                name: "Bob".into(),
                email: None,
            },
        ],
        sessions: vec![
            session("g-side", "side", "2026-11-23T10:00:00Z", &["bob"]),
            lunch,
            session("g-main", "main", "2026-11-23T10:00:00Z", &["adam"]),
            keynote,
        ],
        version: 0,
    }
}

/// Order-independent form for comparing schedules.
fn canonical(mut s: Schedule) -> Schedule {
    s.tracks.sort_by(|a, b| a.slug.cmp(&b.slug));
    s.speakers.sort_by(|a, b| a.key.cmp(&b.key));
    s.sessions.sort_by(|a, b| a.guid.cmp(&b.guid));
    s.version = 0;
    s
}

fn guids(s: &Schedule) -> Vec<&str> {
    s.sessions.iter().map(|x| x.guid.as_str()).collect()
}

/// Every stored row of every schedule table, as text, to prove that a
/// failed import changed nothing at all.
async fn dump(db: &Db) -> Vec<String> {
    const TABLES: &[(&str, &str)] = &[
        (
            "event",
            "event_id, slug, name, time_zone, start_date, end_date, schedule_version, created_at, updated_at",
        ),
        (
            "track",
            "track_id, event_id, slug, name, color, stream_url, position",
        ),
        ("speaker", "speaker_id, event_id, key, name, email"),
        (
            "session",
            "session_id, event_id, guid, title, abstract_md, kind, start_at, duration_min, track_id, \
             language, case when pinned then 1 else 0 end, created_at, updated_at",
        ),
        ("session_speaker", "session_id, speaker_id, position"),
        (
            "schedule_version",
            "event_id, version, kind, actor, reason, summary, changes_json, created_at",
        ),
        (
            "change_log",
            "event_id, seq, kind, payload_json, created_at",
        ),
    ];
    let pool = db.raw().await;
    let mut out = Vec::new();
    for (table, cols) in TABLES {
        let rows = sqlx::query(&format!("select {cols} from {table} order by 1, 2"))
            .fetch_all(&pool)
            .await
            .unwrap();
        for row in rows {
            let cells: Vec<String> = (0..row.len())
                .map(|i| match row.try_get::<Option<i64>, _>(i) {
                    Ok(v) => format!("{v:?}"),
                    Err(_) => format!("{:?}", row.try_get::<Option<String>, _>(i).unwrap()),
                })
                .collect();
            out.push(format!("{table}: {}", cells.join(" | ")));
        }
    }
    pool.close().await;
    out
}

async fn count(db: &Db, table: &str) -> i64 {
    let pool = db.raw().await;
    let n: i64 = sqlx::query(&format!("select count(*) as n from {table}"))
        .fetch_one(&pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    pool.close().await;
    n
}

#[tokio::test]
async fn dollar_placeholders_can_be_reused() {
    on_each_backend(|db| async move {
        let pool = db.raw().await;
        let row = sqlx::query("select $1 + $1 as twice, $2 as name, $1 * $3 as product")
            .bind(21_i64)
            .bind("x")
            .bind(2_i64)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(row.try_get::<i64, _>("twice").unwrap(), 42);
        assert_eq!(row.try_get::<String, _>("name").unwrap(), "x");
        assert_eq!(row.try_get::<i64, _>("product").unwrap(), 42);
        db.store.ping().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_schedule_round_trips_in_the_documented_order() {
    on_each_backend(|db| async move {
        let input = fixture("conf");
        let out = db
            .store
            .import_schedule(&input, "alice", "first")
            .await
            .unwrap();
        assert_eq!((out.version, out.created_event), (1, true));
        assert_eq!(out.diff.added.len(), 4);

        let loaded = db
            .store
            .load_schedule("conf")
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(loaded.version, 1);
        assert_eq!(canonical(loaded.clone()), canonical(input.clone()));
        let tracks: Vec<_> = loaded.tracks.iter().map(|t| t.slug.as_str()).collect();
        assert_eq!(tracks, ["main", "side"], "by position");
        let speakers: Vec<_> = loaded.speakers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(speakers, ["Adam", "Bob", "Zoe"], "by name");
        assert_eq!(
            guids(&loaded),
            ["g-key", "g-main", "g-side", "g-lunch"],
            "by start, then track"
        );
        assert_eq!(
            loaded.session("g-key").unwrap().speakers,
            ["zoe", "adam"],
            "billing order"
        );

        assert_eq!(
            db.store.list_events().await.unwrap(),
            vec![input.event.clone()]
        );
        assert_eq!(db.store.load_all().await.unwrap(), vec![loaded]);
        let versions = db.store.schedule_versions("conf").await.unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(
            (
                versions[0].version,
                versions[0].kind.as_str(),
                versions[0].actor.as_str(),
                versions[0].reason.as_str()
            ),
            (1, "import", "alice", "first")
        );
        assert_eq!(
            versions[0].summary,
            "4 added, 0 removed, 0 changed (0 moved)"
        );
        assert!((Utc::now() - versions[0].created_at).num_seconds().abs() < 60);
        // The import, then one entry per stream component it created.
        assert_eq!(db.store.last_change_seq("conf").await.unwrap(), 3);
        let pool = db.raw().await;
        let payload: String = sqlx::query("select payload_json from change_log where seq = 1")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get("payload_json");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&payload).unwrap(),
            serde_json::json!({"version": 1, "kind": "import"})
        );
    })
    .await;
}

#[tokio::test]
async fn re_importing_the_same_schedule_changes_nothing() {
    on_each_backend(|db| async move {
        db.store
            .import_schedule(&fixture("conf"), "alice", "first")
            .await
            .unwrap();
        let before = dump(&db).await;
        let mut again = fixture("conf");
        again.sessions.reverse();
        again.tracks.reverse();
        again.version = 7;
        let out = db
            .store
            .import_schedule(&again, "bob", "again")
            .await
            .unwrap();
        assert!(out.diff.is_empty(), "{:?}", out.diff);
        assert_eq!((out.version, out.created_event), (1, false));
        assert_eq!(dump(&db).await, before);
        assert_eq!(db.store.schedule_versions("conf").await.unwrap().len(), 1);
        assert_eq!(db.store.last_change_seq("conf").await.unwrap(), 3);
    })
    .await;
}

#[tokio::test]
async fn a_changed_import_updates_in_place_and_records_a_version() {
    on_each_backend(|db| async move {
        db.store
            .import_schedule(&fixture("conf"), "alice", "first")
            .await
            .unwrap();
        let pool = db.raw().await;
        let id_of = |guid: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query("select session_id from session where guid = $1")
                    .bind(guid)
                    .fetch_optional(&pool)
                    .await
                    .unwrap()
                    .map(|r| r.get::<i64, _>("session_id"))
            }
        };
        let (main_id, key_id) = (id_of("g-main").await, id_of("g-key").await);

        let mut next = fixture("conf");
        next.event.name = "Conf 2026 (final)".into();
        next.sessions.retain(|s| s.guid != "g-side"); // removed, with bob's billing
        next.speakers.retain(|s| s.key != "bob");
        next.tracks[0].name = "Side room".into();
        let main = next
            .sessions
            .iter_mut()
            .find(|s| s.guid == "g-main")
            .unwrap();
        main.start += Duration::minutes(15);
        main.track = "side".into();
        let key = next
            .sessions
            .iter_mut()
            .find(|s| s.guid == "g-key")
            .unwrap();
        key.title = "Opening".into();
        key.speakers = vec!["adam".into()];
        next.sessions
            .push(session("g-new", "main", "2026-11-24T09:00:00Z", &["zoe"]));

        let out = db
            .store
            .import_schedule(&next, "bob", "moved things")
            .await
            .unwrap();
        assert_eq!((out.version, out.created_event), (2, false));
        assert_eq!(
            out.diff.summary(),
            "1 added, 1 removed, 2 changed (1 moved)"
        );
        assert!(out.diff.event_changed && out.diff.tracks_changed && out.diff.speakers_changed);

        let loaded = db.store.load_schedule("conf").await.unwrap().unwrap();
        assert_eq!(loaded.version, 2);
        assert_eq!(canonical(loaded), canonical(next.clone()));
        assert_eq!(id_of("g-main").await, main_id, "updated in place");
        assert_eq!(id_of("g-key").await, key_id, "updated in place");
        assert_eq!(id_of("g-side").await, None, "removed session is deleted");
        assert_eq!(count(&db, "session").await, 4);
        assert_eq!(count(&db, "speaker").await, 2, "bob is gone");
        assert_eq!(
            count(&db, "session_speaker").await,
            3,
            "key:adam, lunch:-, main:adam, new:zoe"
        );

        let versions = db.store.schedule_versions("conf").await.unwrap();
        let numbers: Vec<i64> = versions.iter().map(|v| v.version).collect();
        assert_eq!(numbers, [2, 1], "newest first");
        assert_eq!(
            versions[0].summary,
            "1 added, 1 removed, 2 changed (1 moved)"
        );
        assert_eq!(
            (versions[0].actor.as_str(), versions[0].reason.as_str()),
            ("bob", "moved things")
        );
        let changes: String =
            sqlx::query("select changes_json from schedule_version where version = 2")
                .fetch_one(&pool)
                .await
                .unwrap()
                .get("changes_json");
        assert_eq!(
            serde_json::from_str::<app::domain::diff::ScheduleDiff>(&changes).unwrap(),
            out.diff
        );
        // Both imports, the first one's two stream components, and the
        // renamed track's stream following its name.
        assert_eq!(db.store.last_change_seq("conf").await.unwrap(), 5);
    })
    .await;
}

#[tokio::test]
async fn an_invalid_import_is_refused_naming_the_session() {
    on_each_backend(|db| async move {
        db.store
            .import_schedule(&fixture("conf"), "alice", "first")
            .await
            .unwrap();
        let before = dump(&db).await;
        let mut bad = fixture("conf");
        bad.event.name = "Renamed".into();
        bad.sessions[0].start += Duration::hours(1);
        bad.sessions
            .push(session("g-lost", "nowhere", "2026-11-23T15:00:00Z", &[]));
        match db.store.import_schedule(&bad, "alice", "bad").await {
            Err(AppError::Invalid { field, message }) => {
                assert!(field.contains("g-lost"), "{field}");
                assert!(message.contains("nowhere"), "{message}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        let mut ghost = fixture("conf");
        ghost.sessions[0].speakers.push("ghost".into());
        let err = db
            .store
            .import_schedule(&ghost, "alice", "bad")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid { field, .. } if field.contains("g-side")),
            "{err:?}"
        );
        assert_eq!(dump(&db).await, before);
    })
    .await;
}

#[tokio::test]
async fn a_database_failure_mid_import_rolls_everything_back() {
    on_each_backend(|db| async move {
        db.store
            .import_schedule(&fixture("conf"), "alice", "first")
            .await
            .unwrap();
        let pool = db.raw().await;
        // A trigger makes the last session's insert fail after the event,
        // tracks, speakers and earlier sessions have been written.
        let ddl = match db.backend {
            Backend::Sqlite => {
                "create trigger boom before insert on session when new.guid = 'boom' \
                 begin select raise(abort, 'boom'); end;"
            }
            Backend::Postgres => {
                "create function boom() returns trigger language plpgsql as $$ begin \
                 if new.guid = 'boom' then raise exception 'boom'; end if; return new; end $$; \
                 create trigger boom before insert on session for each row execute function boom();"
            }
        };
        sqlx::raw_sql(ddl).execute(&pool).await.unwrap();
        let before = dump(&db).await;
        let mut next = fixture("conf");
        next.event.name = "Renamed".into();
        next.tracks.push(Track {
            slug: "new".into(),
            name: "New".into(),
            color: "#000".into(),
            stream_url: None,
            position: 3,
        });
        next.sessions.retain(|s| s.guid != "g-lunch");
        next.sessions[0].start += Duration::hours(1);
        next.sessions
            .push(session("boom", "new", "2026-11-23T15:00:00Z", &["zoe"]));
        assert!(
            db.store
                .import_schedule(&next, "alice", "boom")
                .await
                .is_err()
        );
        assert_eq!(dump(&db).await, before);
        assert_eq!(
            db.store
                .load_schedule("conf")
                .await
                .unwrap()
                .unwrap()
                .version,
            1
        );
        assert_eq!(db.store.last_change_seq("conf").await.unwrap(), 3);
    })
    .await;
}

#[tokio::test]
async fn concurrent_imports_serialise_without_lost_updates() {
    on_each_backend(|db| async move {
        // Two imports racing to create the same event: one creates it.
        let (mut a, mut b) = (fixture("race"), fixture("race"));
        a.sessions.pop();
        b.event.name = "Race B".into();
        let (ra, rb) = tokio::join!(
            tokio::spawn({
                let (s, a) = (db.store.clone(), a.clone());
                async move { s.import_schedule(&a, "a", "race").await.unwrap() }
            }),
            tokio::spawn({
                let (s, b) = (db.store.clone(), b.clone());
                async move { s.import_schedule(&b, "b", "race").await.unwrap() }
            }),
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert_eq!(
            [ra.version.min(rb.version), ra.version.max(rb.version)],
            [1, 2]
        );
        assert!(
            ra.created_event ^ rb.created_event,
            "exactly one created the event"
        );

        for round in 0..4 {
            let base = db.store.load_schedule("race").await.unwrap().unwrap();
            let mut a = base.clone();
            a.sessions.push(session(
                &format!("a{round}"),
                "main",
                "2026-11-24T10:00:00Z",
                &[],
            ));
            let mut b = base.clone();
            b.sessions[0].start += Duration::minutes(5);
            b.sessions.retain(|s| !s.guid.starts_with('a'));
            let (ra, rb) = tokio::join!(
                tokio::spawn({
                    let (s, a) = (db.store.clone(), a.clone());
                    async move { s.import_schedule(&a, "a", "race").await.unwrap() }
                }),
                tokio::spawn({
                    let (s, b) = (db.store.clone(), b.clone());
                    async move { s.import_schedule(&b, "b", "race").await.unwrap() }
                }),
            );
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            let (first, last, last_input) = if ra.version < rb.version {
                (&ra, &rb, &b)
            } else {
                (&rb, &ra, &a)
            };
            let first_input = if ra.version < rb.version { &a } else { &b };
            assert_eq!(last.version, first.version + 1, "consecutive versions");
            assert_eq!(first.version, base.version + 1);
            // The later import saw what the earlier one committed.
            assert_eq!(last.diff, diff_schedules(first_input, last_input));
            let stored = db.store.load_schedule("race").await.unwrap().unwrap();
            assert_eq!(stored.version, last.version);
            assert_eq!(canonical(stored), canonical(last_input.clone()));
        }
        let versions: Vec<i64> = db
            .store
            .schedule_versions("race")
            .await
            .unwrap()
            .iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(versions, (1..=10).rev().collect::<Vec<_>>());
        // Ten imports and the two stream components of the first.
        assert_eq!(db.store.last_change_seq("race").await.unwrap(), 12);
    })
    .await;
}

#[tokio::test]
async fn instants_across_the_berlin_dst_fold_are_kept_exactly() {
    on_each_backend(|db| async move {
        let berlin = parse_zone("Europe/Berlin").unwrap();
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let mut s = fixture("herbst");
        s.event.time_zone = "Europe/Berlin".into();
        s.event.start_date = date("2026-10-25");
        s.event.end_date = date("2026-10-25");
        s.sessions = vec![
            // 02:30 happens twice on 2026-10-25: first in CEST, then in CET.
            session("second-0230", "main", "2026-10-25T01:30:00Z", &[]),
            Session {
                start: local_to_utc(berlin, local("2026-10-25 02:30")).unwrap(),
                ..session("first-0230", "main", "2026-10-25T00:00:00Z", &[])
            },
            session("before", "main", "2026-10-24T23:59:00Z", &[]),
            session("after", "main", "2026-10-25T02:00:00Z", &[]),
        ];
        db.store.import_schedule(&s, "alice", "dst").await.unwrap();
        let loaded = db.store.load_schedule("herbst").await.unwrap().unwrap();
        let starts: Vec<String> = loaded
            .sessions
            .iter()
            .map(|x| format!("{} {}", x.guid, x.start.to_rfc3339()))
            .collect();
        assert_eq!(
            starts,
            [
                "before 2026-10-24T23:59:00+00:00",
                "first-0230 2026-10-25T00:30:00+00:00",
                "second-0230 2026-10-25T01:30:00+00:00",
                "after 2026-10-25T02:00:00+00:00",
            ]
        );
        assert_eq!(loaded.event.start_date, date("2026-10-25"));
        assert!(
            db.store
                .import_schedule(&s, "alice", "dst")
                .await
                .unwrap()
                .diff
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn users_and_login_sessions_respect_expiry() {
    on_each_backend(|db| async move {
        let s = &db.store;
        let id = s
            .add_user("admin@example.org", "$argon2id$hash")
            .await
            .unwrap();
        let user = s.find_user("admin@example.org").await.unwrap().unwrap();
        assert_eq!(
            (user.user_id, user.password_hash.as_str()),
            (id, "$argon2id$hash")
        );
        assert!(s.find_user("nobody@example.org").await.unwrap().is_none());
        let dup = s.add_user("admin@example.org", "other").await.unwrap_err();
        assert!(matches!(dup, AppError::Conflict(_)), "{dup:?}");

        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let expires = now + Duration::hours(1);
        s.create_login_session(id, "tokhash", "csrf-1", expires)
            .await
            .unwrap();
        let live = s.find_login_session("tokhash", now).await.unwrap().unwrap();
        assert_eq!(
            (live.user_id, live.email.as_str(), live.csrf_token.as_str()),
            (id, "admin@example.org", "csrf-1")
        );
        assert!(
            s.find_login_session("tokhash", expires - Duration::seconds(1))
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            s.find_login_session("tokhash", expires)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        assert!(s.find_login_session("other", now).await.unwrap().is_none());
        s.delete_login_session("tokhash").await.unwrap();
        assert!(
            s.find_login_session("tokhash", now)
                .await
                .unwrap()
                .is_none(),
            "logged out"
        );
        let err = s
            .create_login_session(id + 100, "t2", "c", expires)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound { .. }), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn api_tokens_are_found_by_hash_and_record_their_use() {
    on_each_backend(|db| async move {
        let id = db.store.create_api_token("ci", "hash-1").await.unwrap();
        let pool = db.raw().await;
        let last_used = |pool: AnyPool| async move {
            sqlx::query("select last_used_at from api_token")
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<Option<i64>, _>("last_used_at")
        };
        assert_eq!(last_used(pool.clone()).await, None);
        let token = db
            .store
            .find_api_token("hash-1", Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((token.api_token_id, token.name.as_str()), (id, "ci"));
        let used = last_used(pool.clone()).await.expect("last_used_at set");
        assert!((Utc::now().timestamp() - used).abs() < 60);
        assert!(
            db.store
                .find_api_token("hash-2", Utc::now())
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            db.store.create_api_token("dup", "hash-1").await,
            Err(AppError::Conflict(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn unknown_events_are_none_or_not_found() {
    on_each_backend(|db| async move {
        assert!(db.store.load_schedule("nope").await.unwrap().is_none());
        assert!(db.store.list_events().await.unwrap().is_empty());
        assert!(db.store.load_all().await.unwrap().is_empty());
        assert!(matches!(
            db.store.schedule_versions("nope").await,
            Err(AppError::NotFound { .. })
        ));
        assert!(matches!(
            db.store.last_change_seq("nope").await,
            Err(AppError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn connection_failures_name_the_url_and_the_cause_but_not_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}/no/such/dir/m.db", dir.path().display());
    let msg = Store::connect(&missing).await.unwrap_err().to_string();
    assert!(
        msg.contains(&missing) && msg.contains("unable to open"),
        "{msg}"
    );

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let msg = Store::connect(&format!("sqlite://{}", junk.display()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("junk.db") && msg.contains("not a database"),
        "{msg}"
    );

    let msg = Store::connect("postgres://marquee:hunter2@127.0.0.1:1/marquee")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("postgres://marquee:***@127.0.0.1:1/marquee"),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");

    let msg = Store::connect("mysql://localhost/m")
        .await
        .unwrap_err()
        .to_string();
    assert!(msg.contains("mysql://localhost/m"), "{msg}");
}
