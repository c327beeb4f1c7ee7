//! `/api/openapi.json`: an OpenAPI 3.1 document that declares every route
//! of the write API, the push endpoints and the public documents, each of
//! which is really routed (no declared path falls through to a 404 for an
//! unknown endpoint or a 405).

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{app_with_demo, body_json, body_string};

#[tokio::test]
async fn the_document_is_openapi_3_1_with_bearer_auth_on_the_write_routes() {
    let t = app_with_demo().await;
    let res = t.get("/api/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    let doc = body_json(res).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // The write routes of the contract (docs: DESIGN "Routes"), each with
    // the bearer requirement.
    for (method, path) in [
        ("post", "/api/v1/events/{event}/incidents"),
        ("post", "/api/v1/events/{event}/incidents/{id}/updates"),
        ("patch", "/api/v1/events/{event}/components/{id}"),
        ("post", "/api/v1/events/{event}/components"),
        ("post", "/api/v1/events/{event}/shifts"),
        ("get", "/api/v1/events/{event}/shifts"),
        ("post", "/api/v1/events/{event}/shifts/{id}/revert"),
        ("post", "/api/v1/events/{event}/changes"),
        ("post", "/api/v1/events/{event}/import"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not declared");
        assert_eq!(
            op["security"][0]["bearer"],
            serde_json::json!([]),
            "{method} {path}"
        );
        assert!(
            op["responses"]["403"].is_object(),
            "{method} {path}: 403 declared"
        );
        assert!(
            op["responses"]["503"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("database is unavailable")),
            "{method} {path}: 503 (database unavailable) declared"
        );
    }
    // Request bodies are the handlers' own types.
    let incident = &doc["components"]["schemas"]["IncidentInput"]["properties"];
    for field in ["name", "body", "components", "component_status", "template"] {
        assert!(incident[field].is_object(), "IncidentInput.{field}");
    }
    assert!(doc["components"]["schemas"]["ShiftInput"]["properties"]["by_minutes"].is_object());
}

#[tokio::test]
async fn every_declared_route_is_routed() {
    let t = app_with_demo().await;
    let routes = server::routes::openapi::declared_routes();
    assert!(routes.len() >= 21, "{routes:?}");
    for (method, path) in routes {
        let uri = path.replace("{event}", "demo").replace("{id}", "1");
        let res = t
            .send(
                Request::builder()
                    .method(Method::from_bytes(method.as_bytes()).unwrap())
                    .uri(&uri)
                    .header(header::AUTHORIZATION, format!("Bearer {}", t.token))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let status = res.status();
        let json = res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"));
        let body = body_string(res).await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert!(
            !body.contains("API endpoint not found"),
            "{method} {uri}: {body}"
        );
        assert!(
            json || status == StatusCode::NO_CONTENT,
            "{method} {uri}: {status} {body}"
        );
        assert!(!status.is_server_error(), "{method} {uri}: {status} {body}");
    }
}

/// Found by schemathesis: an id out of i64's range got axum's plain-text
/// 400, not the API's JSON error naming the field.
#[tokio::test]
async fn a_malformed_path_id_is_a_json_422_naming_it() {
    let t = app_with_demo().await;
    for (method, uri) in [
        (
            "PATCH",
            "/api/v1/events/demo/components/9223372036854775808",
        ),
        (
            "POST",
            "/api/v1/events/demo/incidents/9223372036854775808/updates",
        ),
        ("POST", "/api/v1/events/demo/shifts/x/revert"),
    ] {
        let res = t
            .json(method, uri, serde_json::json!({"status": "identified"}))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {uri}"
        );
        let body = body_json(res).await;
        assert_eq!(body["error"]["code"], "invalid", "{uri}");
        assert_eq!(body["error"]["field"], "id", "{uri}");
    }
}

/// A `$ref` to a schema left out of `components` makes the document
/// unusable to generators (schemathesis among them).
#[tokio::test]
async fn every_schema_reference_resolves() {
    fn refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("$ref", Some(r)) => out.push(r),
                        _ => refs(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let t = app_with_demo().await;
    let doc = body_json(t.get("/api/openapi.json").await).await;
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(
        found.contains(&"#/components/schemas/ChangeVerb"),
        "{found:?}"
    );
    for r in found {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} dangles"
        );
    }
    let change = &doc["components"]["schemas"]["ChangeInput"]["properties"];
    for field in [
        "version", "op", "guid", "start", "track", "a", "b", "reason", "dry_run",
    ] {
        assert!(change[field].is_object(), "ChangeInput.{field}");
    }
    let shift = &doc["components"]["schemas"]["ShiftInput"]["properties"];
    for field in ["interrupted", "pinned", "version"] {
        assert!(shift[field].is_object(), "ShiftInput.{field}");
    }
}
