//! Reading what happened: the audit log as JSON (dashboard session or API
//! token; owners only, since it names people and addresses) and the
//! post-event report as HTML or Markdown (anyone who may see the event's
//! dashboard). The report's facts are gathered here; `domain::report`
//! orders them and computes the figures.

use app::domain::access::Action;
use app::domain::report::{
    AnswerFacts, IncidentFacts, NoticeFacts, ReportInput, ShiftFacts, Subject, build, to_html,
    to_markdown,
};
use app::domain::status::{CANCELLED, IncidentStatus};
use app::error::{AppError, Result};
use app::pages::request::CurrentUser;
use app::state::AppState;
use app::store::NoticeOf;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use super::api::ApiCaller;

/// Entries per page of the audit log.
pub const AUDIT_PAGE: i64 = 50;

/// The page a query asks for (`?page=N`, 1-based, the first `page` if
/// repeated); anything but a positive whole number is a 422 naming `page`.
fn page_of(query: Option<&str>) -> Result<i64> {
    let raw = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "page")
            .map(|(_, v)| v.into_owned())
    });
    match raw.as_deref() {
        None | Some("") => Ok(1),
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| AppError::invalid("page", "a page number from 1")),
    }
}

/// One page of an event's audit log, newest first.
pub async fn audit_page(state: &AppState, slug: &str, page: i64) -> Result<Value> {
    crate::services::event_view(state, slug)?;
    let page = page.max(1);
    let entries = state
        .store
        .list_audit(slug, (page - 1) * AUDIT_PAGE, AUDIT_PAGE)
        .await?;
    let total = state.store.count_audit(slug).await?;
    Ok(json!({
        "event": slug,
        "page": page,
        "per_page": AUDIT_PAGE,
        "total": total,
        "entries": entries,
    }))
}

/// `GET /admin/e/{event}/audit.json`: the dashboard's export.
pub async fn audit_json(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response> {
    user.check(Action::Members, &event)?;
    let body = audit_page(&state, &event, page_of(q.as_deref())?).await?;
    Ok(download(
        Json(body).into_response(),
        &format!("{event}-audit.json"),
    ))
}

/// `GET /api/v1/events/{event}/audit`: the same for scripts.
pub async fn audit_api(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(event): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>> {
    caller.check(Action::Members, &event)?;
    Ok(Json(
        audit_page(&state, &event, page_of(q.as_deref())?).await?,
    ))
}

/// The report's language as for the other admin pages: `?lang=`, then
/// the `lang` cookie, then `Accept-Language`, else English.
fn report_lang(query: Option<&str>, headers: &HeaderMap) -> &'static str {
    let asked = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    });
    let cookie = axum_extra::extract::cookie::CookieJar::from_headers(headers)
        .get("lang")
        .map(|c| c.value().to_owned());
    app::i18n::negotiate(
        asked.or(cookie).as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// `GET /admin/e/{event}/report.html` (`?lang=` en, ru, zh, fr).
pub async fn report_html(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    user.check(Action::View, &event)?;
    let lang = report_lang(q.as_deref(), &headers);
    let html = to_html(&build(&gather(&state, &event, lang).await?));
    let res = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_LANGUAGE, lang),
        ],
        html,
    )
        .into_response();
    Ok(download(res, &format!("{event}-report.html")))
}

/// `GET /admin/e/{event}/report.md` (`?lang=` as for the HTML).
pub async fn report_md(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(event): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    user.check(Action::View, &event)?;
    let lang = report_lang(q.as_deref(), &headers);
    let md = to_markdown(&build(&gather(&state, &event, lang).await?));
    let res = (
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8"),
            (header::CONTENT_LANGUAGE, lang),
        ],
        md,
    )
        .into_response();
    Ok(download(res, &format!("{event}-report.md")))
}

/// Saved under `name` by a browser, and never cached (it names people).
fn download(mut res: Response, name: &str) -> Response {
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The report's facts: incidents from the read model, shifts, notices
/// with their reach, times and answers from the store; `lang` is the
/// language it will be written in.
pub async fn gather(state: &AppState, slug: &str, lang: &'static str) -> Result<ReportInput> {
    let view = crate::services::event_view(state, slug)?;
    let times = state.store.report_times(slug).await?;
    let shifts = state.store.list_shifts(slug).await?;
    let reach = state.store.event_reach(slug).await?;
    let incidents = view
        .status
        .incidents
        .iter()
        .map(|i| IncidentFacts {
            id: i.id,
            name: i.name.clone(),
            impact: i.impact.as_str().to_owned(),
            opened_at: i.created_at,
            resolved_at: i.resolved_at,
            updates: i
                .updates
                .iter()
                .map(|u| {
                    // The update that cancelled a maintenance (stored as
                    // completed) was written at `cancelled_at`.
                    let status = if i.cancelled_at == Some(u.created_at)
                        && u.status == IncidentStatus::Completed
                    {
                        CANCELLED
                    } else {
                        u.status.as_str()
                    };
                    (
                        u.created_at,
                        status.to_owned(),
                        app::markdown::to_plain(&u.body_md),
                    )
                })
                .collect(),
            page_updated_at: times.incident_pages.get(&i.id).copied(),
            has_postmortem: i.postmortem_md.is_some(),
            cancelled: i.cancelled_at.is_some(),
        })
        .collect();
    let shifts = shifts
        .iter()
        .map(|s| ShiftFacts {
            id: s.shift_id,
            applied_at: s.created_at,
            reason: s.reason.clone(),
            moved: s.preview.moved.len(),
            page_updated_at: times.shift_pages.get(&s.shift_id).copied(),
        })
        .collect();
    // Proposals' questions to speakers are not in the report's timeline
    // (attendees were told nothing); the shift a proposal became is.
    let notices = reach
        .iter()
        .filter_map(|(of, n)| {
            let subject = match of {
                NoticeOf::Incident(id) => Subject::Incident(*id),
                NoticeOf::Shift(id) => Subject::Shift(*id),
                NoticeOf::Proposal(_) => return None,
            };
            Some((subject, n))
        })
        .map(|(subject, n)| NoticeFacts {
            subject,
            kind: n.kind.clone(),
            created_at: n.created_at,
            targeted: n.targeted,
            delivered: n.delivered,
            failed: n.failed,
            expired: n.expired,
            pending: n.pending,
            last_delivered_at: times.last_delivered.get(&n.notice_id).copied(),
        })
        .collect();
    let speaker_name = |key: &str| {
        view.schedule
            .speakers
            .iter()
            .find(|s| s.key == key)
            .map_or_else(|| key.to_owned(), |s| s.name.clone())
    };
    let answers = times
        .answers
        .iter()
        .map(|(shift_id, key, answer, at)| AnswerFacts {
            shift_id: *shift_id,
            speaker: speaker_name(key),
            answer: answer.clone(),
            at: *at,
        })
        .collect();
    Ok(ReportInput {
        event_name: view.schedule.event.name.clone(),
        tz: view.tz,
        lang,
        generated_at: state.clock.now(),
        incidents,
        shifts,
        notices,
        answers,
    })
}
