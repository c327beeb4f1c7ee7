//! Speaker pages behind secret links.

mod common;

use axum::http::{StatusCode, header};
use common::{app_with_demo, body_string};

#[tokio::test]
async fn a_speaker_link_opens_their_page_and_reissuing_revokes_the_old_one() {
    let t = app_with_demo().await;
    let view = t.state.read_model.get("demo").unwrap();
    let anna = view
        .schedule
        .speakers
        .iter()
        .find(|s| s.name == "Anna Volkova")
        .unwrap()
        .key
        .clone();
    let (token, hash) = app::auth::new_token("sp");
    t.state
        .store
        .issue_speaker_link("demo", &anna, &hash)
        .await
        .unwrap();

    let res = t.get(&format!("/s/{token}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "private, no-store");
    let html = body_string(res).await;
    assert!(html.contains("Hello, Anna Volkova"));
    // Anna talks in three tracks: the keynote, a Track 4 talk and the panel.
    for title in [
        "Keeping the show on when everything is on fire",
        "Rust on the server and in the browser",
        "Closing panel: the next conference",
    ] {
        assert!(html.contains(title), "{title}");
    }
    assert!(
        !html.contains("Postmortems without blame"),
        "only her own sessions"
    );

    assert_eq!(t.get("/s/sp_wrong").await.status(), StatusCode::NOT_FOUND);
    let (token2, hash2) = app::auth::new_token("sp");
    t.state
        .store
        .issue_speaker_link("demo", &anna, &hash2)
        .await
        .unwrap();
    assert_eq!(
        t.get(&format!("/s/{token}")).await.status(),
        StatusCode::NOT_FOUND,
        "the old link is revoked"
    );
    assert_eq!(
        t.get(&format!("/s/{token2}")).await.status(),
        StatusCode::OK
    );
    let err = t
        .state
        .store
        .issue_speaker_link("demo", "nobody", &app::auth::new_token("sp").1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, app::error::AppError::Invalid { ref field, .. } if field == "speaker"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_speaker_page_counts_down_to_the_next_session() {
    let t = app().await;
    // A demo on a day far ahead, so the next session is in the future.
    let date = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    let demo = server::demo::conference("later", date);
    t.state
        .store
        .import_schedule(&demo, "test", "test")
        .await
        .unwrap();
    t.state.after_write("later").await.unwrap();
    let key = demo.speakers[1].key.clone();
    let (token, hash) = app::auth::new_token("sp");
    t.state
        .store
        .issue_speaker_link("later", &key, &hash)
        .await
        .unwrap();
    let html = body_string(t.get(&format!("/s/{token}")).await).await;
    assert!(html.contains("You are on in "), "{html}");
    assert!(html.contains("data-testid=\"starts-in\""));
}

use common::app;
