//! Re-planning changes (move, swap, cancel, restore) in the store: the
//! planner runs inside the write transaction, a stale version changes
//! nothing, and a revert undoes a change slot by slot. Every test body runs
//! on SQLite and, when `MARQUEE_TEST_POSTGRES_URL` names a server, on
//! PostgreSQL.
#![cfg(feature = "ssr")]

use app::domain::notice::Notice;
use app::domain::replan::{ChangeOp, ChangeRequest, MoveRequest, SwapRequest};
use app::domain::schedule::Schedule;
use app::error::AppError;
use sqlx::{AnyPool, Row};

#[path = "support/backends.rs"]
mod backends;

use backends::{Db, on_each_backend};

#[path = "support/conf.rs"]
mod conf;
use conf::{fixture, imported, msk};

async fn count(db: &Db, sql: &str) -> i64 {
    let pool = AnyPool::connect(&db.url).await.unwrap();
    let row = sqlx::query(sql).fetch_one(&pool).await.unwrap();
    row.try_get("n").unwrap()
}

async fn now(db: &Db) -> Schedule {
    db.store.load_schedule("conf").await.unwrap().unwrap()
}

fn req(version: i64, op: ChangeOp) -> ChangeRequest {
    ChangeRequest { version, op }
}

fn move_to(guid: &str, hhmm: &str, track: Option<&str>) -> ChangeOp {
    ChangeOp::Move(MoveRequest {
        guid: guid.into(),
        start: Some(msk(hhmm)),
        track: track.map(str::to_owned),
        duration_min: None,
        allow_pinned_overlap: false,
    })
}

#[tokio::test]
async fn a_move_is_applied_atomically_recorded_told_and_reverted() {
    on_each_backend(|db| async move {
        let before = imported(&db).await;
        let seq = db.store.last_change_seq("conf").await.unwrap();
        let dry = db
            .store
            .preview_change("conf", &req(1, move_to("a1", "20:00", Some("track-2"))))
            .await
            .unwrap();
        assert_eq!(dry.edits.len(), 1);
        assert_eq!(now(&db).await.version, 1, "a preview changes nothing");

        let applied = db
            .store
            .apply_change(
                "conf",
                &req(1, move_to("a1", "20:00", Some("track-2"))),
                "ops@x",
                "speaker late",
            )
            .await
            .unwrap();
        assert_eq!(applied.version, 2);
        let after = now(&db).await;
        let a1 = after.session("a1").unwrap();
        assert_eq!((a1.start, a1.track.as_str()), (msk("20:00"), "track-2"));
        assert_eq!(after.version, 2);
        let seqs = db.store.session_sequences("conf").await.unwrap();
        assert_eq!((seqs["a1"], seqs["a2"]), (1, 0));
        assert_eq!(db.store.last_change_seq("conf").await.unwrap(), seq + 1);
        let v = &db.store.schedule_versions("conf").await.unwrap()[0];
        assert_eq!(
            (v.kind.as_str(), v.reason.as_str()),
            ("shift", "speaker late")
        );
        assert!(v.summary.starts_with("move: 1 moved"), "{}", v.summary);
        // History pages read the change in the older shift shape.
        let shifts = db.store.list_shifts("conf").await.unwrap();
        assert_eq!(shifts[0].shift_id, applied.shift_id);
        assert_eq!(shifts[0].preview.moved[0].new_start, msk("20:00"));
        // Attendees are told (a1 has no speakers, so no speaker notice).
        assert_eq!(count(&db, "select count(*) as n from push_notice").await, 1);

        let back = db
            .store
            .revert_shift("conf", applied.shift_id, "ops@x", "undo")
            .await
            .unwrap();
        assert_eq!(back.version, 3);
        let reverted = now(&db).await;
        let a1 = reverted.session("a1").unwrap();
        let was = before.session("a1").unwrap();
        assert_eq!((a1.start, &a1.track), (was.start, &was.track));
        assert_eq!(
            db.store.session_sequences("conf").await.unwrap()["a1"],
            2,
            "calendars replace the reverted time too"
        );
        let twice = db
            .store
            .revert_shift("conf", applied.shift_id, "ops@x", "again")
            .await;
        assert!(matches!(twice, Err(AppError::Conflict(_))), "{twice:?}");
    })
    .await;
}

#[tokio::test]
async fn a_stale_or_refused_change_names_the_field_and_changes_nothing() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let seq = db.store.last_change_seq("conf").await.unwrap();
        let cases = [
            (req(0, move_to("a1", "20:00", None)), "version"),
            (req(1, move_to("nope", "20:00", None)), "guid"),
            (req(1, move_to("a1", "20:00", Some("track-9"))), "track"),
            (
                req(
                    1,
                    ChangeOp::Swap(SwapRequest {
                        a: "a1".into(),
                        b: "a1".into(),
                        allow_pinned_overlap: false,
                    }),
                ),
                "b",
            ),
            (req(1, ChangeOp::Restore { guid: "a1".into() }), "guid"),
        ];
        for (r, field) in cases {
            let got = db.store.apply_change("conf", &r, "a", "r").await;
            assert!(
                matches!(got, Err(AppError::Invalid { field: ref f, .. }) if f == field),
                "{field}: {got:?}"
            );
        }
        let after = now(&db).await;
        assert_eq!(after.version, 1);
        assert_eq!(after.session("a1").unwrap().start, msk("17:50"));
        assert_eq!(db.store.last_change_seq("conf").await.unwrap(), seq);
        assert_eq!(count(&db, "select count(*) as n from shift").await, 0);
    })
    .await;
}

#[tokio::test]
async fn cancel_keeps_the_session_and_restore_or_revert_brings_it_back() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let cancel = db
            .store
            .apply_change(
                "conf",
                &req(1, ChangeOp::Cancel { guid: "a2".into() }),
                "a",
                "speaker ill",
            )
            .await
            .unwrap();
        let after = now(&db).await;
        let a2 = after.session("a2").unwrap();
        assert!(a2.cancelled, "kept, marked cancelled");
        assert_eq!(a2.start, msk("18:40"));
        assert!(!after.session("a1").unwrap().cancelled);
        assert_eq!(db.store.session_sequences("conf").await.unwrap()["a2"], 1);
        // Attendees and the speaker hear of it (the speaker is told, not asked).
        let kinds = {
            let pool = AnyPool::connect(&db.url).await.unwrap();
            sqlx::query("select payload_json from push_notice order by push_notice_id")
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    serde_json::from_str::<Notice>(&r.try_get::<String, _>("payload_json").unwrap())
                        .unwrap()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds.len(), 2);
        assert!(
            matches!(&kinds[0], Notice::Schedule { moves, .. } if moves[0].cancelled),
            "{kinds:?}"
        );
        assert!(
            matches!(&kinds[1], Notice::SpeakerMove { moves, .. } if moves[0].cancelled && moves[0].speakers == ["anna"]),
            "{kinds:?}"
        );

        // Cancelling again is refused; restoring works.
        let again = db
            .store
            .apply_change(
                "conf",
                &req(2, ChangeOp::Cancel { guid: "a2".into() }),
                "a",
                "r",
            )
            .await;
        assert!(matches!(again, Err(AppError::Invalid { .. })), "{again:?}");
        db.store
            .apply_change(
                "conf",
                &req(2, ChangeOp::Restore { guid: "a2".into() }),
                "a",
                "better",
            )
            .await
            .unwrap();
        assert!(!now(&db).await.session("a2").unwrap().cancelled);

        // The cancel's revert now finds a2 no longer where it left it.
        let stale = db
            .store
            .revert_shift("conf", cancel.shift_id, "a", "undo")
            .await;
        assert!(matches!(stale, Err(AppError::Conflict(_))), "{stale:?}");
    })
    .await;
}

#[tokio::test]
async fn a_swap_trades_slots_and_its_revert_trades_them_back() {
    on_each_backend(|db| async move {
        let before = imported(&db).await;
        let swap = db
            .store
            .apply_change(
                "conf",
                &req(
                    1,
                    ChangeOp::Swap(SwapRequest {
                        a: "a1".into(),
                        b: "b1".into(),
                        allow_pinned_overlap: false,
                    }),
                ),
                "a",
                "swap",
            )
            .await
            .unwrap();
        assert_eq!(swap.change.edits.len(), 2);
        let after = now(&db).await;
        let (a1, b1) = (after.session("a1").unwrap(), after.session("b1").unwrap());
        let (was_a, was_b) = (before.session("a1").unwrap(), before.session("b1").unwrap());
        assert_eq!((a1.start, &a1.track), (was_b.start, &was_b.track));
        assert_eq!((b1.start, &b1.track), (was_a.start, &was_a.track));

        db.store
            .revert_shift("conf", swap.shift_id, "a", "undo")
            .await
            .unwrap();
        let back = now(&db).await;
        for g in ["a1", "b1"] {
            let (s, w) = (back.session(g).unwrap(), before.session(g).unwrap());
            assert_eq!((s.start, &s.track), (w.start, &w.track), "{g}");
        }
        assert_eq!(back.version, 3);
    })
    .await;
}

#[tokio::test]
async fn pinning_is_stored_logged_and_moves_nothing() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let seq = db.store.last_change_seq("conf").await.unwrap();
        db.store.set_pinned("conf", "a1", true).await.unwrap();
        let after = now(&db).await;
        assert!(after.session("a1").unwrap().pinned);
        assert_eq!(after.version, 1, "no session moved");
        assert_eq!(db.store.last_change_seq("conf").await.unwrap(), seq + 1);
        db.store.set_pinned("conf", "a1", false).await.unwrap();
        assert!(!now(&db).await.session("a1").unwrap().pinned);
        let unknown = db.store.set_pinned("conf", "nope", true).await;
        assert!(
            matches!(unknown, Err(AppError::NotFound { .. })),
            "{unknown:?}"
        );
        assert_eq!(db.store.last_change_seq("conf").await.unwrap(), seq + 2);
    })
    .await;
}

#[tokio::test]
async fn a_re_import_keeps_the_organisers_pins() {
    on_each_backend(|db| async move {
        imported(&db).await;
        db.store.set_pinned("conf", "a1", true).await.unwrap();
        // The same schedule again, as pretalx would send it: no pins in it.
        let mut again = fixture();
        again.sessions.iter_mut().for_each(|s| s.pinned = false);
        let outcome = db
            .store
            .import_schedule(&again, "test", "re-import")
            .await
            .unwrap();
        assert!(outcome.diff.is_empty(), "{:?}", outcome.diff);
        assert!(now(&db).await.session("a1").unwrap().pinned);
    })
    .await;
}
