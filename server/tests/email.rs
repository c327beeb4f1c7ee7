//! E-mail end to end against a real SMTP server (aiosmtpd on loopback):
//! double opt-in, the messages that arrive (headers, both parts, language,
//! zone, threading, RFC 8058 one-click unsubscribe), the links in them
//! followed over real HTTP, and bad input refused without a change.

#[path = "common.rs"]
mod common;
#[path = "support/pg.rs"]
mod pg;
#[path = "support/smtp.rs"]
mod smtp;

use std::net::SocketAddr;

use app::state::AppState;
use app::store::Store;
use leptos::prelude::LeptosOptions;
use serde_json::{Value, json};
use server::config::EmailArgs;
use server::email::Mailer;
use server::email::worker::EmailWorker;
use server::routes::email_api::EmailContext;
use smtp::SmtpSink;

struct Mail {
    state: AppState,
    base: String,
    http: reqwest::Client,
    worker: EmailWorker,
    token: String,
    _dir: tempfile::TempDir,
}

async fn start(sink: &SmtpSink) -> Mail {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
        .await
        .unwrap();
    let (token, hash) = app::auth::new_token("mq");
    store.create_api_token("tests", &hash).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let options = LeptosOptions::builder()
        .output_name("marquee")
        .site_root(dir.path().to_string_lossy().into_owned())
        .build();
    let mut state = AppState::new(options, store, &base);
    state.email_enabled = true;
    let demo = server::demo::conference(
        "demo",
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    );
    state
        .store
        .import_schedule(&demo, "test", "test")
        .await
        .unwrap();
    state.refresh_all().await.unwrap();
    let args = EmailArgs {
        smtp_url: Some(format!("smtp://127.0.0.1:{}?tls=none", sink.port)),
        mail_from: "Marquee <status@marquee.test>".into(),
        mail_connections: 4,
        mail_lease_secs: 30,
        mail_confirm_hours: 48,
    };
    let mailer = Mailer::from_args(&args, &base).unwrap().unwrap();
    let router = server::routes::build(state.clone()).layer(axum::Extension(EmailContext {
        mailer: mailer.clone(),
        confirm_hours: 48,
    }));
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Mail {
        worker: EmailWorker::new(state.clone(), mailer, args),
        state,
        base,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        token,
        _dir: dir,
    }
}

impl Mail {
    async fn post_json(&self, path: &str, body: Value, auth: bool) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if auth {
            req = req.bearer_auth(&self.token);
        }
        let res = req.send().await.unwrap();
        let code = res.status().as_u16();
        (code, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, url: &str) -> (u16, String) {
        let res = self.http.get(url).send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(url).form(form).send().await.unwrap()
    }

    /// Runs the worker until it has nothing left to do.
    async fn drain(&self) {
        for _ in 0..50 {
            if !self.worker.step().await.unwrap() {
                return;
            }
        }
        panic!("the mail worker never ran out of work");
    }

    fn track(&self, i: usize) -> String {
        self.state.read_model.get("demo").unwrap().schedule.tracks[i]
            .slug
            .clone()
    }
}

/// The first link in `text` that starts with `prefix`.
fn link(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    text[at..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .next()
        .unwrap()
        .to_owned()
}

fn header<'a>(m: &'a Value, name: &str) -> &'a str {
    m["headers"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {m}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_opt_in_then_threaded_translated_mail_then_one_click_unsubscribe() {
    let sink = SmtpSink::start();
    let t = start(&sink).await;

    // The panel offers it.
    let (code, page) = t.get(&format!("{}/e/demo/status", t.base)).await;
    assert_eq!(code, 200);
    assert!(
        page.contains("id=\"email-form\""),
        "no e-mail form on the status page"
    );

    // Bad input: named field, nothing stored, nothing sent.
    let path = "/api/v1/events/demo/email/subscriptions";
    for (body, field) in [
        (
            json!({"address": "not an address", "tracks": ["all"]}),
            "address",
        ),
        (
            json!({"address": "a@x.org\r\nBcc: b@x.org", "tracks": ["all"]}),
            "address",
        ),
        (
            json!({"address": "a@x.org", "tracks": ["no-such-track"]}),
            "tracks[0]",
        ),
        (json!({"address": "a@x.org", "tracks": []}), "tracks"),
        (
            json!({"address": "a@x.org", "tracks": ["all"], "lang": "de"}),
            "lang",
        ),
        (
            json!({"address": "a@x.org", "tracks": ["all"], "time_zone": "Mars/Base"}),
            "time_zone",
        ),
    ] {
        let (code, out) = t.post_json(path, body, false).await;
        assert_eq!(code, 422, "{out}");
        assert_eq!(out["error"]["field"], field, "{out}");
    }
    let (code, _) = t
        .post_json(
            "/api/v1/events/nope/email/subscriptions",
            json!({"address": "a@x.org", "tracks": ["all"]}),
            false,
        )
        .await;
    assert_eq!(code, 404);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(sink.messages().is_empty(), "a refused request sent mail");

    // Subscribe: French, New York time, one track.
    let track = t.track(0);
    let (code, out) = t
        .post_json(
            path,
            json!({"address": "Ada@Example.ORG", "tracks": [track], "lang": "fr", "time_zone": "America/New_York"}),
            false,
        )
        .await;
    assert_eq!(code, 202, "{out}");
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    let confirm_mail = &mails[0];
    assert_eq!(confirm_mail["rcpt_tos"], json!(["Ada@example.org"]));
    assert!(
        header(confirm_mail, "Subject").contains("Confirmez"),
        "{confirm_mail}"
    );
    assert_eq!(confirm_mail["content_type"], "multipart/alternative");
    let confirm = link(
        confirm_mail["text"].as_str().unwrap(),
        &format!("{}/email/confirm/", t.base),
    );
    assert!(confirm_mail["html"].as_str().unwrap().contains(&confirm));

    // Nothing is sent before confirming.
    let (code, out) = t
        .post_json(
            "/api/v1/events/demo/incidents",
            json!({"name": "Streams unavailable", "body": "The player shows nothing.", "impact": "major"}),
            true,
        )
        .await;
    assert_eq!(code, 201, "{out}");
    t.drain().await;
    assert_eq!(sink.messages().len(), 1, "mail before the confirmation");

    // GET shows a button and changes nothing (mail scanners open links).
    let (code, body) = t.get(&confirm).await;
    assert_eq!(code, 200);
    assert!(body.contains("<form method=\"post\""), "{body}");
    let (code, _) = t.get(&confirm).await;
    assert_eq!(code, 200, "a GET used the confirmation up");
    // A forged link is refused.
    let forged = format!("{}/email/confirm/mqc_{}", t.base, "0".repeat(64));
    assert_eq!(t.post_form(&forged, &[]).await.status().as_u16(), 404);
    // POST confirms, once.
    let res = t.post_form(&confirm, &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let manage = format!("{}{}", t.base, res.headers()["location"].to_str().unwrap());
    assert!(manage.contains("/email/manage/"), "{manage}");
    assert_eq!(
        t.post_form(&confirm, &[]).await.status().as_u16(),
        404,
        "a confirmation link worked twice"
    );
    let (code, body) = t.get(&manage).await;
    assert_eq!(code, 200);
    assert!(
        !body.contains("example.org"),
        "the manage page shows the address"
    );

    // An incident update (the whole event) reaches the subscriber.
    let incident = match &out["id"] {
        Value::String(s) => s.clone(),
        other => other.as_i64().expect("incident id").to_string(),
    };
    let (code, out) = t
        .post_json(
            &format!("/api/v1/events/demo/incidents/{incident}/updates"),
            json!({"status": "identified", "body": "A broken encoder."}),
            true,
        )
        .await;
    assert_eq!(code, 201, "{out}");
    t.drain().await;
    let mails = sink.wait_for(2).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    let m = &mails[1];
    assert_eq!(m["content_type"], "multipart/alternative");
    let text = m["text"].as_str().unwrap();
    let html = m["html"].as_str().unwrap();
    assert!(text.contains("A broken encoder"), "{text}");
    assert!(text.contains("Envoyé le"), "not in French: {text}");
    assert!(
        text.contains("America/New_York") && (text.contains(" EST") || text.contains(" EDT")),
        "{text}"
    );
    assert!(html.contains("A broken encoder"));
    let date = header(m, "Date");
    assert!(
        date.ends_with("-0500") || date.ends_with("-0400"),
        "Date not in the reader's zone: {date}"
    );
    assert!(header(m, "Message-ID").ends_with("@127.0.0.1>"));
    assert!(header(m, "In-Reply-To").starts_with("<incident-"), "{m}");
    assert_eq!(header(m, "References"), header(m, "In-Reply-To"));
    assert_eq!(
        header(m, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = header(m, "List-Unsubscribe")
        .trim_matches(['<', '>'])
        .to_owned();
    assert!(unsubscribe.starts_with(&format!("{}/email/unsubscribe/", t.base)));

    // A second update: the same thread.
    let (code, _) = t
        .post_json(
            &format!("/api/v1/events/demo/incidents/{incident}/updates"),
            json!({"status": "monitoring", "body": "Fixed; watching."}),
            true,
        )
        .await;
    assert_eq!(code, 201);
    t.drain().await;
    let mails = sink.wait_for(3).await;
    assert_eq!(
        header(&mails[2], "In-Reply-To"),
        header(&mails[1], "In-Reply-To")
    );
    assert_ne!(
        header(&mails[2], "Message-ID"),
        header(&mails[1], "Message-ID")
    );

    // The manage link in the mail: a bad zone changes nothing; English saves.
    let mail_manage = link(text, &format!("{}/email/manage/", t.base));
    let res = t
        .post_form(
            &mail_manage,
            &[
                ("scope", "all"),
                ("lang", "en"),
                ("time_zone", "Nowhere/City"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("time_zone"));
    let res = t
        .post_form(
            &mail_manage,
            &[
                ("scope", "all"),
                ("lang", "en"),
                ("time_zone", "Asia/Tokyo"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, body) = t.get(&mail_manage).await;
    assert!(body.contains("value=\"Asia/Tokyo\""), "{body}");

    // One click (RFC 8058): no cookie, no CSRF token; a GET only asks.
    let (code, body) = t.get(&unsubscribe).await;
    assert_eq!(code, 200);
    assert!(body.contains("<form method=\"post\""));
    let res = t
        .http
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (code, _) = t.get(&mail_manage).await;
    assert_eq!(code, 404, "the manage page still opens after unsubscribing");
    let (code, _) = t
        .post_json(
            &format!("/api/v1/events/demo/incidents/{incident}/updates"),
            json!({"status": "resolved", "body": "All good."}),
            true,
        )
        .await;
    assert_eq!(code, 201);
    t.drain().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 3, "mail after unsubscribing");
    let forged = format!("{}/email/unsubscribe/mqe_{}", t.base, "1".repeat(64));
    assert_eq!(t.post_form(&forged, &[]).await.status().as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_speaker_with_an_address_is_asked_by_mail_and_answers_without_javascript() {
    let sink = SmtpSink::start();
    let t = start(&sink).await;
    let view = t.state.read_model.get("demo").unwrap();
    let first = view
        .schedule
        .sessions
        .iter()
        .filter(|s| !s.pinned)
        .min_by_key(|s| s.start)
        .unwrap();
    let local = first.start.with_timezone(&view.tz);
    let (from, date) = (
        local.format("%H:%M").to_string(),
        local.format("%Y-%m-%d").to_string(),
    );
    let (code, out) = t
        .post_json(
            "/api/v1/events/demo/shifts",
            json!({"tracks": [first.track], "from": from, "by_minutes": 30, "date": date, "reason": "player down"}),
            true,
        )
        .await;
    assert_eq!(code, 201, "{out}");
    let shift_id = out["shift_id"].as_i64().or(out["id"].as_i64()).unwrap();
    // A speaker of a moved talk gets an address before the worker runs.
    let session = out["preview"]["moved"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| view.schedule.session(m["guid"].as_str().unwrap()))
        .find(|s| !s.speakers.is_empty())
        .expect("a moved talk with a speaker")
        .clone();
    let speaker = session.speakers[0].clone();
    assert!(
        t.state
            .store
            .set_speaker_email("demo", &speaker, Some("speaker@example.org"), Some("ru"))
            .await
            .unwrap()
    );
    t.drain().await;
    let mails = sink.wait_for(1).await;
    let mine: Vec<&Value> = mails
        .iter()
        .filter(|m| m["rcpt_tos"] == json!(["speaker@example.org"]))
        .collect();
    assert_eq!(mine.len(), 1, "{mails:?}");
    let m = mine[0];
    let text = m["text"].as_str().unwrap();
    assert!(text.contains(&session.title), "{text}");
    assert!(header(m, "In-Reply-To").starts_with(&format!("<shift-{shift_id}.e")));
    assert!(
        m["headers"].get("List-Unsubscribe").is_none(),
        "a speaker is no list subscriber"
    );
    let answer = link(text, &format!("{}/email/answer/", t.base));
    let (code, body) = t.get(&answer).await;
    assert_eq!(code, 200);
    assert!(
        body.contains("value=\"confirm\"") && body.contains("value=\"decline\""),
        "{body}"
    );
    assert!(
        t.state
            .store
            .speaker_answers(shift_id)
            .await
            .unwrap()
            .is_empty(),
        "a GET answered"
    );
    let res = t.post_form(&answer, &[("answer", "decline")]).await;
    assert_eq!(res.status().as_u16(), 200);
    let answers = t.state.store.speaker_answers(shift_id).await.unwrap();
    assert_eq!(
        answers.get(&speaker).map(|a| a.0),
        Some(app::store::Answer::Declined)
    );
    let res = t.post_form(&answer, &[("answer", "maybe")]).await;
    assert_eq!(res.status().as_u16(), 422);
}

#[tokio::test]
async fn without_an_smtp_server_email_is_neither_offered_nor_accepted() {
    let t = common::app_with_demo().await;
    let page = common::body_string(t.get("/e/demo/status").await).await;
    assert!(!page.contains("email-form"));
    assert!(
        page.contains("id=\"updates\""),
        "the panel is there (push, feeds)"
    );
    assert!(page.contains("/e/demo/incidents.atom"));
    let res = t
        .send(
            axum::http::Request::post("/api/v1/events/demo/email/subscriptions")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(
                    r#"{"address":"a@x.org","tracks":["all"]}"#,
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), 404);
}

/// Two confirmed subscribers: `a` mailed again a day later (a newer link),
/// `b` unsubscribed. Pruning keeps every link while it may still be
/// followed, then drops `a`'s replaced link and `b`'s, never `a`'s newest.
async fn links_are_pruned_on(store: Store) {
    use app::store::{NewEmailLink, NewEmailSubscriber, SubscribeOutcome};
    let demo = server::demo::conference(
        "demo",
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    );
    store.import_schedule(&demo, "test", "test").await.unwrap();
    let now = chrono::Utc::now();
    let day = chrono::Duration::days(1);
    let mut ids = Vec::new();
    for who in ["a", "b"] {
        let sub = NewEmailSubscriber {
            event_slug: "demo".into(),
            address: format!("{who}@example.org"),
            all_tracks: true,
            tracks: Default::default(),
            lang: "en".into(),
            time_zone: "Europe/Berlin".into(),
        };
        let confirm = format!("confirm-{who}");
        let SubscribeOutcome::Pending(id) = store
            .email_subscribe(&sub, &confirm, now + day, now)
            .await
            .unwrap()
        else {
            panic!("a new address is pending")
        };
        let confirmed = store
            .email_confirm(&confirm, &format!("{who}1"), now)
            .await
            .unwrap();
        assert_eq!(confirmed.as_deref(), Some("demo"));
        ids.push(id);
    }
    store
        .store_email_links(
            &[NewEmailLink::Manage {
                token_hash: "a2".into(),
                subscriber_id: ids[0],
            }],
            now + day,
        )
        .await
        .unwrap();
    assert!(store.email_unsubscribe("b1", now).await.unwrap());

    assert_eq!(
        store
            .prune_email_links(now + chrono::Duration::days(20))
            .await
            .unwrap(),
        0
    );
    assert!(store.email_subscription("a1").await.unwrap().is_some());
    assert!(
        store
            .email_unsubscribe("b1", now + chrono::Duration::days(20))
            .await
            .unwrap(),
        "an RFC 8058 retry weeks later is still known"
    );

    let counts = store
        .prune_push(now + chrono::Duration::days(100))
        .await
        .unwrap();
    assert_eq!(counts.email_links, 2, "{counts:?}");
    assert!(store.email_subscription("a1").await.unwrap().is_none());
    assert!(
        store.email_subscription("a2").await.unwrap().is_some(),
        "the newest link of a running subscription always works"
    );
    assert!(
        !store
            .email_unsubscribe("b1", now + chrono::Duration::days(100))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .prune_email_links(now + chrono::Duration::days(400))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn replaced_and_ended_links_are_pruned_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}/t.db", dir.path().display()))
        .await
        .unwrap();
    links_are_pruned_on(store).await;
}

#[tokio::test]
async fn replaced_and_ended_links_are_pruned_on_postgres() {
    let Some(db) = pg::PgDb::fresh("mq_email_links") else {
        return;
    };
    let store = Store::connect(&db.url).await.unwrap();
    links_are_pruned_on(store.clone()).await;
    store.close().await;
}

/// A subscriber as the form would make it (already checked).
fn subscriber(address: &str) -> app::store::NewEmailSubscriber {
    app::store::NewEmailSubscriber {
        event_slug: "demo".into(),
        address: address.into(),
        all_tracks: true,
        tracks: Default::default(),
        lang: "en".into(),
        time_zone: "Europe/Berlin".into(),
    }
}

#[tokio::test]
async fn the_organisers_email_page_counts_masks_and_never_shows_credentials() {
    use app::domain::push::DeliveryState;
    use app::store::EmailOutcome;
    let mut t = common::app_with_demo().await;
    let (cookie, _) = common::sign_in(&t).await;
    let store = t.state.store.clone();
    let now = chrono::Utc::now();
    let later = now + chrono::Duration::days(1);
    for (who, confirm, end) in [
        ("alice", true, false),
        ("bob", false, false),
        ("carol", true, true),
    ] {
        let address = format!("{who}@example.org");
        store
            .email_subscribe(&subscriber(&address), &format!("c-{who}"), later, now)
            .await
            .unwrap();
        if confirm {
            store
                .email_confirm(&format!("c-{who}"), &format!("l-{who}"), now)
                .await
                .unwrap()
                .unwrap();
        }
        if end {
            assert!(
                store
                    .email_unsubscribe(&format!("l-{who}"), now)
                    .await
                    .unwrap()
            );
        }
    }
    // An incident: one notice, mailed to the one running subscription,
    // which the server refuses for good.
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({ "name": "Streams down", "body": "Nothing plays.", "impact": "major" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    while store
        .email_fan_out_step(100, chrono::Utc::now())
        .await
        .unwrap()
        > 0
    {}
    let due = store
        .claim_emails(10, chrono::Utc::now(), 30, "board-test")
        .await
        .unwrap();
    assert_eq!(due.len(), 1, "alice only");
    store
        .record_emails(
            &[EmailOutcome {
                delivery_id: due[0].delivery_id,
                state: DeliveryState::Failed,
                next_at: now,
                detail: Some("SMTP 550; gave up".into()),
            }],
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    let dashboard = common::page(&t, &cookie, "/admin/e/demo").await;
    assert!(
        dashboard.contains("href=\"/admin/e/demo/email\""),
        "linked from the dashboard"
    );
    let html = common::page(&t, &cookie, "/admin/e/demo/email").await;
    assert!(
        html.contains("data-configured=\"false\""),
        "no SMTP server here"
    );
    for (id, n) in [
        ("subscribers-confirmed", 1),
        ("subscribers-pending", 1),
        ("subscribers-unsubscribed", 1),
        ("deliveries-failed", 1),
        ("deliveries-sent", 0),
    ] {
        assert!(
            html.contains(&format!("data-testid=\"{id}\">{n}<")),
            "{id} = {n} in {html}"
        );
    }
    assert!(html.contains("data-testid=\"email-delivery\" data-state=\"failed\""));
    assert!(html.contains("a***@example.org"), "{html}");
    assert!(html.contains("SMTP 550") && !html.contains("gave up"));
    for who in ["alice", "bob", "carol"] {
        assert!(
            !html.contains(&format!("{who}@")),
            "{who}'s address on the page"
        );
    }
    // Not linked for the public, nor shown to anyone signed out.
    let res = t.get("/admin/e/demo/email").await;
    assert_ne!(res.status(), 200);

    // With an SMTP server configured: where and how, never the password.
    let args = EmailArgs {
        smtp_url: Some("smtp://mailer:s3cret-pw@127.0.0.1:2525?tls=none".into()),
        mail_from: "Marquee <status@marquee.test>".into(),
        mail_connections: 8,
        mail_lease_secs: 30,
        mail_confirm_hours: 48,
    };
    let mailer = Mailer::from_args(&args, "http://marquee.test")
        .unwrap()
        .unwrap();
    t.router = t.router.clone().layer(axum::Extension(EmailContext {
        mailer,
        confirm_hours: 48,
    }));
    let html = common::page(&t, &cookie, "/admin/e/demo/email").await;
    assert!(html.contains("data-configured=\"true\""), "{html}");
    assert!(html.contains("127.0.0.1:2525") && html.contains("status@marquee.test"));
    assert!(
        !html.contains("s3cret") && !html.contains("mailer:"),
        "{html}"
    );
}

#[tokio::test]
async fn the_speakers_page_shows_the_language_a_speaker_is_mailed_in() {
    let t = common::app_with_demo().await;
    let (cookie, _) = common::sign_in(&t).await;
    let key = t.state.read_model.get("demo").unwrap().schedule.speakers[0]
        .key
        .clone();
    let html = common::page(&t, &cookie, "/admin/e/demo/speakers").await;
    let form = |html: &str| {
        let at = html.find(&format!("id=\"email-{key}-lang\"")).unwrap();
        html[at..].split("</select>").next().unwrap().to_owned()
    };
    assert!(!form(&html).contains("selected"), "{}", form(&html));
    assert!(
        t.state
            .store
            .set_speaker_email("demo", &key, Some("speaker@example.org"), Some("fr"))
            .await
            .unwrap()
    );
    t.state.refresh_all().await.unwrap();
    let html = common::page(&t, &cookie, "/admin/e/demo/speakers").await;
    let select = form(&html);
    let selected: Vec<&str> = select
        .split("<option")
        .filter(|o| o.contains("selected"))
        .collect();
    assert_eq!(selected.len(), 1, "{select}");
    assert!(selected[0].contains("value=\"fr\""), "{select}");
}
