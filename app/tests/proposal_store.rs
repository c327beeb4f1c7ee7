//! Propose, then publish, in the store: a proposal changes no schedule
//! and tells only the speakers it moves; publishing carries their answers
//! over and is refused (changing nothing) when stale, twice, or after a
//! discard; a further step keeps the answers that still fit. Every test
//! body runs on SQLite and, when `MARQUEE_TEST_POSTGRES_URL` names a
//! server, on PostgreSQL.
#![cfg(feature = "ssr")]

use app::domain::notice::Notice;
use app::domain::replan::{
    Availability, ChangeOp, MoveRequest, ProposalState, Reply, ShiftBy, ShiftPlan,
};
use app::domain::schedule::{Schedule, Speaker};
use app::domain::shift::TrackSelection;
use app::error::AppError;
use app::store::{Answer, AnswerIn};
use chrono::Utc;
use sqlx::Row;

#[path = "support/backends.rs"]
mod backends;

use backends::{Db, on_each_backend};

#[path = "support/conf.rs"]
mod conf;
use conf::{fixture, msk, talk};

/// Two tracks, three speakers: anna (t1), li (t2), dmitri (t3).
fn evening() -> Schedule {
    let mut s = fixture();
    s.speakers = ["anna", "li", "dmitri"]
        .iter()
        .map(|k| Speaker {
            key: (*k).into(),
            name: k.to_uppercase(),
            email: None,
        })
        .collect();
    s.sessions = vec![
        talk("t1", "track-1", "17:25", &["anna"]),
        talk("t2", "track-2", "17:25", &["li"]),
        talk("t3", "track-1", "18:10", &["dmitri"]),
    ];
    s
}

async fn import(db: &Db) -> Schedule {
    db.store
        .import_schedule(&evening(), "test", "setup")
        .await
        .unwrap();
    now(db).await
}

async fn now(db: &Db) -> Schedule {
    db.store.load_schedule("conf").await.unwrap().unwrap()
}

fn move_to(guid: &str, hhmm: &str) -> ChangeOp {
    ChangeOp::Move(MoveRequest {
        guid: guid.into(),
        start: Some(msk(hhmm)),
        track: None,
        duration_min: None,
        allow_pinned_overlap: false,
    })
}

fn restart(from: &str, at: &str) -> ChangeOp {
    ChangeOp::Shift(ShiftPlan {
        tracks: TrackSelection::All,
        from: msk(from),
        by: ShiftBy::RestartAt(msk(at)),
        until: None,
        interrupted: Default::default(),
        pinned: Default::default(),
    })
}

/// Every queued notice, oldest first.
async fn notices(db: &Db) -> Vec<(Notice, String)> {
    let pool = db.raw().await;
    sqlx::query("select payload_json, scope_json from push_notice order by push_notice_id")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let p: String = r.try_get("payload_json").unwrap();
            (
                serde_json::from_str(&p).unwrap(),
                r.try_get("scope_json").unwrap(),
            )
        })
        .collect()
}

fn said(reply: Reply) -> AnswerIn {
    AnswerIn::plain(reply)
}

fn field_of(r: Result<impl std::fmt::Debug, AppError>) -> (u16, String) {
    match r {
        Err(AppError::ConflictOn { field, .. }) => (409, field),
        Err(AppError::Invalid { field, .. }) => (422, field),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_proposal_asks_speakers_only_and_publishing_carries_their_answers() {
    on_each_backend(|db| async move {
        let before = import(&db).await;
        let versions = db.store.schedule_versions("conf").await.unwrap().len();
        let p = db
            .store
            .propose_change(
                "conf",
                Some(before.version),
                &move_to("t1", "20:00"),
                "ops@x",
                "speaker late",
                None,
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(p.state, ProposalState::Proposed);
        assert_eq!(p.version, before.version);
        let asked: Vec<&str> = p.asks.iter().map(|a| a.speaker_key.as_str()).collect();
        assert_eq!(asked, ["anna"]);
        // Attendees see nothing: same version, same times, no version row,
        // no schedule notice; anna alone is asked.
        let after = now(&db).await;
        assert_eq!(after.version, before.version);
        assert_eq!(after.session("t1").unwrap().start, msk("17:25"));
        assert_eq!(
            db.store.schedule_versions("conf").await.unwrap().len(),
            versions
        );
        let queued = notices(&db).await;
        assert_eq!(queued.len(), 1, "{queued:?}");
        assert!(
            matches!(&queued[0].0, Notice::SpeakerProposal { proposal_id, moves, reminder: false, .. }
                if *proposal_id == p.proposal_id && moves[0].new_start == msk("20:00")),
            "{queued:?}"
        );
        assert!(queued[0].1.contains("anna") && !queued[0].1.contains("li"));

        // li was not asked; anna declines, then confirms from 19:30.
        let not_asked = db
            .store
            .answer_proposal("conf", "li", p.proposal_id, &said(Reply::Confirm), Utc::now())
            .await;
        assert_eq!(field_of(not_asked), (422, "proposal_id".into()));
        let yes = AnswerIn {
            available_from: Some("19:30".into()),
            ..said(Reply::Confirm)
        };
        db.store
            .answer_proposal("conf", "anna", p.proposal_id, &yes, Utc::now())
            .await
            .unwrap();
        let listed = db.store.list_proposals("conf").await.unwrap();
        let answer = listed[0].asks[0].answer.as_ref().unwrap();
        assert_eq!(answer.availability, Availability::From(msk("19:30")));

        let applied = db
            .store
            .publish_proposal("conf", p.proposal_id, before.version, "ops@x", Utc::now())
            .await
            .unwrap();
        assert_eq!(applied.version, before.version + 1);
        let after = now(&db).await;
        assert_eq!(after.session("t1").unwrap().start, msk("20:00"));
        // The answer carried over to the change; anna is not asked again.
        let answers = db.store.speaker_answers(applied.shift_id).await.unwrap();
        assert_eq!(answers["anna"].0, Answer::Confirmed);
        let details = db
            .store
            .speaker_answer_details(applied.shift_id)
            .await
            .unwrap();
        assert_eq!(
            details["anna"].availability,
            Availability::From(msk("19:30"))
        );
        let kinds: Vec<&str> = notices(&db).await.iter().map(|(n, _)| n.kind()).collect();
        assert_eq!(kinds, ["speaker_proposal", "schedule"], "no second ask");
        let listed = db.store.list_proposals("conf").await.unwrap();
        assert_eq!(listed[0].state, ProposalState::Published);
        assert_eq!(listed[0].shift_id, Some(applied.shift_id));

        // Published once: again is a conflict naming the proposal.
        let twice = db
            .store
            .publish_proposal("conf", p.proposal_id, before.version, "ops@x", Utc::now())
            .await;
        assert_eq!(field_of(twice), (409, "proposal_id".into()));
        assert_eq!(now(&db).await.version, before.version + 1);
    })
    .await;
}

#[tokio::test]
async fn stale_discarded_and_unknown_proposals_are_refused_and_change_nothing() {
    on_each_backend(|db| async move {
        let before = import(&db).await;
        let p = db
            .store
            .propose_change(
                "conf",
                None,
                &move_to("t1", "20:00"),
                "ops@x",
                "r",
                None,
                Utc::now(),
            )
            .await
            .unwrap();
        // A stale version to propose on is refused too.
        let stale_propose = db
            .store
            .propose_change(
                "conf",
                Some(before.version - 1),
                &move_to("t2", "20:00"),
                "ops@x",
                "r",
                None,
                Utc::now(),
            )
            .await;
        assert_eq!(field_of(stale_propose), (422, "version".into()));
        // Someone applies another change: the proposal is stale.
        db.store
            .apply_change(
                "conf",
                &app::domain::replan::ChangeRequest {
                    version: before.version,
                    op: move_to("t2", "21:00"),
                },
                "ops@y",
                "other",
            )
            .await
            .unwrap();
        let stale = db
            .store
            .publish_proposal("conf", p.proposal_id, before.version, "ops@x", Utc::now())
            .await;
        assert_eq!(field_of(stale), (409, "version".into()));
        let wrong = db
            .store
            .publish_proposal(
                "conf",
                p.proposal_id,
                before.version + 1,
                "ops@x",
                Utc::now(),
            )
            .await;
        assert_eq!(field_of(wrong), (409, "version".into()));
        let after = now(&db).await;
        assert_eq!(after.version, before.version + 1, "nothing published");
        assert_eq!(after.session("t1").unwrap().start, msk("17:25"));

        let discarded = db
            .store
            .discard_proposal("conf", p.proposal_id, "ops@x", Utc::now())
            .await
            .unwrap();
        assert_eq!(discarded.state, ProposalState::Discarded);
        let again = db
            .store
            .discard_proposal("conf", p.proposal_id, "ops@x", Utc::now())
            .await;
        assert_eq!(field_of(again), (409, "proposal_id".into()));
        let publish = db
            .store
            .publish_proposal("conf", p.proposal_id, before.version, "ops@x", Utc::now())
            .await;
        assert_eq!(field_of(publish), (409, "proposal_id".into()));
        let answer = db
            .store
            .answer_proposal(
                "conf",
                "anna",
                p.proposal_id,
                &said(Reply::Confirm),
                Utc::now(),
            )
            .await;
        assert_eq!(field_of(answer), (409, "proposal_id".into()));
        let unknown = db
            .store
            .publish_proposal("conf", 999, before.version, "ops@x", Utc::now())
            .await;
        assert!(
            matches!(unknown, Err(AppError::NotFound { .. })),
            "{unknown:?}"
        );
        let unknown_talk = db
            .store
            .propose_change(
                "conf",
                None,
                &move_to("nope", "20:00"),
                "ops@x",
                "r",
                None,
                Utc::now(),
            )
            .await;
        assert_eq!(field_of(unknown_talk), (422, "guid".into()));
        assert_eq!(now(&db).await.version, before.version + 1);
        assert_eq!(db.store.list_proposals("conf").await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn of_two_publishes_at_once_exactly_one_succeeds() {
    on_each_backend(|db| async move {
        let before = import(&db).await;
        let p = db
            .store
            .propose_change(
                "conf",
                None,
                &move_to("t1", "20:00"),
                "ops@x",
                "r",
                None,
                Utc::now(),
            )
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            db.store
                .publish_proposal("conf", p.proposal_id, before.version, "a", Utc::now()),
            db.store
                .publish_proposal("conf", p.proposal_id, before.version, "b", Utc::now()),
        );
        let ok = [a.is_ok(), b.is_ok()];
        assert_eq!(ok.iter().filter(|x| **x).count(), 1, "{a:?} {b:?}");
        let loser = if a.is_ok() { b } else { a };
        assert!(
            matches!(
                loser,
                Err(AppError::ConflictOn { .. } | AppError::Unavailable(_))
            ),
            "{loser:?}"
        );
        assert_eq!(now(&db).await.version, before.version + 1);
        assert_eq!(db.store.list_shifts("conf").await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_further_step_keeps_answers_that_fit_and_asks_the_others_again() {
    on_each_backend(|db| async move {
        let before = import(&db).await;
        let p = db
            .store
            .propose_change(
                "conf",
                None,
                &restart("17:20", "18:00"),
                "ops@x",
                "player down",
                None,
                Utc::now(),
            )
            .await
            .unwrap();
        let asked: Vec<&str> = p.asks.iter().map(|a| a.speaker_key.as_str()).collect();
        assert_eq!(asked, ["anna", "dmitri", "li"]);
        let id = p.proposal_id;
        let from_1800 = AnswerIn {
            available_from: Some("18:00".into()),
            ..said(Reply::Confirm)
        };
        let not_today = AnswerIn {
            reason: Some("flight".into()),
            not_today: true,
            ..said(Reply::Decline)
        };
        for (who, a) in [
            ("anna", from_1800),
            ("li", said(Reply::Confirm)),
            ("dmitri", not_today),
        ] {
            db.store
                .answer_proposal("conf", who, id, &a, Utc::now())
                .await
                .unwrap();
        }
        // 18:00, then 18:15: one proposal with two steps.
        let amended = db
            .store
            .propose_change(
                "conf",
                None,
                &restart("17:20", "18:15"),
                "ops@x",
                "later still",
                Some(id),
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(amended.proposal_id, id);
        assert_eq!(amended.ops.len(), 2);
        assert_eq!(amended.change.steps.len(), 2);
        let t1 = amended.change.edit("t1").unwrap();
        assert_eq!(
            (t1.before.start, t1.after.start),
            (msk("17:25"), msk("18:15"))
        );
        let reply = |key: &str| {
            amended
                .asks
                .iter()
                .find(|a| a.speaker_key == key)
                .unwrap()
                .answer
                .as_ref()
                .map(|a| a.reply)
        };
        assert_eq!(
            reply("anna"),
            Some(Reply::Confirm),
            "can from 18:00 fits 18:15"
        );
        assert_eq!(
            reply("dmitri"),
            Some(Reply::Decline),
            "not today still holds"
        );
        assert_eq!(reply("li"), None, "a plain yes to 18:00 is asked again");
        let last = notices(&db).await.pop().unwrap();
        assert!(
            last.1.contains("li") && !last.1.contains("anna"),
            "{last:?}"
        );

        let reminded = db
            .store
            .remind_proposal("conf", id, Utc::now())
            .await
            .unwrap();
        assert_eq!(reminded, ["li"]);
        let amending_gone = db
            .store
            .propose_change(
                "conf",
                None,
                &move_to("t3", "21:00"),
                "ops@x",
                "r",
                Some(999),
                Utc::now(),
            )
            .await;
        assert_eq!(field_of(amending_gone), (422, "amends".into()));

        let applied = db
            .store
            .publish_proposal("conf", id, before.version, "ops@x", Utc::now())
            .await
            .unwrap();
        let after = now(&db).await;
        assert_eq!(
            after.version,
            before.version + 1,
            "one version for both steps"
        );
        assert_eq!(after.session("t1").unwrap().start, msk("18:15"));
        let answers = db.store.speaker_answers(applied.shift_id).await.unwrap();
        assert_eq!(answers["anna"].0, Answer::Confirmed);
        assert_eq!(answers["dmitri"].0, Answer::Declined);
        assert!(!answers.contains_key("li"));
        let v = &db.store.schedule_versions("conf").await.unwrap()[0];
        assert_eq!(v.reason, "player down");
    })
    .await;
}

#[tokio::test]
async fn a_richer_answer_to_an_applied_change_names_its_field_when_refused() {
    on_each_backend(|db| async move {
        let before = import(&db).await;
        let applied = db
            .store
            .apply_change(
                "conf",
                &app::domain::replan::ChangeRequest {
                    version: before.version,
                    op: move_to("t1", "19:00"),
                },
                "ops@x",
                "r",
            )
            .await
            .unwrap();
        // anna has not answered: reminded, with one notice to her alone.
        let reminded = db
            .store
            .remind_change("conf", applied.shift_id, Utc::now())
            .await
            .unwrap();
        assert_eq!(reminded, ["anna"]);
        let (last, scope) = notices(&db).await.pop().unwrap();
        assert!(matches!(last, Notice::SpeakerMove { .. }), "{last:?}");
        assert!(scope.contains("anna"));
        let both = AnswerIn {
            available_from: Some("20:00".into()),
            not_today: true,
            ..said(Reply::Decline)
        };
        let r = db
            .store
            .record_speaker_answer_in("conf", "anna", applied.shift_id, &both, Utc::now())
            .await;
        assert_eq!(field_of(r), (422, "available_from".into()));
        let later = AnswerIn {
            reason: Some("  train late ".into()),
            available_from: Some("20:00".into()),
            ..said(Reply::Decline)
        };
        db.store
            .record_speaker_answer_in("conf", "anna", applied.shift_id, &later, Utc::now())
            .await
            .unwrap();
        let d = db
            .store
            .speaker_answer_details(applied.shift_id)
            .await
            .unwrap();
        assert_eq!(d["anna"].reason.as_deref(), Some("train late"));
        assert_eq!(d["anna"].availability, Availability::From(msk("20:00")));
        assert_eq!(d["anna"].slots[0].slot.start, msk("19:00"));
        assert_eq!(
            db.store.speaker_answers(applied.shift_id).await.unwrap()["anna"].0,
            Answer::Declined
        );
        let none_left = db
            .store
            .remind_change("conf", applied.shift_id, Utc::now())
            .await
            .unwrap();
        assert!(none_left.is_empty(), "{none_left:?}");
    })
    .await;
}

#[tokio::test]
async fn a_second_change_to_the_same_talks_amends_the_first() {
    on_each_backend(|db| async move {
        let before = import(&db).await;
        let req = |version, op| app::domain::replan::ChangeRequest { version, op };
        let first = db
            .store
            .apply_change(
                "conf",
                &req(before.version, restart("17:20", "18:00")),
                "ops@x",
                "player down",
            )
            .await
            .unwrap();
        let from_1800 = AnswerIn {
            available_from: Some("18:00".into()),
            ..said(Reply::Confirm)
        };
        let not_today = AnswerIn {
            not_today: true,
            ..said(Reply::Decline)
        };
        for (who, a) in [
            ("anna", from_1800),
            ("li", said(Reply::Confirm)),
            ("dmitri", not_today),
        ] {
            db.store
                .record_speaker_answer_in("conf", who, first.shift_id, &a, Utc::now())
                .await
                .unwrap();
        }
        let second = db
            .store
            .apply_change(
                "conf",
                &req(first.version, restart("17:20", "18:15")),
                "ops@x",
                "later still",
            )
            .await
            .unwrap();
        assert_eq!(second.change.steps.len(), 2, "both decisions kept");
        let t1 = second.change.edit("t1").unwrap();
        assert_eq!(
            (t1.before.start, t1.after.start),
            (msk("17:25"), msk("18:15"))
        );
        // One change to attendees: one changelog entry after the import.
        let versions = db.store.schedule_versions("conf").await.unwrap();
        assert_eq!(versions.len(), 2, "{versions:?}");
        assert_eq!(versions[0].version, second.version);
        let shifts = db.store.list_shifts("conf").await.unwrap();
        let old = shifts
            .iter()
            .find(|s| s.shift_id == first.shift_id)
            .unwrap();
        assert_eq!(old.amended_into, Some(second.shift_id));
        // The notice tells the whole move, 17:25 → 18:15, replacing the first.
        let queued = notices(&db).await;
        let last_schedule = queued
            .iter()
            .rev()
            .find_map(|(n, _)| match n {
                Notice::Schedule { moves, .. } => Some(moves.clone()),
                _ => None,
            })
            .unwrap();
        let m = last_schedule.iter().find(|m| m.guid == "t1").unwrap();
        assert_eq!((m.old_start, m.new_start), (msk("17:25"), msk("18:15")));
        // Answers that fit are kept; li (a plain yes to 18:00) is asked again.
        let answers = db.store.speaker_answers(second.shift_id).await.unwrap();
        assert_eq!(answers["anna"].0, Answer::Confirmed);
        assert_eq!(answers["dmitri"].0, Answer::Declined);
        assert!(!answers.contains_key("li"));
        let (_, scope) = queued.last().unwrap();
        assert!(scope.contains("li") && !scope.contains("anna"), "{scope}");

        // The first change is undone through the second, which undoes both.
        let refused = db
            .store
            .revert_shift("conf", first.shift_id, "ops@x", "undo")
            .await;
        assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
        db.store
            .revert_shift("conf", second.shift_id, "ops@x", "undo")
            .await
            .unwrap();
        assert_eq!(now(&db).await.session("t1").unwrap().start, msk("17:25"));

        // With no window, a change to the same talks stands alone.
        let never = db.store.clone().with_amend_window(-1);
        let v = now(&db).await.version;
        let a = never
            .apply_change("conf", &req(v, move_to("t1", "20:00")), "ops@x", "a")
            .await
            .unwrap();
        let b = never
            .apply_change(
                "conf",
                &req(a.version, move_to("t1", "20:30")),
                "ops@x",
                "b",
            )
            .await
            .unwrap();
        assert!(b.change.steps.is_empty());
        let shifts = never.list_shifts("conf").await.unwrap();
        assert!(
            shifts
                .iter()
                .all(|s| s.amended_into.is_none() || s.shift_id == first.shift_id)
        );
    })
    .await;
}
