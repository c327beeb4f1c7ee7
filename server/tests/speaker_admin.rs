//! The organiser side of speakers: the speakers page shows and re-issues
//! secret links (a new URL is shown once), and each applied shift has a
//! confirmation board that fills as speakers answer through their links.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{app_with_demo, page, post_form, sign_in};
use serde_json::json;

/// The `/s/…` token in a page, if one is shown.
fn shown_token(html: &str) -> Option<String> {
    let at = html.find("/s/sp_")?;
    let rest = &html[at + 3..];
    Some(rest[..rest.find('"').unwrap()].to_owned())
}

#[tokio::test]
async fn organisers_issue_links_and_see_who_confirmed_a_shift() {
    let t = app_with_demo().await;
    let (cookie, csrf) = sign_in(&t).await;
    let schedule = t.state.read_model.get("demo").unwrap().schedule.clone();
    let talk = schedule
        .sessions
        .iter()
        .find(|s| s.track == "track-2" && !s.speakers.is_empty())
        .unwrap()
        .clone();
    let key = talk.speakers[0].clone();
    let name = schedule.speaker(&key).unwrap().name.clone();

    let html = page(&t, &cookie, "/admin/e/demo/speakers").await;
    assert!(html.contains(&name) && html.contains("No link yet"));
    assert!(shown_token(&html).is_none());
    let action = format!("/admin/e/demo/speakers/{key}/link");
    assert_eq!(
        post_form(&t, &cookie, &action, "csrf=forged".into()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_form(&t, &cookie, &action, format!("csrf={csrf}")).await,
        StatusCode::SEE_OTHER
    );
    // Shown once, then only the fact that a link exists.
    let html = page(&t, &cookie, "/admin/e/demo/speakers").await;
    let token = shown_token(&html).expect("the new link is shown");
    let again = page(&t, &cookie, "/admin/e/demo/speakers").await;
    assert!(shown_token(&again).is_none(), "a link is shown only once");
    assert!(again.contains("Link issued"));
    assert_eq!(t.get(&format!("/s/{token}")).await.status(), StatusCode::OK);

    // A shift moves the talk; the board lists the speaker, unanswered.
    let res = t
        .json(
            "POST",
            "/api/v1/events/demo/shifts",
            json!({"tracks": ["track-2"], "from": "17:00", "by_minutes": 20, "date": "2026-11-23", "reason": "player down"}),
        )
        .await;
    let status = res.status();
    let out = common::body_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let shift_id = out["shift_id"].as_i64().unwrap();
    let board = format!("/admin/e/demo/shifts/{shift_id}");
    let html = page(&t, &cookie, &board).await;
    assert!(
        html.contains(&format!("data-speaker=\"{key}\" data-answer=\"none\"")),
        "{html}"
    );
    assert!(html.contains("0 confirmed"), "counts missing");
    // The history links to it.
    assert!(
        page(&t, &cookie, "/admin/e/demo/shift")
            .await
            .contains(&board)
    );

    // The speaker confirms through their link; the board shows it.
    let res = t
        .send(
            Request::post(format!("/s/{token}/answer"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"shift_id": shift_id, "answer": "confirm"}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = page(&t, &cookie, &board).await;
    assert!(
        html.contains(&format!("data-speaker=\"{key}\" data-answer=\"confirmed\"")),
        "{html}"
    );
    assert!(html.contains("1 confirmed"));
    // From the page's form (no JavaScript) a bad field is named; a good
    // answer goes back to the page.
    let form = |body: String| {
        Request::post(format!("/s/{token}/answer"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let res = t.send(form("shift_id=soon&answer=decline".into())).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err = common::body_json(res).await;
    assert_eq!(err["error"]["field"], "shift_id", "{err}");
    let res = t.send(form(format!("shift_id={shift_id}"))).await;
    assert_eq!(common::body_json(res).await["error"]["field"], "answer");
    let res = t
        .send(form(format!("shift_id={shift_id}&answer=decline")))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = page(&t, &cookie, &board).await;
    assert!(html.contains(&format!("data-speaker=\"{key}\" data-answer=\"declined\"")));

    // Re-issuing revokes the old link.
    assert_eq!(
        post_form(&t, &cookie, &action, format!("csrf={csrf}")).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        t.get(&format!("/s/{token}")).await.status(),
        StatusCode::NOT_FOUND
    );
    // Unknown shifts and anonymous visitors get nothing.
    let res = t
        .send(
            Request::get("/admin/e/demo/shifts/999")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(t.get(&board).await.status(), StatusCode::SEE_OTHER);
}
