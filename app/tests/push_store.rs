//! The push outbox in the store, on SQLite and (when configured)
//! PostgreSQL: a shift or incident queues one notice whatever the number of
//! subscribers, the fan-out covers exactly the subscriptions that want it,
//! leases hand each delivery to one sender, and outcomes are recorded.
#![cfg(feature = "ssr")]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use app::domain::notice::Notice;
use app::domain::push::{Audience, DeliveryState};
use app::domain::status::{ComponentStatus, Impact, IncidentStatus};
use app::store::{
    Answer, AttemptOutcome, NewComponent, NewIncident, NewIncidentUpdate, NewSubscription,
};
use chrono::{Duration, Utc};
use sqlx::{AnyPool, Row};

#[path = "support/backends.rs"]
mod backends;
#[path = "support/conf.rs"]
mod conf;

use backends::{Db, on_each_backend};
use conf::{imported, shift};

const KEY: &str =
    "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8";

fn set(xs: &[&str]) -> BTreeSet<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

async fn subscribe(db: &Db, n: usize, audience: Audience) -> Vec<i64> {
    let key = db.store.add_vapid_key("priv", "pub", false).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..n {
        let id = db
            .store
            .upsert_subscription(&NewSubscription {
                event_slug: "conf".into(),
                endpoint: format!(
                    "https://push.example/{}",
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ),
                p256dh: KEY.into(),
                auth: "xS03Fi5ErfTNH_l9WHE9Ig".into(),
                vapid_key_id: key.id,
                audience: audience.clone(),
                lang: "en".into(),
                time_zone: "Europe/Moscow".into(),
            })
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

async fn count(db: &Db, sql: &str) -> i64 {
    let pool = AnyPool::connect(&db.url).await.unwrap();
    sqlx::query(sql)
        .fetch_one(&pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// Fans out everything queued; the number of steps it took.
async fn fan_out_all(db: &Db, batch: i64) -> usize {
    let mut steps = 0;
    while db.store.fan_out_step(batch, Utc::now()).await.unwrap() > 0 {
        steps += 1;
        assert!(steps < 1000, "fan-out does not finish");
    }
    steps
}

#[tokio::test]
async fn a_shift_queues_one_notice_and_fans_out_to_who_wants_it() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let all = Audience { all_tracks: true, ..Default::default() };
        let t2 = Audience { tracks: set(&["track-2"]), ..Default::default() };
        let t1 = Audience { tracks: set(&["track-1"]), ..Default::default() };
        let anna = Audience { speaker: Some("anna".into()), ..Default::default() };
        subscribe(&db, 30, all).await;
        subscribe(&db, 5, t2).await;
        subscribe(&db, 7, t1).await;
        subscribe(&db, 1, anna).await;
        let applied = db
            .store
            .apply_shift("conf", &shift(&["track-2"], "17:25", 30), "org", "player down")
            .await
            .unwrap();
        // Committed with the shift: one attendee notice, one for speakers,
        // not one row per subscriber.
        assert_eq!(count(&db, "select count(*) as n from push_notice").await, 2);
        assert_eq!(count(&db, "select count(*) as n from push_delivery").await, 0);
        // Small batches, so the cursor has to carry the fan-out across steps.
        let steps = fan_out_all(&db, 4).await;
        assert!(steps >= 2 * (43 / 4), "{steps} steps");
        // 30 all + 5 track-2 attendees, and anna (b2 on track 2 moved).
        assert_eq!(count(&db, "select count(*) as n from push_delivery").await, 36);
        // Running it again adds nothing.
        assert_eq!(db.store.fan_out_step(4, Utc::now()).await.unwrap(), 0);

        let now = Utc::now();
        let first = db.store.claim_deliveries(20, now, 60, "test").await.unwrap();
        assert_eq!(first.len(), 20);
        // Leased: a second claimer gets only the rest.
        let second = db.store.claim_deliveries(100, now, 60, "test").await.unwrap();
        assert_eq!(second.len(), 16);
        assert!(first.iter().all(|d| second.iter().all(|e| e.delivery_id != d.delivery_id)));
        assert!(db.store.claim_deliveries(100, now, 60, "test").await.unwrap().is_empty());
        // After the lease (a crashed sender), they come due again.
        let later = now + Duration::seconds(61);
        assert_eq!(db.store.claim_deliveries(100, later, 60, "test").await.unwrap().len(), 36);

        let speaker = second
            .iter()
            .chain(&first)
            .find(|d| d.audience.speaker.is_some())
            .expect("anna's delivery");
        let notice: Notice = serde_json::from_str(&speaker.notice_json).unwrap();
        let msg = notice.render(&speaker.audience, "en", chrono_tz::Europe::Moscow).unwrap();
        assert_eq!(msg.shift_id, Some(applied.shift_id));
        assert!(msg.body.contains("19:00 → 19:30"), "{}", msg.body);

        // Outcomes: one sent, one gone (its other deliveries stop too).
        let sent = &first[0];
        let gone = &first[1];
        let at = later + Duration::seconds(1);
        let out = |d: &app::store::DueDelivery, state, status| AttemptOutcome {
            delivery_id: d.delivery_id,
            subscription_id: d.subscription_id,
            state,
            next_at: at,
            status: Some(status),
            detail: format!("HTTP {status}"),
        };
        db.store
            .record_attempts(
                &[
                    out(sent, DeliveryState::Sent, 201),
                    out(gone, DeliveryState::Gone, 410),
                ],
                at,
            )
            .await
            .unwrap();
        let c = db.store.push_counts(Some("conf")).await.unwrap();
        assert_eq!((c.sent, c.gone, c.pending), (1, 1, 34));
        assert_eq!(c.subscriptions, 43 - 1);
        assert_eq!(count(&db, "select count(*) as n from push_attempt").await, 2);
        // A gone subscription is left out of the next fan-out.
        db.store
            .apply_shift("conf", &shift(&["track-1", "track-2"], "17:00", 10), "org", "again")
            .await
            .unwrap();
        fan_out_all(&db, 1000).await;
        let gone_again = count(
            &db,
            &format!(
                "select count(*) as n from push_delivery where push_subscription_id = {} and state = 'pending'",
                gone.subscription_id
            ),
        )
        .await;
        assert_eq!(gone_again, 0);

        // The speaker's answer is kept (a later one replaces it) and only
        // for a shift that moved their session.
        db.store
            .record_speaker_answer("conf", "anna", applied.shift_id, Answer::Declined, Utc::now())
            .await
            .unwrap();
        db.store
            .record_speaker_answer("conf", "anna", applied.shift_id, Answer::Confirmed, Utc::now())
            .await
            .unwrap();
        let answers = db.store.speaker_answers(applied.shift_id).await.unwrap();
        assert_eq!(answers.get("anna").map(|a| a.0), Some(Answer::Confirmed));
        let err = db
            .store
            .record_speaker_answer("conf", "nobody", applied.shift_id, Answer::Confirmed, Utc::now())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("did not move"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn incidents_queue_a_notice_in_their_transaction() {
    on_each_backend(|db| async move {
        imported(&db).await;
        db.store
            .sync_track_components("conf", Utc::now())
            .await
            .unwrap();
        let t1 = Audience {
            tracks: set(&["track-1"]),
            ..Default::default()
        };
        let t2 = Audience {
            tracks: set(&["track-2"]),
            ..Default::default()
        };
        subscribe(&db, 3, t1).await;
        subscribe(&db, 2, t2).await;
        let comps = db
            .store
            .load_status("conf", Utc::now())
            .await
            .unwrap()
            .components;
        let stream1 = comps
            .iter()
            .find(|c| c.track.as_deref() == Some("track-1"))
            .unwrap();
        let inc = db
            .store
            .create_incident(
                "conf",
                NewIncident {
                    name: "Track 1 stream down".into(),
                    status: IncidentStatus::Investigating,
                    impact: Impact::Major,
                    body_md: "**No picture** on track 1: the `snake_case` flag and \
                              my_stream_key; see [status](/s)."
                        .into(),
                    component_ids: vec![stream1.id],
                    component_status: Some(ComponentStatus::MajorOutage),
                    scheduled_for: None,
                    scheduled_until: None,
                    signature: None,
                },
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(
            count(
                &db,
                "select count(*) as n from push_notice where kind = 'incident'"
            )
            .await,
            1
        );
        fan_out_all(&db, 100).await;
        // Only track 1's followers: the incident names only its stream.
        assert_eq!(
            count(&db, "select count(*) as n from push_delivery").await,
            3
        );
        let d = db
            .store
            .claim_deliveries(10, Utc::now(), 60, "test")
            .await
            .unwrap();
        let notice: Notice = serde_json::from_str(&d[0].notice_json).unwrap();
        let msg = notice
            .render(&d[0].audience, "ru", chrono_tz::Europe::Moscow)
            .unwrap();
        assert_eq!(msg.title, "Track 1 stream down");
        // Plain text: no markdown syntax, identifiers intact.
        assert!(
            msg.body.ends_with(
                "No picture on track 1: the snake_case flag and my_stream_key; see status."
            ),
            "{}",
            msg.body
        );
        assert_eq!(d[0].topic, format!("incident-{}", inc.id));
        // A refused update queues nothing.
        let before = count(&db, "select count(*) as n from push_notice").await;
        let bad = db
            .store
            .add_incident_update(
                "conf",
                inc.id,
                NewIncidentUpdate {
                    status: IncidentStatus::Scheduled,
                    body_md: String::new(),
                    component_status: None,
                    component_ids: None,
                    reschedule: None,
                    signature: None,
                },
                Utc::now(),
            )
            .await;
        assert!(bad.is_err());
        assert_eq!(
            count(&db, "select count(*) as n from push_notice").await,
            before
        );
    })
    .await;
}

#[tokio::test]
async fn an_incident_on_the_website_and_one_stream_reaches_that_streams_followers() {
    on_each_backend(|db| async move {
        imported(&db).await;
        db.store
            .sync_track_components("conf", Utc::now())
            .await
            .unwrap();
        let website = db
            .store
            .create_component(
                "conf",
                NewComponent {
                    name: "Website".into(),
                    description: String::new(),
                    group_name: None,
                },
                Utc::now(),
            )
            .await
            .unwrap();
        let follow = |tracks: &[&str]| Audience {
            tracks: set(tracks),
            ..Default::default()
        };
        subscribe(&db, 3, follow(&["track-1"])).await;
        let track2 = subscribe(&db, 2, follow(&["track-2"])).await;
        let everything = subscribe(
            &db,
            1,
            Audience {
                all_tracks: true,
                ..Default::default()
            },
        )
        .await;
        let stream2 = db
            .store
            .load_status("conf", Utc::now())
            .await
            .unwrap()
            .components
            .into_iter()
            .find(|c| c.track.as_deref() == Some("track-2"))
            .unwrap();
        let open = |ids: Vec<i64>| NewIncident {
            name: "Player and site down".into(),
            status: IncidentStatus::Investigating,
            impact: Impact::Major,
            body_md: "Looking into it.".into(),
            component_ids: ids,
            component_status: None,
            scheduled_for: None,
            scheduled_until: None,
            signature: None,
        };
        // Who the newest notice goes to.
        let reached = || async {
            let pool = AnyPool::connect(&db.url).await.unwrap();
            sqlx::query(
                "select push_subscription_id from push_delivery where push_notice_id = \
                 (select max(push_notice_id) from push_notice) order by push_subscription_id",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<i64, _>("push_subscription_id"))
            .collect::<Vec<i64>>()
        };
        db.store
            .create_incident("conf", open(vec![website.id, stream2.id]), Utc::now())
            .await
            .unwrap();
        fan_out_all(&db, 100).await;
        // Track 2's followers and those of everything; not track 1's.
        assert_eq!(reached().await, [track2, everything.clone()].concat());

        // The website alone reaches no track: only followers of everything.
        db.store
            .create_incident("conf", open(vec![website.id]), Utc::now())
            .await
            .unwrap();
        fan_out_all(&db, 100).await;
        assert_eq!(reached().await, everything);
    })
    .await;
}

#[tokio::test]
async fn speakers_are_reminded_once_before_their_slot() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let anna = Audience {
            speaker: Some("anna".into()),
            ..Default::default()
        };
        subscribe(&db, 1, anna).await;
        let lead = Duration::minutes(15);
        // a2 (anna) starts 18:40: nothing at 18:00, a reminder from 18:25.
        assert_eq!(
            db.store
                .queue_reminders(conf::msk("18:00"), lead)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            db.store
                .queue_reminders(conf::msk("18:30"), lead)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            db.store
                .queue_reminders(conf::msk("18:31"), lead)
                .await
                .unwrap(),
            0,
            "queued twice"
        );
        fan_out_all(&db, 100).await;
        let d = db
            .store
            .claim_deliveries(10, Utc::now(), 60, "test")
            .await
            .unwrap();
        assert_eq!(d.len(), 1);
        let notice: Notice = serde_json::from_str(&d[0].notice_json).unwrap();
        let msg = notice
            .render(&d[0].audience, "en", chrono_tz::Europe::Moscow)
            .unwrap();
        assert_eq!(msg.title, "You are on at 18:40");
        assert!(msg.body.starts_with("Talk a2"), "{}", msg.body);
        // It is worth nothing after the talk has started.
        assert_eq!(d[0].expires_at, conf::msk("18:40"));
        // Nobody else's subscription hears of it.
        let all = Audience {
            all_tracks: true,
            ..Default::default()
        };
        subscribe(&db, 2, all).await;
        assert_eq!(
            db.store
                .queue_reminders(conf::msk("18:50"), lead)
                .await
                .unwrap(),
            1
        );
        fan_out_all(&db, 100).await;
        assert_eq!(
            count(&db, "select count(*) as n from push_delivery").await,
            2
        );
    })
    .await;
}

#[tokio::test]
async fn each_notice_of_a_shift_or_incident_reports_its_reach_by_delivery_state() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let all = Audience {
            all_tracks: true,
            ..Default::default()
        };
        let anna = Audience {
            speaker: Some("anna".into()),
            ..Default::default()
        };
        subscribe(&db, 4, all).await;
        subscribe(&db, 1, anna).await;
        let first = db
            .store
            .apply_shift(
                "conf",
                &shift(&["track-2"], "17:25", 30),
                "org",
                "player down",
            )
            .await
            .unwrap();
        let reach = |of| {
            let store = db.store.clone();
            async move { store.notice_reach("conf", of).await.unwrap() }
        };
        let before = reach(app::store::NoticeOf::Shift(first.shift_id)).await;
        assert_eq!(before.len(), 2, "attendees' and speakers' notices");
        assert!(before.iter().all(|n| n.targeted == 0 && !n.fanned_out));
        fan_out_all(&db, 100).await;
        // A second shift's notices are not the first's.
        let second = db
            .store
            .apply_shift("conf", &shift(&["track-1"], "17:00", 10), "org", "again")
            .await
            .unwrap();

        let due = db
            .store
            .claim_deliveries(100, Utc::now(), 60, "test")
            .await
            .unwrap();
        let at = Utc::now();
        let out = |d: &app::store::DueDelivery, state| AttemptOutcome {
            delivery_id: d.delivery_id,
            subscription_id: d.subscription_id,
            state,
            next_at: at,
            status: Some(201),
            detail: String::new(),
        };
        let attendees: Vec<_> = due
            .iter()
            .filter(|d| d.audience.speaker.is_none())
            .collect();
        db.store
            .record_attempts(
                &[
                    out(attendees[0], DeliveryState::Sent),
                    out(attendees[1], DeliveryState::Sent),
                    out(attendees[2], DeliveryState::Failed),
                    out(attendees[3], DeliveryState::Expired),
                ],
                at,
            )
            .await
            .unwrap();
        let r = reach(app::store::NoticeOf::Shift(first.shift_id)).await;
        let kinds: Vec<&str> = r.iter().map(|n| n.kind.as_str()).collect();
        assert_eq!(kinds, ["schedule", "speaker_move"]);
        let n = &r[0];
        assert!(n.fanned_out);
        assert_eq!(
            (n.targeted, n.delivered, n.failed, n.expired, n.pending),
            (4, 2, 1, 1, 0)
        );
        assert_eq!((r[1].targeted, r[1].pending), (1, 1), "anna, not yet sent");
        let other = reach(app::store::NoticeOf::Shift(second.shift_id)).await;
        assert!(other.iter().all(|n| n.targeted == 0), "not fanned out yet");
        assert!(reach(app::store::NoticeOf::Incident(1)).await.is_empty());
        assert!(
            db.store
                .notice_reach("nope", app::store::NoticeOf::Shift(1))
                .await
                .is_err()
        );
    })
    .await;
}

#[tokio::test]
async fn a_stream_incident_tells_the_speakers_of_the_held_up_talks_once() {
    on_each_backend(|db| async move {
        imported(&db).await;
        db.store
            .sync_track_components("conf", conf::msk("17:00"))
            .await
            .unwrap();
        let anna = Audience {
            speaker: Some("anna".into()),
            ..Default::default()
        };
        let followers = Audience {
            tracks: set(&["track-1"]),
            ..Default::default()
        };
        subscribe(&db, 1, anna).await;
        subscribe(&db, 2, followers).await;
        let stream = |t: &str| {
            let t = t.to_owned();
            let db = &db;
            async move {
                db.store
                    .load_status("conf", conf::msk("18:00"))
                    .await
                    .unwrap()
                    .components
                    .into_iter()
                    .find(|c| c.track.as_deref() == Some(t.as_str()))
                    .unwrap()
                    .id
            }
        };
        // 18:00 on track 1: a1 (no speaker) runs, a2 (anna, 18:40) is next.
        let inc = db
            .store
            .create_incident(
                "conf",
                NewIncident {
                    name: "Player down".into(),
                    status: IncidentStatus::Investigating,
                    impact: Impact::Major,
                    body_md: "No picture.".into(),
                    component_ids: vec![stream("track-1").await],
                    component_status: Some(ComponentStatus::MajorOutage),
                    scheduled_for: None,
                    scheduled_until: None,
                    signature: None,
                },
                conf::msk("18:00"),
            )
            .await
            .unwrap();
        let paused = "select count(*) as n from push_notice where kind = 'track_paused'";
        assert_eq!(count(&db, paused).await, 1);
        // A later update about the same talks does not tell them again.
        db.store
            .add_incident_update(
                "conf",
                inc.id,
                NewIncidentUpdate {
                    status: IncidentStatus::Identified,
                    body_md: "Encoder.".into(),
                    component_status: None,
                    component_ids: None,
                    reschedule: None,
                    signature: None,
                },
                conf::msk("18:05"),
            )
            .await
            .unwrap();
        assert_eq!(count(&db, paused).await, 1, "told twice");
        fan_out_all(&db, 100).await;
        let d = db
            .store
            .claim_deliveries(20, Utc::now(), 60, "test")
            .await
            .unwrap();
        let to_anna: Vec<_> = d.iter().filter(|x| x.audience.speaker.is_some()).collect();
        assert_eq!(to_anna.len(), 1, "anna hears of her track, once");
        let notice: Notice = serde_json::from_str(&to_anna[0].notice_json).unwrap();
        let msg = notice
            .render(&to_anna[0].audience, "en", chrono_tz::Europe::Moscow)
            .unwrap();
        assert_eq!(msg.kind, "track_paused");
        assert!(
            msg.body.contains("Talk a2") && msg.body.contains("Player down"),
            "{}",
            msg.body
        );
        // Track 1's followers get the incident notices, not the speakers' one.
        assert!(
            d.iter()
                .filter(|x| x.audience.speaker.is_none())
                .all(|x| !x.notice_json.contains("track_paused"))
        );
        // An incident on track 2's stream leaves anna's track-1 talk alone,
        // but b2 (anna, 19:00) is next there.
        let before = count(&db, paused).await;
        db.store
            .create_incident(
                "conf",
                NewIncident {
                    name: "Track 2 down".into(),
                    status: IncidentStatus::Investigating,
                    impact: Impact::Major,
                    body_md: "No sound.".into(),
                    component_ids: vec![stream("track-2").await],
                    component_status: None,
                    scheduled_for: None,
                    scheduled_until: None,
                    signature: None,
                },
                conf::msk("18:45"),
            )
            .await
            .unwrap();
        assert_eq!(count(&db, paused).await, before + 1);
    })
    .await;
}

/// A burst records its outcomes many at a time (a few statements per
/// batch): a batch larger than one statement's id list, mixing every
/// outcome, leaves each delivery and subscription as recording them one
/// by one would.
#[tokio::test]
async fn a_large_mixed_batch_of_outcomes_is_recorded_exactly() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let all = Audience {
            all_tracks: true,
            ..Default::default()
        };
        subscribe(&db, 450, all).await;
        // Two notices, so each subscription has two deliveries.
        for by in [10, 5] {
            db.store
                .apply_shift("conf", &shift(&["track-1"], "17:00", by), "org", "late")
                .await
                .unwrap();
        }
        fan_out_all(&db, 1000).await;
        let now = Utc::now();
        let mut due = db.store.claim_deliveries(2000, now, 60, "w").await.unwrap();
        assert_eq!(due.len(), 900);
        // One delivery per subscription is recorded now; its twin stays
        // pending (and leased), unless the subscription is gone.
        due.sort_by_key(|d| (d.subscription_id, d.delivery_id));
        let batch: Vec<_> = due.iter().step_by(2).collect();
        assert_eq!(batch.len(), 450);
        let at = now + Duration::seconds(2);
        let retry_at = at + Duration::seconds(30);
        // The first two subscriptions were failing before: a send forgives
        // the first; the second fails again and keeps its first failure time.
        let pool = AnyPool::connect(&db.url).await.unwrap();
        let since = chrono::DateTime::from_timestamp(now.timestamp() - 600, 0).unwrap();
        for d in &batch[0..2] {
            sqlx::query(
                "update push_subscription set failing_since = $1 where push_subscription_id = $2",
            )
            .bind(since.timestamp())
            .bind(d.subscription_id)
            .execute(&pool)
            .await
            .unwrap();
        }
        let state_of = |i: usize| -> (DeliveryState, Option<u16>) {
            match i {
                1 | 17..22 => (DeliveryState::Failed, Some(400)),
                2..7 => (DeliveryState::Gone, Some(410)),
                7..17 => (DeliveryState::Pending, Some(429)),
                22..27 => (DeliveryState::Expired, None),
                _ => (DeliveryState::Sent, Some(201)),
            }
        };
        let outcomes: Vec<AttemptOutcome> = batch
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let (state, status) = state_of(i);
                AttemptOutcome {
                    delivery_id: d.delivery_id,
                    subscription_id: d.subscription_id,
                    state,
                    next_at: if state == DeliveryState::Pending {
                        retry_at
                    } else {
                        at
                    },
                    status,
                    detail: format!("attempt {i}"),
                }
            })
            .collect();
        db.store.record_attempts(&outcomes, at).await.unwrap();

        let rows = sqlx::query(
            "select push_delivery_id, push_subscription_id, state, next_at, attempts, last_status, \
             lease_token from push_delivery",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let recorded: std::collections::HashMap<i64, &AttemptOutcome> =
            outcomes.iter().map(|o| (o.delivery_id, o)).collect();
        let gone: BTreeSet<i64> = outcomes
            .iter()
            .filter(|o| o.state == DeliveryState::Gone)
            .map(|o| o.subscription_id)
            .collect();
        assert_eq!(gone.len(), 5);
        for r in &rows {
            let id: i64 = r.try_get("push_delivery_id").unwrap();
            let sub: i64 = r.try_get("push_subscription_id").unwrap();
            let state: String = r.try_get("state").unwrap();
            let attempts: i64 = r.try_get("attempts").unwrap();
            let token: Option<String> = r.try_get("lease_token").unwrap();
            match recorded.get(&id) {
                Some(o) => {
                    assert_eq!(state, o.state.as_str(), "delivery {id}");
                    let next_at: i64 = r.try_get("next_at").unwrap();
                    assert_eq!(next_at, o.next_at.timestamp(), "delivery {id}");
                    assert_eq!(
                        attempts,
                        i64::from(o.state != DeliveryState::Expired),
                        "delivery {id}"
                    );
                    let status: Option<i64> = r.try_get("last_status").unwrap();
                    assert_eq!(status, o.status.map(i64::from), "delivery {id}");
                    // A retry is nobody's; a finished one keeps its sender.
                    let want = (o.state != DeliveryState::Pending).then(|| "w".to_owned());
                    assert_eq!(token, want, "delivery {id}");
                }
                None if gone.contains(&sub) => assert_eq!(state, "gone", "twin of a gone one"),
                None => {
                    assert_eq!(state, "pending", "delivery {id}");
                    assert_eq!(attempts, 0);
                    assert_eq!(token.as_deref(), Some("w"), "still leased");
                }
            }
        }
        assert_eq!(
            count(&db, "select count(*) as n from push_attempt").await,
            450
        );
        let details = count(
            &db,
            "select count(distinct detail) as n from push_attempt where detail like 'attempt %'",
        )
        .await;
        assert_eq!(details, 450, "one row per attempt, each its own");
        assert_eq!(
            count(
                &db,
                "select count(*) as n from push_subscription where gone_at is not null"
            )
            .await,
            5
        );
        // Failing since: set by a retry or a failure, forgiven by a send,
        // and a failure does not move an earlier failure time.
        let failing = sqlx::query(
            "select push_subscription_id, failing_since from push_subscription \
             where failing_since is not null",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let failing: std::collections::HashMap<i64, i64> = failing
            .iter()
            .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
            .collect();
        let want: BTreeSet<i64> = outcomes
            .iter()
            .filter(|o| matches!(o.state, DeliveryState::Pending | DeliveryState::Failed))
            .map(|o| o.subscription_id)
            .collect();
        assert_eq!(failing.keys().copied().collect::<BTreeSet<_>>(), want);
        assert_eq!(failing[&batch[1].subscription_id], since.timestamp());
        assert_eq!(failing[&batch[10].subscription_id], at.timestamp());
        assert!(!failing.contains_key(&batch[0].subscription_id), "forgiven");
    })
    .await;
}
