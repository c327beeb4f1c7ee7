//! Who may do what, in the store: accounts (the first an admin, later ones
//! members), roles on events, removal ending sessions; tokens limited,
//! expiring, revoked and listed; speaker links that expire and, re-issued,
//! cut off the subscriptions made with the old one. On SQLite and (when
//! configured) PostgreSQL.
#![cfg(feature = "ssr")]

use app::domain::access::{Action, Principal, Role};
use app::domain::push::Audience;
use app::error::AppError;
use app::store::NewApiToken;
use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyPool, Row};

#[path = "support/backends.rs"]
mod backends;
#[path = "support/conf.rs"]
mod conf;

use backends::{Db, on_each_backend};
use conf::{imported, shift};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
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

#[tokio::test]
async fn the_first_account_is_an_admin_and_later_ones_act_where_granted() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let s = &db.store;
        let first = s.add_user("first@example.org", "h").await.unwrap();
        let second = s.add_user("second@example.org", "h").await.unwrap();
        s.add_user_as("third@example.org", "h", true).await.unwrap();
        let later = Utc::now() + Duration::hours(1);
        s.create_login_session(first, "t1", "c1", later)
            .await
            .unwrap();
        s.create_login_session(second, "t2", "c2", later)
            .await
            .unwrap();
        let now = Utc::now();

        let admin = s.find_login_session("t1", now).await.unwrap().unwrap();
        assert_eq!(admin.access, Principal::admin());
        let member = s.find_login_session("t2", now).await.unwrap().unwrap();
        assert_eq!(member.access, Principal::user(false, []));
        assert!(member.access.check(Action::View, "conf").is_err());

        s.grant_role("second@example.org", "conf", Role::Scheduler)
            .await
            .unwrap();
        let member = s.find_login_session("t2", now).await.unwrap().unwrap();
        assert_eq!(member.access.role_on("conf"), Some(Role::Scheduler));
        assert!(member.access.may(Action::Schedule, "conf"));
        assert!(!member.access.may(Action::Incidents, "conf"));
        // Granting again replaces the role.
        s.grant_role("second@example.org", "conf", Role::Viewer)
            .await
            .unwrap();
        let users = s.list_users().await.unwrap();
        let emails: Vec<(&str, bool)> = users.iter().map(|u| (u.email.as_str(), u.admin)).collect();
        assert_eq!(
            emails,
            [
                ("first@example.org", true),
                ("second@example.org", false),
                ("third@example.org", true)
            ]
        );
        assert_eq!(users[1].memberships, [("conf".to_owned(), Role::Viewer)]);

        // Unknown user or event: a clear not-found, nothing stored.
        for (email, event) in [
            ("nobody@example.org", "conf"),
            ("second@example.org", "nope"),
        ] {
            let err = s.grant_role(email, event, Role::Owner).await.unwrap_err();
            assert!(matches!(err, AppError::NotFound { .. }), "{err:?}");
        }
        assert!(s.revoke_role("second@example.org", "conf").await.unwrap());
        assert!(!s.revoke_role("second@example.org", "conf").await.unwrap());
        assert!(s.list_users().await.unwrap()[1].memberships.is_empty());
    })
    .await;
}

#[tokio::test]
async fn removing_a_user_ends_their_sessions_and_roles() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let s = &db.store;
        s.add_user("admin@example.org", "h").await.unwrap();
        let id = s.add_user("gone@example.org", "h").await.unwrap();
        s.grant_role("gone@example.org", "conf", Role::Owner)
            .await
            .unwrap();
        s.create_login_session(id, "tok", "csrf", Utc::now() + Duration::hours(1))
            .await
            .unwrap();
        assert!(s.remove_user("gone@example.org").await.unwrap());
        assert!(
            s.find_login_session("tok", Utc::now())
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.find_user("gone@example.org").await.unwrap().is_none());
        assert_eq!(
            count(&db, "select count(*) as n from event_member").await,
            0
        );
        assert_eq!(
            count(&db, "select count(*) as n from login_session").await,
            0
        );
        assert!(!s.remove_user("gone@example.org").await.unwrap());
        assert_eq!(s.list_users().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn tokens_are_limited_expire_and_are_revoked() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let s = &db.store;
        let now = at("2026-11-23T12:00:00Z");
        let scoped = NewApiToken {
            name: "ci".into(),
            token_hash: "h-scoped".into(),
            event: Some("conf".into()),
            role: Some(Role::Communicator),
            expires_at: Some(now + Duration::days(30)),
        };
        let id = s.create_limited_api_token(&scoped).await.unwrap();
        s.create_api_token("ci", "h-full").await.unwrap();

        let t = s.find_api_token("h-scoped", now).await.unwrap().unwrap();
        assert_eq!(t.api_token_id, id);
        assert_eq!(t.event.as_deref(), Some("conf"));
        assert_eq!(t.role, Some(Role::Communicator));
        assert!(t.principal().may(Action::Incidents, "conf"));
        assert!(!t.principal().may(Action::Schedule, "conf"));
        assert!(!t.principal().may(Action::Incidents, "other"));
        let full = s.find_api_token("h-full", now).await.unwrap().unwrap();
        assert_eq!(full.principal(), Principal::admin());

        // Expired: no longer found, and its last use stays as it was.
        let after = now + Duration::days(30);
        assert!(s.find_api_token("h-scoped", after).await.unwrap().is_none());
        let listed = s.list_api_tokens().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].last_used_at, Some(now));
        assert!(!listed[0].is_live(after) && listed[1].is_live(after));

        // A token for an unknown event is refused, naming the field.
        let err = s
            .create_limited_api_token(&NewApiToken {
                event: Some("nope".into()),
                token_hash: "h-x".into(),
                ..scoped.clone()
            })
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid { field, .. } if field == "event"),
            "{err:?}"
        );

        // Two live tokens named "ci": the name is ambiguous, the id is not.
        let err = s.revoke_api_token("ci", now).await.unwrap_err();
        assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
        let revoked = s.revoke_api_token(&id.to_string(), now).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(now));
        // Now one live "ci" is left, and the name finds it.
        let full_revoked = s.revoke_api_token("ci", now).await.unwrap();
        assert_eq!(full_revoked.name, "ci");
        assert_ne!(full_revoked.api_token_id, id);
        assert!(s.find_api_token("h-full", now).await.unwrap().is_none());
        let err = s.revoke_api_token("ci", now).await.unwrap_err();
        assert!(matches!(err, AppError::NotFound { .. }), "{err:?}");
        assert_eq!(
            count(
                &db,
                "select count(*) as n from api_token where revoked_at is not null"
            )
            .await,
            2
        );
    })
    .await;
}

#[tokio::test]
async fn speaker_links_expire_a_week_after_the_event() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let s = &db.store;
        // The fixture's last day is 2026-11-23 in Moscow: over at 21:00 UTC.
        s.issue_speaker_link_at("conf", "anna", "link-1", at("2026-11-20T10:00:00Z"))
            .await
            .unwrap();
        let link = s.find_speaker_link("link-1").await.unwrap().unwrap();
        assert_eq!(link.expires_at, at("2026-11-30T21:00:00Z"));
        assert!(link.is_live(at("2026-11-30T20:59:59Z")));
        assert!(!link.is_live(at("2026-11-30T21:00:00Z")));
        // Issued long after the event: it still gets the week from then.
        s.issue_speaker_link_at("conf", "anna", "link-2", at("2027-03-01T00:00:00Z"))
            .await
            .unwrap();
        let link = s.find_speaker_link("link-2").await.unwrap().unwrap();
        assert_eq!(link.expires_at, at("2027-03-08T00:00:00Z"));
        assert!(
            s.find_speaker_link("link-1").await.unwrap().is_none(),
            "revoked"
        );
    })
    .await;
}

#[tokio::test]
async fn reissuing_a_speaker_link_cuts_off_subscriptions_made_with_the_old_one() {
    on_each_backend(|db| async move {
        imported(&db).await;
        let s = &db.store;
        let key = s.add_vapid_key("priv", "pub", false).await.unwrap();
        s.issue_speaker_link("conf", "anna", "old-link").await.unwrap();
        let sub = |endpoint: &str, speaker: Option<&str>| app::store::NewSubscription {
            event_slug: "conf".into(),
            endpoint: endpoint.into(),
            p256dh: "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8".into(),
            auth: "xS03Fi5ErfTNH_l9WHE9Ig".into(),
            vapid_key_id: key.id,
            audience: Audience {
                speaker: speaker.map(str::to_owned),
                tracks: ["track-2".to_owned()].into(),
                ..Default::default()
            },
            lang: "en".into(),
            time_zone: "Europe/Moscow".into(),
        };
        // Whoever holds the old link subscribed with it; an attendee did not.
        s.upsert_subscription(&sub("https://push.example/leaked", Some("anna")))
            .await
            .unwrap();
        s.upsert_subscription(&sub("https://push.example/attendee", None))
            .await
            .unwrap();
        s.issue_speaker_link("conf", "anna", "new-link").await.unwrap();

        // A shift of track 2 moves anna's b2: it concerns both audiences.
        s.apply_shift("conf", &shift(&["track-2"], "17:25", 30), "org", "late")
            .await
            .unwrap();
        while s.fan_out_step(100, Utc::now()).await.unwrap() > 0 {}
        let delivered = |endpoint: &'static str| {
            let db = &db;
            async move {
                count(
                    db,
                    &format!(
                        "select count(*) as n from push_delivery d join push_subscription p \
                         on p.push_subscription_id = d.push_subscription_id \
                         where p.endpoint = '{endpoint}'"
                    ),
                )
                .await
            }
        };
        assert_eq!(delivered("https://push.example/leaked").await, 0);
        assert_eq!(delivered("https://push.example/attendee").await, 1);

        // Anna re-subscribing with her new link hears again.
        s.upsert_subscription(&sub("https://push.example/anna-again", Some("anna")))
            .await
            .unwrap();
        s.apply_shift("conf", &shift(&["track-2"], "17:25", 10), "org", "later")
            .await
            .unwrap();
        while s.fan_out_step(100, Utc::now()).await.unwrap() > 0 {}
        assert!(delivered("https://push.example/anna-again").await >= 1);
        assert_eq!(delivered("https://push.example/leaked").await, 0);
    })
    .await;
}
