//! Public reads: pages, exports with ETag/304, the import→export round trip
//! checked by the C3VOC validators, and health.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{FIXTURES, app, body_json, body_string, fixture};

fn tool(env: &str, default: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| default.to_owned())
}

fn validate(cmd: &str, args: &[&str]) {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is missing ({e}); run `make test`, which installs it"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn pretalx_democon_round_trips_to_exports_that_validate() {
    let t = app().await;
    assert_eq!(
        t.import("democon", fixture("pretalx-democon.json"))
            .await
            .status(),
        StatusCode::OK
    );
    let dir = tempfile::tempdir().unwrap();

    let res = t.get("/e/democon/schedule.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let json = body_string(res).await;
    let json_path = dir.path().join("schedule.json");
    std::fs::write(&json_path, &json).unwrap();
    validate(
        &tool("CHECK_JSONSCHEMA", "check-jsonschema"),
        &[
            "--schemafile",
            &format!("{FIXTURES}/schema.json"),
            json_path.to_str().unwrap(),
        ],
    );

    let res = t.get("/e/democon/schedule.xml").await;
    assert_eq!(res.status(), StatusCode::OK);
    let xml = body_string(res).await;
    let xml_path = dir.path().join("schedule.xml");
    std::fs::write(&xml_path, &xml).unwrap();
    validate(
        &tool("XMLLINT", "xmllint"),
        &[
            "--noout",
            "--schema",
            &format!("{FIXTURES}/schedule.xml.xsd"),
            xml_path.to_str().unwrap(),
        ],
    );

    // The export imports back into an identical schedule (no new version).
    let again = body_json(t.import("democon", json.into_bytes()).await).await;
    assert_eq!(again["changed"], false, "{again}");
    let again = body_json(t.import("democon", xml.into_bytes()).await).await;
    assert_eq!(again["changed"], false, "{again}");
}

#[tokio::test]
async fn exports_carry_an_etag_and_answer_304_until_the_schedule_changes() {
    let t = app().await;
    t.import("democon", fixture("pretalx-democon.json")).await;
    let res = t.get("/e/democon/schedule.json").await;
    let etag = res.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert!(
        res.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let cond = |tag: String| {
        Request::get("/e/democon/schedule.json")
            .header(header::IF_NONE_MATCH, tag)
            .body(Body::empty())
            .unwrap()
    };
    let res = t.send(cond(etag.clone())).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(body_string(res).await.is_empty());
    // XML has its own tag.
    let xml_etag = t.get("/e/democon/schedule.xml").await.headers()[header::ETAG].clone();
    assert_ne!(xml_etag.to_str().unwrap(), etag);

    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("pretalx-democon.json")).unwrap();
    doc["schedule"]["conference"]["title"] = "Renamed".into();
    t.import("democon", serde_json::to_vec(&doc).unwrap()).await;
    let res = t.send(cond(etag.clone())).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a changed schedule must not be 304"
    );
    assert_ne!(res.headers()[header::ETAG].to_str().unwrap(), etag);
    let body = body_json(res).await;
    assert_eq!(body["schedule"]["conference"]["title"], "Renamed");
    assert_eq!(body["schedule"]["version"], "2");
}

#[tokio::test]
async fn unknown_events_are_404_for_exports_and_pages() {
    let t = app().await;
    let res = t.get("/e/nope/schedule.json").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(res).await["error"]["code"], "not_found");
    assert_eq!(
        t.get("/e/nope/schedule.xml").await.status(),
        StatusCode::NOT_FOUND
    );
    let res = t.get("/e/nope").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        body_string(res)
            .await
            .contains("There is no event at this address.")
    );
}

#[tokio::test]
async fn the_schedule_page_is_server_rendered_in_the_requested_language() {
    let t = app().await;
    let demo = server::demo::conference(
        "demo",
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    );
    t.state
        .store
        .import_schedule(&demo, "test", "test")
        .await
        .unwrap();
    t.state.refresh_event("demo").await.unwrap();

    let res = t.get("/e/demo").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("stale-while-revalidate")
    );
    let etag = res.headers()[header::ETAG].clone();
    let html = body_string(res).await;
    let req = Request::get("/e/demo")
        .header(header::IF_NONE_MATCH, etag)
        .body(Body::empty())
        .unwrap();
    let revalidated = t.send(req).await;
    assert_eq!(
        revalidated.status(),
        StatusCode::NOT_MODIFIED,
        "an unchanged page revalidates with 304"
    );
    assert!(body_string(revalidated).await.is_empty());
    assert!(
        html.contains("<html lang=\"en\""),
        "{}",
        &html[..200.min(html.len())]
    );
    assert_eq!(html.matches("<article data-guid=").count(), 24);
    assert!(html.contains("Keeping the show on when everything is on fire"));
    assert!(html.contains("Times in Europe/Moscow (+03:00)"));

    let req = Request::get("/e/demo")
        .header(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.5")
        .body(Body::empty())
        .unwrap();
    let html = body_string(t.send(req).await).await;
    assert!(html.contains("<html lang=\"zh\""));
    assert!(html.contains("日程"));

    let res = t.get("/e/demo?lang=ru").await;
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("lang=ru;"), "{cookie}");
    assert!(body_string(res).await.contains("Расписание"));

    let guid = &demo.sessions[0].guid;
    let res = t.get(&format!("/e/demo/talk/{guid}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body_string(res).await;
    assert!(html.contains("<strong>Keeping the show on when everything is on fire.</strong>"));
    assert_eq!(
        t.get("/e/demo/talk/nope").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn healthz_reports_the_database_and_event_count() {
    let t = app().await;
    let res = t.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = body_json(res).await;
    assert_eq!(h["status"], "ok");
    assert_eq!(h["database"], "ok");
    assert_eq!(h["events"], 0);
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let t = app().await;
    t.import("democon", fixture("pretalx-democon.json")).await;
    for enc in ["br", "gzip"] {
        let req = Request::get("/e/democon/schedule.json")
            .header(header::ACCEPT_ENCODING, enc)
            .body(Body::empty())
            .unwrap();
        let res = t.send(req).await;
        assert_eq!(res.headers()[header::CONTENT_ENCODING], enc);
    }
}
