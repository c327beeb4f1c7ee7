//! Shifts and reverts in the store. Every test body runs on a fresh SQLite
//! file and, when `MARQUEE_TEST_POSTGRES_URL` names a server, on a fresh
//! PostgreSQL database created for it and dropped afterwards.
#![cfg(feature = "ssr")]

use app::domain::schedule::Schedule;
use app::domain::shift::{Conflict, ShiftRequest, TrackSelection};
use app::error::AppError;
use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyPool, Row};

// Not `mod backends;`: that would look for tests/backends.rs, which cargo
// would build as a test target of its own.
#[path = "support/backends.rs"]
mod backends;

use backends::{Db, on_each_backend};

#[path = "support/conf.rs"]
mod conf;
use conf::{imported, msk, shift};

fn start(s: &Schedule, guid: &str) -> DateTime<Utc> {
    s.session(guid).unwrap().start
}

async fn count(db: &Db, table: &str) -> i64 {
    let pool = AnyPool::connect(&db.url).await.unwrap();
    let row = sqlx::query(&format!("select count(*) as n from {table}"))
        .fetch_one(&pool)
        .await
        .unwrap();
    row.try_get("n").unwrap()
}

#[tokio::test]
async fn a_shift_moves_sessions_atomically_and_creates_a_version() {
    on_each_backend(|db| async move {
        let before = imported(&db).await;
        let seq_before = db.store.last_change_seq("conf").await.unwrap();
        let req = ShiftRequest {
            until: Some(msk("19:00")),
            ..shift(&["track-1", "track-2"], "17:25", 50)
        };
        let applied = db
            .store
            .apply_shift("conf", &req, "ops@x", "late start")
            .await
            .unwrap();
        assert_eq!(applied.version, 2);
        assert_eq!(applied.preview.moved.len(), 3);

        let after = db.store.load_schedule("conf").await.unwrap().unwrap();
        assert_eq!(after.version, 2);
        assert_eq!(
            start(&after, "key"),
            start(&before, "key"),
            "pinned and running"
        );
        for g in ["a1", "a2", "b1"] {
            assert_eq!(
                start(&after, g),
                start(&before, g) + Duration::minutes(50),
                "{g}"
            );
        }
        assert_eq!(
            start(&after, "b2"),
            start(&before, "b2"),
            "at the end of the scope"
        );
        assert!(
            applied
                .preview
                .conflicts
                .iter()
                .any(|c| matches!(c, Conflict::SpeakerClash { .. }))
        );

        let v = &db.store.schedule_versions("conf").await.unwrap()[0];
        assert_eq!((v.version, v.kind.as_str()), (2, "shift"));
        assert_eq!(
            v.summary,
            "3 sessions in track-1, track-2 moved +50 min from 17:25"
        );
        let shifts = db.store.list_shifts("conf").await.unwrap();
        assert_eq!(shifts.len(), 1);
        assert_eq!(
            (shifts[0].shift_id, shifts[0].version),
            (applied.shift_id, 2)
        );
        assert_eq!(
            (shifts[0].actor.as_str(), shifts[0].reason.as_str()),
            ("ops@x", "late start")
        );
        assert_eq!(shifts[0].preview, applied.preview);
        assert_eq!(
            db.store.last_change_seq("conf").await.unwrap(),
            seq_before + 1
        );

        let seqs = db.store.session_sequences("conf").await.unwrap();
        assert_eq!(
            (seqs["a1"], seqs["b1"], seqs["key"], seqs["b2"]),
            (1, 1, 0, 0)
        );
    })
    .await;
}

#[tokio::test]
async fn a_revert_restores_and_can_happen_only_once() {
    on_each_backend(|db| async move {
        let before = imported(&db).await;
        let s1 = db
            .store
            .apply_shift("conf", &shift(&["track-1"], "17:25", 50), "a", "r")
            .await
            .unwrap();
        // a2 (now 19:30) is moved again by a second shift; the revert must leave it.
        let s2 = db
            .store
            .apply_shift("conf", &shift(&["track-1"], "19:00", 5), "a", "r")
            .await
            .unwrap();
        assert_eq!(s2.preview.moved.len(), 1);
        let r = db
            .store
            .revert_shift("conf", s1.shift_id, "b", "undo")
            .await
            .unwrap();
        assert_eq!(r.version, 4);
        assert_eq!(r.preview.delta_min, -50);
        assert_eq!(
            r.preview.conflicts[0],
            Conflict::MovedSince { guid: "a2".into() }
        );
        let after = db.store.load_schedule("conf").await.unwrap().unwrap();
        assert_eq!(start(&after, "a1"), start(&before, "a1"));
        assert_eq!(
            start(&after, "a2"),
            start(&before, "a2") + Duration::minutes(55)
        );

        let shifts = db.store.list_shifts("conf").await.unwrap();
        let kinds: Vec<&str> = shifts.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["revert", "shift", "shift"], "newest first");
        assert_eq!(shifts[0].reverts_shift_id, Some(s1.shift_id));
        assert_eq!(shifts[2].reverted_by, Some(r.shift_id));
        assert_eq!(
            db.store.schedule_versions("conf").await.unwrap()[0].kind,
            "revert"
        );
        let seqs = db.store.session_sequences("conf").await.unwrap();
        assert_eq!((seqs["a1"], seqs["a2"]), (2, 2));

        let twice = db
            .store
            .revert_shift("conf", s1.shift_id, "b", "again")
            .await;
        assert!(matches!(twice, Err(AppError::Conflict(_))), "{twice:?}");
        let of_revert = db.store.revert_shift("conf", r.shift_id, "b", "redo").await;
        assert!(
            matches!(of_revert, Err(AppError::Invalid { ref field, .. }) if field == "shift_id")
        );
        let unknown = db.store.revert_shift("conf", 9999, "b", "x").await;
        assert!(matches!(unknown, Err(AppError::NotFound { .. })));
        // Reverting the second shift: a2 is still where it put it.
        db.store
            .revert_shift("conf", s2.shift_id, "b", "undo")
            .await
            .unwrap();
        let after = db.store.load_schedule("conf").await.unwrap().unwrap();
        assert_eq!(
            start(&after, "a2"),
            start(&before, "a2") + Duration::minutes(50)
        );
        assert_eq!(after.version, 5);
    })
    .await;
}

#[tokio::test]
async fn bad_shifts_are_refused_naming_the_field_and_change_nothing() {
    on_each_backend(|db| async move {
        let before = imported(&db).await;
        let seq = db.store.last_change_seq("conf").await.unwrap();
        let mut outside = shift(&["track-1"], "17:25", 10);
        outside.from += Duration::days(3);
        let mut until = shift(&["track-1"], "17:25", 10);
        until.until = Some(until.from - Duration::minutes(1));
        let cases = [
            (shift(&["nope"], "17:25", 10), "tracks"),
            (shift(&[], "17:25", 10), "tracks"),
            (shift(&["track-1"], "17:25", 0), "by_minutes"),
            (shift(&["track-1"], "17:25", 25 * 60), "by_minutes"),
            (outside, "from"),
            (shift(&["track-1"], "23:00", 10), "from"),
            (until, "until"),
        ];
        for (req, want) in cases {
            match db.store.apply_shift("conf", &req, "a", "r").await {
                Err(AppError::Invalid { field, .. }) => assert_eq!(field, want, "{req:?}"),
                other => panic!("{req:?}: expected invalid {want}, got {other:?}"),
            }
        }
        let missing = db
            .store
            .apply_shift("nope", &shift(&["track-1"], "17:25", 10), "a", "r")
            .await;
        assert!(matches!(missing, Err(AppError::NotFound { .. })));

        let after = db.store.load_schedule("conf").await.unwrap().unwrap();
        assert_eq!(after, before);
        assert_eq!(db.store.schedule_versions("conf").await.unwrap().len(), 1);
        assert_eq!(db.store.last_change_seq("conf").await.unwrap(), seq);
        assert_eq!(count(&db, "shift").await, 0);
        let seqs = db.store.session_sequences("conf").await.unwrap();
        assert!(seqs.values().all(|s| *s == 0), "{seqs:?}");
    })
    .await;
}

#[tokio::test]
async fn concurrent_shifts_of_the_same_tracks_serialise() {
    on_each_backend(|db| async move {
        let before = imported(&db).await;
        let all = |m| ShiftRequest {
            tracks: TrackSelection::All,
            ..shift(&[], "17:25", m)
        };
        let (s1, s2) = (db.store.clone(), db.store.clone());
        let (r1, r2) = (all(10), all(20));
        let (a, b) = tokio::join!(
            tokio::spawn(async move { s1.apply_shift("conf", &r1, "a", "x").await }),
            tokio::spawn(async move { s2.apply_shift("conf", &r2, "b", "y").await }),
        );
        let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
        let mut versions = [a.version, b.version];
        versions.sort();
        assert_eq!(versions, [2, 3]);
        assert_ne!(a.shift_id, b.shift_id);

        let after = db.store.load_schedule("conf").await.unwrap().unwrap();
        assert_eq!(after.version, 3);
        for g in ["a1", "a2", "b1", "b2"] {
            assert_eq!(
                start(&after, g),
                start(&before, g) + Duration::minutes(30),
                "{g}"
            );
        }
        let seqs = db.store.session_sequences("conf").await.unwrap();
        assert_eq!((seqs["a1"], seqs["key"]), (2, 0));
        assert_eq!(count(&db, "shift").await, 2);
    })
    .await;
}
