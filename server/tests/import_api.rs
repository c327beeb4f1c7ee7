//! The import endpoint over HTTP: auth, every kind of bad input, idempotent
//! re-import, update in place, and nothing lost on failure.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{app, body_json, fixture};

#[tokio::test]
async fn import_without_or_with_a_bad_token_is_401_and_changes_nothing() {
    let t = app().await;
    let res = t
        .send(
            Request::post("/api/v1/events/democon/import")
                .body(Body::from(fixture("pretalx-democon.json")))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(res).await["error"]["code"], "unauthorized");
    let res = t
        .send(
            Request::post("/api/v1/events/democon/import")
                .header("authorization", "Bearer mq_0000")
                .body(Body::from(fixture("pretalx-democon.json")))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(t.state.store.list_events().await.unwrap().is_empty());
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing_the_second_time() {
    let t = app().await;
    let res = t.import("democon", fixture("pretalx-democon.json")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let first = body_json(res).await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["created_event"], true);
    assert_eq!(first["skipped"].as_array().unwrap().len(), 0);
    let sessions = first["sessions"].as_u64().unwrap();
    assert!(sessions > 10, "{first}");

    let second = body_json(t.import("democon", fixture("pretalx-democon.json")).await).await;
    assert_eq!(second["version"], 1);
    assert_eq!(second["changed"], false);
    assert_eq!(
        t.state
            .store
            .schedule_versions("democon")
            .await
            .unwrap()
            .len(),
        1
    );
    // The public read model was refreshed by the import.
    let view = t
        .state
        .read_model
        .get("democon")
        .expect("in the read model");
    assert_eq!(view.schedule.sessions.len() as u64, sessions);
}

#[tokio::test]
async fn a_changed_file_updates_in_place_and_records_a_version() {
    let t = app().await;
    t.import("democon", fixture("pretalx-democon.json")).await;
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("pretalx-democon.json")).unwrap();
    // Rename the first talk of the first day's first room.
    let rooms = doc["schedule"]["conference"]["days"][0]["rooms"]
        .as_object_mut()
        .unwrap();
    let first_room = rooms
        .values_mut()
        .find(|v| !v.as_array().unwrap().is_empty())
        .unwrap();
    let guid = first_room[0]["guid"].as_str().unwrap().to_owned();
    first_room[0]["title"] = "A new title".into();
    let res = t.import("democon", serde_json::to_vec(&doc).unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let out = body_json(res).await;
    assert_eq!(out["version"], 2);
    assert_eq!(out["diff"]["changed"][0]["guid"], guid);
    assert_eq!(out["diff"]["changed"][0]["fields"][0], "title");
    let versions = t.state.store.schedule_versions("democon").await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].actor, "token:tests");
    let s = t.state.read_model.get("democon").unwrap();
    assert_eq!(s.schedule.session(&guid).unwrap().title, "A new title");
}

#[tokio::test]
async fn malformed_files_are_422_naming_the_place_and_leave_the_database_as_it_was() {
    let t = app().await;
    t.import("democon", fixture("pretalx-democon.json")).await;
    let before = t.state.store.load_schedule("democon").await.unwrap();

    let mut wrong_type: serde_json::Value =
        serde_json::from_slice(&fixture("pretalx-democon.json")).unwrap();
    wrong_type["schedule"]["conference"]["days"] = "nope".into();
    let mut bad_duration: serde_json::Value =
        serde_json::from_slice(&fixture("pretalx-democon.json")).unwrap();
    let rooms = bad_duration["schedule"]["conference"]["days"][0]["rooms"]
        .as_object_mut()
        .unwrap();
    rooms
        .values_mut()
        .find(|v| !v.as_array().unwrap().is_empty())
        .unwrap()[0]["duration"] = "soon".into();

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not json", b"{\"schedule\": ".to_vec(), ""),
        ("not a schedule", b"{\"hello\": 1}".to_vec(), "schedule"),
        (
            "days not a list",
            serde_json::to_vec(&wrong_type).unwrap(),
            "days",
        ),
        (
            "bad duration",
            serde_json::to_vec(&bad_duration).unwrap(),
            "duration",
        ),
        ("broken xml", b"<schedule><conference>".to_vec(), ""),
        ("invalid example", fixture("invalid-example.json"), ""),
        ("binary", vec![0xff, 0xfe, 0x00, 0x01], ""),
    ];
    for (name, body, field_part) in cases {
        let res = t.import("democon", body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let err = body_json(res).await;
        assert_eq!(err["error"]["code"], "invalid", "{name}: {err}");
        let field = err["error"]["field"].as_str().unwrap_or_default();
        assert!(
            field.contains(field_part),
            "{name}: field {field:?} should name {field_part:?}"
        );
        assert!(
            !err["error"]["message"].as_str().unwrap().is_empty(),
            "{name}"
        );
    }
    let empty = t.import("democon", Vec::new()).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body_json(empty).await["error"]["field"], "body");

    let after = t.state.store.load_schedule("democon").await.unwrap();
    assert_eq!(before, after, "a refused import must not change anything");
    assert_eq!(
        t.state
            .store
            .schedule_versions("democon")
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_bad_event_slug_is_refused_with_the_field_named() {
    let t = app().await;
    let res = t
        .import("Bad%20Slug", fixture("pretalx-democon.json"))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body_json(res).await["error"]["field"], "event");
}

#[tokio::test]
async fn messy_real_files_import_with_a_report_of_what_was_skipped() {
    let t = app().await;
    let res = t.import("camp2019", fixture("frab-camp2019.json")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let out = body_json(res).await;
    let skipped = out["skipped"].as_array().unwrap();
    assert!(
        !skipped.is_empty(),
        "frab-camp2019 has messy entries: {out}"
    );
    for s in skipped {
        assert!(s["path"].as_str().unwrap().starts_with("schedule."), "{s}");
        assert!(!s["reason"].as_str().unwrap().is_empty());
    }
    // 79 events in the file: most import, none silently vanish.
    let sessions = out["sessions"].as_u64().unwrap();
    assert!((60..=79).contains(&sessions), "{sessions}");
}

#[tokio::test]
async fn unknown_api_routes_are_json_404s() {
    let t = app().await;
    let res = t.get("/api/v1/nope").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(res).await["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_moved_session_in_a_reimport_raises_its_calendar_sequence() {
    let t = app().await;
    t.import("democon", fixture("pretalx-democon.json")).await;
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("pretalx-democon.json")).unwrap();
    let rooms = doc["schedule"]["conference"]["days"][0]["rooms"]
        .as_object_mut()
        .unwrap();
    let first = rooms
        .values_mut()
        .find(|v| !v.as_array().unwrap().is_empty())
        .unwrap();
    let guid = first[0]["guid"].as_str().unwrap().to_owned();
    first[0]["title"] = "Renamed only".into();
    t.import("democon", serde_json::to_vec(&doc).unwrap()).await;
    assert_eq!(
        t.state.store.session_sequences("democon").await.unwrap()[&guid],
        0,
        "a rename does not move it"
    );
    let rooms = doc["schedule"]["conference"]["days"][0]["rooms"]
        .as_object_mut()
        .unwrap();
    let first = rooms
        .values_mut()
        .find(|v| !v.as_array().unwrap().is_empty())
        .unwrap();
    first[0]["duration"] = "02:00".into();
    t.import("democon", serde_json::to_vec(&doc).unwrap()).await;
    assert_eq!(
        t.state.store.session_sequences("democon").await.unwrap()[&guid],
        1
    );
}
