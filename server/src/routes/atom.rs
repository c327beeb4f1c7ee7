//! `/e/{event}/incidents.atom`: incidents and their updates as an Atom feed.

use app::cache_policy::Freshness;
use app::error::AppError;
use app::state::AppState;
use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::FixedOffset;

use super::conditional::cacheable;
use app::domain::email::html_escape;

pub async fn incidents(State(state): State<AppState>, Path(event): Path<String>) -> Response {
    let Some(v) = state.read_model.get(&event) else {
        return AppError::not_found(format!("event {event:?}")).into_response();
    };
    let base = format!("{}/e/{event}", state.public_url);
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    let entries: Vec<Entry> = v
        .status
        .incidents
        .iter()
        .map(|i| {
            let body: String = i
                .updates
                .iter()
                .map(|u| {
                    // The signature is plain text the organiser typed.
                    let signed = u
                        .signature
                        .as_deref()
                        .map(|s| format!("<p>— {}</p>", html_escape(s)))
                        .unwrap_or_default();
                    format!(
                        "<p><strong>{}</strong> — {}</p>{}{signed}",
                        u.status.as_str(),
                        u.created_at.to_rfc3339(),
                        app::markdown::to_html(&u.body_md)
                    )
                })
                .collect();
            Entry {
                id: format!(
                    "tag:marquee,{}:incident/{event}/{}",
                    i.created_at.format("%Y-%m-%d"),
                    i.id
                ),
                // A cancelled maintenance is stored as completed.
                title: Text::plain(format!(
                    "{} ({})",
                    i.name,
                    if i.cancelled_at.is_some() {
                        app::domain::status::CANCELLED
                    } else {
                        i.status.as_str()
                    }
                )),
                updated: i.updated_at.with_timezone(&utc),
                published: Some(i.created_at.with_timezone(&utc)),
                links: vec![Link {
                    href: format!("{base}/status#incident-{}", i.id),
                    ..Default::default()
                }],
                content: Some(Content {
                    value: Some(body),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let updated = v
        .status
        .incidents
        .iter()
        .map(|i| i.updated_at)
        .max()
        .unwrap_or(v.changed_at);
    let feed = Feed {
        id: format!("{base}/incidents.atom"),
        title: Text::plain(format!("{} — incidents", v.schedule.event.name)),
        updated: updated.with_timezone(&utc),
        authors: vec![Person {
            name: v.schedule.event.name.clone(),
            ..Default::default()
        }],
        links: vec![
            Link {
                href: format!("{base}/incidents.atom"),
                rel: "self".into(),
                ..Default::default()
            },
            Link {
                href: format!("{base}/status"),
                ..Default::default()
            },
        ],
        entries,
        ..Default::default()
    };
    atom_response(&feed, state.clock.now())
}

/// `/e/{event}/changes.atom`: every schedule version with why and what moved.
pub async fn changes(State(state): State<AppState>, Path(event): Path<String>) -> Response {
    let Some(v) = state.read_model.get(&event) else {
        return AppError::not_found(format!("event {event:?}")).into_response();
    };
    let base = format!("{}/e/{event}", state.public_url);
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    let moved_html = |version: i64| -> String {
        v.history
            .shifts
            .iter()
            .filter(|s| s.version == version)
            .flat_map(|s| s.preview.moved.iter())
            .map(|m| {
                format!(
                    "<li>{} ({}): {} → {}</li>",
                    html_escape(&m.title),
                    html_escape(&m.track),
                    app::domain::time::format_hhmm(v.tz, m.old_start),
                    app::domain::time::format_hhmm(v.tz, m.new_start)
                )
            })
            .collect()
    };
    let entries: Vec<Entry> = v
        .history
        .versions
        .iter()
        .map(|ver| Entry {
            id: format!(
                "tag:marquee,{}:changes/{event}/{}",
                ver.created_at.format("%Y-%m-%d"),
                ver.version
            ),
            title: Text::plain(format!("Version {}: {}", ver.version, ver.summary)),
            updated: ver.created_at.with_timezone(&utc),
            links: vec![Link {
                href: format!("{base}/changes#v{}", ver.version),
                ..Default::default()
            }],
            content: Some(Content {
                value: Some(format!(
                    "<p>{}</p><ul>{}</ul>",
                    html_escape(&ver.reason),
                    moved_html(ver.version)
                )),
                content_type: Some("html".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let updated = v
        .history
        .versions
        .first()
        .map(|x| x.created_at)
        .unwrap_or(v.changed_at);
    let feed = Feed {
        id: format!("{base}/changes.atom"),
        title: Text::plain(format!("{} — schedule changes", v.schedule.event.name)),
        updated: updated.with_timezone(&utc),
        links: vec![
            Link {
                href: format!("{base}/changes.atom"),
                rel: "self".into(),
                ..Default::default()
            },
            Link {
                href: format!("{base}/changes"),
                ..Default::default()
            },
        ],
        entries,
        ..Default::default()
    };
    atom_response(&feed, state.clock.now())
}

/// A feed as an HTTP response, cacheable like the other public documents.
fn atom_response(feed: &Feed, now: chrono::DateTime<chrono::Utc>) -> Response {
    cacheable(
        Freshness::timeless(now),
        "application/atom+xml; charset=utf-8",
        feed.to_string(),
    )
}
