//! The mail side of the outbox in the store, on SQLite and (when
//! configured) PostgreSQL: double opt-in tokens work once, a shift fans out
//! to exactly the confirmed subscribers who want it and to the speakers
//! with an address, concurrent claims take disjoint mails, and ending a
//! subscription drops what was queued for it.
#![cfg(feature = "ssr")]

use std::collections::BTreeSet;

use app::domain::push::DeliveryState;
use app::store::{EmailOutcome, EmailRecipient, NewEmailSubscriber, SubscribeOutcome};
use chrono::{Duration, Utc};

#[path = "support/backends.rs"]
mod backends;
#[path = "support/conf.rs"]
mod conf;

use backends::{Db, on_each_backend};
use conf::{imported, shift};

fn sub(address: &str, tracks: &[&str]) -> NewEmailSubscriber {
    NewEmailSubscriber {
        event_slug: "conf".into(),
        address: address.into(),
        all_tracks: tracks.is_empty(),
        tracks: tracks
            .iter()
            .map(|t| t.to_string())
            .collect::<BTreeSet<_>>(),
        lang: "en".into(),
        time_zone: "Europe/Moscow".into(),
    }
}

/// Subscribes and confirms; the manage link's hash.
async fn confirmed(db: &Db, address: &str, tracks: &[&str]) -> String {
    let now = Utc::now();
    let confirm = format!("confirm-{address}");
    let out = db
        .store
        .email_subscribe(
            &sub(address, tracks),
            &confirm,
            now + Duration::hours(1),
            now,
        )
        .await
        .unwrap();
    assert!(matches!(out, SubscribeOutcome::Pending(_)));
    let link = format!("link-{address}");
    assert!(
        db.store
            .email_confirm(&confirm, &link, now)
            .await
            .unwrap()
            .is_some()
    );
    link
}

#[tokio::test]
async fn confirmation_tokens_work_once_and_expire_and_a_running_subscription_cannot_be_altered() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let now = Utc::now();
        let s = sub("ada@example.org", &["track-2"]);
        db.store
            .email_subscribe(&s, "h1", now + Duration::hours(1), now)
            .await
            .unwrap();
        assert_eq!(
            db.store.email_pending("h1", now).await.unwrap().as_deref(),
            Some("conf")
        );
        assert_eq!(
            db.store
                .email_pending("h1", now + Duration::hours(2))
                .await
                .unwrap(),
            None,
            "expired"
        );
        assert!(
            db.store
                .email_confirm("forged", "l0", now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            db.store
                .email_confirm("h1", "l1", now)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            db.store
                .email_confirm("h1", "l2", now)
                .await
                .unwrap()
                .is_none(),
            "used twice"
        );
        // Someone typing the same address changes nothing.
        let again = sub("ada@example.org", &[]);
        let out = db
            .store
            .email_subscribe(&again, "h2", now + Duration::hours(1), now)
            .await
            .unwrap();
        assert_eq!(out, SubscribeOutcome::AlreadyActive);
        let running = db.store.email_subscription("l1").await.unwrap().unwrap();
        assert!(!running.all_tracks);
        assert!(db.store.email_pending("h2", now).await.unwrap().is_none());
        // Expired tokens do not confirm.
        let late = sub("bob@example.org", &[]);
        db.store
            .email_subscribe(
                &late,
                "h3",
                now - Duration::seconds(1),
                now - Duration::hours(1),
            )
            .await
            .unwrap();
        assert!(
            db.store
                .email_confirm("h3", "l3", now)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn a_shift_reaches_the_confirmed_subscribers_who_want_it_and_speakers_with_an_address() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let all = confirmed(&db, "all@example.org", &[]).await;
        confirmed(&db, "t2@example.org", &["track-2"]).await;
        confirmed(&db, "t1@example.org", &["track-1"]).await;
        let now = Utc::now();
        // Never confirmed: gets nothing.
        db.store
            .email_subscribe(
                &sub("pending@example.org", &[]),
                "p",
                now + Duration::hours(1),
                now,
            )
            .await
            .unwrap();
        assert!(
            db.store
                .set_speaker_email("conf", "anna", Some("anna@example.org"), Some("fr"))
                .await
                .unwrap()
        );
        db.store
            .apply_shift(
                "conf",
                &shift(&["track-2"], "17:25", 30),
                "org",
                "player down",
            )
            .await
            .unwrap();
        while db.store.email_fan_out_step(2, Utc::now()).await.unwrap() > 0 {}
        // Two workers claim side by side: disjoint mails.
        let (a, b) = tokio::join!(
            db.store.claim_emails(2, Utc::now(), 60, "a"),
            db.store.claim_emails(2, Utc::now(), 60, "b"),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut ids: Vec<i64> = a.iter().chain(&b).map(|d| d.delivery_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), a.len() + b.len(), "a mail claimed twice");
        let rest = db
            .store
            .claim_emails(10, Utc::now(), 60, "c")
            .await
            .unwrap();
        let due: Vec<_> = a.into_iter().chain(b).chain(rest).collect();
        let mut to: Vec<&str> = due.iter().map(|d| d.address.as_str()).collect();
        to.sort();
        assert_eq!(
            to,
            ["all@example.org", "anna@example.org", "t2@example.org"]
        );
        let anna = due
            .iter()
            .find(|d| d.recipient == EmailRecipient::Speaker("anna".into()))
            .unwrap();
        assert_eq!(anna.lang, "fr");
        assert_eq!(anna.audience.speaker.as_deref(), Some("anna"));
        assert!(
            db.store
                .claim_emails(10, Utc::now(), 60, "d")
                .await
                .unwrap()
                .is_empty(),
            "leased ones came back"
        );

        // Ending a subscription drops what is queued for it.
        let outcomes: Vec<EmailOutcome> = due
            .iter()
            .filter(|d| d.address != "all@example.org")
            .map(|d| EmailOutcome {
                delivery_id: d.delivery_id,
                state: DeliveryState::Sent,
                next_at: Utc::now(),
                detail: None,
            })
            .collect();
        db.store.record_emails(&outcomes, Utc::now()).await.unwrap();
        assert_eq!(
            db.store
                .release_email_leases("a", Utc::now())
                .await
                .unwrap()
                + db.store
                    .release_email_leases("b", Utc::now())
                    .await
                    .unwrap()
                + db.store
                    .release_email_leases("c", Utc::now())
                    .await
                    .unwrap(),
            1
        );
        assert!(db.store.email_unsubscribe(&all, Utc::now()).await.unwrap());
        assert!(
            db.store.email_unsubscribe(&all, Utc::now()).await.unwrap(),
            "twice is fine"
        );
        assert!(
            !db.store
                .email_unsubscribe("forged", Utc::now())
                .await
                .unwrap()
        );
        let counts = db.store.email_counts().await.unwrap();
        assert_eq!((counts.sent, counts.gone, counts.pending), (2, 1, 0));
    })
    .await;
}
